"""Searching one view: what a query asks (its time, its parts), who may be found (hops, tags), how their fit is
weighed (reach, availability, helped before), the ranking, the paths, and where the list is cut. Search and
match both come through here."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np

from ..errors import InputError
from ..index.filters import ItemFilter
from ..index.services import ServiceBridge
from ..index.view import View
from ..records import clean_text
from ..limits import DEFAULT_HOPS, DEFAULT_K, MAX_HOPS, MAX_K, MAX_QUERY_CHARS, SEARCH_MODES
from ..results import Match, PathStep, SearchResult
from ..text import query_clauses
from ..config import models_dir
from ..index.vocabulary import background_words
from ..when import availability_fit, parse_when, read_availability, read_wanted
from .graph import Reach, compute_reach, path_steps
from .ranker import Ranker, Scope
from .reading import Reading, read_query
from .showing import Cut
from .spelling import Spelled, Speller
from .weights import WEIGHTS, Weights


def check_options(k: int, hops: int, mode: str = "hybrid") -> None:
    if mode not in SEARCH_MODES:
        raise InputError(f"unknown mode '{mode}' (one of: {', '.join(SEARCH_MODES)})")
    if not 1 <= k <= MAX_K:
        raise InputError(f"-k must be from 1 to {MAX_K}, got {k}")
    if not 1 <= hops <= MAX_HOPS:
        raise InputError(f"--hops must be from 1 to {MAX_HOPS}, got {hops}")


class Searcher:
    def __init__(self, view: View, encoder, bridge: ServiceBridge | None, weights: Weights = WEIGHTS):
        self.view, self.encoder, self.bridge, self.weights = view, encoder, bridge, weights

    # ---- search ----
    def search_batch(self, queries: list[str], k: int = DEFAULT_K, include_all: bool = False,
                     hops: int = DEFAULT_HOPS, when: str | None = None, tags: list[str] | None = None,
                     mode: str = "hybrid") -> list[SearchResult]:
        """People who fit each query, best first; see Network.search_batch."""
        check_options(k, hops, mode)
        # NFC ("Mu\u0308ller" is "Müller"), no control characters, no lone surrogates (an argument that was no UTF-8)
        queries = [clean_text(q.encode("utf-8", "replace").decode("utf-8")) for q in queries]
        if not queries or any(not q for q in queries):
            raise InputError('say what you need, e.g. "brauche Handwerker"', key="empty_query")
        notes = [_note(q) for q in queries]
        queries = [q[:MAX_QUERY_CHARS] for q in queries]
        # what is needed, when, and whom it names: a time said in the query ("Babysitter am Samstagabend") weighs
        # availability like `when` (which wins), and only what is needed is searched for (rank/reading.py)
        readings = [self.read(q) for q in queries]
        times = [when or r.time for r in readings]
        # "brauche Klemptner" is searched as "… Klempner"
        spelled = [self.speller().respell(r.content) if r.content else Spelled("") for r in readings]
        ranker = Ranker(self.view, self.bridge, self.weights, mode)
        vectors, parts = (None, None) if mode == "lexical" else \
            self._encode([s.text for s in spelled], mode == "hybrid")
        ranked, verdicts = self.rank_per_time(ranker, [r.name_query for r in readings], vectors, parts, k, times, hops,
                                              tuple(sorted(tags or ())), explicit=when,
                                              word_texts=[s.words_text() for s in spelled],
                                              contacts=[r.contact for r in readings])
        cut = self.cut(mode)
        results = []
        for query, matches, availability, time, spelling, reading in zip(queries, ranked, verdicts, times, spelled,
                                                                          readings):
            self.describe(matches, hops, availability)
            result = SearchResult(query, matches, when=time if availability else None, min_score=cut.min_score,
                                  network_size=self.view.people_count,
                                  searched_as=spelling.text if spelling.changed else None)
            result.note = notes[len(results)]
            if reading.asks_nothing and not matches and result.note is None:
                result.note = NOTHING_ASKED
            if result.note is not None:  # which note, for a front door's own words
                result.note_key = "nothing_to_search" if result.note == NOTHING_ASKED else "query_cut"
            if result.note == NOTHING_ASKED:
                result.matches = []  # nothing in it to search for: an empty answer, not a random list
            elif include_all:
                cut.label_all(matches)
            else:
                result.matches = cut.shown(matches)
                if not result.matches and matches:
                    result.best_below_threshold = matches[0]
            results.append(result)
        return results

    def cut(self, mode: str = "hybrid") -> Cut:
        """Where this encoder's lists are cut and how sure each shown person is (rank/showing.py)."""
        from ..encoders import encoder_info

        if mode == "lexical":
            return Cut(0.0, 0.5, self.weights.score_margin, 1.0, 1.0)
        return Cut.of(encoder_info(self.encoder.name), self.encoder.min_score, self.weights.score_margin)

    def read(self, text: str) -> Reading:
        """What a query or need asks for, when, and whom it names (rank/reading.py), against this view's names
        and the background knowledge's words."""
        known = self.view.memo("background_words", lambda: background_words(models_dir()))
        return read_query(text, self.view.is_given_name, lambda word: known.find(word) is not None)

    def _encode(self, contents: list[str], with_parts: bool) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """The vectors of what each query needs (zero where it asks for nobody's content, only for a person) and
        (with_parts) per query the vectors of its clauses that can name a need by themselves; one encoder call."""
        texts_of = [query_clauses(c) for c in contents] if with_parts else [[] for _ in contents]
        flat = [c or "?" for c in contents] + [t for texts in texts_of for t in texts]
        vectors = self.encoder.encode_queries(flat)
        mains = np.array(vectors[:len(contents)], dtype=np.float32, copy=True)
        mains[[i for i, c in enumerate(contents) if not c]] = 0.0
        return mains, (_split(vectors[len(contents):], texts_of) if with_parts else None)

    def content_vectors(self, texts: list[str], vectors: np.ndarray, with_parts: bool = True
                        ) -> tuple[list[Reading], np.ndarray, list[np.ndarray] | None]:
        """For texts whose vectors are known (needs): what each needs, its vector encoded again where that is
        less than the whole text (a time, urgency or a name taken out), and (with_parts) the vectors of its
        parts."""
        readings = [self.read(t) for t in texts]
        changed = [i for i, (r, t) in enumerate(zip(readings, texts)) if r.content != t]
        vectors = np.array(vectors, dtype=np.float32, copy=True)
        if changed:
            vectors[changed], _ = self._encode([readings[i].content for i in changed], False)
        if self.bridge is None or not with_parts:
            return readings, vectors, None
        texts_of = [query_clauses(r.content) for r in readings]
        flat = [t for texts in texts_of for t in texts]
        parts = self.encoder.encode_queries(flat) if flat else np.zeros((0, self.encoder.dim), np.float32)
        return readings, vectors, _split(parts, texts_of)

    def rank_per_time(self, ranker: Ranker, texts: list[str], vectors: np.ndarray | None,
                      parts: list[np.ndarray] | None, k: int, times: list[str | None], hops: int,
                      tags: tuple[str, ...] = (), explicit: str | None = None,
                      exclude: list[set[int]] | None = None, word_texts: list[str] | None = None,
                      contacts: list[str | None] | None = None) -> tuple[list[list[Match]], list[dict[int, str]]]:
        """Rank each text with the availability of its time weighed, one ranking pass per distinct time (usually
        one for the whole batch). explicit: a time the user gave (an error if it names no time); exclude: per
        text, people never to return (and names are not searched). Returns the matches and the availability
        verdicts per text."""
        ranked: list[list[Match]] = [[] for _ in texts]
        verdicts: list[dict[int, str]] = [{} for _ in texts]
        for time in dict.fromkeys(times):
            rows = [i for i, t in enumerate(times) if t == time]
            scope, availability = self.scope(hops, tags, time, strict=time is not None and time == explicit)
            if exclude is not None:
                scope = replace(scope, use_names=False, exclude_pks=[exclude[i] for i in rows], factors={})
            found = ranker.rank([texts[i] for i in rows], None if vectors is None else vectors[rows], k, scope,
                                None if parts is None else [parts[i] for i in rows],
                                None if word_texts is None else [word_texts[i] for i in rows],
                                None if contacts is None else [contacts[i] for i in rows])
            for i, matches in zip(rows, found):
                ranked[i], verdicts[i] = matches, availability
        return ranked, verdicts

    def speller(self) -> Speller:
        return self.view.memo("speller", lambda: Speller(self.view.word_lists()))

    # ---- who may be found, and how they are weighed ----
    def reach(self) -> Reach:
        """Paths from the user to everyone in this view (carried over from the view before when a write changed
        no links and made nobody a direct contact or not: then only new people need an entry)."""
        view = self.view

        def make():
            previous = view.previous_memo("reach")
            if previous is not None and not len(view.links_touched) and self._same_directs():
                return self._extended(previous[0]), True
            frm, to, strength, _ = view.edges()
            return compute_reach(view.max_pk, np.flatnonzero(view.by_pk("direct", bool)), (frm, to, strength),
                                 self.weights), False
        return view.memo("reach", make)[0]

    def _reach_carried(self) -> bool:
        """Was this view's reach carried over from the view before (nobody's paths changed)?"""
        self.reach()
        return self.view.memo("reach", None)[1]

    def _same_directs(self) -> bool:
        """Is everyone the write touched, who was there before, still as direct a contact as before?"""
        view, before = self.view, self.view.previous
        was = view.touched[before.is_live(view.touched)]
        return bool(np.array_equal(view.by_pk("direct", bool)[was], before.by_pk("direct", bool)[was]))

    def _extended(self, previous: Reach) -> Reach:
        """The reach before, grown to the new people: a new person without links is reached directly or not."""
        view = self.view
        size = view.max_pk + 1
        new = view.touched[~view.previous.is_live(view.touched)]
        direct = view.by_pk("direct", bool)
        if not len(new) and size == len(previous.direct):
            return previous  # nobody new, nobody's paths changed

        def grown(arrays, fill):
            out = []
            for h, array in enumerate(arrays):
                if array is None:
                    out.append(None)
                    continue
                bigger = np.full(size, fill(h), dtype=array.dtype)
                bigger[:len(array)] = array
                out.append(bigger)
            return out

        reach = grown(previous.reach, lambda h: 0)
        pred = grown(previous.pred, lambda h: -1)
        hops = grown(previous.hops, lambda h: 0)
        for h in range(1, len(reach)):
            reach[h][new] = np.where(direct[new], 1.0, 0.0)
            pred[h][new] = -1
            hops[h][new] = np.where(direct[new], 1, 0)
        return Reach(direct, reach, pred, hops)

    def scope(self, hops: int, tags: tuple[str, ...], when: str | None, strict: bool = True
              ) -> tuple[Scope, dict[int, str]]:
        """Who may be found (reachable within hops, with a tag) and how their fit is weighted. strict: a `when`
        that names no time is an error (else it is ignored)."""
        reach = self.reach()

        def make():
            view = self.view
            bonus = self.weights.helped_bonus(view.by_pk("helped", np.int64)).astype(np.float32)
            weight = reach.reach[hops].astype(np.float32)
            before = view.previous_memo(("scope", hops, tags))
            if before is not None and self._reach_carried():
                return self._scope_updated(before, reach, hops, tags, weight, bonus)
            allowed = (reach.reach[hops] > 0) & view.live_mask()
            if tags:
                tagged = np.zeros_like(allowed)
                tagged[view.pks_with_tags(tags)] = True
                allowed &= tagged
            everyone = int(allowed.sum()) == view.people_count
            return Scope(allowed, None if everyone else view.items_allowed(allowed), weight, bonus,
                         everyone=everyone)

        scope = self.view.memo(("scope", hops, tags), make)
        if not when:
            return scope, {}
        wanted = read_wanted(when, date.today())
        if not wanted.known:
            if strict:
                parse_when(when)  # raises a clear error if it is no time expression at all
            return scope, {}
        verdicts: dict[int, str] = {}  # filled for the candidates as the ranking asks for them

        def factors(pks: list[int]) -> dict[int, float]:
            for pk, offered in self._availability_of(pks).items():
                verdicts[pk] = availability_fit(wanted, offered)
            return {pk: self.weights.availability[verdicts[pk]] for pk in pks if pk in verdicts}

        return replace(scope, availability=factors, factors={}), verdicts

    def _scope_updated(self, before: Scope, reach: Reach, hops: int, tags: tuple[str, ...], weight, bonus) -> Scope:
        """The scope of the view before, with the people the write touched (and their pieces) updated."""
        view = self.view
        touched = view.touched
        allowed = np.zeros(view.max_pk + 1, dtype=bool)
        allowed[:len(before.allowed_pks)] = before.allowed_pks
        now = (reach.reach[hops][touched] > 0) & view.is_live(touched)
        if tags and len(touched):
            now &= np.isin(touched, view.pks_with_tags(tags))
        allowed[touched] = now
        everyone = int(allowed.sum()) == view.people_count
        if everyone:
            return Scope(allowed, None, weight, bonus, everyone=True)
        owners = view.owner_by_item
        mask = np.zeros(len(owners), dtype=bool)
        if before.allowed_items is not None:
            mask[:len(before.allowed_items.mask)] = before.allowed_items.mask[:len(owners)]
        else:  # before, everyone was allowed: every piece that was current
            old = view.previous.owner_by_item
            mask[:len(old)] = old >= 0
        gone, _ = view.previous.items_of(touched[view.previous.is_live(touched)])
        mask[gone] = False
        ids, _ = view.items_of(touched[now])
        mask[ids] = True
        return Scope(allowed, ItemFilter(mask=mask), weight, bonus, everyone=False)

    def _availability_of(self, pks: list[int]) -> dict:
        """What these people's text and offers say about when they are available (read once, and carried over
        to the next view for everyone a write did not touch)."""
        view = self.view

        def carried():
            before = view.previous_memo("availability")
            if before is None:
                return {}
            touched = set(view.touched.tolist())
            return {pk: a for pk, a in before.items() if pk not in touched}

        known = view.memo("availability", carried)
        for pk in pks:
            if pk not in known and view.is_live([pk])[0]:
                known[pk] = read_availability(view.availability_text(pk))
        return {pk: known[pk] for pk in pks if pk in known}

    # ---- paths ----
    def describe(self, matches: list[Match], hops: int, availability: dict[int, str]) -> None:
        """Fill in each match's path from the user (as steps) and, with a time, whether theirs fits."""
        for m in matches:
            m.steps = self.steps_to(m.person_pk, hops)
            if availability:
                m.availability = availability.get(m.person_pk, "unknown")

    def steps_to(self, pk: int, hops: int) -> list[PathStep]:
        """The best path from the user to this person within hops, as steps."""
        return path_steps(self.reach().path(pk, hops), self.view.id_name, self.view.relation)


def _searchable(query: str) -> bool:
    """Does the query hold a word worth searching for (not only punctuation, single letters, stop words)?"""
    from ..index.lexical import stopwords

    words = re.findall(r"\w+", query.lower())
    return any(len(w) >= 2 and w not in stopwords() for w in words)


NOTHING_ASKED = ("there is no word to search for in this query (only punctuation, single letters, words like 'und', "
                 "'the' or 'hilfe', 'dringend'): say what you need, e.g. \"brauche Handwerker\"")


def _note(query: str) -> str | None:
    if not _searchable(query):
        return NOTHING_ASKED
    if len(query) > MAX_QUERY_CHARS:
        return f"the query is {len(query):,} characters long; its first {MAX_QUERY_CHARS:,} were searched"
    return None


def _split(vectors: np.ndarray, texts_of: list[list[str]]) -> list[np.ndarray]:
    bounds = np.cumsum([0] + [len(texts) for texts in texts_of])
    return [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

"""Searching one view: what a query asks (its time, its parts), who may be found (hops, tags), how their fit is
weighed (reach, availability, helped before), the ranking, the paths, and where the list is cut. Search and
match both come through here."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np

from ..errors import InputError
from ..index.services import ServiceBridge
from ..index.vectors import IdFilter
from ..index.view import View
from ..limits import DEFAULT_HOPS, DEFAULT_K, MAX_HOPS, MAX_K, SEARCH_MODES
from ..results import Match, PathStep, SearchResult
from ..text import query_clauses
from ..when import availability_fit, parse_when, read_availability, time_said, without_time
from .graph import Reach, RelationLabels, compute_reach, path_steps
from .ranker import Ranker, Scope
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
        queries = [q.strip() for q in queries]
        if any(not q for q in queries):
            raise InputError("empty query: say what you need, e.g. semnetz \"brauche Handwerker\"")
        # a time said in the query ("Babysitter am Samstagabend") weighs availability like `when`, which wins
        said = [time_said(q) for q in queries]
        times = [when or t for t in said]
        ranker = Ranker(self.view, self.bridge, self.weights, mode)
        vectors, parts = (None, None) if mode == "lexical" else self._encode(queries, said, mode == "hybrid")
        ranked, verdicts = self.rank_per_time(ranker, queries, vectors, parts, k, times, hops,
                                              tuple(sorted(tags or ())), explicit=when)
        min_score = self.encoder.min_score if mode != "lexical" else 0.0
        results = []
        for query, matches, availability, time in zip(queries, ranked, verdicts, times):
            self.describe(matches, hops, availability)
            result = SearchResult(query, matches, when=time if availability else None, min_score=min_score,
                                  network_size=self.view.people_count)
            if not include_all:
                floor = self.weights.shown_from(min_score, max((m.fit for m in matches), default=0))
                result.matches = [m for m in matches if m.fit >= floor]
                if not result.matches and matches:
                    result.best_below_threshold = max(matches, key=lambda m: m.fit)
            results.append(result)
        return results

    def _encode(self, queries: list[str], said: list[str | None], with_parts: bool
                ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """The queries' vectors and (with_parts) per query the vectors of its parts that can name a need by
        themselves: its clauses, and the query without the time it names; one encoder call."""
        if not with_parts:
            return self.encoder.encode_texts(queries), None
        texts_of = []
        for q, time in zip(queries, said):
            parts = query_clauses(q)
            rest = without_time(q) if time else ""
            if re.search(r"\w", rest):
                parts.append(rest)
            texts_of.append(parts)
        vectors = self.encoder.encode_texts(list(queries) + [t for texts in texts_of for t in texts])
        bounds = np.cumsum([len(queries)] + [len(texts) for texts in texts_of])
        return vectors[:len(queries)], [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def rank_per_time(self, ranker: Ranker, texts: list[str], vectors: np.ndarray | None,
                      parts: list[np.ndarray] | None, k: int, times: list[str | None], hops: int,
                      tags: tuple[str, ...] = (), explicit: str | None = None,
                      exclude: list[set[int]] | None = None) -> tuple[list[list[Match]], list[dict[int, str]]]:
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
                                None if parts is None else [parts[i] for i in rows])
            for i, matches in zip(rows, found):
                ranked[i], verdicts[i] = matches, availability
        return ranked, verdicts

    # ---- who may be found, and how they are weighed ----
    def reach(self) -> Reach:
        """Paths from the user to everyone in this view."""
        def make():
            view = self.view
            frm, to, strength, _ = view.edges()
            direct = np.flatnonzero(view.by_pk("direct", bool))
            return compute_reach(view.max_pk, direct, (frm, to, strength), self.weights)
        return self.view.memo("reach", make)

    def _labels(self) -> RelationLabels:
        def make():
            frm, to, _, relation = self.view.edges()
            return RelationLabels(frm, to, relation)
        return self.view.memo("labels", make)

    def scope(self, hops: int, tags: tuple[str, ...], when: str | None, strict: bool = True
              ) -> tuple[Scope, dict[int, str]]:
        """Who may be found (reachable within hops, with a tag) and how their fit is weighted. strict: a `when`
        that names no time is an error (else it is ignored)."""
        reach = self.reach()

        def make():
            view = self.view
            allowed = set(reach.reachable(hops).tolist())
            if tags:
                allowed &= set(view.pks_with_tags(tags).tolist())
            everyone = len(allowed) == view.people_count
            items = None if everyone else IdFilter(view.items_of(sorted(allowed))[0])
            bonus = self.weights.helped_bonus(view.by_pk("helped", np.int64)).astype(np.float32)
            return Scope(None if everyone else allowed, items, reach.reach[hops].astype(np.float32), bonus)

        scope = self.view.memo(("scope", hops, tags), make)
        if not when:
            return scope, {}
        wanted = read_availability(when, date.today())
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

    def _availability_of(self, pks: list[int]) -> dict:
        """What these people's text and offers say about when they are available (read once per view)."""
        known = self.view.memo("availability", dict)
        for pk in pks:
            if pk not in known and self.view.is_live([pk])[0]:
                known[pk] = read_availability(self.view.availability_text(pk))
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
        return path_steps(self.reach().path(pk, hops), self.view.id_name, self._labels())

"""Ranking people for a free-text need: vector search over their pieces, one result per person, plus names.

A person's score for a query:

    fit     = (best + SECOND_PIECE_WEIGHT * second) / (1 + SECOND_PIECE_WEIGHT)
    score   = fit + LEXICAL_WEIGHT * lexical          (lexical: BM25 share of the best, 0..1)

where best/second are the cosine similarities of the query to the person's two best-matching pieces (a person
with two pieces that fit beats one with a single lucky phrase). A name or alias the query spells (nearly) exactly
scores its fuzzy ratio (0.85..1) instead, when that is higher.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from .lexical import LexicalIndex
from .names import NameMatcher
from .services import BRIDGE_ROLE_BASELINE, BRIDGE_WEIGHT, ServiceBridge
from .store import Store
from .vector_index import IdFilter, VectorIndex

# Pieces fetched from FAISS per wanted person: a person has several pieces, and we want k distinct people.
ITEMS_PER_PERSON = 8
MIN_ITEMS_FETCHED = 64
LOSSY_FETCH_FACTOR = 10  # a compressed (PQ) index nominates this many times more pieces, rescored exactly
SECOND_PIECE_WEIGHT = 0.2
# Most a lexical match adds to the score (when the person has the query's distinctive words).
LEXICAL_WEIGHT = 0.1
LEXICAL_CANDIDATES = 50


@dataclass
class Match:
    id: str
    name: str
    score: float  # what ranks: fit x reach x availability + helped bonus
    why: str
    why_kind: str  # 'offer' | 'about' | 'name' | 'alias'
    person_pk: int = field(repr=False, default=0)
    fit: float = 0.0  # how well they fit the need, whoever they are
    path: list[str] = field(default_factory=list)  # ["me", …, id]
    how: str = ""  # "direct contact" / "ask … to introduce you to …"
    availability: str | None = None  # 'fits' | 'contradicts' | 'unknown' when a time was asked for

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("person_pk")
        out["score"] = round(float(self.score), 3)
        out["fit"] = round(float(self.fit), 3)
        out["why_kind"] = "offer" if self.why_kind == "offer_part" else self.why_kind
        out["hops"] = len(self.path) - 1
        if self.availability is None:
            out.pop("availability")
        return out


@dataclass
class Scope:
    """Who may be found and how their fit is weighted (see Network.search)."""

    allowed_pks: set[int] | None = None  # None: everyone
    allowed_items: IdFilter | None = None  # the FAISS ids of the allowed people's pieces (an ID selector)
    weight: np.ndarray | None = None  # by pk: reach x availability factor (1 if None)
    bonus: np.ndarray | None = None  # by pk: added after weighting (helped before)
    use_names: bool = True
    exclude_pks: list[set[int]] | None = None  # per query: people never to return (e.g. the one in need)
    # with a wanted time: pks -> their availability factor, asked for the candidates only (see prepare)
    availability: Callable[[list[int]], dict[int, float]] | None = None
    factors: dict[int, float] = field(default_factory=dict)

    def prepare(self, pks) -> None:
        """Learn the availability factor of these candidates (a few hundred per query, not the whole network)."""
        if self.availability is not None:
            missing = [pk for pk in pks if pk not in self.factors]
            if missing:
                self.factors.update(self.availability(missing))

    def final(self, pk: int, fit: float) -> float:
        w = self.weight[pk] if self.weight is not None and pk < len(self.weight) else 1.0
        if self.factors:
            w *= self.factors.get(pk, 1.0)
        b = self.bonus[pk] if self.bonus is not None and pk < len(self.bonus) else 0.0
        return float(fit * w + b)


def fit_per_person(similarities: np.ndarray, person_pks: np.ndarray,
                   second_weight: float | None = None) -> dict[int, tuple[float, int]]:
    """person_pk -> (fit, index of the best piece), from the similarities of all their pieces to one query.

    A person with a single piece counts it as their second too, so one-line profiles are not penalised.
    """
    if len(similarities) == 0:
        return {}
    order = np.lexsort((-similarities, person_pks))
    pks, sims = person_pks[order], similarities[order]
    starts = np.flatnonzero(np.r_[True, pks[1:] != pks[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    best = sims[starts]
    second = np.where(counts > 1, sims[np.minimum(starts + 1, len(order) - 1)], best)
    w = SECOND_PIECE_WEIGHT if second_weight is None else second_weight
    fit = (best + w * second) / (1 + w)
    return {int(pks[s]): (float(f), int(order[s])) for s, f in zip(starts.tolist(), fit.tolist())}


class PieceOwners:
    """Which pieces belong to whom, in memory (two int arrays), so candidates are rescored without a scan."""

    def __init__(self, item_ids: np.ndarray, person_pks: np.ndarray, texts: dict[int, tuple[str, str]] | None = None):
        order = np.lexsort((item_ids, person_pks))
        self.by_person_pk = person_pks[order]
        self.by_person_item = item_ids[order]
        by_item = np.argsort(item_ids, kind="stable")
        self._sorted_items = item_ids[by_item]  # arrays, not a dict: millions of pieces stay compact
        self._sorted_owner = person_pks[by_item]
        self.texts = texts  # item id -> (text, kind), kept for small networks only

    def owners_of(self, item_ids: np.ndarray) -> np.ndarray:
        """The person pk of each item id (-1 for ids that are not pieces, e.g. FAISS's -1 padding)."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        at = np.clip(np.searchsorted(self._sorted_items, item_ids), 0, max(0, len(self._sorted_items) - 1))
        if len(self._sorted_items) == 0:
            return np.full(item_ids.shape, -1, dtype=np.int64)
        found = self._sorted_items[at] == item_ids
        return np.where(found, self._sorted_owner[at], -1)

    def items_of(self, pks: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, their person pks) of these people."""
        lo = np.searchsorted(self.by_person_pk, pks, side="left")
        hi = np.searchsorted(self.by_person_pk, pks, side="right")
        if not len(pks):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        return self.by_person_item[rows], self.by_person_pk[rows]


class Searcher:
    def __init__(self, store: Store, index: VectorIndex, owners: PieceOwners, people: dict[int, tuple[str, str]],
                 names: NameMatcher | None, lexical: LexicalIndex | None = None, bridge: ServiceBridge | None = None,
                 service_people: dict[int, dict[int, tuple[float, int]]] | None = None, lexical_only: bool = False,
                 vectors_of=None):
        """people: pk -> (id, name); names: fuzzy name matching (None: names are not searched);
        lexical_only: rank by BM25 alone (for comparisons)."""
        self.store, self.index, self.owners, self.names, self.lexical = store, index, owners, names, lexical
        self.people = people
        self.lexical_only = lexical_only
        self.vectors_of = vectors_of or index.reconstruct  # piece vectors for rescoring
        self.bridge, self.service_people = bridge, service_people or {}

    def _rank_lexical(self, queries: list[str], k: int, scope: Scope) -> list[list[Match]]:
        """BM25 alone: score = BM25 share of the best hit; why = the person's first piece."""
        out = []
        for q, query in enumerate(queries):
            hits = self.lexical.search(query, max(k * 4, LEXICAL_CANDIDATES))
            scope.prepare(list(hits))
            ranked = [(pk, share) for pk, share in hits.items() if scope.allowed_pks is None or pk in scope.allowed_pks]
            if scope.exclude_pks:
                ranked = [(pk, share) for pk, share in ranked if pk not in scope.exclude_pks[q]]
            ranked = sorted(ranked, key=lambda kv: -scope.final(kv[0], kv[1]))[:k]
            first = {pk: int(items[0]) for pk, _ in ranked if len(items := self.owners.items_of([pk])[0])}
            texts = self.owners.texts if self.owners.texts is not None else self.store.piece_texts(list(first.values()))
            out.append([Match(*self.people[pk], scope.final(pk, share),
                              *(texts[first[pk]] if pk in first else ("", "about")), pk, fit=share)
                        for pk, share in ranked])
        return out

    def _prescore(self, ids: np.ndarray, query_vectors: np.ndarray, keep: int) -> np.ndarray:
        """With a compressed index: score the nominated pieces exactly and keep the best `keep` of them, so
        only their owners' pieces are read in full."""
        out = np.full((len(ids), keep), -1, dtype=np.int64)
        for q, row in enumerate(ids):
            row = row[row >= 0]
            if len(row) == 0:
                continue
            exact = self.vectors_of(row) @ query_vectors[q]
            best = row[np.argsort(-exact)[:keep]]
            out[q, :len(best)] = best
        return out

    def _bridge(self, hits) -> dict[int, tuple[float, int]]:
        """person pk -> (bridge, the piece naming the role): max over the query's services of
        need_sim x role_sim, for the people nominated for each service (their role similarity is known from
        the nomination, so nothing is computed per piece here)."""
        out: dict[int, tuple[float, int]] = {}
        for hit in hits:
            for pk, (role_sim, item_id) in self.service_people.get(hit.service, {}).items():
                value = hit.need_sim * max(0.0, (role_sim - BRIDGE_ROLE_BASELINE) / (1 - BRIDGE_ROLE_BASELINE))
                if value > out.get(pk, (0.0, 0))[0]:
                    out[pk] = (value, item_id)
        return out

    def rank(self, queries: list[str], query_vectors: np.ndarray, k: int, scope: Scope | None = None,
             part_vectors: list[np.ndarray] | None = None) -> list[list[Match]]:
        """For each query, the k best people by final score (fit weighted by the scope), whatever their fit.

        The scope's filter is applied inside the FAISS search (an ID selector) and to the lexical and name
        candidates, so filtering never drops a match that exists.
        """
        scope = scope or Scope()
        if self.lexical_only:
            return self._rank_lexical(queries, k, scope)
        n_items = max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON) * (LOSSY_FETCH_FACTOR if self.index.lossy else 1)
        _, ids = self.index.search(query_vectors, min(len(self.index), n_items), allowed_ids=scope.allowed_items)
        if self.index.lossy:
            ids = self._prescore(ids, query_vectors, max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON))
        owners_of_rows = self.owners.owners_of(ids)
        allowed = scope.allowed_pks
        lexical = [self.lexical.search(q, LEXICAL_CANDIDATES) if self.lexical else {} for q in queries]
        services = self.bridge.services_for(query_vectors, part_vectors) if self.bridge else [[] for _ in queries]
        candidates = []
        for q, (row, lex) in enumerate(zip(owners_of_rows, lexical)):
            found = set(row[row >= 0].tolist())
            nominated = set(lex) | {pk for hit in services[q] for pk in self.service_people.get(hit.service, ())}
            found |= {pk for pk in nominated if allowed is None or pk in allowed}
            if scope.exclude_pks:
                found -= scope.exclude_pks[q]
            candidates.append(found)
        # Rescore every candidate over all their pieces (FAISS only nominates them).
        all_pks = sorted(set().union(*candidates)) if candidates else []
        scope.prepare(all_pks)
        item_ids, item_pks = self.owners.items_of(all_pks)
        vectors = self.vectors_of(item_ids)
        order = np.argsort(item_pks, kind="stable")
        lo = np.searchsorted(item_pks[order], all_pks, side="left")
        hi = np.searchsorted(item_pks[order], all_pks, side="right")
        row_of_pk = {pk: order[a:b] for pk, a, b in zip(all_pks, lo, hi)}

        per_query: list[dict[int, tuple[float, float, int | str, str | None]]] = []
        for q, (query, cands) in enumerate(zip(queries, candidates)):
            rows = np.concatenate([row_of_pk[pk] for pk in cands if pk in row_of_pk]) if cands else np.zeros(0, np.int64)
            direct = vectors[rows] @ query_vectors[q]
            fits = fit_per_person(direct, item_pks[rows]) if len(rows) else {}
            bridge_of = self._bridge(services[q])
            direct_of_item = dict(zip(item_ids[rows].tolist(), direct.tolist())) if bridge_of else {}
            best: dict[int, tuple[float, float, int | str, str | None]] = {}
            lex = lexical[q]
            for pk, (fit, local) in fits.items():
                why = int(item_ids[rows[local]])
                if lex:
                    fit += LEXICAL_WEIGHT * lex.get(pk, 0.0)
                if pk in bridge_of:
                    bridge, role_item = bridge_of[pk]
                    fit += BRIDGE_WEIGHT * bridge
                    # the why: the piece naming the role the need calls for, if that explains more
                    if direct_of_item.get(role_item, -1.0) + BRIDGE_WEIGHT * bridge > direct_of_item.get(why, 0.0):
                        why = role_item
                best[pk] = (fit, fit, why, None)
            if scope.weight is not None or scope.bonus is not None or scope.factors:
                best = {pk: (scope.final(pk, fit), fit, why, kind) for pk, (_, fit, why, kind) in best.items()}
            if scope.use_names and self.names is not None:
                name_hits = self.names.match(query)
                scope.prepare([hit.person_pk for hit in name_hits])
                for hit in name_hits:
                    pk = hit.person_pk
                    if (allowed is not None and pk not in allowed) or (scope.exclude_pks and pk in scope.exclude_pks[q]):
                        continue
                    if pk not in best or hit.score > best[pk][1]:
                        best[pk] = (scope.final(pk, hit.score), hit.score, hit.matched, hit.field)
            per_query.append(best)

        ranked_per_query = [sorted(best.items(), key=lambda kv: -kv[1][0])[:k] for best in per_query]
        self.last_services = services
        people = self.people
        why_items = sorted({why for ranked in ranked_per_query for _, (_, _, why, kind) in ranked if kind is None})
        texts = self.owners.texts
        pieces = {i: texts[i] for i in why_items} if texts is not None else self.store.piece_texts(why_items)
        return [
            [Match(*people[pk], float(score), *(pieces[why] if kind is None else (why, kind)), pk, fit=float(fit))
             for pk, (score, fit, why, kind) in ranked]
            for ranked in ranked_per_query
        ]

"""Ranking people for free-text needs: signals nominate people and score them, the weights combine them.

Signals, each for a whole batch of queries:
- dense: the nearest pieces in the vector index nominate their owners; every candidate is then rescored over
  all their pieces (best and second-best piece);
- lexical: how much of what the query says their profile says too, by inverse document frequency, each stem in
  whichever form they write it (index/lexical.py); BM25 nominates candidates;
- bridge: the query resembles the needs of a service (index/services.py) whose roles they hold (the view's
  nominations);
- names: a name or alias the query spells (nearly) exactly scores its fuzzy ratio instead, when that is higher.

How they combine is rank/weights.py, the README's formula.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..index.services import ServiceBridge
from ..index.filters import ItemFilter
from ..index.view import View
from ..results import Match
from .weights import WEIGHTS, Weights

# Pieces fetched from the index per wanted person: a person has several pieces, and we want k distinct people.
ITEMS_PER_PERSON = 8
MIN_ITEMS_FETCHED = 64
LOSSY_FETCH_FACTOR = 10  # a compressed (PQ) index nominates this many times more pieces, rescored exactly
LEXICAL_CANDIDATES = 50
AVAILABILITY_BATCH = 8  # candidates whose time is read at once, best possible score first


@dataclass
class Scope:
    """Who may be found and how their fit is weighted (see rank/search.py)."""

    allowed_pks: np.ndarray | None = None  # by pk: may be found (None: everyone)
    allowed_items: ItemFilter | None = None  # the index ids of the allowed people's pieces (an ID selector)
    weight: np.ndarray | None = None  # by pk: reach (1 if None)
    bonus: np.ndarray | None = None  # by pk: added after weighting (helped before)
    use_names: bool = True
    exclude_pks: list[set[int]] | None = None  # per query: people never to return (e.g. the one in need)
    # with a wanted time: pks -> their availability factor, asked for the candidates only (see prepare)
    availability: Callable[[list[int]], dict[int, float]] | None = None
    factors: dict[int, float] = field(default_factory=dict)
    everyone: bool = False  # allowed_pks holds every current person (kept for updating the next view's scope)

    def allows(self, pk: int, q: int) -> bool:
        """May this person be returned for query q?"""
        if not self.everyone and self.allowed_pks is not None and \
                not (pk < len(self.allowed_pks) and self.allowed_pks[pk]):
            return False
        return not (self.exclude_pks and pk in self.exclude_pks[q])

    def prepare(self, pks) -> None:
        """Learn the availability factor of these candidates (a few hundred per query, not the whole network)."""
        if self.availability is not None:
            missing = [pk for pk in pks if pk not in self.factors]
            if missing:
                self.factors.update(self.availability(missing))

    def bound(self, pk: int, fit: float, most: float) -> float:
        """The highest final score this fit could reach with an availability factor of at most `most`."""
        w = self.weight[pk] if self.weight is not None and pk < len(self.weight) else 1.0
        b = self.bonus[pk] if self.bonus is not None and pk < len(self.bonus) else 0.0
        return float(fit * w * most + b)

    def final(self, pk: int, fit: float) -> float:
        w = self.weight[pk] if self.weight is not None and pk < len(self.weight) else 1.0
        if self.factors:
            w *= self.factors.get(pk, 1.0)
        b = self.bonus[pk] if self.bonus is not None and pk < len(self.bonus) else 0.0
        return float(fit * w + b)


def fit_per_person(similarities: np.ndarray, person_pks: np.ndarray,
                   weights: Weights = WEIGHTS) -> dict[int, tuple[float, int]]:
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
    fit = weights.fit(best, second)
    return {int(pks[s]): (float(f), int(order[s])) for s, f in zip(starts.tolist(), fit.tolist())}


class Ranker:
    def __init__(self, view: View, bridge: ServiceBridge | None = None, weights: Weights = WEIGHTS,
                 mode: str = "hybrid"):
        """mode: "hybrid" (every signal), "dense" (vectors only) or "lexical" (BM25 only), for comparisons."""
        self.view, self.weights, self.mode = view, weights, mode
        self.bridge = bridge if mode == "hybrid" else None
        self.lexical = view.lexical() if mode != "dense" else None

    def rank(self, queries: list[str], query_vectors: np.ndarray | None, k: int, scope: Scope | None = None,
             part_vectors: list[np.ndarray] | None = None, word_texts: list[str] | None = None,
             contacts: list[str | None] | None = None) -> list[list[Match]]:
        """For each query, the k best people by final score (fit weighted by the scope), whatever their fit.

        The scope's filter is applied inside the vector search (an ID selector) and to the lexical and name
        candidates, so filtering never drops a match that exists. word_texts: what lexical search reads per query
        (its spelling forgiven, rank/spelling.py); names are matched as typed. A query whose vector is zero asks
        for a person only (rank/reading.py): nobody is nominated by content. contacts: per query, a phone number
        or e-mail address it quotes (its person is found).
        """
        scope = scope or Scope()
        word_texts = word_texts or queries
        if self.mode == "lexical":
            return self._rank_lexical(word_texts, k, scope)
        view = self.view
        n_items = max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON) * (LOSSY_FETCH_FACTOR if view.lossy else 1)
        _, ids = view.search_vectors(query_vectors, min(max(view.piece_count, 1), n_items), scope.allowed_items)
        if view.lossy:
            ids = self._prescore(ids, query_vectors, max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON))
        owners_of_rows = view.owners_of(ids)
        words = [self.lexical.search_with_coverage(q, LEXICAL_CANDIDATES) if self.lexical else ({}, {})
                 for q in word_texts]
        lexical, covered = [w[0] for w in words], [w[1] for w in words]
        services = self.bridge.services_for(query_vectors, part_vectors, word_texts) if self.bridge \
            else [[] for _ in queries]
        candidates = []
        for q, (row, lex) in enumerate(zip(owners_of_rows, lexical)):
            if not query_vectors[q].any():
                candidates.append(set())
                continue
            found = set(row[row >= 0].tolist())
            nominated = set(lex) | {pk for hit in services[q] for pk in view.nominees(hit.service)}
            found |= {pk for pk in nominated if scope.allows(pk, q)}
            if scope.exclude_pks:
                found -= scope.exclude_pks[q]
            candidates.append(found)
        # Rescore every candidate over all their pieces (the index only nominates them).
        all_pks = sorted(set().union(*candidates)) if candidates else []
        item_ids, item_pks = view.items_of(all_pks)
        vectors = view.vectors_of(item_ids)
        order = np.argsort(item_pks, kind="stable")
        lo = np.searchsorted(item_pks[order], all_pks, side="left")
        hi = np.searchsorted(item_pks[order], all_pks, side="right")
        row_of_pk = {pk: order[a:b] for pk, a, b in zip(all_pks, lo, hi)}

        per_query: list[dict[int, tuple[float, float, int | str, str | None]]] = []
        for q, (query, cands) in enumerate(zip(queries, candidates)):
            rows = np.concatenate([row_of_pk[pk] for pk in cands if pk in row_of_pk]) if cands else np.zeros(0, np.int64)
            direct = vectors[rows] @ query_vectors[q]
            fits = fit_per_person(direct, item_pks[rows], self.weights) if len(rows) else {}
            bridge_of = self._bridge(services[q])
            direct_of_item = dict(zip(item_ids[rows].tolist(), direct.tolist())) if bridge_of else {}
            best: dict[int, tuple[float, int | str, str | None]] = {}  # pk -> (fit, why, kind)
            says = covered[q]
            for pk, (fit, local) in fits.items():
                why = int(item_ids[rows[local]])
                if says:  # the words: how much of what is asked they say themselves
                    fit += self.weights.lexical * says.get(pk, 0.0)
                if pk in bridge_of:
                    bridge, role_item = bridge_of[pk]
                    fit += self.weights.bridge * bridge
                    # the why: the piece naming the role the need calls for, if that explains more
                    if direct_of_item.get(role_item, -1.0) + self.weights.bridge * bridge > direct_of_item.get(why, 0.0):
                        why = role_item
                best[pk] = (fit, why, None)
            if scope.use_names and self.mode == "hybrid":
                for hit in view.match_names(query):
                    pk = hit.person_pk
                    if scope.allows(pk, q) and (pk not in best or hit.score > best[pk][0]):
                        best[pk] = (hit.score, hit.matched, hit.field)
                contact = contacts[q] if contacts else None
                for pk in view.people_with_contact(contact) if contact else []:
                    if scope.allows(pk, q):
                        kind = "email" if "@" in contact else "phone"
                        best[pk] = (1.0, (view.contact(pk) or {}).get(kind) or contact, kind)
            finals = self._final_scores(best, scope, k)
            per_query.append({pk: (finals[pk], fit, why, kind) for pk, (fit, why, kind) in best.items() if pk in finals})

        ranked_per_query = [sorted(best.items(), key=lambda kv: -kv[1][0])[:k] for best in per_query]
        why_items = sorted({why for ranked in ranked_per_query for _, (_, _, why, kind) in ranked if kind is None})
        pieces = view.piece_texts(why_items)
        return [
            [Match(*view.id_name(pk), float(score), *(pieces[why] if kind is None else (why, kind)), pk, fit=float(fit))
             for pk, (score, fit, why, kind) in ranked]
            for ranked in ranked_per_query
        ]

    def _final_scores(self, best: dict, scope: Scope, k: int) -> dict[int, float]:
        """pk -> final score (fit x reach x availability + helped) of every candidate that can be among the k
        best. With a wanted time, what someone says about their time is read for the candidates in order of the
        best score they could reach, and only until no one left could reach the k-th best score so far."""
        if scope.availability is None:
            return {pk: scope.final(pk, fit) for pk, (fit, _, _) in best.items()}
        most = max(self.weights.availability.values())
        bound = {pk: scope.bound(pk, fit, most) for pk, (fit, _, _) in best.items()}
        order = sorted(bound, key=lambda pk: -bound[pk])
        finals: dict[int, float] = {}
        for start in range(0, len(order), AVAILABILITY_BATCH):
            batch = order[start:start + AVAILABILITY_BATCH]
            if len(finals) >= k and bound[batch[0]] < heapq.nlargest(k, finals.values())[-1]:
                break
            scope.prepare(batch)
            finals.update((pk, scope.final(pk, best[pk][0])) for pk in batch)
        return finals

    def _rank_lexical(self, queries: list[str], k: int, scope: Scope) -> list[list[Match]]:
        """BM25 alone: score = BM25 share of the best hit; why = the person's first piece."""
        out = []
        for q, query in enumerate(queries):
            hits = self.lexical.search(query, max(k * 4, LEXICAL_CANDIDATES))
            scope.prepare(list(hits))
            ranked = [(pk, share) for pk, share in hits.items() if scope.allows(pk, q)]
            ranked = sorted(ranked, key=lambda kv: -scope.final(kv[0], kv[1]))[:k]
            first = {}
            for pk, _ in ranked:
                items = np.sort(self.view.items_of([pk])[0])
                if len(items):
                    first[pk] = int(items[0])
            texts = self.view.piece_texts(first.values())
            out.append([Match(*self.view.id_name(pk), scope.final(pk, share),
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
            exact = self.view.vectors_of(row) @ query_vectors[q]
            best = row[np.argsort(-exact)[:keep]]
            out[q, :len(best)] = best
        return out

    def _bridge(self, hits) -> dict[int, tuple[float, int]]:
        """person pk -> (bridge, the piece naming the role): max over the query's services of
        need_sim x role share, for the people nominated for each service (their role similarity is known from
        the nomination, so nothing is computed per piece here)."""
        out: dict[int, tuple[float, int]] = {}
        for hit in hits:
            for pk, (role_sim, item_id) in self.view.nominees(hit.service).items():
                value = hit.need_sim * self.weights.role_share(role_sim)
                if value > out.get(pk, (0.0, 0))[0]:
                    out[pk] = (value, item_id)
        return out

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

import numpy as np

from .lexical import LexicalIndex
from .names import NameMatcher
from .store import Store
from .vector_index import VectorIndex

# Pieces fetched from FAISS per wanted person: a person has several pieces, and we want k distinct people.
ITEMS_PER_PERSON = 8
MIN_ITEMS_FETCHED = 64
SECOND_PIECE_WEIGHT = 0.2
# Most a lexical match adds to the score (when the person has the query's distinctive words).
LEXICAL_WEIGHT = 0.1
LEXICAL_CANDIDATES = 50


@dataclass
class Match:
    id: str
    name: str
    score: float
    why: str
    why_kind: str  # 'offer' | 'about' | 'name' | 'alias'
    person_pk: int = field(repr=False, default=0)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("person_pk")
        out["score"] = round(float(self.score), 3)
        out["why_kind"] = "offer" if self.why_kind == "offer_part" else self.why_kind
        return out


def fit_per_person(similarities: np.ndarray, person_pks: np.ndarray) -> dict[int, tuple[float, int]]:
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
    fit = (best + SECOND_PIECE_WEIGHT * second) / (1 + SECOND_PIECE_WEIGHT)
    return {int(pks[s]): (float(f), int(order[s])) for s, f in zip(starts.tolist(), fit.tolist())}


class PieceOwners:
    """Which pieces belong to whom, in memory (two int arrays), so candidates are rescored without a scan."""

    def __init__(self, item_ids: np.ndarray, person_pks: np.ndarray):
        order = np.lexsort((item_ids, person_pks))
        self.by_person_pk = person_pks[order]
        self.by_person_item = item_ids[order]
        self.owner = dict(zip(item_ids.tolist(), person_pks.tolist()))

    def items_of(self, pks: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, their person pks) of these people."""
        lo = np.searchsorted(self.by_person_pk, pks, side="left")
        hi = np.searchsorted(self.by_person_pk, pks, side="right")
        if not len(pks):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        return self.by_person_item[rows], self.by_person_pk[rows]


class Searcher:
    def __init__(self, store: Store, index: VectorIndex, owners: PieceOwners, names: NameMatcher,
                 lexical: LexicalIndex | None = None):
        self.store, self.index, self.owners, self.names, self.lexical = store, index, owners, names, lexical

    def rank(self, queries: list[str], query_vectors: np.ndarray, k: int) -> list[list[Match]]:
        """For each query, the k best-fitting people, best first, whatever their score."""
        n_items = min(len(self.index), max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON))
        _, ids = self.index.search(query_vectors, n_items)
        owner = self.owners.owner
        lexical = [self.lexical.search(q, LEXICAL_CANDIDATES) if self.lexical else {} for q in queries]
        candidates = [
            {owner[int(i)] for i in row if i >= 0 and int(i) in owner} | set(lex) for row, lex in zip(ids, lexical)
        ]
        # Rescore every candidate over all their pieces (FAISS only nominates them).
        all_pks = sorted(set().union(*candidates)) if candidates else []
        item_ids, item_pks = self.owners.items_of(all_pks)
        vectors = self.index.reconstruct(item_ids)
        order = np.argsort(item_pks, kind="stable")
        lo = np.searchsorted(item_pks[order], all_pks, side="left")
        hi = np.searchsorted(item_pks[order], all_pks, side="right")
        row_of_pk = {pk: order[a:b] for pk, a, b in zip(all_pks, lo, hi)}

        per_query: list[dict[int, tuple[float, str, str]]] = []
        for q, (query, cands) in enumerate(zip(queries, candidates)):
            rows = np.concatenate([row_of_pk[pk] for pk in cands]) if cands else np.zeros(0, dtype=np.int64)
            fits = fit_per_person(vectors[rows] @ query_vectors[q], item_pks[rows]) if len(rows) else {}
            best: dict[int, tuple[float, int | str, str | None]] = {}
            for pk, (fit, local) in fits.items():
                best[pk] = (fit + LEXICAL_WEIGHT * lexical[q].get(pk, 0.0), int(item_ids[rows[local]]), None)
            for hit in self.names.match(query):
                if hit.person_pk not in best or hit.score > best[hit.person_pk][0]:
                    best[hit.person_pk] = (hit.score, hit.matched, hit.field)
            per_query.append(best)

        ranked_per_query = [sorted(best.items(), key=lambda kv: -kv[1][0])[:k] for best in per_query]
        people = self.names.id_and_name
        why_items = sorted({why for ranked in ranked_per_query for _, (_, why, kind) in ranked if kind is None})
        pieces = self.store.piece_texts(why_items)
        return [
            [Match(*people[pk], float(score), *(pieces[why] if kind is None else (why, kind)), pk)
             for pk, (score, why, kind) in ranked]
            for ranked in ranked_per_query
        ]

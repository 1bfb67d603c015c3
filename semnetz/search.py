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
OFFER_KINDS = ("about", "offer", "offer_part")


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


class Searcher:
    def __init__(self, store: Store, index: VectorIndex, names: NameMatcher, lexical: LexicalIndex | None = None):
        self.store, self.index, self.names, self.lexical = store, index, names, lexical

    def rank(self, queries: list[str], query_vectors: np.ndarray, k: int) -> list[list[Match]]:
        """For each query, the k best-fitting people, best first, whatever their score."""
        n_items = min(len(self.index), max(MIN_ITEMS_FETCHED, k * ITEMS_PER_PERSON))
        _, ids = self.index.search(query_vectors, n_items)
        candidate_items = sorted({int(i) for i in ids.ravel() if i >= 0})
        owner = self.store.item_owners(candidate_items)
        lexical = [self.lexical.search(q, LEXICAL_CANDIDATES) if self.lexical else {} for q in queries]
        candidates = [
            {owner[int(i)] for i in row if i >= 0 and int(i) in owner} | set(lex) for row, lex in zip(ids, lexical)
        ]
        # Rescore every candidate exactly over all their pieces (FAISS only nominates them).
        all_pks = sorted(set().union(*candidates)) if candidates else []
        item_ids, item_pks, vectors = self.store.piece_vectors(all_pks, OFFER_KINDS)
        texts = self.store.piece_texts(item_ids.tolist())
        row_of_pk: dict[int, np.ndarray] = {}
        for pk in all_pks:
            row_of_pk[pk] = np.flatnonzero(item_pks == pk)

        per_query: list[dict[int, tuple[float, str, str]]] = []
        for q, (query, cands) in enumerate(zip(queries, candidates)):
            rows = np.concatenate([row_of_pk[pk] for pk in cands]) if cands else np.zeros(0, dtype=np.int64)
            fits = fit_per_person(vectors[rows] @ query_vectors[q], item_pks[rows]) if len(rows) else {}
            best = {}
            for pk, (fit, local) in fits.items():
                text, kind = texts[int(item_ids[rows[local]])]
                best[pk] = (fit + LEXICAL_WEIGHT * lexical[q].get(pk, 0.0), text, kind)
            for hit in self.names.match(query):
                if hit.person_pk not in best or hit.score > best[hit.person_pk][0]:
                    best[hit.person_pk] = (hit.score, hit.matched, hit.field)
            per_query.append(best)

        ranked_per_query = [sorted(best.items(), key=lambda kv: -kv[1][0])[:k] for best in per_query]
        wanted = sorted({pk for ranked in ranked_per_query for pk, _ in ranked})
        people = {row["pk"]: row for row in self.store.people_rows(wanted)}
        return [
            [Match(people[pk]["id"], people[pk]["name"], float(score), why, kind, pk) for pk, (score, why, kind) in ranked]
            for ranked in ranked_per_query
        ]

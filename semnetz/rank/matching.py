"""Bringing people together: open needs matched against everyone's offers, as proposed introductions.

All open needs go through one batched ranking (their vectors come from the store; one index batch over the
offers, filtered to people the user can reach), the same ranking a search uses; for one person, their offers
are scored against every open need the same way.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from ..limits import DEFAULT_PROPOSALS, MAX_HOPS
from ..results import NeedRow, Proposal
from ..when import time_said
from .ranker import Ranker, fit_per_person
from .search import Searcher


def _time_of(need: NeedRow) -> str | None:
    """The days or times of day a need names, in its text or its when ("Samstagabend", "diesen Samstag")."""
    said = " ".join(t for t in (time_said(need.text), need.when and time_said(need.when)) if t)
    return said or None


def propose(searcher: Searcher, needs: list[NeedRow], need_vectors: np.ndarray, k: int = DEFAULT_PROPOSALS,
            include_all: bool = False) -> list[Proposal]:
    """For every need, the people whose offers fit it best (never the person in need themself), soonest need
    first, best proposal first."""
    if not needs:
        return []
    ranker = Ranker(searcher.view, searcher.bridge, searcher.weights)
    # what a need asks for, as a search reads it (its time, urgency and the names in it out), clause by clause
    # ("…, und der Kleine hat hohes Fieber")
    readings, need_vectors, parts = searcher.content_vectors([n.text for n in needs], need_vectors)
    # the days or times a need names ("Babysitter für Samstagabend", when "diesen Samstag") weigh availability
    ranked, _ = searcher.rank_per_time(ranker, [n.text for n in needs], need_vectors, parts, k,
                                       [_time_of(n) for n in needs], MAX_HOPS, exclude=[{n.person_pk} for n in needs],
                                       word_texts=[r.content for r in readings])
    min_fit = match_min_fit(searcher)
    proposals = []
    for need, matches in zip(needs, ranked):
        searcher.describe(matches, MAX_HOPS, {})
        floor = max(min_fit, max((m.fit for m in matches), default=0) - searcher.weights.match_margin)
        proposals.extend(Proposal(need, m.id, m.name, m.why, m.fit, m.score, m.steps)
                         for m in matches if include_all or m.fit >= floor)
    proposals.sort(key=lambda p: (-p.score, p.need.due_until or date.max))  # best first; equals: the sooner
    return proposals


def needs_for_person(searcher: Searcher, pk: int, needs: list[NeedRow], need_vectors: np.ndarray,
                     k: int = 5, include_all: bool = False) -> list[Proposal]:
    """Open needs (of others) that this person's offers could meet, best first."""
    view = searcher.view
    keep = [i for i, n in enumerate(needs) if n.person_pk != pk]
    needs, need_vectors = [needs[i] for i in keep], need_vectors[keep] if len(keep) else need_vectors[:0]
    item_ids, _ = view.items_of([pk])
    if not needs or len(item_ids) == 0:
        return []
    offer_vectors = view.vectors_of(item_ids)
    _, need_vectors, _ = searcher.content_vectors([n.text for n in needs], need_vectors, with_parts=False)
    # needs x this person's pieces: the same fit as in search, seen from each need
    similarities = need_vectors @ offer_vectors.T
    fits = [fit_per_person(row, np.zeros(len(item_ids), dtype=np.int64), searcher.weights)[0] for row in similarities]
    texts = view.piece_texts(item_ids.tolist())
    _, name = view.id_name(pk)
    reach = searcher.reach()
    floor = match_min_fit(searcher)
    proposals = [Proposal(need, view.id_name(pk)[0], name, texts[int(item_ids[best])][0], fit,
                          fit * reach.factor(pk, MAX_HOPS))
                 for need, (fit, best) in zip(needs, fits) if include_all or fit >= floor]
    proposals = sorted(proposals, key=lambda p: -p.score)[:k]
    steps = searcher.steps_to(pk, MAX_HOPS)
    for p in proposals:
        p.steps = steps
    return proposals


def match_min_fit(searcher: Searcher) -> float:
    """The least fit a proposal needs: the encoder's calibrated match_min_fit (encoders.json), else its minimum
    score less the weights' match_offset."""
    from ..encoders import encoder_info

    info = encoder_info(searcher.encoder.name)
    return float(info.get("match_min_fit", searcher.encoder.min_score - searcher.weights.match_offset))

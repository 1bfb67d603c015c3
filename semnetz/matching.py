"""Bringing people together: open needs matched against everyone's offers, as proposed introductions.

All open needs go through one batched search (one encoder call for any needs not yet embedded, one FAISS
batch over the offers index, filtered to people the user can reach); for one person, their offers are
searched against the needs index the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .errors import InputError
from .graph import MAX_HOPS
from .needs_store import NeedRow
from .search import fit_per_person
from .when import time_said

PROPOSALS_PER_NEED = 3
# A need and an offer are both partial descriptions ("suche größere Wohnung" / "4-Zimmer-Wohnung wird frei"),
# and a proposal is a suggestion the user judges, so proposals go this much below the search minimum. Chosen on
# the demo network's need/offer pairs: the right person ranked first or second for all 11, at fits 0.39-0.88.
MATCH_SCORE_OFFSET = 0.10  # (0.45 with use-m3, as when it was chosen)
MATCH_MARGIN = 0.15  # and within this of the best fit for that need


@dataclass
class Proposal:
    need: NeedRow
    person_id: str
    person_name: str
    offer: str  # the piece of theirs that fits the need
    fit: float
    score: float
    path: list[str] = field(default_factory=list)
    how: str = ""

    def to_json(self) -> dict:
        return {"need_id": self.need.need_id, "needs": self.need.person_id, "needs_name": self.need.person_name,
                "need": self.need.text, "when": self.need.when,
                "until": self.need.due_until.isoformat() if self.need.due_until else None,
                "offers": self.person_id, "offers_name": self.person_name, "offer": self.offer,
                "fit": round(self.fit, 3), "score": round(self.score, 3), "path": self.path, "how": self.how}

    def sentence(self) -> str:
        reach = "" if len(self.path) <= 2 else f" ({self.how})"
        return (f"{self.need.person_name} needs \"{self.need.text}\", {self.person_name} offers "
                f"\"{self.offer}\"{reach}")


def open_needs(net, today: date | None = None) -> list[NeedRow]:
    net.need_table.expire(today or date.today())
    return net.need_table.rows(status="open")


def _time_of(need: NeedRow) -> str | None:
    """The days or times of day a need names, in its text or its when ("Samstagabend", "diesen Samstag")."""
    said = " ".join(t for t in (time_said(need.text), need.when and time_said(need.when)) if t)
    return said or None


def match_needs(net, k: int = PROPOSALS_PER_NEED, include_all: bool = False) -> list[Proposal]:
    """For every open need, the people whose offers fit it best (not the person in need themself)."""
    needs = open_needs(net)
    if not needs:
        return []
    offers_index = net._index("offers")
    vectors = net.piece_vectors("needs", np.array([n.need_id for n in needs], dtype=np.int64))
    searcher = net._searcher(offers_index, use_names=False)
    # the days or times a need names ("Babysitter für Samstagabend", when "diesen Samstag") weigh availability,
    # as in search
    ranked, _ = net._rank_per_time(searcher, [n.text for n in needs], vectors, None, k, [_time_of(n) for n in needs],
                                   MAX_HOPS, exclude=[{n.person_pk} for n in needs])
    proposals = []
    for need, matches in zip(needs, ranked):
        net._describe(matches, MAX_HOPS, {})
        floor = max(net.encoder.min_score - MATCH_SCORE_OFFSET, max((m.fit for m in matches), default=0) - MATCH_MARGIN)
        for m in matches:
            if include_all or m.fit >= floor:
                proposals.append(Proposal(need, m.id, m.name, m.why, m.fit, m.score, m.path, m.how))
    proposals.sort(key=lambda p: (p.need.due_until or date.max, -p.score))
    net.store.log_many("proposal", [
        {"need_id": p.need.need_id, "needs": p.need.person_id, "offers": p.person_id, "score": round(p.score, 3)}
        for p in proposals
    ])
    return proposals


def needs_for_person(net, person_id: str, k: int = 5, include_all: bool = False) -> list[Proposal]:
    """Open needs (of others) that this person's offers could meet, best first."""
    pk = net.store.person_pk(person_id)
    if pk is None:
        from .errors import UnknownPersonError

        raise UnknownPersonError(person_id)
    needs = [n for n in open_needs(net) if n.person_pk != pk]
    if not needs:
        return []
    owners = net._piece_owners()
    item_ids, _ = owners.items_of([pk])
    if len(item_ids) == 0:
        return []
    offer_vectors = net.piece_vectors("offers", item_ids)
    need_vectors = net.piece_vectors("needs", np.array([n.need_id for n in needs], dtype=np.int64))
    # needs x this person's pieces: the same fit as in search, seen from each need
    similarities = need_vectors @ offer_vectors.T
    fits = [fit_per_person(row, np.zeros(len(item_ids), dtype=np.int64))[0] for row in similarities]
    texts = net.store.piece_texts(item_ids.tolist())
    name = net._people_names()[pk][1]
    reach = net.reach()
    proposals = []
    for need, (fit, best) in zip(needs, fits):
        if include_all or fit >= net.encoder.min_score - MATCH_SCORE_OFFSET:
            score = fit * reach.factor(pk, MAX_HOPS)
            proposals.append(Proposal(need, person_id, name, texts[int(item_ids[best])][0], fit, score))
    proposals = sorted(proposals, key=lambda p: -p.score)[:k]
    path, how = _path_and_how(net, pk)
    for p in proposals:
        p.path, p.how = path, how
    net.store.log_many("proposal", [
        {"need_id": p.need.need_id, "needs": p.need.person_id, "offers": p.person_id, "score": round(p.score, 3)}
        for p in proposals
    ])
    return proposals


def _path_and_how(net, pk: int) -> tuple[list[str], str]:
    from .search import Match

    match = Match("", "", 0.0, "", "offer", pk)
    net._describe([match], MAX_HOPS, {})
    return match.path, match.how


def introduce(net, need_id: int, person_id: str) -> NeedRow:
    """Record that the user introduced person_id to the one with this need; the need becomes 'matched'."""
    need, pk = _need_and_person(net, need_id, person_id)
    with net.store.transaction():
        net.need_table.intro(need_id, pk)
        if need.status == "open":
            net.need_table.set_status(need_id, "matched")
        net.store.log("intro", {"need_id": need_id, "needs": need.person_id, "introduced": person_id})
    return need


def record_outcome(net, need_id: int, person_id: str, helped: bool) -> NeedRow:
    """How an introduction went; 'helped' fulfils the need and ranks the helper a little higher next time."""
    need, pk = _need_and_person(net, need_id, person_id)
    with net.store.transaction():
        net.need_table.set_outcome(need_id, pk, helped)
        net.need_table.set_status(need_id, "fulfilled" if helped else "open")
        net.store.log("outcome", {"need_id": need_id, "needs": need.person_id, "introduced": person_id,
                                  "helped": helped})
        net._bump_graph()
    return need


def _need_and_person(net, need_id: int, person_id: str) -> tuple[NeedRow, int]:
    rows = net.need_table.rows(need_ids=[need_id])
    if not rows:
        raise InputError(f"no need with id {need_id} (see 'semnetz needs')")
    pk = net.store.person_pk(person_id)
    if pk is None:
        from .errors import UnknownPersonError

        raise UnknownPersonError(person_id)
    if pk == rows[0].person_pk:
        raise InputError(f"{person_id} is the one with this need; introduce someone else")
    return rows[0], pk

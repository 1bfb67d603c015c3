"""What the library hands back to every front door (CLI, Python, web), and how each serialises as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

ME = "me"


@dataclass
class ImportReport:
    source: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    embedded: int = 0  # pieces encoded now
    reused: int = 0  # pieces whose vector was kept (content hash unchanged)
    skipped: int = 0  # cards or rows of an address book's export with neither what someone does nor a contact

    def to_json(self) -> dict:
        return {"source": self.source, "added": len(self.added), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "embedded": self.embedded, "reused": self.reused,
                "skipped": self.skipped}


@dataclass
class PathStep:
    """One person on the way from the user to someone: who they are, and who they are to the one before."""

    id: str
    name: str
    relation: str | None = None  # e.g. "Bruder": who this person is to the previous one on the path


def path_ids(steps: list[PathStep]) -> list[str]:
    return [ME] + [s.id for s in steps]


def introduction(steps: list[PathStep]) -> str:
    """How to reach the last person of a path, in words: "direct contact" or "ask A to introduce you to B"."""
    if len(steps) <= 1:
        return "direct contact"
    named = [s.name + (f" ({s.relation})" if s.relation else "") for s in steps[1:]]
    return f"ask {steps[0].name} to introduce you to {named[0]}" + "".join(f", who knows {n}" for n in named[1:])


class Reached:
    """Something about a person the user reaches through `steps`: the path as ids and the introduction."""

    steps: list[PathStep]

    @property
    def path(self) -> list[str]:
        return path_ids(self.steps)

    @property
    def how(self) -> str:
        return introduction(self.steps)


@dataclass
class Match(Reached):
    id: str
    name: str
    score: float  # what ranks: fit x reach x availability + helped bonus
    why: str
    why_kind: str  # 'offer' | 'offer_part' | 'about' | 'name' | 'alias'
    person_pk: int = field(repr=False, default=0)
    fit: float = 0.0  # how well they fit the need, whoever they are
    steps: list[PathStep] = field(default_factory=list)  # from the user's contact to them
    availability: str | None = None  # 'fits' | 'contradicts' | 'unknown' when a time was asked for
    confidence: str | None = None  # 'good' | 'maybe' | 'closest' | 'weak' (see rank/showing.py)

    @property
    def hops(self) -> int:
        return len(self.steps)

    @property
    def introducer(self) -> PathStep | None:
        """The user's own contact who can introduce them (None for a direct contact)."""
        return self.steps[0] if len(self.steps) > 1 else None

    def to_json(self) -> dict:
        out = {"id": self.id, "name": self.name, "score": round(float(self.score), 3), "why": self.why,
               "why_kind": "offer" if self.why_kind == "offer_part" else self.why_kind,
               "fit": round(float(self.fit), 3), "path": self.path, "how": self.how}
        if self.confidence is not None:
            out["confidence"] = self.confidence
        if self.availability is not None:
            out["availability"] = self.availability
        out["hops"] = self.hops
        return out


@dataclass
class SearchResult:
    query: str
    matches: list[Match]
    best_below_threshold: Match | None = None  # set when nothing passed the minimum score
    when: str | None = None  # the time availability was weighed for (--when, or said in the query)
    min_score: float = 0.0  # the minimum fit a person needed to be shown
    network_size: int = 0  # people in the network when it was searched
    searched_as: str | None = None  # the query with its spelling forgiven, when that changed it
    note: str | None = None  # why the answer is what it is, when the query itself explains it

    def to_json(self) -> dict:
        out = {"q": self.query, "results": [m.to_json() for m in self.matches]}
        if self.when:
            out["when"] = self.when
        if self.searched_as:
            out["searched_as"] = self.searched_as
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class NeedRow:
    need_id: int  # the item id of the need's text
    person_pk: int
    person_id: str
    person_name: str
    text: str
    when: str | None
    due_from: date | None
    due_until: date | None
    status: str

    def to_json(self) -> dict:
        return {"need_id": self.need_id, "by": self.person_id, "name": self.person_name, "need": self.text,
                "when": self.when, "from": self.due_from.isoformat() if self.due_from else None,
                "until": self.due_until.isoformat() if self.due_until else None, "status": self.status}


@dataclass
class IntroRow:
    """An introduction the user recorded: who was introduced for which need, and how it went."""

    need_id: int
    person_id: str  # the one introduced
    person_name: str
    status: str  # 'introduced' | 'helped' | 'not_helped'

    def to_json(self) -> dict:
        return {"need_id": self.need_id, "person_id": self.person_id, "name": self.person_name,
                "status": self.status}


@dataclass
class Proposal(Reached):
    """An introduction semnetz proposes: someone in need, and someone whose offer could meet it."""

    need: NeedRow
    person_id: str
    person_name: str
    offer: str  # the piece of theirs that fits the need
    fit: float
    score: float
    steps: list[PathStep] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"need_id": self.need.need_id, "needs": self.need.person_id, "needs_name": self.need.person_name,
                "need": self.need.text, "when": self.need.when,
                "until": self.need.due_until.isoformat() if self.need.due_until else None,
                "offers": self.person_id, "offers_name": self.person_name, "offer": self.offer,
                "fit": round(self.fit, 3), "score": round(self.score, 3), "path": self.path, "how": self.how}

    def sentence(self) -> str:
        reach = "" if len(self.steps) <= 1 else f" ({self.how})"
        return (f"{self.need.person_name} needs \"{self.need.text}\", {self.person_name} offers "
                f"\"{self.offer}\"{reach}")

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
    pk: int = field(default=-1, repr=False, compare=False)  # their row in the network (-1: not known)


def path_ids(steps: list[PathStep]) -> list[str]:
    return [ME] + [s.id for s in steps]


def introduction(steps: list[PathStep], numbers: str = "") -> str:
    """How to reach the last person of a path, in words: "direct contact" or "ask A to introduce you to B"
    (numbers: how to reach A, "ask A (+49 …) to introduce you to B")."""
    if len(steps) <= 1:
        return "direct contact"
    named = [s.name + (f" ({s.relation})" if s.relation else "") for s in steps[1:]]
    ask = steps[0].name + (f" ({numbers})" if numbers else "")
    return f"ask {ask} to introduce you to {named[0]}" + "".join(f", who knows {n}" for n in named[1:])


def tel_uri(phone: str) -> str | None:
    """A tel: link for a phone number as recorded ("+49 171 1234567" -> "tel:+491711234567"); None without digits."""
    number = "".join(c for c in phone if c.isdigit() or c == "+")
    return f"tel:{number}" if any(c.isdigit() for c in number) else None


def mailto_uri(email: str) -> str:
    from urllib.parse import quote

    return "mailto:" + quote(email, safe="@.+-_")


@dataclass
class Reach:
    """How to reach someone found or proposed, decided once for every front door: whom to contact (the person
    themself when they are a direct contact, else the user's own contact who introduces them) and that one's
    phone and e-mail as recorded. Network.reach() fills it in for results (from the search index)."""

    steps: list[PathStep]  # from the user's contact to the person (one step: a direct contact)
    contact: dict = field(default_factory=dict)  # whom to contact: their contact entries as recorded

    @property
    def whom(self) -> PathStep:
        return self.steps[0]

    @property
    def introduced(self) -> bool:
        return len(self.steps) > 1

    @property
    def phone(self) -> str | None:
        return self.contact.get("phone") or None

    @property
    def email(self) -> str | None:
        return self.contact.get("email") or None

    @property
    def numbers(self) -> str:
        """The phone and e-mail of whom to contact, as one might write them: "+49 171 1234567, a@b.de" or ""."""
        return ", ".join(v for v in (self.phone, self.email) if v)

    def sentence(self) -> str:
        """In words: "direct contact: +49 151 …, m@x.de" or "ask Svetlana Petrova (+49 171 …) to introduce you to
        Igor Petrov (Bruder)"."""
        numbers = self.numbers
        if not self.introduced:
            return "direct contact" + (f": {numbers}" if numbers else "")
        return introduction(self.steps, numbers)

    def to_json(self) -> dict:
        out = {"id": self.whom.id, "name": self.whom.name, "introduces": self.introduced}
        out.update({k: v for k, v in (("phone", self.phone), ("email", self.email)) if v})
        return out


class Reached:
    """Something about a person the user reaches through `steps`: the path as ids and the introduction."""

    steps: list[PathStep]
    reach: Reach | None  # whom to contact and how, once Network.reach() filled it in

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
    why_kind: str  # 'offer' | 'offer_part' | 'about' | 'name' | 'alias' | 'phone' | 'email'
    person_pk: int = field(repr=False, default=0)
    fit: float = 0.0  # how well they fit the need, whoever they are
    steps: list[PathStep] = field(default_factory=list)  # from the user's contact to them
    availability: str | None = None  # 'fits' | 'contradicts' | 'unknown' when a time was asked for
    confidence: str | None = None  # 'good' | 'maybe' | 'closest' | 'weak' (see rank/showing.py)
    reach: Reach | None = None  # whom to contact and how (Network.reach)

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
        if self.reach is not None:
            out["reach"] = self.reach.to_json()
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
    note_key: str | None = None  # which note: "nothing_to_search" or "query_cut" (for a front door's own words)

    @property
    def verdict(self) -> str | None:
        """What the answer says before its list (or instead of one), decided here for every front door:
        "empty_network" (nobody to search), "nothing_searched" (the query holds nothing to search for; see note),
        "nobody_fits" (nobody passed the minimum score; best_below_threshold may name the best),
        "closest_only" (nobody fits well; the matches are the closest), or None (the matches fit)."""
        if self.network_size == 0:
            return "empty_network"
        if not self.matches:
            return "nothing_searched" if self.note_key == "nothing_to_search" else "nobody_fits"
        if all(m.confidence == "closest" for m in self.matches):
            return "closest_only"
        return None

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
    reach: Reach | None = None  # whom to contact and how (Network.reach)

    def to_json(self) -> dict:
        out = {"need_id": self.need.need_id, "needs": self.need.person_id, "needs_name": self.need.person_name,
               "need": self.need.text, "when": self.need.when,
               "until": self.need.due_until.isoformat() if self.need.due_until else None,
               "offers": self.person_id, "offers_name": self.person_name, "offer": self.offer,
               "fit": round(self.fit, 3), "score": round(self.score, 3), "path": self.path, "how": self.how}
        if self.reach is not None:
            out["reach"] = self.reach.to_json()
        return out

    def sentence(self) -> str:
        reach = "" if len(self.steps) <= 1 else f" ({self.how})"
        return (f"{self.need.person_name} needs \"{self.need.text}\", {self.person_name} offers "
                f"\"{self.offer}\"{reach}")

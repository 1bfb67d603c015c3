"""A person as the user writes them down, validated field by field with errors that say where."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .errors import InputError
from .text import content_hash, split_clauses, split_sentences

PERSON_FIELDS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "contact", "knows", "via")


@dataclass
class NeedSpec:
    text: str
    when: str | None = None


@dataclass
class KnowsSpec:
    id: str
    relation: str | None = None
    strength: float | None = None


@dataclass
class PersonRecord:
    name: str
    id: str | None = None
    aliases: list[str] = field(default_factory=list)
    text: str = ""
    offers: list[str] = field(default_factory=list)
    needs: list[NeedSpec] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)
    knows: list[KnowsSpec] = field(default_factory=list)
    via: str | None = None

    def searchable_pieces(self) -> list[tuple[str, int, str]]:
        """(kind, position, text) of every piece that gets a vector.

        'about': each clause of the free text; 'offer': each offer whole, and 'offer_part': its clauses when it
        has several; 'need': each need whole.
        """
        about = list(dict.fromkeys(c for s in split_sentences(self.text) for c in split_clauses(s)))
        pieces = [("about", i, c) for i, c in enumerate(about)]
        pieces += [("offer", i, o) for i, o in enumerate(self.offers)]
        parts = list(dict.fromkeys(
            part for offer in self.offers for part in split_clauses(offer) if len(split_clauses(offer)) > 1
        ))
        pieces += [("offer_part", i, part) for i, part in enumerate(parts) if part not in self.offers]
        pieces += [("need", i, n.text) for i, n in enumerate(self.needs)]
        return pieces

    def to_dict(self) -> dict:
        """The person in the import format (fields left out when empty)."""
        out = {
            "id": self.id, "name": self.name, "aliases": list(self.aliases), "text": self.text,
            "offers": list(self.offers),
            "needs": [{"text": n.text, "when": n.when} if n.when else n.text for n in self.needs],
            "tags": list(self.tags), "contact": dict(self.contact),
            "knows": [{k: v for k, v in (("id", kn.id), ("relation", kn.relation), ("strength", kn.strength))
                       if v is not None} for kn in self.knows],
            "via": self.via,
        }
        return {k: out[k] for k in PERSON_FIELDS if out[k] not in (None, [], {}, "") or k in ("id", "name")}

    def record_hash(self) -> str:
        return content_hash(json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False))


def _string(value, what: str, source, line) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {type(value).__name__}", source, line)
    return value.strip()


def _string_list(value, what: str, source, line) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a single string is a list of one
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"{what} must be a list of strings, got {type(value).__name__}", source, line)
    items = [_string(v, f"each entry of {what}", source, line) for v in value]
    return [v for v in items if v]


def _needs(value, source, line) -> list[NeedSpec]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"'needs' must be a list, got {type(value).__name__}", source, line)
    needs = []
    for entry in value:
        if isinstance(entry, str):
            if entry.strip():
                needs.append(NeedSpec(entry.strip()))
            continue
        if not isinstance(entry, dict):
            raise InputError("each need must be a string or {\"text\": …, \"when\": …}", source, line)
        unknown = set(entry) - {"text", "when"}
        if unknown:
            raise InputError(f"unknown field '{sorted(unknown)[0]}' in a need (allowed: text, when)", source, line)
        text = _string(entry.get("text", ""), "need 'text'", source, line)
        if not text:
            raise InputError("a need has no 'text'", source, line)
        when = entry.get("when")
        needs.append(NeedSpec(text, _string(when, "need 'when'", source, line) or None if when is not None else None))
    return needs


def _knows(value, source, line) -> list[KnowsSpec]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"'knows' must be a list, got {type(value).__name__}", source, line)
    out = []
    for entry in value:
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict) or "id" not in entry:
            raise InputError("each entry of 'knows' must be {\"id\": …, \"relation\": …, \"strength\": 0..1}", source, line)
        unknown = set(entry) - {"id", "relation", "strength"}
        if unknown:
            raise InputError(f"unknown field '{sorted(unknown)[0]}' in 'knows' (allowed: id, relation, strength)", source, line)
        strength = entry.get("strength")
        if strength is not None:
            if isinstance(strength, bool) or not isinstance(strength, (int, float)):
                raise InputError(f"'strength' must be a number from 0 to 1, got {strength!r}", source, line)
            if not 0.0 <= strength <= 1.0:
                raise InputError(f"'strength' must be from 0 to 1, got {strength}", source, line)
        relation = entry.get("relation")
        out.append(KnowsSpec(
            _string(entry["id"], "'knows' id", source, line),
            _string(relation, "'relation'", source, line) or None if relation is not None else None,
            float(strength) if strength is not None else None,
        ))
    return out


def person_from_dict(data, source: str | None = None, line: int | None = None) -> PersonRecord:
    """Validate one person (a dict as in the JSON Lines format); raises InputError naming source and line."""
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object for a person, got {type(data).__name__}", source, line)
    unknown = [k for k in data if k not in PERSON_FIELDS]
    if unknown:
        raise InputError(f"unknown field '{unknown[0]}' (allowed: {', '.join(PERSON_FIELDS)})", source, line)
    if "name" not in data or data["name"] is None:
        raise InputError("missing 'name'", source, line)
    name = _string(data["name"], "'name'", source, line)
    if not name:
        raise InputError("'name' is empty", source, line)
    person_id = data.get("id")
    if person_id is not None:
        if isinstance(person_id, int) and not isinstance(person_id, bool):
            person_id = str(person_id)
        person_id = _string(person_id, "'id'", source, line) or None
    text = _string(data.get("text") or "", "'text'", source, line)
    offers = _string_list(data.get("offers"), "'offers'", source, line)
    if not text and not offers:
        raise InputError("a person needs 'text' or 'offers' (what they do or offer)", source, line)
    contact = data.get("contact") or {}
    if not isinstance(contact, dict):
        raise InputError(f"'contact' must be an object like {{\"phone\": …}}, got {type(contact).__name__}", source, line)
    contact = {str(k): _string(v, f"contact '{k}'", source, line) for k, v in contact.items()}
    via = data.get("via")
    return PersonRecord(
        name=name,
        id=person_id,
        aliases=_string_list(data.get("aliases"), "'aliases'", source, line),
        text=text,
        offers=offers,
        needs=_needs(data.get("needs"), source, line),
        tags=[t.lower() for t in _string_list(data.get("tags"), "'tags'", source, line)],
        contact=contact,
        knows=_knows(data.get("knows"), source, line),
        via=_string(via, "'via'", source, line) or None if via is not None else None,
    )


@dataclass
class PersonEdit:
    """A change to one person as a user states it: fields to set, lists to replace, or entries to add to or
    remove from a list. The same for every front door (CLI options, Python, web)."""

    name: str | None = None
    text: str | None = None
    via: str | None = None  # "" makes them a direct contact
    offers: list[str] | None = None  # replaces the list
    add_offers: list[str] = field(default_factory=list)
    remove_offers: list[str] = field(default_factory=list)
    aliases: list[str] | None = None
    add_aliases: list[str] = field(default_factory=list)
    needs: list[str] | None = None
    add_needs: list[str] = field(default_factory=list)
    tags: list[str] | None = None
    phone: str | None = None
    email: str | None = None

    def changes(self, current: PersonRecord) -> dict:
        """The changed fields in the import format; InputError if nothing would change or an entry to remove
        is not there."""
        changes: dict = {}
        if self.name:
            changes["name"] = self.name
        if self.text is not None:
            changes["text"] = self.text
        if self.via is not None:
            changes["via"] = self.via or None
        if self.offers or self.add_offers or self.remove_offers:
            base = list(self.offers) if self.offers else list(current.offers)
            missing = [o for o in self.remove_offers if o not in base]
            if missing:
                raise InputError(f"{current.id} has no offer '{missing[0]}' (see 'semnetz show {current.id}')")
            changes["offers"] = [o for o in base if o not in self.remove_offers] + list(self.add_offers)
        if self.aliases or self.add_aliases:
            changes["aliases"] = (list(self.aliases) if self.aliases else list(current.aliases)) + list(self.add_aliases)
        if self.needs or self.add_needs:
            base_needs = [{"text": n, "when": None} for n in self.needs] if self.needs else \
                current.to_dict().get("needs", [])
            changes["needs"] = list(base_needs) + list(self.add_needs)
        if self.tags:
            changes["tags"] = list(self.tags)
        contact = {k: v for k, v in (("phone", self.phone), ("email", self.email)) if v}
        if contact:
            changes["contact"] = {**current.contact, **contact}
        if not changes:
            raise InputError("nothing to change: give at least one option (see 'semnetz edit --help')")
        return changes

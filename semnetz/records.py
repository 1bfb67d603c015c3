"""A person as the user writes them down, validated field by field with errors that say where."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime

from .errors import InputError
from .phones import normalise_phone
from .text import content_hash, split_clauses, split_sentences

PERSON_FIELDS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "contact", "knows", "via", "uid")

# Limits of what one person and one file may hold: anything larger is refused with one clear line, before any
# work that grows with it (a 10 MB text would otherwise be encoded as one piece, or split into 700,000).
MAX_TEXT_CHARS = 20_000  # the free text
MAX_FIELD_CHARS = 2_000  # a name, alias, offer, need, contact value
MAX_LABEL_CHARS = 200  # an id (also in 'via' and 'knows'), tag, relation, a need's 'when', a contact key
MAX_ENTRIES = 200  # offers, needs, aliases, tags, knows, contact entries: each at most this many
MAX_PIECES = 1_000  # searchable pieces of one person (clauses of the text, offers and their parts, needs)
MAX_PIECE_CHARS = 2_000  # one clause of the text (encoding time grows faster than its length: 20,000 take seconds)
MAX_LINE_CHARS = 1_000_000  # one JSON line or CSV row
MAX_FILE_BYTES = 2 * 1024**3  # one people file (a district of 1M people is ~500 MB of JSON Lines)
MAX_NUMBER_DIGITS = 100  # a number in a JSON line (Python refuses to convert ints of more than 4,300 digits)

# Characters taken out of names, aliases, tags, ids, contact, relations and whens (shown on one terminal line):
# C0/C1 control characters other than \t and \n, and the bidi embeddings, overrides and isolates that reorder
# what a terminal shows. Free text, offers and needs keep them (whoever prints them escapes them). Ids (also in
# 'via' and 'knows') and whens are quoted in error messages as they are, so their \t and \n become spaces.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

SELF_ID = "me"  # the user, as a person: `need add --by me` records a need of their own (they offer nothing)


def shown(value, limit: int = 60) -> str:
    """A value as quoted in an error message: one line, control characters and lone surrogates escaped,
    cut after `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    text = text[:limit]
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                       for c in text)
    return text + "…" if cut else text


def clean_text(value: str, *, controls: bool = False, one_line: bool = False) -> str:
    """Unicode NFC ('Mu\\u0308ller' and 'Müller' are the same name), without control characters when `controls`
    is false, with line breaks and tabs as spaces when `one_line`, stripped."""
    if not controls:
        value = _CONTROL.sub("", value)
    if one_line:
        value = value.replace("\n", " ").replace("\t", " ")
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value.strip()


# What became of a need, as an export writes it and an import restores it (see README, "File formats").
NEED_STATUSES = ("open", "matched", "fulfilled", "expired")
INTRO_OUTCOMES = ("helped", "not helped")
NEED_FIELDS = ("text", "when", "status", "created", "intros")
INTRO_FIELDS = ("person", "at", "outcome", "outcome_at")


@dataclass
class IntroSpec:
    """An introduction made for a need: who was introduced when, and how it went (None: not known yet)."""

    person: str
    at: datetime | None = None
    outcome: str | None = None  # one of INTRO_OUTCOMES
    outcome_at: datetime | None = None


@dataclass
class NeedSpec:
    text: str
    when: str | None = None
    # What became of it (None: not said; an import then leaves what the network holds): not part of the person's
    # record (to_dict, record_hash), so a status change is no change of the person.
    status: str | None = None
    created: datetime | None = None  # when it was recorded; its when is read relative to that day
    intros: list[IntroSpec] | None = None

    @property
    def has_state(self) -> bool:
        return self.status is not None or self.created is not None or self.intros is not None


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
    uid: str | None = None  # the UID of the address-book card they came from (vCard), to know them again

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
            "via": self.via, "uid": self.uid,
        }
        return {k: out[k] for k in PERSON_FIELDS if out[k] not in (None, [], {}, "") or k in ("id", "name")}

    def record_hash(self) -> str:
        return content_hash(json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False))


def _field(what: str) -> str:
    """The field an error is about, for a front door that names it in its own words ("each entry of 'offers'" ->
    "offers", "contact 'phone'" -> "phone")."""
    found = re.search(r"'([^']+)'", what)
    return found.group(1) if found else what


def _string(value, what: str, source, line, limit: int = MAX_FIELD_CHARS, controls: bool = False,
            one_line: bool = False) -> str:
    """A string field: valid Unicode (no lone surrogates), NFC, control characters taken out unless `controls`
    (line breaks and tabs too if `one_line`), stripped, at most `limit` characters."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {type(value).__name__}", source, line)
    if len(value) > 4 * limit:  # refused before any work that grows with it
        raise InputError(f"{what} is too long ({len(value):,} characters; at most {limit:,})", source, line,
                         key="too_long", field=_field(what), chars=len(value), limit=limit)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{what} contains {shown(exc.object[exc.start:exc.end])}, half of a UTF-16 pair "
                             "(a lone surrogate), which is not text", source, line) from None
    value = clean_text(value, controls=controls, one_line=one_line)
    if len(value) > limit:
        raise InputError(f"{what} is too long ({len(value):,} characters; at most {limit:,})", source, line,
                         key="too_long", field=_field(what), chars=len(value), limit=limit)
    return value


def _entries(value, what: str, source, line) -> None:
    if len(value) > MAX_ENTRIES:
        raise InputError(f"{what} has {len(value):,} entries (at most {MAX_ENTRIES})", source, line,
                         key="too_many_entries", field=_field(what), entries=len(value), limit=MAX_ENTRIES)


def _string_list(value, what: str, source, line, limit: int = MAX_FIELD_CHARS, controls: bool = False) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a single string is a list of one
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"{what} must be a list of strings, got {type(value).__name__}", source, line)
    _entries(value, what, source, line)
    items = [_string(v, f"each entry of {what}", source, line, limit, controls) for v in value]
    return [v for v in items if v]


def _needs(value, source, line) -> list[NeedSpec]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"'needs' must be a list, got {type(value).__name__}", source, line)
    _entries(value, "'needs'", source, line)
    needs = []
    for entry in value:
        if isinstance(entry, str):
            text = _string(entry, "each need", source, line, controls=True)
            if text:
                needs.append(NeedSpec(text))
            continue
        if not isinstance(entry, dict):
            raise InputError("each need must be a string or {\"text\": …, \"when\": …}", source, line)
        unknown = [k for k in entry if k not in NEED_FIELDS]
        if unknown:
            raise InputError(f"unknown field '{shown(unknown[0])}' in a need (allowed: {', '.join(NEED_FIELDS)})",
                             source, line)
        text = _string(entry.get("text", ""), "need 'text'", source, line, controls=True)
        if not text:
            raise InputError("a need has no 'text'", source, line)
        when = entry.get("when")
        if when is not None:
            when = _string(when, "need 'when'", source, line, MAX_LABEL_CHARS, one_line=True) or None
        status = entry.get("status")
        if status is not None and status not in NEED_STATUSES:
            raise InputError(f"need 'status' must be one of {', '.join(NEED_STATUSES)}, got "
                             f"{shown(status) if isinstance(status, str) else type(status).__name__}", source, line)
        needs.append(NeedSpec(text, when, status, _time(entry.get("created"), "need 'created'", source, line),
                              _intros(entry.get("intros"), source, line)))
    return needs


def _time(value, what: str, source, line) -> datetime | None:
    """An ISO date or time ("2026-12-03", "2026-12-03T10:02:13"), as local time without a zone."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise InputError(f"{what} must be an ISO date or time like \"2026-12-03T10:02:13\"", source, line)
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{what} must be an ISO date or time like \"2026-12-03T10:02:13\", got {shown(value)}",
                         source, line) from None
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at


def _intros(value, source, line) -> list[IntroSpec] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InputError(f"need 'intros' must be a list, got {type(value).__name__}", source, line)
    _entries(value, "need 'intros'", source, line)
    out: list[IntroSpec] = []
    for entry in value:
        if not isinstance(entry, dict) or "person" not in entry:
            raise InputError("each introduction must be {\"person\": id, \"at\": …, \"outcome\": …}", source, line)
        unknown = [k for k in entry if k not in INTRO_FIELDS]
        if unknown:
            raise InputError(f"unknown field '{shown(unknown[0])}' in an introduction (allowed: "
                             f"{', '.join(INTRO_FIELDS)})", source, line)
        person = entry["person"]
        if isinstance(person, int) and not isinstance(person, bool) and abs(person) < 10 ** MAX_LABEL_CHARS:
            person = str(person)
        person = _string(person, "introduction 'person'", source, line, MAX_LABEL_CHARS, one_line=True)
        if not person:
            raise InputError("an introduction has an empty 'person'", source, line)
        if any(i.person == person for i in out):
            raise InputError(f"'{shown(person)}' is introduced twice for one need", source, line)
        outcome = entry.get("outcome")
        if outcome is not None and outcome not in INTRO_OUTCOMES:
            raise InputError(f"introduction 'outcome' must be \"helped\", \"not helped\" or null, got "
                             f"{shown(outcome) if isinstance(outcome, str) else type(outcome).__name__}", source, line)
        out.append(IntroSpec(person, _time(entry.get("at"), "introduction 'at'", source, line), outcome,
                             _time(entry.get("outcome_at"), "introduction 'outcome_at'", source, line)))
    return out


def _knows(value, source, line) -> list[KnowsSpec]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"'knows' must be a list, got {type(value).__name__}", source, line)
    _entries(value, "'knows'", source, line)
    out = []
    for entry in value:
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict) or "id" not in entry:
            raise InputError("each entry of 'knows' must be {\"id\": …, \"relation\": …, \"strength\": 0..1}", source, line)
        unknown = [k for k in entry if k not in ("id", "relation", "strength")]
        if unknown:
            raise InputError(f"unknown field '{shown(unknown[0])}' in 'knows' (allowed: id, relation, strength)",
                             source, line)
        strength = entry.get("strength")
        if strength is not None:
            if isinstance(strength, bool) or not isinstance(strength, (int, float)):
                raise InputError(f"'strength' must be a number from 0 to 1, got {type(strength).__name__}",
                                 source, line)
            if not 0.0 <= strength <= 1.0:  # also refuses NaN
                shown_strength = shown(strength) if isinstance(strength, float) or abs(strength) < 10 ** 50 else "a huge number"
                raise InputError(f"'strength' must be from 0 to 1, got {shown_strength}", source, line)
        relation = entry.get("relation")
        known_id = _string(entry["id"], "'knows' id", source, line, MAX_LABEL_CHARS, one_line=True)
        if not known_id:
            raise InputError("an entry of 'knows' has an empty id", source, line)
        out.append(KnowsSpec(
            known_id,
            _string(relation, "'relation'", source, line, MAX_LABEL_CHARS) or None if relation is not None else None,
            float(strength) if strength is not None else None,
        ))
    return out


def _contact(value, source, line) -> dict[str, str]:
    contact = value or {}
    if not isinstance(contact, dict):
        raise InputError(f"'contact' must be an object like {{\"phone\": …}}, got {type(contact).__name__}", source, line)
    _entries(contact, "'contact'", source, line)
    out = {}
    for key, entry in contact.items():
        if not isinstance(key, str):
            raise InputError(f"a 'contact' key must be a string, got {type(key).__name__}", source, line)
        key = _string(key, "a 'contact' key", source, line, MAX_LABEL_CHARS)
        out[key] = _string(entry, f"contact '{shown(key)}'", source, line)
        if key == "phone" and out[key]:
            out[key] = normalise_phone(out[key])
    return out


def person_from_dict(data, source: str | None = None, line: int | None = None) -> PersonRecord:
    """Validate one person (a dict as in the JSON Lines format); raises InputError naming source and line.

    Every string comes out NFC and stripped; names, aliases, tags, ids, contact, relations and whens without
    control characters; each within the limits above."""
    try:
        return _person_from_dict(data, source, line)
    except InputError:
        raise
    except RecursionError:
        raise InputError("nested too deeply", source, line) from None
    except Exception as exc:  # whatever slipped through: still one line that says where
        raise InputError(f"cannot read this person ({type(exc).__name__}: {shown(exc, 120)})", source, line) from None


def _person_from_dict(data, source, line) -> PersonRecord:
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object for a person, got {type(data).__name__}", source, line)
    unknown = [k for k in data if k not in PERSON_FIELDS]
    if unknown:
        raise InputError(f"unknown field '{shown(unknown[0])}' (allowed: {', '.join(PERSON_FIELDS)})", source, line)
    if "name" not in data or data["name"] is None:
        raise InputError("missing 'name'", source, line, key="name_missing")
    name = _string(data["name"], "'name'", source, line)
    if not name:
        raise InputError("'name' is empty", source, line, key="name_missing")
    person_id = data.get("id")
    if person_id is not None:
        if isinstance(person_id, int) and not isinstance(person_id, bool):
            if abs(person_id) >= 10 ** MAX_LABEL_CHARS:
                raise InputError(f"'id' is too long (at most {MAX_LABEL_CHARS} characters)", source, line)
            person_id = str(person_id)
        person_id = _string(person_id, "'id'", source, line, MAX_LABEL_CHARS, one_line=True) or None
    text = _string(data.get("text") or "", "'text'", source, line, MAX_TEXT_CHARS, controls=True)
    offers = _string_list(data.get("offers"), "'offers'", source, line, controls=True)
    via = data.get("via")
    record = PersonRecord(
        name=name,
        id=person_id,
        aliases=_string_list(data.get("aliases"), "'aliases'", source, line),
        text=text,
        offers=offers,
        needs=_needs(data.get("needs"), source, line),
        tags=[clean_text(t.lower()) for t in _string_list(data.get("tags"), "'tags'", source, line, MAX_LABEL_CHARS)],
        contact=_contact(data.get("contact"), source, line),
        knows=_knows(data.get("knows"), source, line),
        via=_string(via, "'via'", source, line, MAX_LABEL_CHARS, one_line=True) or None if via is not None
        else None,
        uid=_string(data["uid"], "'uid'", source, line, one_line=True) or None if data.get("uid") is not None
        else None,
    )
    if not text and not offers and not record.contact and person_id != SELF_ID:
        # someone from the phone's contacts may be only a name and a number: found by name, reached, an introducer
        raise InputError("a person needs 'text' or 'offers' (what they do or offer) or a 'contact' (how to reach "
                         "them)", source, line, key="person_empty")
    pieces = record.searchable_pieces()
    if len(pieces) > MAX_PIECES:
        raise InputError(f"too many searchable pieces ({len(pieces):,} clauses, offers and needs; at most "
                         f"{MAX_PIECES:,}): shorten 'text' or 'offers'", source, line,
                         key="too_many_pieces", pieces=len(pieces), limit=MAX_PIECES)
    longest = max((len(text) for _, _, text in pieces), default=0)
    if longest > MAX_PIECE_CHARS:
        raise InputError(f"'text' has a sentence of {longest:,} characters without a break (at most "
                         f"{MAX_PIECE_CHARS:,}): break it up with '.', ',' or a new line", source, line,
                         key="sentence_too_long", chars=longest, limit=MAX_PIECE_CHARS)
    return record


_EDIT_LISTS = ("offers", "add_offers", "remove_offers", "aliases", "add_aliases", "needs", "add_needs", "tags")


@dataclass
class PersonEdit:
    """A change to one person as a user states it: fields to set, lists to replace, or entries to add to or
    remove from a list. The same for every front door (CLI options, Python, web). None leaves a field as it is;
    a list given empty ([]) empties it, a phone or email given as "" clears it."""

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

    @classmethod
    def from_dict(cls, data, source: str | None = None) -> "PersonEdit":
        """An edit given as a JSON object with these fields (a list may be given as one string); the values are
        validated like an import's when the edit is applied (Network.edit)."""
        if not isinstance(data, dict):
            raise InputError(f"expected a JSON object with the fields to change, got {type(data).__name__}", source)
        names = [f.name for f in fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            raise InputError(f"unknown field '{shown(unknown[0])}' (allowed: {', '.join(names)})", source)
        values = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                continue
            if f.name in _EDIT_LISTS:
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InputError(f"'{f.name}' must be a list of strings", source)
                _entries(value, f"'{f.name}'", source, None)
            elif not isinstance(value, str):
                raise InputError(f"'{f.name}' must be a string, got {type(value).__name__}", source)
            values[f.name] = value
        return cls(**values)

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
        if self.offers is not None or self.add_offers or self.remove_offers:
            base = list(self.offers) if self.offers is not None else list(current.offers)
            missing = [o for o in self.remove_offers if o not in base]
            if missing:
                raise InputError(f"{current.id} has no offer '{missing[0]}' (see 'semnetz show {current.id}')")
            changes["offers"] = [o for o in base if o not in self.remove_offers] + list(self.add_offers)
        if self.aliases is not None or self.add_aliases:
            changes["aliases"] = ((list(self.aliases) if self.aliases is not None else list(current.aliases))
                                  + list(self.add_aliases))
        if self.needs is not None or self.add_needs:
            base_needs = [{"text": n, "when": None} for n in self.needs] if self.needs is not None else \
                current.to_dict().get("needs", [])
            changes["needs"] = list(base_needs) + list(self.add_needs)
        if self.tags is not None:
            changes["tags"] = list(self.tags)
        given = {k: v for k, v in (("phone", self.phone), ("email", self.email)) if v is not None}
        if given:  # "" clears the field
            changes["contact"] = {k: v for k, v in {**current.contact, **given}.items() if v}
        if not changes:
            raise InputError("nothing to change: give at least one option (see 'semnetz edit --help')",
                             key="nothing_to_change")
        return changes

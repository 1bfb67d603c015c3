"""The network as vCards 3.0 for a phone's address book (written by vobject), one card a person:

FN and N their name (N: the last word as family name), NICKNAME each alias, TEL each phone and EMAIL each
e-mail of their contact, NOTE their text, their offers and any other contact entry, CATEGORIES their tags, UID
the UID of the card they came from, else one derived from their id (the same in every export, so a phone
updates the card instead of adding it again). You ("me") are not a contact of yours and are left out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator

from ..records import SELF_ID, PersonRecord

_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://semnetz.invalid/person")
# control characters a phone has no use for (free text may hold them; names and contact values cannot)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cards(people: Iterable[PersonRecord], counts: dict) -> Iterator[str]:
    import vobject  # here: `semnetz --help` does not load it

    for record in people:
        if record.id == SELF_ID:
            continue
        counts["people"] += 1
        yield card(record, vobject).serialize()


def stable_uid(person_id: str) -> str:
    """A UID for a person who came without one: derived from their id, the same in every export."""
    return str(uuid.uuid5(_UID_NAMESPACE, person_id))


def card(record: PersonRecord, vobject):
    out = vobject.vCard()
    out.add("uid").value = getattr(record, "uid", None) or stable_uid(record.id)
    out.add("fn").value = record.name
    given, _, family = record.name.rpartition(" ")
    out.add("n").value = vobject.vcard.Name(family=family, given=given) if given else \
        vobject.vcard.Name(given=record.name)
    for alias in record.aliases:
        out.add("nickname").value = alias
    other = []
    for key, value in record.contact.items():
        if not value:
            continue
        kind = _contact_kind(key)
        if kind is None:
            other.append(f"{key}: {value}")
            continue
        prop = out.add(kind)
        prop.value = value
        if kind == "email":
            prop.type_param = "INTERNET"
        elif key.lower() in ("mobile", "handy", "cell", "mobil"):
            prop.type_param = "CELL"
    note = [_CONTROL.sub("", record.text).strip()]
    if record.offers:
        note.append("Offers: " + "; ".join(_CONTROL.sub("", o).strip() for o in record.offers))
    note += other
    note = [n for n in note if n]
    if note:
        out.add("note").value = "\n\n".join(note)
    if record.tags:
        out.add("categories").value = list(record.tags)
    return out


_PHONE_KEYS = {"phone", "tel", "telephone", "telefon", "mobile", "mobil", "handy", "cell", "cellphone", "fon"}


def _contact_kind(key: str) -> str | None:
    """"email" for an e-mail address, "tel" for a phone number, None for anything else ("telegram")."""
    key = key.lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in ("email", "mail") or key.endswith("email"):
        return "email"
    if key in _PHONE_KEYS or key.endswith("phone") or key.startswith("phone"):
        return "tel"
    return None

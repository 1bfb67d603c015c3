"""Writing people: a batch is validated against the store, encoded outside any transaction (while other
commands may read the store), then written all or nothing, with what it touched noted for the search view.

Only pieces whose text (content hash) changed are encoded again; unchanged people are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import numpy as np

from ..errors import InputError
from ..phones import email_key, phone_key
from ..records import PersonRecord
from ..results import ImportReport
from ..store import recorded
from ..store.links import Link
from ..store.people import PHONE_TAIL
from ..text import content_hash
from ..when import parse_when
from . import need_states

Records = list[tuple[int | None, PersonRecord]]  # (line in the source, record)


@dataclass
class Plan:
    """What a batch changes, worked out before anything is encoded or written."""

    report: ImportReport
    changed: list[PersonRecord] = field(default_factory=list)
    pk_of: dict[str, int | None] = field(default_factory=dict)
    stale: list[int] = field(default_factory=list)  # item ids of pieces that go
    keep_positions: list[tuple[int, int]] = field(default_factory=list)
    need_whens: list[tuple] = field(default_factory=list)  # kept needs whose when may have changed
    new_pieces: list[tuple[PersonRecord, str, int, str, str]] = field(default_factory=list)
    need_dates: dict = field(default_factory=dict)
    need_states: list[PersonRecord] = field(default_factory=list)  # people whose needs say what became of them

    def texts_to_encode(self) -> list[str]:
        return list(dict.fromkeys(p[3] for p in self.new_pieces))


def plan(tables, records: Records, source: str, model: str, action: str = "import") -> Plan:
    """Give every record an id, check its references and dates, and find which pieces must be (re-)encoded.
    action "add": every record is a new person (an id of someone there is an error)."""
    if action == "add":
        _new_ids(tables, records, source)
    else:
        _resolve_ids(tables, records)
    _check_references(tables, records, source)
    need_states.check(tables, records, source)
    result = Plan(ImportReport(source), need_dates=_parse_need_dates(records, source))
    stored = tables.people.pks_and_hashes([r.id for _, r in records])
    result.pk_of = {r.id: stored[r.id][0] if r.id in stored else None for _, r in records}
    stored_items = tables.people.items_of([pk for pk in result.pk_of.values() if pk is not None])
    reusable: dict[tuple[int, str, str], list] = {}
    items_of_pk: dict[int, list[int]] = {}
    for item in stored_items:
        items_of_pk.setdefault(item.person_pk, []).append(item.item_id)
        if item.model == model:
            reusable.setdefault((item.person_pk, item.kind, item.content_hash), []).append(item)
    kept_ids: set[int] = set()
    report = result.report
    hashes = {r.id: r.record_hash() for _, r in records}
    as_stored = _as_stored(tables, [r for _, r in records if result.pk_of[r.id] is not None
                                    and stored[r.id][1] != hashes[r.id]], result.pk_of)
    for _, record in records:
        pk = result.pk_of[record.id]
        if pk is not None and (stored[record.id][1] == hashes[record.id] or record.id in as_stored):
            report.unchanged.append(record.id)
            kept_ids.update(items_of_pk.get(pk, ()))
            continue
        result.changed.append(record)
        (report.updated if pk is not None else report.added).append(record.id)
        for kind, pos, text in record.searchable_pieces():
            digest = content_hash(kind, text)
            candidates = reusable.get((pk, kind, digest)) if pk is not None else None
            if candidates:
                item = candidates.pop(0)
                kept_ids.add(item.item_id)
                if item.pos != pos:
                    result.keep_positions.append((item.item_id, pos))
                if kind == "need":
                    result.need_whens.append((item.item_id, *result.need_dates[(record.id, pos)]))
                report.reused += 1
            else:
                result.new_pieces.append((record, kind, pos, text, digest))
    result.stale = [i.item_id for i in stored_items if i.item_id not in kept_ids]
    report.embedded = len(result.new_pieces)
    restated = need_states.differing(tables, records, result.pk_of, set(report.unchanged))
    if restated:  # the same person, but their needs say what became of them differently
        report.unchanged = [i for i in report.unchanged if i not in restated]
        report.updated += sorted(restated)
    result.need_states = result.changed + [r for _, r in records if r.id in restated]
    return result


def write(tables, batch: Plan, vectors_by_text: dict[str, np.ndarray], model: str, action: str) -> None:
    """Write a planned batch in the caller's transaction."""
    people = tables.people
    batch.pk_of.update(people.upsert([
        (r.id, r.name, r.aliases, r.text, r.tags, r.contact, r.via, r.record_hash(), r.uid) for r in batch.changed
    ]))
    people.delete_items(batch.stale)
    people.set_item_positions(batch.keep_positions)
    tables.needs.set_whens(batch.need_whens)
    pieces = batch.new_pieces
    new_ids = people.new_item_ids(len(pieces))
    if pieces:
        people.insert_items(new_ids, [batch.pk_of[p[0].id] for p in pieces], [p[1] for p in pieces],
                            [p[2] for p in pieces], [p[3] for p in pieces], [p[4] for p in pieces], model,
                            np.stack([vectors_by_text[p[3]] for p in pieces]))
        tables.needs.insert([(int(i), *batch.need_dates[(p[0].id, p[2])])
                             for i, p in zip(new_ids, pieces) if p[1] == "need"])
    linked = _write_links(tables, batch.changed, batch.pk_of)
    introduced = need_states.write(tables, batch.need_states, batch.pk_of)
    report = batch.report
    tables.audit.log(action, {"source": report.source, "added": report.added, "updated": report.updated,
                              "unchanged": len(report.unchanged), "embedded": report.embedded})
    tables.journal.touch(people=[batch.pk_of[r.id] for r in batch.changed] + sorted(introduced), edges=linked)
    if batch.changed or introduced:
        tables.bump_generation()


def encode_unique(texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> dict[str, np.ndarray]:
    return dict(zip(texts, encode(texts))) if texts else {}


def _new_ids(tables, records: Records, source: str) -> None:
    """New people only: a new id for each record without one; an id someone has is an error."""
    taken = tables.people.ids()
    for line, record in records:
        if record.id and record.id in taken:
            raise InputError(f"the id '{record.id}' is taken; to change that person: semnetz edit {record.id}",
                             source, line)
    _give_new_ids([r for _, r in records if not r.id], taken | {r.id for _, r in records if r.id},
                  tables.people.next_number())


def _give_new_ids(records: list[PersonRecord], taken: set[str], number: int) -> None:
    for record in records:
        while f"p{number:04d}" in taken:
            number += 1
        record.id = f"p{number:04d}"
        taken.add(record.id)


def _resolve_ids(tables, records: Records) -> None:
    """Give every record an id: its own; else that of the stored person it is (see _Identities); else a new
    one. Two people of one file never become one: each stored person is claimed once."""
    unnamed = [r for _, r in records if not r.id]
    if not unnamed:
        return
    taken = tables.people.ids() | {r.id for _, r in records if r.id}
    claimed = {r.id for _, r in records if r.id}
    _Identities(tables, [r for _, r in records], unnamed).claim(claimed)
    _give_new_ids([r for r in unnamed if not r.id], taken, tables.people.next_number())


@dataclass
class _Stored:
    id: str
    name: str  # lower-cased
    uid: str | None
    phone: str | None  # phone_key
    email: str | None  # email_key
    digest: str


class _Identities:
    """Who a record without an id is, in this order, each stored person claimed by one record at most (records
    in file order within each rule):

    1. the stored person with the record's UID (a card of the same address book);
    2. a stored person sharing a phone number, e-mail address or name with the record whom it equals (so an
       unchanged file changes nothing);
    3. the same phone number (compared normalised: "0171 1234567" is "+49 171 1234567") or e-mail address (case
       aside) and the same name; 4. the same phone number or e-mail address; 5. the same name (case aside).

    A number or address that two people of the file, or two stored people, share (a landline, an office) identifies
    nobody; a stored person with another UID than the record's is never the same person; a record without a UID
    keeps the one of the person it is."""

    def __init__(self, tables, everyone: list[PersonRecord], unnamed: list[PersonRecord]):
        self.unnamed = unnamed
        tails = {_tail(r.contact.get("phone")) for r in unnamed} - {None}
        emails = {email_key(r.contact.get("email")) for r in unnamed} - {None}
        rows = tables.people.identity_candidates(
            list({r.name for r in unnamed}), list({r.uid for r in unnamed if r.uid}), list(emails), list(tails))
        self.stored = [_Stored(person_id, name, uid, phone_key(phone) if _tail(phone) in tails else None,
                               email_key(email), digest) for person_id, name, uid, phone, email, digest in rows]
        if not self.stored:  # nobody to be: all new (and no phone number needs to be read)
            return
        self.phone = {id(r): phone_key(r.contact.get("phone")) for r in everyone}
        self.email = {id(r): email_key(r.contact.get("email")) for r in everyone}
        self.shared = (_twice(self.phone.values()) | _twice(self.email.values())
                       | _twice(s.phone for s in self.stored) | _twice(s.email for s in self.stored))
        index: dict[tuple[str, str], list[int]] = {}
        for n, person in enumerate(self.stored):
            for key in (("uid", person.uid), ("phone", person.phone), ("email", person.email), ("name", person.name)):
                if key[1] is not None:
                    index.setdefault(key, []).append(n)
        self.candidates = {}  # record -> the stored people it may be, oldest first
        for r in unnamed:
            keys = (("uid", r.uid), ("phone", self.phone[id(r)]), ("email", self.email[id(r)]), ("name", r.name.lower()))
            found = sorted({n for key in keys if key[1] is not None for n in index.get(key, ())})
            self.candidates[id(r)] = [self.stored[n] for n in found if self._may_be(r, self.stored[n])]

    def claim(self, claimed: set[str]) -> None:
        rules = (self._same_uid, self._equal, self._same_contact_and_name, self._same_contact, self._same_name)
        for rule in rules if self.stored else ():
            for record in self.unnamed:
                if record.id:
                    continue
                for person in self.candidates[id(record)]:
                    if person.id not in claimed and rule(record, person):
                        record.id = person.id
                        record.uid = record.uid or person.uid  # a card without its UID (a CSV export) keeps it
                        claimed.add(person.id)
                        break

    @staticmethod
    def _may_be(record: PersonRecord, person: _Stored) -> bool:
        return not (record.uid and person.uid and record.uid != person.uid)

    @staticmethod
    def _same_uid(record: PersonRecord, person: _Stored) -> bool:
        return record.uid is not None and record.uid == person.uid

    @staticmethod
    def _equal(record: PersonRecord, person: _Stored) -> bool:  # a candidate shares a uid, number, address or name
        return _hash_as(record, person.id, record.uid or person.uid) == person.digest

    def _same_contact_and_name(self, record: PersonRecord, person: _Stored) -> bool:
        return self._same_name(record, person) and self._same_contact(record, person)

    def _same_contact(self, record: PersonRecord, person: _Stored) -> bool:
        phone, email = self.phone[id(record)], self.email[id(record)]
        return ((phone is not None and phone == person.phone and phone not in self.shared)
                or (email is not None and email == person.email and email not in self.shared))

    @staticmethod
    def _same_name(record: PersonRecord, person: _Stored) -> bool:
        return record.name.lower() == person.name


def _tail(phone: str | None) -> str | None:
    """The last digits of a phone number, as the store compares them before the numbers are read."""
    digits = "".join(c for c in phone if c.isdigit()) if phone else ""
    return digits[-PHONE_TAIL:] or None


def _twice(keys) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for key in keys:
        if key is not None:
            (twice if key in seen else seen).add(key)
    return twice


def _hash_as(record: PersonRecord, person_id: str, uid: str | None = None) -> str:
    """The record's hash as the person with this id (and uid, if given)."""
    own_uid = record.uid
    record.id, record.uid = person_id, uid or own_uid
    try:
        return record.record_hash()
    finally:
        record.id, record.uid = None, own_uid


def _check_references(tables, records: Records, source: str) -> None:
    known = tables.people.ids() | {r.id for _, r in records}
    for line, record in records:
        if record.via is not None:
            if record.via not in known:
                raise InputError(f"'via' names unknown id '{record.via}'", source, line, key="unknown_person",
                                 id=record.via)
            if record.via == record.id:
                raise InputError("a person cannot be known 'via' themselves", source, line, key="via_themselves")
        for knows in record.knows:
            if knows.id not in known:
                raise InputError(f"'knows' names unknown id '{knows.id}'", source, line)
            if knows.id == record.id:
                raise InputError("a person cannot 'know' themselves", source, line)


def _parse_need_dates(records: Records, source: str) -> dict:
    """(person id, need position) -> (when, from, until), parsed before anything is written (relative to the day
    the need was recorded, when the file says it, else today)."""
    today = date.today()
    out = {}
    for line, record in records:
        for pos, need in enumerate(record.needs):
            day = need.created.date() if need.created else today
            parsed = parse_when(need.when, day, source, line) if need.when else None
            out[(record.id, pos)] = (need.when, parsed.start if parsed else None, parsed.end if parsed else None)
    return out


def _as_stored(tables, records: list[PersonRecord], pk_of: dict[str, int | None]) -> set[str]:
    """The ids of these stored people (whose record differs from the one they were last written with) that the
    file gives as they are now: only links made since (`semnetz link`, someone's "via") made the difference, so
    importing them changes nothing (an export imported into the network it came from)."""
    if not records:
        return set()
    now = {r.id: r for r in recorded.records_of(tables, [pk_of[r.id] for r in records])}
    same = set()
    for record in records:
        stored, given = now[record.id].to_dict(), record.to_dict()
        links = {k.id: (k.relation, k.strength) for k in now[record.id].knows}
        stored.pop("knows", None)
        given.pop("knows", None)
        if stored == given and all(links.get(k.id) == (k.relation, k.strength) for k in record.knows):
            same.add(record.id)
    return same


def _write_links(tables, records: list[PersonRecord], pk_of: dict[str, int | None]) -> set[int]:
    """Links from "knows" (added or updated, never removed by an import) and from "via"; returns the pks
    whose links changed."""
    ids = {k.id for r in records for k in r.knows} | {r.via for r in records if r.via}
    missing = [i for i in ids if pk_of.get(i) is None]
    pk_of = {**pk_of, **{i: v[0] for i, v in tables.people.pks_and_hashes(missing).items()}}
    links = [Link(pk_of[r.id], pk_of[k.id], k.relation, k.strength) for r in records for k in r.knows]
    vias = [(pk_of[r.via], pk_of[r.id]) for r in records if r.via]
    return tables.links.upsert(links) | tables.links.ensure(vias)

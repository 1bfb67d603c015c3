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
from ..records import PersonRecord
from ..results import ImportReport
from ..store.links import Link
from ..text import content_hash
from ..when import parse_when

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
    result = Plan(ImportReport(source), need_dates=_parse_need_dates(records, source))
    stored = tables.people.pks_and_hashes([r.id for _, r in records])
    result.pk_of = {r.id: stored[r.id][0] if r.id in stored else None for _, r in records}
    stored_items = tables.people.items_of([pk for pk in result.pk_of.values() if pk is not None])
    reusable: dict[tuple[int, str, str], list] = {}
    for item in stored_items:
        if item.model == model:
            reusable.setdefault((item.person_pk, item.kind, item.content_hash), []).append(item)
    kept_ids: set[int] = set()
    report = result.report
    for _, record in records:
        pk = result.pk_of[record.id]
        if pk is not None and stored[record.id][1] == record.record_hash():
            report.unchanged.append(record.id)
            kept_ids.update(i.item_id for i in stored_items if i.person_pk == pk)
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
    return result


def write(tables, batch: Plan, vectors_by_text: dict[str, np.ndarray], model: str, action: str) -> None:
    """Write a planned batch in the caller's transaction."""
    people = tables.people
    batch.pk_of.update(people.upsert([
        (r.id, r.name, r.aliases, r.text, r.tags, r.contact, r.via, r.record_hash()) for r in batch.changed
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
    report = batch.report
    tables.audit.log(action, {"source": report.source, "added": report.added, "updated": report.updated,
                              "unchanged": len(report.unchanged), "embedded": report.embedded})
    tables.journal.touch(people=[batch.pk_of[r.id] for r in batch.changed], edges=linked)
    if batch.changed:
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
    """Give every record an id: its own, else that of a stored person with the same name, else a new one. Two
    people of one file never become one: each stored person is claimed once, first by the record that equals
    them (so an unchanged file changes nothing), then by the next of that name in file order."""
    unnamed = [r for _, r in records if not r.id]
    if not unnamed:
        return
    taken = tables.people.ids() | {r.id for _, r in records if r.id}
    claimed = {r.id for _, r in records if r.id}
    stored = tables.people.same_names([r.name for r in unnamed])  # lower-cased name -> [(id, record hash)]
    by_name: dict[str, list[PersonRecord]] = {}
    for record in unnamed:
        by_name.setdefault(record.name.lower(), []).append(record)
    for name, group in by_name.items():
        candidates = [(i, h) for i, h in stored.get(name, []) if i not in claimed]
        for record in group:  # the same person, unchanged
            for person_id, digest in candidates:
                if person_id not in claimed and _hash_as(record, person_id) == digest:
                    record.id = person_id
                    claimed.add(person_id)
                    break
        for record in group:  # the same name, changed: the next one not yet claimed
            if record.id:
                continue
            free = [i for i, _ in candidates if i not in claimed]
            if free:
                record.id = free[0]
                claimed.add(free[0])
    _give_new_ids([r for r in unnamed if not r.id], taken, tables.people.next_number())


def _hash_as(record: PersonRecord, person_id: str) -> str:
    record.id = person_id
    try:
        return record.record_hash()
    finally:
        record.id = None


def _check_references(tables, records: Records, source: str) -> None:
    known = tables.people.ids() | {r.id for _, r in records}
    for line, record in records:
        if record.via is not None:
            if record.via not in known:
                raise InputError(f"'via' names unknown id '{record.via}'", source, line)
            if record.via == record.id:
                raise InputError("a person cannot be known 'via' themselves", source, line)
        for knows in record.knows:
            if knows.id not in known:
                raise InputError(f"'knows' names unknown id '{knows.id}'", source, line)
            if knows.id == record.id:
                raise InputError("a person cannot 'know' themselves", source, line)


def _parse_need_dates(records: Records, source: str) -> dict:
    """(person id, need position) -> (when, from, until), parsed before anything is written."""
    today = date.today()
    out = {}
    for line, record in records:
        for pos, need in enumerate(record.needs):
            parsed = parse_when(need.when, today, source, line) if need.when else None
            out[(record.id, pos)] = (need.when, parsed.start if parsed else None, parsed.end if parsed else None)
    return out


def _write_links(tables, records: list[PersonRecord], pk_of: dict[str, int | None]) -> set[int]:
    """Links from "knows" (added or updated, never removed by an import) and from "via"; returns the pks
    whose links changed."""
    ids = {k.id for r in records for k in r.knows} | {r.via for r in records if r.via}
    missing = [i for i in ids if pk_of.get(i) is None]
    pk_of = {**pk_of, **{i: v[0] for i, v in tables.people.pks_and_hashes(missing).items()}}
    links = [Link(pk_of[r.id], pk_of[k.id], k.relation, k.strength) for r in records for k in r.knows]
    vias = [(pk_of[r.via], pk_of[r.id]) for r in records if r.via]
    return tables.links.upsert(links) | tables.links.ensure(vias)

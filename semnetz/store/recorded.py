"""People as recorded: the store's rows folded back into PersonRecords, in the import format's terms — what
`show --json`, `list --json` and `export` write, and what an import compares a person with.

Whom someone knows is listed by the known person's id, so two stores that hold the same network give the same
records whatever order their people were added in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from ..records import IntroSpec, KnowsSpec, NeedSpec, PersonRecord

CHUNK = 5_000  # people read at a time when going through everyone (an export of a million people)

_OUTCOMES = {"introduced": None, "helped": "helped", "not_helped": "not helped"}
_RECORD_FIELDS = {f.name for f in fields(PersonRecord)}


def records_of(tables, pks: list[int], need_states: bool = False) -> list[PersonRecord]:
    """These people, ordered by id; with need_states, each need also carries its status, when it was recorded
    and its introductions."""
    return _build(tables, list(pks), None, need_states)


def iter_records(tables, need_states: bool = False, chunk: int | None = None) -> Iterator[PersonRecord]:
    """Everyone, ordered by id, read a chunk of people at a time (within the caller's session)."""
    id_of = tables.people.id_map()
    pks = list(id_of)
    chunk = chunk or CHUNK
    for start in range(0, len(pks), chunk):
        yield from _build(tables, pks[start:start + chunk], id_of, need_states)


def _build(tables, pks: list[int], id_of: dict[int, str] | None, need_states: bool) -> list[PersonRecord]:
    if not pks:
        return []
    rows = tables.people.rows(pks)
    items = tables.people.items_of(pks)
    need_ids = [i.item_id for i in items if i.kind == "need"]
    whens = tables.needs.whens(need_ids)
    states = tables.needs.states(need_ids) if need_states else {}
    intros = tables.needs.intros_of(need_ids) if need_states else {}
    offers: dict[int, list[str]] = {}
    needs: dict[int, list[NeedSpec]] = {}
    for item in items:
        if item.kind == "offer":
            offers.setdefault(item.person_pk, []).append(item.text)
        elif item.kind == "need":
            need = NeedSpec(item.text, whens.get(item.item_id))
            if need_states:
                need.status, need.created = states.get(item.item_id, (None, None))
                need.intros = [IntroSpec(person_id, created_at, _OUTCOMES.get(status),
                                         updated_at if _OUTCOMES.get(status) else None)
                               for person_id, _, status, created_at, updated_at in intros.get(item.item_id, [])]
            needs.setdefault(item.person_pk, []).append(need)
    frm, to, strength, relation = tables.links.edges(touching=pks)
    wanted = set(pks)
    edges = [(a, b, s, r) for a, b, s, r in zip(frm.tolist(), to.tolist(), strength.tolist(), relation) if a in wanted]
    if id_of is None:
        id_of = tables.people.id_map(sorted({b for _, b, _, _ in edges}))
    knows: dict[int, list[KnowsSpec]] = {}
    for a, b, s, r in edges:
        if b in id_of:
            knows.setdefault(a, []).append(KnowsSpec(id_of[b], r or None, None if s != s else s))
    out = []
    for row in rows:
        pk = row["pk"]
        given = {k: v for k, v in row.items() if k in _RECORD_FIELDS}  # and any field the store adds later
        given.update(aliases=list(row["aliases"]), tags=list(row["tags"]), offers=offers.get(pk, []),
                     needs=needs.get(pk, []), knows=sorted(knows.get(pk, []), key=lambda k: k.id))
        out.append(PersonRecord(**given))
    return out

"""Writing people: an import is validated, encoded outside the transaction, written all or nothing, and
the indexes follow (incremental, or rebuilt when the network outgrew its index type).

Only pieces whose text (content hash) changed are encoded again; unchanged people are not touched.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError
from .links import Link
from .records import PersonRecord
from .text import content_hash
from .vector_index import VectorIndex, outgrown, resolve_index_type
from .when import parse_when

from .network import SPACES, ImportReport  # noqa: E402 - network imports this module lazily

if TYPE_CHECKING:
    from .network import Network


def _resolve_ids(net, records: list[tuple[int | None, PersonRecord]], source: str) -> None:
    """Give every record an id: its own, else the id of a stored person with the same name, else a new one."""
    unnamed = [r for _, r in records if not r.id]
    if not unnamed:
        return
    taken = net.store.person_ids() | {r.id for _, r in records if r.id}
    number = net.store.next_person_number()
    by_name = net.store.ids_by_name([r.name for r in unnamed])
    for record in unnamed:
        same_name = by_name.get(record.name.lower())
        if same_name:
            record.id = same_name
            continue
        while f"p{number:04d}" in taken:
            number += 1
        record.id = f"p{number:04d}"
        taken.add(record.id)

def _check_references(net, records: list[tuple[int | None, PersonRecord]], source: str) -> None:
    known = net.store.person_ids() | {r.id for _, r in records}
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

def _parse_need_dates(net, records: list[tuple[int | None, PersonRecord]], source: str) -> dict:
    """(person id, need position) -> (when, from, until), parsed before anything is written."""
    today = date.today()
    out = {}
    for line, record in records:
        for pos, need in enumerate(record.needs):
            parsed = parse_when(need.when, today, source, line) if need.when else None
            out[(record.id, pos)] = (need.when, parsed.start if parsed else None, parsed.end if parsed else None)
    return out

def import_records(net: "Network", records: list[tuple[int | None, PersonRecord]], source: str = "python",
                   action: str = "import") -> ImportReport:
    """Upsert people; only pieces whose text changed are re-embedded. All or nothing."""
    _resolve_ids(net, records, source)
    _check_references(net, records, source)
    need_dates = _parse_need_dates(net, records, source)
    net._ensure_model()
    model = net.model_name
    report = ImportReport(source)

    stored = net.store.pks_and_hashes([r.id for _, r in records])
    pk_of = {r.id: stored[r.id][0] if r.id in stored else None for _, r in records}
    stored_items = net.store.items_of([pk for pk in pk_of.values() if pk is not None])
    reusable: dict[tuple[int, str, str], list] = {}
    for item in stored_items:
        if item.model == model:
            reusable.setdefault((item.person_pk, item.kind, item.content_hash), []).append(item)

    keep_positions: list[tuple[int, int]] = []
    need_whens: list[tuple] = []
    kept_ids: set[int] = set()
    new_pieces: list[tuple[PersonRecord, str, int, str, str]] = []
    changed: list[PersonRecord] = []
    for _, record in records:
        pk = pk_of[record.id]
        if pk is not None and stored[record.id][1] == record.record_hash():
            report.unchanged.append(record.id)
            kept_ids.update(i.item_id for i in stored_items if i.person_pk == pk)
            continue
        changed.append(record)
        (report.updated if pk is not None else report.added).append(record.id)
        for kind, pos, text in record.searchable_pieces():
            digest = content_hash(kind, text)
            candidates = reusable.get((pk, kind, digest)) if pk is not None else None
            if candidates:
                item = candidates.pop(0)
                kept_ids.add(item.item_id)
                if item.pos != pos:
                    keep_positions.append((item.item_id, pos))
                if kind == "need":
                    need_whens.append((item.item_id, *need_dates[(record.id, pos)]))
                report.reused += 1
            else:
                new_pieces.append((record, kind, pos, text, digest))
    stale = [i for i in stored_items if i.item_id not in kept_ids]

    # Encode outside the transaction (the slow part); unique texts once.
    unique_texts = list(dict.fromkeys(p[3] for p in new_pieces))
    vectors_by_text = dict(zip(unique_texts, net._encode(unique_texts, "embedding")))
    report.embedded = len(new_pieces)

    with net.store.transaction():
        pk_of.update(net.store.upsert_people([
            (r.id, r.name, r.aliases, r.text, r.tags, r.contact, r.via, r.record_hash()) for r in changed
        ]))
        net.store.delete_items([i.item_id for i in stale])
        net.store.set_item_positions(keep_positions)
        net.need_table.set_whens(need_whens)
        new_ids = net.store.new_item_ids(len(new_pieces))
        if new_pieces:
            net.store.insert_items(
                new_ids, [pk_of[p[0].id] for p in new_pieces], [p[1] for p in new_pieces],
                [p[2] for p in new_pieces], [p[3] for p in new_pieces], [p[4] for p in new_pieces], model,
                np.stack([vectors_by_text[p[3]] for p in new_pieces]),
            )
            net.need_table.insert([(int(i), *need_dates[(p[0].id, p[2])])
                                    for i, p in zip(new_ids, new_pieces) if p[1] == "need"])
        _write_links(net, changed, pk_of)
        net.store.log(action, {"source": source, "added": report.added, "updated": report.updated,
                                "unchanged": len(report.unchanged), "embedded": report.embedded})
        old_generation = net.store.generation
        net.store.bump_generation()
        net._bump_graph()
    _update_indexes(net, old_generation, [i.item_id for i in stale], new_ids, new_pieces, vectors_by_text)
    return report

def _write_links(net, records: list[PersonRecord], pk_of: dict[str, int]) -> None:
    """Links from "knows" (added or updated, never removed by an import) and from "via"."""
    ids = {k.id for r in records for k in r.knows} | {r.via for r in records if r.via}
    missing = [i for i in ids if i not in pk_of]
    pk_of = {**pk_of, **{i: v[0] for i, v in net.store.pks_and_hashes(missing).items()}}
    net.links.upsert([Link(pk_of[r.id], pk_of[k.id], k.relation, k.strength) for r in records for k in r.knows])
    net.links.ensure([(pk_of[r.via], pk_of[r.id]) for r in records if r.via])

def _update_indexes(net, old_generation: int, removed_ids, new_ids, new_pieces, vectors_by_text) -> None:
    for space, kinds in SPACES.items():
        current = net._indexes.get(space)
        if current is None:
            loaded = VectorIndex.load(net._index_path(space))
            if loaded and loaded[1].get("generation") == old_generation and loaded[1].get("model") == net.model_name:
                current = loaded[0]
        if current is None:
            net._indexes.pop(space, None)
            net._rebuild_index(space)
            continue
        current.remove(removed_ids)
        chosen = [(i, p) for i, p in zip(new_ids, new_pieces) if p[1] in kinds]
        if chosen:
            chosen_ids = np.array([i for i, _ in chosen], dtype=np.int64)
            chosen_vectors = np.stack([vectors_by_text[p[3]] for _, p in chosen])
            current.add(chosen_ids, chosen_vectors)
            net._vector_file(space, current.dim).write(chosen_ids, chosen_vectors)
        if outgrown(current.index_type, resolve_index_type(net.index_type, len(current), current.dim)):
            net._indexes.pop(space, None)
            net._rebuild_index(space)  # the network grew past what this index type is for
            continue
        net._save_index(space, current)

"""What became of needs, restored by an import: a need in the import format may say its status, when it was
recorded and the introductions made for it with their outcomes (as `semnetz export` writes them). A need is
known by its person and its position among their needs. What a need does not say stays as the network holds
it; introductions are added or updated, never removed (as links are).
"""

from __future__ import annotations

from datetime import datetime

from ..errors import InputError
from ..records import NeedSpec, PersonRecord, shown
from ..store import recorded

_STORED_OUTCOME = {None: "introduced", "helped": "helped", "not helped": "not_helped"}

Records = list[tuple[int | None, PersonRecord]]


def check(tables, records: Records, source: str) -> None:
    """Every introduction names someone in the file or the network, and not the one in need."""
    known = None
    for line, record in records:
        for need in record.needs:
            for intro in need.intros or ():
                if known is None:
                    known = tables.people.ids() | {r.id for _, r in records}
                if intro.person not in known:
                    raise InputError(f"an introduction names unknown id '{shown(intro.person)}'", source, line)
                if intro.person == record.id:
                    raise InputError(f"a need of '{shown(record.id)}' cannot introduce them to themself", source, line)


def differing(tables, records: Records, pk_of: dict[str, int | None], ids: set[str]) -> set[str]:
    """The ids among `ids` (people stored, their record unchanged) for whom the file says something about their
    needs that the network does not hold."""
    given = [r for _, r in records if r.id in ids and any(n.has_state for n in r.needs)]
    if not given:
        return set()
    stored = {r.id: r for r in recorded.records_of(tables, [pk_of[r.id] for r in given], need_states=True)}
    return {r.id for r in given if not all(_holds(s, n) for s, n in zip(stored[r.id].needs, r.needs))}


def _holds(stored: NeedSpec, given: NeedSpec) -> bool:
    """Does the stored need already hold what the given one says (times to the second)?"""
    if given.status is not None and given.status != stored.status:
        return False
    if given.created is not None and _second(given.created) != _second(stored.created):
        return False
    have = {i.person: i for i in stored.intros or ()}
    for intro in given.intros or ():
        old = have.get(intro.person)
        if old is None or old.outcome != intro.outcome:
            return False
        if intro.at is not None and _second(intro.at) != _second(old.at):
            return False
        if intro.outcome and intro.outcome_at is not None and _second(intro.outcome_at) != _second(old.outcome_at):
            return False
    return True


def _second(at: datetime | None) -> datetime | None:
    return at.replace(microsecond=0) if at is not None else None


def write(tables, people: list[PersonRecord], pk_of: dict[str, int | None]) -> set[int]:
    """Restore what these people's needs say about themselves, after the needs are written (in the caller's
    transaction). Returns the pks of the people introduced (how often someone helped is part of their ranking)."""
    wanted = [(pk_of[r.id], pos, need) for r in people for pos, need in enumerate(r.needs) if need.has_state]
    if not wanted:
        return set()
    item_of = {(i.person_pk, i.pos): i.item_id for i in tables.people.items_of(sorted({w[0] for w in wanted}))
               if i.kind == "need"}
    need_ids = [item_of[(pk, pos)] for pk, pos, _ in wanted]
    before = tables.needs.intros_of(need_ids)
    introduced = {i.person for _, _, need in wanted for i in need.intros or ()}
    pk_of_person = {person_id: v[0] for person_id, v in tables.people.pks_and_hashes(sorted(introduced)).items()}
    now = datetime.now().replace(microsecond=0)
    needs, intros = [], []
    for (_, _, need), need_id in zip(wanted, need_ids):
        if need.status is not None or need.created is not None:
            needs.append((need_id, need.status, need.created))
        old_intros = {person_id: (status, at, updated) for person_id, _, status, at, updated in before.get(need_id, [])}
        for intro in need.intros or ():
            status = _STORED_OUTCOME[intro.outcome]
            old = old_intros.get(intro.person)
            at = intro.at or (old[1] if old else now)
            if intro.outcome is None:
                updated = at
            elif intro.outcome_at is not None:
                updated = intro.outcome_at
            else:  # an outcome without its time: the time it was recorded, if it was, else now
                updated = old[2] if old and old[0] == status else now
            intros.append((need_id, pk_of_person[intro.person], status, at, updated))
    tables.needs.restore(needs, intros)
    return {pk for _, pk, _, _, _ in intros}

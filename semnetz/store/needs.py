"""Needs (with when and status) and introductions (with their outcome), in DuckDB."""

from __future__ import annotations

from datetime import date, datetime

from ..records import NEED_STATUSES  # noqa: F401 (the statuses a need can have, defined with the import format)
from ..results import IntroRow, NeedRow

from .people import int_list, registered, take_ids


class NeedTable:
    def __init__(self, conn, take=take_ids):
        self.conn = conn
        self.take = take  # new sequence numbers (people.take_ids)

    def insert(self, rows: list[tuple]) -> None:
        """rows: (item_id, when_text, due_from, due_until)."""
        import pyarrow as pa

        if not rows:
            return
        ids, whens, starts, ends = zip(*rows)
        with registered(self.conn, "_needs_batch", {
            "item_id": pa.array(ids, pa.int64()), "when_text": pa.array(whens, pa.string()),
            "due_from": pa.array(starts, pa.date32()), "due_until": pa.array(ends, pa.date32()),
        }):
            self.conn.execute("INSERT INTO needs (item_id, when_text, status, created_at, due_from, due_until) "
                              "SELECT item_id, when_text, 'open', ?, due_from, due_until FROM _needs_batch",
                              [datetime.now()])

    def set_whens(self, rows: list[tuple]) -> None:
        """rows: (item_id, when_text, due_from, due_until) for needs whose text stayed but whose when may not."""
        for item_id, when, start, end in rows:
            self.conn.execute("UPDATE needs SET when_text = ?, due_from = ?, due_until = ? WHERE item_id = ?",
                              [when, start, end, item_id])

    def expire(self, today: date) -> int:
        """Open or matched needs whose date has passed become 'expired'."""
        return self.conn.execute(
            "UPDATE needs SET status = 'expired' WHERE status IN ('open', 'matched') AND due_until < ?", [today]
        ).fetchone()[0]

    def rows(self, status: str | None = None, person_pk: int | None = None,
             need_ids: list[int] | None = None) -> list[NeedRow]:
        """Needs, soonest first (by their end date, else start date; undated last)."""
        where, params = [], []
        if status:
            where.append("n.status = ?")
            params.append(status)
        if person_pk is not None:
            where.append("i.person_pk = ?")
            params.append(person_pk)
        if need_ids is not None:
            if not need_ids:
                return []
            where.append(f"n.item_id IN {int_list(need_ids)}")
        rows = self.conn.execute(
            "SELECT n.item_id, i.person_pk, p.id, p.name, i.text, n.when_text, n.due_from, n.due_until, n.status "
            "FROM needs n JOIN items i USING (item_id) JOIN people p ON p.pk = i.person_pk "
            + (("WHERE " + " AND ".join(where)) if where else "")
            + " ORDER BY coalesce(n.due_until, n.due_from) NULLS LAST, n.item_id",
            params,
        ).fetchall()
        return [NeedRow(*r) for r in rows]

    def set_status(self, need_id: int, status: str) -> None:
        self.conn.execute("UPDATE needs SET status = ? WHERE item_id = ?", [status, need_id])

    # ---- introductions ----
    def intro(self, need_id: int, person_pk: int) -> int:
        now = datetime.now()
        existing = self.conn.execute(
            "SELECT intro_id FROM intros WHERE need_item_id = ? AND person_pk = ?", [need_id, person_pk]
        ).fetchone()
        if existing:
            return existing[0]
        intro_id = int(self.take(self.conn, "intro_seq", 1)[0])
        self.conn.execute("INSERT INTO intros VALUES (?, ?, ?, 'introduced', ?, ?)",
                          [intro_id, need_id, person_pk, now, now])
        return intro_id

    def set_outcome(self, need_id: int, person_pk: int, helped: bool) -> None:
        self.intro(need_id, person_pk)
        self.conn.execute(
            "UPDATE intros SET status = ?, updated_at = ? WHERE need_item_id = ? AND person_pk = ?",
            ["helped" if helped else "not_helped", datetime.now(), need_id, person_pk],
        )

    def intros(self, need_ids: list[int] | None = None) -> list[IntroRow]:
        """Introductions recorded (for these needs), in the order they were made."""
        where = ""
        if need_ids is not None:
            if not need_ids:
                return []
            where = f"WHERE x.need_item_id IN {int_list(need_ids)} "
        rows = self.conn.execute(
            "SELECT x.need_item_id, p.id, p.name, x.status FROM intros x JOIN people p ON p.pk = x.person_pk "
            + where + "ORDER BY x.intro_id").fetchall()
        return [IntroRow(*r) for r in rows]

    def whens(self, item_ids: list[int]) -> dict[int, str | None]:
        """need id -> its when as written."""
        if not item_ids:
            return {}
        return dict(self.conn.execute(
            f"SELECT item_id, when_text FROM needs WHERE item_id IN {int_list(item_ids)}").fetchall())

    # ---- the state of needs as an export writes it and an import restores it ----
    def states(self, item_ids: list[int]) -> dict[int, tuple[str, datetime]]:
        """need id -> (status, when it was recorded)."""
        if not item_ids:
            return {}
        rows = self.conn.execute(
            f"SELECT item_id, status, created_at FROM needs WHERE item_id IN {int_list(item_ids)}").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def intros_of(self, item_ids: list[int]) -> dict[int, list[tuple[str, int, str, datetime, datetime]]]:
        """need id -> its introductions as (person id, person pk, status, created_at, updated_at), oldest first."""
        if not item_ids:
            return {}
        rows = self.conn.execute(
            "SELECT x.need_item_id, p.id, x.person_pk, x.status, x.created_at, x.updated_at FROM intros x "
            f"JOIN people p ON p.pk = x.person_pk WHERE x.need_item_id IN {int_list(item_ids)} "
            "ORDER BY x.need_item_id, x.created_at, x.intro_id").fetchall()
        out: dict[int, list] = {}
        for need_id, *rest in rows:
            out.setdefault(need_id, []).append(tuple(rest))
        return out

    def restore(self, needs: list[tuple], intros: list[tuple]) -> None:
        """Set what became of needs, in bulk: needs as (item_id, status or None, created_at or None: left as it
        is); intros as (need_item_id, person_pk, status, created_at, updated_at), each replacing the introduction
        of that person for that need (others stay)."""
        import pyarrow as pa

        if needs:
            ids, statuses, created = zip(*needs)
            with registered(self.conn, "_need_states", {
                "item_id": pa.array(ids, pa.int64()), "status": pa.array(statuses, pa.string()),
                "created_at": pa.array(created, pa.timestamp("us")),
            }):
                self.conn.execute(
                    """UPDATE needs SET status = coalesce(b.status, needs.status),
                              created_at = coalesce(b.created_at, needs.created_at)
                       FROM _need_states b WHERE needs.item_id = b.item_id""")
        if intros:
            need_ids, pks, statuses, created, updated = zip(*intros)
            with registered(self.conn, "_intro_states", {
                "need_item_id": pa.array(need_ids, pa.int64()), "person_pk": pa.array(pks, pa.int32()),
                "status": pa.array(statuses, pa.string()), "created_at": pa.array(created, pa.timestamp("us")),
                "updated_at": pa.array(updated, pa.timestamp("us")),
                "intro_id": pa.array(self.take(self.conn, "intro_seq", len(intros)), pa.int32()),
            }):
                self.conn.execute("DELETE FROM intros USING _intro_states b "
                                  "WHERE intros.need_item_id = b.need_item_id AND intros.person_pk = b.person_pk")
                self.conn.execute(
                    "INSERT INTO intros SELECT intro_id, need_item_id, person_pk, status, created_at, updated_at "
                    "FROM _intro_states")

    def remove_person(self, pk: int, need_ids: list[int]) -> None:
        self.conn.execute("DELETE FROM intros WHERE person_pk = ?", [pk])
        if need_ids:
            self.conn.execute(f"DELETE FROM intros WHERE need_item_id IN {int_list(need_ids)}")

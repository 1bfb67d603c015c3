"""The edges table: who knows whom, with relation and tie strength (0..1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .people import registered


@dataclass
class Link:
    from_pk: int
    to_pk: int
    relation: str | None
    strength: float | None


class LinkTable:
    def __init__(self, conn):
        self.conn = conn

    def upsert(self, links: list[Link]) -> set[int]:
        """Add or update links (a person's "knows" adds links; it never removes others); returns the pks at either
        end of a link that is new or changed."""
        import pyarrow as pa

        if not links:
            return set()
        with registered(self.conn, "_links", {
            "from_pk": pa.array([l.from_pk for l in links], pa.int32()),
            "to_pk": pa.array([l.to_pk for l in links], pa.int32()),
            "relation": pa.array([l.relation for l in links], pa.string()),
            "strength": pa.array([l.strength for l in links], pa.float64()),
        }):
            changed = self.conn.execute(
                """SELECT n.from_pk, n.to_pk FROM _links n LEFT JOIN edges e USING (from_pk, to_pk)
                   WHERE e.from_pk IS NULL OR e.relation IS DISTINCT FROM n.relation
                         OR e.strength IS DISTINCT FROM n.strength""").fetchall()
            self.conn.execute(
                "INSERT OR REPLACE INTO edges SELECT from_pk, to_pk, relation, strength, ? FROM _links",
                [datetime.now()],
            )
        return {pk for pair in changed for pk in pair}

    def ensure(self, pairs: list[tuple[int, int]]) -> set[int]:
        """A plain link for each (from, to) that is not linked in either direction yet (e.g. from "via"); returns
        the pks at either end of a link it added."""
        import pyarrow as pa

        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return set()
        with registered(self.conn, "_pairs", {"a": pa.array([a for a, _ in pairs], pa.int32()),
                                               "b": pa.array([b for _, b in pairs], pa.int32())}):
            missing = self.conn.execute(
                """SELECT p.a, p.b FROM _pairs p
                   WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE (e.from_pk = p.a AND e.to_pk = p.b)
                                                           OR (e.from_pk = p.b AND e.to_pk = p.a))""").fetchall()
        if missing:
            with registered(self.conn, "_missing", {"a": pa.array([a for a, _ in missing], pa.int32()),
                                                     "b": pa.array([b for _, b in missing], pa.int32())}):
                self.conn.execute("INSERT INTO edges SELECT a, b, NULL, NULL, ? FROM _missing", [datetime.now()])
        return {pk for pair in missing for pk in pair}

    def remove(self, a: int, b: int) -> int:
        """Remove the link between a and b in both directions; returns how many rows went."""
        before = self.count()
        self.conn.execute("DELETE FROM edges WHERE (from_pk = ? AND to_pk = ?) OR (from_pk = ? AND to_pk = ?)",
                          [a, b, b, a])
        return before - self.count()

    def remove_person(self, pk: int) -> None:
        self.conn.execute("DELETE FROM edges WHERE from_pk = ? OR to_pk = ?", [pk, pk])

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM edges").fetchone()[0]

    def edges(self, touching: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """(from_pk, to_pk, strength with NaN where unsaid, relation or '') of every link, or of the links that
        touch these people."""
        only = "" if touching is None else "WHERE from_pk IN (SELECT pk FROM _pks) OR to_pk IN (SELECT pk FROM _pks)"
        if touching is not None and not len(touching):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), []
        import pyarrow as pa

        columns = "from_pk, to_pk, coalesce(strength, 'NaN'::DOUBLE) AS s, coalesce(relation, '') AS r"
        if touching is None:
            result = self.conn.execute(f"SELECT {columns} FROM edges ORDER BY from_pk, to_pk").fetchnumpy()
        else:
            with registered(self.conn, "_pks", {"pk": pa.array(np.asarray(touching, dtype=np.int32))}):
                result = self.conn.execute(f"SELECT {columns} FROM edges {only} ORDER BY from_pk, to_pk").fetchnumpy()
        return (np.asarray(result["from_pk"], np.int64), np.asarray(result["to_pk"], np.int64),
                np.asarray(result["s"], np.float64), [str(r) for r in result["r"]])

    def direct_contacts(self, limit: int, exclude: int | None = None) -> tuple[list[int], int]:
        """The user's direct contacts (people recorded without "via"), the best connected first (most links, then
        the oldest), at most `limit` of them; and how many there are in all. `exclude`: a pk left out (the
        person "me")."""
        skip = "" if exclude is None else f"AND p.pk <> {int(exclude)}"
        total = self.conn.execute(f"SELECT count(*) FROM people p WHERE p.via IS NULL {skip}").fetchone()[0]
        if total <= limit:  # all of them: no ordering by links needed
            rows = self.conn.execute(f"SELECT p.pk FROM people p WHERE p.via IS NULL {skip} ORDER BY p.pk").fetchall()
        else:
            rows = self.conn.execute(
                f"""WITH degree AS (SELECT pk, count(*) AS n FROM (SELECT from_pk AS pk FROM edges
                                                                   UNION ALL SELECT to_pk FROM edges) GROUP BY pk)
                    SELECT p.pk FROM people p LEFT JOIN degree d ON d.pk = p.pk WHERE p.via IS NULL {skip}
                    ORDER BY coalesce(d.n, 0) DESC, p.pk LIMIT {int(limit)}""").fetchall()
        return [r[0] for r in rows], total

    def degrees(self, pks: list[int]) -> dict[int, int]:
        """How many links each of these people has (either direction); people without links are left out."""
        if not len(pks):
            return {}
        import pyarrow as pa

        with registered(self.conn, "_pks", {"pk": pa.array(np.asarray(pks, dtype=np.int32))}):
            rows = self.conn.execute(
                """SELECT pk, count(*) FROM (SELECT from_pk AS pk FROM edges WHERE from_pk IN (SELECT pk FROM _pks)
                                             UNION ALL
                                             SELECT to_pk AS pk FROM edges WHERE to_pk IN (SELECT pk FROM _pks))
                   GROUP BY pk""").fetchall()
        return {int(pk): int(n) for pk, n in rows}

"""The edges table: who knows whom, with relation and tie strength (0..1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .store import registered


@dataclass
class Link:
    from_pk: int
    to_pk: int
    relation: str | None
    strength: float | None


class LinkTable:
    def __init__(self, conn):
        self.conn = conn

    def upsert(self, links: list[Link]) -> None:
        """Add or update links (a person's "knows" adds links; it never removes others)."""
        import pyarrow as pa

        if not links:
            return
        with registered(self.conn, "_links", {
            "from_pk": pa.array([l.from_pk for l in links], pa.int32()),
            "to_pk": pa.array([l.to_pk for l in links], pa.int32()),
            "relation": pa.array([l.relation for l in links], pa.string()),
            "strength": pa.array([l.strength for l in links], pa.float64()),
        }):
            self.conn.execute(
                "INSERT OR REPLACE INTO edges SELECT from_pk, to_pk, relation, strength, ? FROM _links",
                [datetime.now()],
            )

    def ensure(self, pairs: list[tuple[int, int]]) -> None:
        """A plain link for each (from, to) that is not linked in either direction yet (e.g. from "via")."""
        import pyarrow as pa

        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return
        with registered(self.conn, "_pairs", {"a": pa.array([a for a, _ in pairs], pa.int32()),
                                               "b": pa.array([b for _, b in pairs], pa.int32())}):
            self.conn.execute(
                """INSERT INTO edges SELECT p.a, p.b, NULL, NULL, ? FROM _pairs p
                   WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE (e.from_pk = p.a AND e.to_pk = p.b)
                                                           OR (e.from_pk = p.b AND e.to_pk = p.a))""",
                [datetime.now()],
            )

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

    def outgoing(self, pk: int) -> list[Link]:
        rows = self.conn.execute(
            "SELECT from_pk, to_pk, relation, strength FROM edges WHERE from_pk = ? ORDER BY created_at, to_pk", [pk]
        ).fetchall()
        return [Link(*r) for r in rows]

    def labels(self) -> "RelationLabels":
        """Every link's relation, for naming the steps of a path without a query per search."""
        result = self.conn.execute(
            "SELECT from_pk, to_pk, coalesce(relation, '') AS relation FROM edges").fetchnumpy()
        return RelationLabels(np.asarray(result["from_pk"], np.int64), np.asarray(result["to_pk"], np.int64),
                              list(result["relation"]))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(from_pk, to_pk, strength with NaN where unsaid) of every link."""
        result = self.conn.execute("SELECT from_pk, to_pk, coalesce(strength, 'NaN'::DOUBLE) AS s FROM edges").fetchnumpy()
        return (np.asarray(result["from_pk"], np.int64), np.asarray(result["to_pk"], np.int64),
                np.asarray(result["s"], np.float64))


class RelationLabels:
    """(from, to) -> relation, as sorted integer keys and small codes (a million links take a few MB)."""

    def __init__(self, from_pk: np.ndarray, to_pk: np.ndarray, relations: list[str]):
        keys = (from_pk << 32) | to_pk
        order = np.argsort(keys)
        self._keys = keys[order]
        self._names, codes = np.unique(np.array(relations, dtype=object).astype(str), return_inverse=True)
        self._codes = codes[order].astype(np.int32)

    def get(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
        if not pairs or len(self._keys) == 0:
            return {}
        wanted = np.array([(a << 32) | b for a, b in pairs], dtype=np.int64)
        at = np.clip(np.searchsorted(self._keys, wanted), 0, len(self._keys) - 1)
        found = self._keys[at] == wanted
        return {pair: str(self._names[self._codes[i]]) for pair, i, ok in zip(pairs, at.tolist(), found.tolist())
                if ok and self._names[self._codes[i]]}

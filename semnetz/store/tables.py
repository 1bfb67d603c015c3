"""One connection's tables, by job: people and pieces, links, needs and introductions, the audit log, the
journal of what the search view has not caught up with, and meta facts."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .audit import AuditLog
from .links import LinkTable
from .needs import NeedTable
from .people import PeopleTable, registered


@contextmanager
def transaction(conn):
    """All or nothing: BEGIN … COMMIT, ROLLBACK on any error (Ctrl-C included)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ---- meta: small key/value facts about the network ----
def get_meta(conn, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(conn, key: str, value) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])


def generation(conn) -> int:
    """Bumped by every change that the search view reflects."""
    return int(get_meta(conn, "generation", "0"))


def bump_generation(conn) -> int:
    value = generation(conn) + 1
    set_meta(conn, "generation", value)
    return value


class Journal:
    """What a write changed, recorded in the write's own transaction, until the view has published it."""

    def __init__(self, conn):
        self.conn = conn

    def touch(self, people=(), edges=()) -> None:
        import pyarrow as pa

        rows = [(int(pk), "person") for pk in people] + [(int(pk), "edges") for pk in edges]
        if not rows:
            return
        with registered(self.conn, "_touched", {"pk": pa.array([r[0] for r in rows], pa.int32()),
                                                "what": pa.array([r[1] for r in rows], pa.string())}):
            self.conn.execute("INSERT INTO view_journal SELECT pk, what FROM _touched")

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        """(pks whose record or pieces changed, pks whose links changed) since the view was last published."""
        rows = self.conn.execute("SELECT DISTINCT pk, what FROM view_journal").fetchall()
        people = np.array(sorted(pk for pk, what in rows if what == "person"), dtype=np.int64)
        edges = np.array(sorted(pk for pk, what in rows if what == "edges"), dtype=np.int64)
        return people, edges

    def clear(self) -> None:
        self.conn.execute("DELETE FROM view_journal")


class Tables:
    def __init__(self, conn, vectors=None):
        self.conn = conn
        self.people = PeopleTable(conn, vectors)
        self.links = LinkTable(conn)
        self.needs = NeedTable(conn)
        self.audit = AuditLog(conn)
        self.journal = Journal(conn)

    def transaction(self):
        return transaction(self.conn)

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        return get_meta(self.conn, key, default)

    def set_meta(self, key: str, value) -> None:
        set_meta(self.conn, key, value)

    @property
    def generation(self) -> int:
        return generation(self.conn)

    def bump_generation(self) -> int:
        return bump_generation(self.conn)

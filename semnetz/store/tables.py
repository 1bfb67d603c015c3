"""One connection's tables, by job: people and pieces, links, needs and introductions, the audit log, the
journal of what the search view has not caught up with, and meta facts."""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .audit import AuditLog
from .links import LinkTable
from .needs import NeedTable
from .people import PeopleTable, registered, take_ids


# A whole network, table by table (what moves between backends, transfer.py): each table's columns in order, the
# order its rows are read in, and which sequence continues after which column. The vectors go apart (items'
# vectors live in the store's vector files, vectors.py).
NETWORK_TABLES = {
    "people": ("pk", "id", "name", "aliases", "text", "tags", "contact", "via", "record_hash", "created_at",
               "updated_at", "uid"),
    "items": ("item_id", "person_pk", "kind", "pos", "text", "content_hash", "model"),
    "needs": ("item_id", "when_text", "status", "created_at", "due_from", "due_until"),
    "edges": ("from_pk", "to_pk", "relation", "strength", "created_at"),
    "intros": ("intro_id", "need_item_id", "person_pk", "status", "created_at", "updated_at"),
    "audit_log": ("seq", "logged_at", "action", "detail"),
    "meta": ("key", "value"),
    "migrations": ("name", "applied_at"),
}
ORDER = {"people": "pk", "items": "item_id", "needs": "item_id", "edges": "from_pk, to_pk", "intros": "intro_id",
         "audit_log": "seq", "meta": "key", "migrations": "name"}
SEQUENCES = {"person_pk_seq": ("people", "pk"), "item_id_seq": ("items", "item_id"),
             "audit_seq": ("audit_log", "seq"), "intro_seq": ("intros", "intro_id")}


# A COMMIT needs this much free space on the disk, or the change is undone before it (ENOSPC, "nothing was
# changed"): DuckDB 1.5.5 ends the whole process when a COMMIT runs out of space at an unlucky point (undoing it
# fails too: "FatalException … RevertCommit", found by benchmarks/full_disk.py), which would take a server down.
COMMIT_HEADROOM_BYTES = 1 << 20


@contextmanager
def transaction(conn, room: Path | None = None):
    """All or nothing: BEGIN … COMMIT, ROLLBACK on any error (Ctrl-C included). `room`: a folder on the disk
    that must have COMMIT_HEADROOM_BYTES free for the COMMIT (else ROLLBACK and OSError ENOSPC)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
        if room is not None and shutil.disk_usage(room).free < COMMIT_HEADROOM_BYTES:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(room))
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

    COLUMNS = "pk, what"

    def __init__(self, conn):
        self.conn = conn

    def _since(self) -> tuple[str, list]:
        """Which rows are pending: all (the view clears them once published)."""
        return "", []

    def touch(self, people=(), edges=()) -> None:
        import pyarrow as pa

        rows = [(int(pk), "person") for pk in people] + [(int(pk), "edges") for pk in edges]
        if not rows:
            return
        with registered(self.conn, "_touched", {"pk": pa.array([r[0] for r in rows], pa.int32()),
                                                "what": pa.array([r[1] for r in rows], pa.string())}):
            self.conn.execute(f"INSERT INTO view_journal SELECT {self.COLUMNS} FROM _touched")

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        """(pks whose record or pieces changed, pks whose links changed) since the view was last published."""
        where, params = self._since()
        rows = self.conn.execute("SELECT DISTINCT pk, what FROM view_journal" + where, params).fetchall()
        people = np.array(sorted(pk for pk, what in rows if what == "person"), dtype=np.int64)
        edges = np.array(sorted(pk for pk, what in rows if what == "edges"), dtype=np.int64)
        return people, edges

    def clear(self) -> None:
        self.conn.execute("DELETE FROM view_journal")


class Tables:
    """One session's tables. The PostgreSQL store (store/postgres.py) runs the same SQL through DuckDB's postgres
    extension and swaps in what differs there: how new ids are taken, where vectors live, the journal."""

    def __init__(self, conn, vectors=None, take=take_ids, journal=None):
        self.conn = conn
        self.people = PeopleTable(conn, vectors, take)
        self.links = LinkTable(conn)
        self.needs = NeedTable(conn, take)
        self.audit = AuditLog(conn, take)
        self.journal = journal or Journal(conn)

    def transaction(self):
        return transaction(self.conn, self.people.vectors.folder.parent if self.people.vectors is not None else None)

    def dump(self, table: str) -> list[tuple]:
        """Every row of one of the network's tables (NETWORK_TABLES), in its order."""
        return self.conn.execute(f"SELECT {', '.join(NETWORK_TABLES[table])} FROM {table} ORDER BY {ORDER[table]}"
                                 ).fetchall()

    def load(self, table: str, rows: list[tuple]) -> None:
        """Rows into one of the network's tables (a new store: copy --from); meta replaces what a new store has."""
        import pyarrow as pa

        columns = NETWORK_TABLES[table]
        if table == "meta":
            self.conn.execute("DELETE FROM meta")
        if not rows:
            return
        values = list(zip(*rows))
        with registered(self.conn, "_loaded", {c: pa.array(list(v)) for c, v in zip(columns, values)}):
            self.conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _loaded")

    def continue_sequences(self, next_values: dict[str, int]) -> None:
        """The store's sequences start at these values (a new store: copy --from)."""
        for name, value in next_values.items():
            if name in SEQUENCES:
                self.conn.execute(f"DROP SEQUENCE IF EXISTS {name}")
                self.conn.execute(f"CREATE SEQUENCE {name} START {int(value)}")

    def next_values(self) -> dict[str, int]:
        """Each sequence's next value, without taking it."""
        out = {}
        for name, (table, column) in SEQUENCES.items():
            last, start = self.conn.execute("SELECT last_value, start_value FROM duckdb_sequences() "
                                            "WHERE sequence_name = ?", [name]).fetchone()
            largest = self.conn.execute(f"SELECT COALESCE(max({column}), 0) FROM {table}").fetchone()[0]
            out[name] = max(int(largest) + 1, int(last) + 1 if last is not None else int(start))
        return out

    def summary(self) -> dict[str, int]:
        """The counts a backup names: people, needs, links."""
        counts = self.people.counts()
        return {"people": counts["people"], "needs": counts["needs"], "links": self.links.count()}

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        return get_meta(self.conn, key, default)

    def set_meta(self, key: str, value) -> None:
        set_meta(self.conn, key, value)

    @property
    def generation(self) -> int:
        return generation(self.conn)

    def bump_generation(self) -> int:
        return bump_generation(self.conn)

"""The DuckDB store: the source of truth for people, their pieces and vectors, and the audit log."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np


from .errors import SemnetzError
from .migrations import apply_migrations

DUCKDB_MEMORY_LIMIT = "1GB"
# Another semnetz process may hold the file (DuckDB allows one writer); wait this long before giving up.
LOCK_WAIT_S = 30.0
_LOCK_RETRY_S = 0.05
# Search log entries wait in memory at most this long / this many before they are written.
LOG_BUFFER_S = 5.0
LOG_BUFFER_ENTRIES = 200


@dataclass
class StoredItem:
    item_id: int
    person_pk: int
    kind: str
    pos: int
    text: str
    content_hash: str
    model: str


def int_list(values) -> str:
    """An SQL IN list of integers, inlined: DuckDB binds each ? parameter slowly (many per query add up to
    tens of ms), and the values are ints we produced, so inlining is safe."""
    return "(" + ",".join(str(int(v)) for v in values) + ")"


def vector_column(vectors: np.ndarray):
    """An Arrow list column of float32 vectors (one row per vector), for bulk writes."""
    import pyarrow as pa

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    offsets = np.arange(0, (len(vectors) + 1) * dim, dim, dtype=np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(vectors.reshape(-1)))


@contextmanager
def registered(conn, name: str, columns: dict):
    """An Arrow table visible to SQL as `name` for the duration of the block (bulk inserts and updates)."""
    import pyarrow as pa

    conn.register(name, pa.table(columns))
    try:
        yield name
    finally:
        conn.unregister(name)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise SemnetzError(f"{path}: cannot open the network ({str(exc).splitlines()[0]})") from None
            time.sleep(_LOCK_RETRY_S)


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn = _connect(self.path)
        self.conn.execute("SET threads TO 1")  # our queries are small; spare the second core for encoding
        # DuckDB's buffer pool would otherwise grow towards 80% of RAM while scanning a big network; beyond this
        # it spills to disk, and the process stays within the memory budget of a million-person network
        self.conn.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        self.conn.execute("SET enable_progress_bar = false")  # it would print into the user's output
        apply_migrations(self.conn)
        self._generation: int | None = None
        self._graph_generation: int | None = None
        self._pending_log: list[tuple[datetime, str, dict]] = []

    def close(self) -> None:
        self.flush_log()
        self.conn.close()

    @contextmanager
    def transaction(self):
        self.flush_log()  # searches logged before this change come before it in the log
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._generation = self._graph_generation = None  # the bumps (if any) were rolled back
            raise
        self.conn.execute("COMMIT")

    # ---- meta ----
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])

    @property
    def generation(self) -> int:
        """Bumped by every change to people or items, so caches (FAISS index files, the lexical index) know
        whether they are current. Cached: while this connection is open no other process can write."""
        if self._generation is None:
            self._generation = int(self.get_meta("generation", "0"))
        return self._generation

    @property
    def graph_generation(self) -> int:
        """Bumped by every change to links or introductions (cached like generation)."""
        if self._graph_generation is None:
            self._graph_generation = int(self.get_meta("graph_generation", "0"))
        return self._graph_generation

    def bump_graph_generation(self) -> None:
        self._graph_generation = self.graph_generation + 1
        self.set_meta("graph_generation", self._graph_generation)

    def bump_generation(self) -> int:
        generation = self.generation + 1
        self.set_meta("generation", generation)
        self._generation = generation
        return generation

    # ---- people ----
    def person_pk(self, person_id: str) -> int | None:
        row = self.conn.execute("SELECT pk FROM people WHERE id = ?", [person_id]).fetchone()
        return row[0] if row else None

    def ids_by_name(self, names: list[str]) -> dict[str, str]:
        """lower-cased name -> id of the first stored person with that name."""
        if not names:
            return {}
        import pyarrow as pa

        with registered(self.conn, "_names", {"name": pa.array(names, pa.string())}):
            rows = self.conn.execute(
                "SELECT lower(name), arg_min(id, pk) FROM people WHERE lower(name) IN (SELECT lower(name) FROM _names) "
                "GROUP BY lower(name)"
            ).fetchall()
        return dict(rows)

    def person_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM people").fetchall()}

    def next_person_number(self) -> int:
        return self.conn.execute("SELECT count(*) FROM people").fetchone()[0] + 1

    def person_row(self, pk: int) -> dict:
        cur = self.conn.execute(
            "SELECT pk, id, name, aliases, text, tags, contact, via, record_hash, created_at, updated_at "
            "FROM people WHERE pk = ?", [pk]
        )
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        out = dict(zip(cols, row))
        out["contact"] = json.loads(out["contact"])
        return out

    def people_rows(self, pks: list[int] | None = None) -> list[dict]:
        sql = "SELECT pk, id, name, aliases, text, tags, contact, via FROM people"
        params: list = []
        if pks is not None:
            if not pks:
                return []
            sql += f" WHERE pk IN {int_list(pks)}"
        cur = self.conn.execute(sql + " ORDER BY id", params)
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        for r in rows:
            r["contact"] = json.loads(r["contact"])
        return rows

    def name_table(self) -> list[tuple[int, str, str, list[str]]]:
        """(pk, id, name, aliases) of everyone, for matching names."""
        return self.conn.execute("SELECT pk, id, name, aliases FROM people").fetchall()

    def pks_and_hashes(self, person_ids: list[str]) -> dict[str, tuple[int, str]]:
        """id -> (pk, record hash) of the stored people among these ids (one query)."""
        if not person_ids:
            return {}
        import pyarrow as pa

        # a registered Arrow column, not a list parameter: DuckDB converts parameters one Python object at a time
        with registered(self.conn, "_ids", {"id": pa.array(person_ids, pa.string())}):
            rows = self.conn.execute(
                "SELECT p.id, p.pk, p.record_hash FROM people p JOIN _ids w USING (id)").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def upsert_people(self, rows: list[tuple]) -> dict[str, int]:
        """Insert or update people in bulk; rows are (id, name, aliases, text, tags, contact, via, record_hash).
        Returns id -> pk for all of them."""
        import pyarrow as pa

        if not rows:
            return {}
        now = datetime.now()
        cols = list(zip(*rows))
        with registered(self.conn, "_people_batch", {
            "id": pa.array(cols[0], pa.string()), "name": pa.array(cols[1], pa.string()),
            "aliases": pa.array(cols[2], pa.list_(pa.string())), "text": pa.array(cols[3], pa.string()),
            "tags": pa.array(cols[4], pa.list_(pa.string())),
            "contact": pa.array([json.dumps(c, ensure_ascii=False) for c in cols[5]], pa.string()),
            "via": pa.array(cols[6], pa.string()), "record_hash": pa.array(cols[7], pa.string()),
        }):
            self.conn.execute(
                """UPDATE people SET name = b.name, aliases = b.aliases, text = b.text, tags = b.tags,
                          contact = b.contact, via = b.via, record_hash = b.record_hash, updated_at = ?
                   FROM _people_batch b WHERE people.id = b.id""", [now])
            self.conn.execute(
                """INSERT INTO people SELECT nextval('person_pk_seq'), b.id, b.name, b.aliases, b.text, b.tags,
                          b.contact, b.via, b.record_hash, ?, ?
                   FROM _people_batch b WHERE b.id NOT IN (SELECT id FROM people)""", [now, now])
            return dict(self.conn.execute("SELECT p.id, p.pk FROM people p JOIN _people_batch b USING (id)").fetchall())

    def delete_person(self, pk: int) -> list[int]:
        """Delete a person and everything attached; returns the removed item ids."""
        item_ids = [r[0] for r in self.conn.execute("SELECT item_id FROM items WHERE person_pk = ?", [pk]).fetchall()]
        self.delete_items(item_ids)
        self.conn.execute("DELETE FROM people WHERE pk = ?", [pk])
        return item_ids

    # ---- items (searchable pieces with vectors) ----
    def items_of(self, pks: list[int]) -> list[StoredItem]:
        if not pks:
            return []
        rows = self.conn.execute(
            "SELECT item_id, person_pk, kind, pos, text, content_hash, model FROM items "
            f"WHERE person_pk IN {int_list(pks)} ORDER BY person_pk, kind, pos"
        ).fetchall()
        return [StoredItem(*r) for r in rows]

    def items_by_id(self, item_ids: list[int]) -> dict[int, StoredItem]:
        if not item_ids:
            return {}
        rows = self.conn.execute(
            "SELECT item_id, person_pk, kind, pos, text, content_hash, model FROM items "
            f"WHERE item_id IN {int_list(item_ids)}"
        ).fetchall()
        return {r[0]: StoredItem(*r) for r in rows}

    def new_item_ids(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        rows = self.conn.execute("SELECT nextval('item_id_seq') FROM range(?)", [n]).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def insert_items(self, item_ids, person_pks, kinds, positions, texts, hashes, model: str, vectors: np.ndarray):
        """Bulk insert through Arrow (executemany manages a few hundred rows a second; this, tens of thousands)."""
        import pyarrow as pa

        if len(item_ids) == 0:
            return
        with registered(self.conn, "_new_items", {
            "item_id": pa.array(np.asarray(item_ids, dtype=np.int64)),
            "person_pk": pa.array(np.asarray(person_pks, dtype=np.int32)),
            "kind": pa.array(list(kinds), pa.string()),
            "pos": pa.array(np.asarray(positions, dtype=np.int32)),
            "text": pa.array(list(texts), pa.string()),
            "content_hash": pa.array(list(hashes), pa.string()),
            "model": pa.array([model] * len(item_ids), pa.string()),
            "vector": vector_column(vectors),
        }):
            self.conn.execute("INSERT INTO items SELECT * FROM _new_items")

    def set_item_positions(self, updates: list[tuple[int, int]]) -> None:
        if not updates:
            return
        ids, positions = zip(*updates)
        with registered(self.conn, "_positions", {"item_id": list(ids), "pos": list(positions)}):
            self.conn.execute("UPDATE items SET pos = b.pos FROM _positions b WHERE items.item_id = b.item_id")

    def replace_vectors(self, item_ids: list[int], vectors: np.ndarray | None, model: str) -> None:
        """New vectors (and model) for existing items; the item ids, and so the FAISS ids, stay."""
        import pyarrow as pa

        if not item_ids:
            return
        with registered(self.conn, "_new_vectors", {"item_id": pa.array(np.asarray(item_ids, dtype=np.int64)),
                                                    "vector": vector_column(vectors)}):
            self.conn.execute(
                "UPDATE items SET vector = n.vector, model = ? FROM _new_vectors n WHERE items.item_id = n.item_id",
                [model],
            )

    def delete_items(self, item_ids: list[int]) -> None:
        for start in range(0, len(item_ids), 1000):
            chunk = int_list(item_ids[start:start + 1000])
            self.conn.execute(f"DELETE FROM needs WHERE item_id IN {chunk}")
            self.conn.execute(f"DELETE FROM intros WHERE need_item_id IN {chunk}")
            self.conn.execute(f"DELETE FROM items WHERE item_id IN {chunk}")

    def vectors(self, kinds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, set[str]]:
        """(item ids, vectors, models used) of every item of these kinds, for rebuilding an index."""
        marks = ",".join("?" * len(kinds))
        result = self.conn.execute(
            f"SELECT item_id, vector, model FROM items WHERE kind IN ({marks}) ORDER BY item_id", list(kinds)
        ).fetchnumpy()
        ids = np.asarray(result["item_id"], dtype=np.int64)
        if len(ids) == 0:
            return ids, np.zeros((0, 0), dtype=np.float32), set()
        vectors = np.stack(result["vector"]).astype(np.float32, copy=False)
        return ids, vectors, set(result["model"].tolist())

    def iter_vectors(self, kinds: tuple[str, ...], chunk: int = 100_000, sample: int | None = None):
        """(item ids, vectors) of the items of these kinds in chunks (or one random sample of that many), so
        an index over millions of pieces is built without holding every vector at once."""
        kinds_sql = ",".join(f"'{k}'" for k in kinds)  # our own constants
        sql = f"SELECT item_id, vector FROM items WHERE kind IN ({kinds_sql})"
        if sample is not None:  # sampled after the filter (USING SAMPLE on the table would sample before it)
            sql = f"SELECT * FROM ({sql}) USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (1)"
        reader = self.conn.execute(sql).to_arrow_reader(chunk)
        for batch in reader:
            if batch.num_rows == 0:
                continue
            ids = batch.column(0).to_numpy().astype(np.int64)
            flat = batch.column(1).flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
            yield ids, flat.reshape(batch.num_rows, -1)

    def count_items(self, kinds: tuple[str, ...]) -> int:
        kinds_sql = ",".join(f"'{k}'" for k in kinds)
        return self.conn.execute(f"SELECT count(*) FROM items WHERE kind IN ({kinds_sql})").fetchone()[0]

    def item_owners(self, item_ids: list[int]) -> dict[int, int]:
        """item id -> person pk."""
        if not item_ids:
            return {}
        return dict(self.conn.execute(f"SELECT item_id, person_pk FROM items WHERE item_id IN {int_list(item_ids)}").fetchall())

    def piece_texts(self, item_ids: list[int]) -> dict[int, tuple[str, str]]:
        """item id -> (text, kind)."""
        if not item_ids:
            return {}
        if len(item_ids) > 1000:  # all of them: a join beats a long IN list
            with registered(self.conn, "_wanted", {"item_id": np.asarray(item_ids, dtype=np.int64)}):
                rows = self.conn.execute(
                    "SELECT i.item_id, i.text, i.kind FROM items i JOIN _wanted w USING (item_id)").fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT item_id, text, kind FROM items WHERE item_id IN {int_list(item_ids)}").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def piece_owners(self, kinds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, person pks) of every piece of these kinds."""
        kinds_sql = ",".join(f"'{k}'" for k in kinds)  # our own constants
        result = self.conn.execute(f"SELECT item_id, person_pk FROM items WHERE kind IN ({kinds_sql})").fetchnumpy()
        return np.asarray(result["item_id"], dtype=np.int64), np.asarray(result["person_pk"], dtype=np.int64)

    def pieces_headed_by(self, words: list[str], kinds: tuple[str, ...], per_word: int) -> list[tuple[int, int, str]]:
        """(item id, person pk, word) of the pieces of these kinds whose first word is one of these words, compared
        lower-case without accents and punctuation ("Tischlermeister mit eigener Werkstatt" is headed by
        "Tischlermeister"); at most per_word pieces per word."""
        if not words:
            return []
        kinds_sql = ",".join(f"'{k}'" for k in kinds)  # our own constants

        def key(column: str) -> str:
            return f"regexp_replace(lower(strip_accents(split_part(trim({column}), ' ', 1))), '[^a-z0-9]', '', 'g')"

        with registered(self.conn, "_heads", {"word": words}):
            return self.conn.execute(
                f"""SELECT i.item_id, i.person_pk, h.word FROM items i JOIN _heads h ON {key('i.text')} = {key('h.word')}
                    WHERE i.kind IN ({kinds_sql})
                    QUALIFY row_number() OVER (PARTITION BY h.word ORDER BY i.item_id) <= {int(per_word)}""").fetchall()

    def models_in_use(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT model FROM items").fetchall()}

    def count(self, table: str, where: str = "") -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]

    # ---- audit log ----
    def log(self, action: str, detail: dict) -> None:
        self.conn.execute(
            "INSERT INTO audit_log VALUES (nextval('audit_seq'), ?, ?, ?)",
            [datetime.now(), action, json.dumps(detail, ensure_ascii=False)],
        )

    def log_soon(self, action: str, detail: dict) -> None:
        """Log a search: kept in memory and written with the next change, on close, or after LOG_BUFFER_S
        (a DuckDB commit per search would cost ~2 ms of a ~10 ms search)."""
        self._pending_log.append((datetime.now(), action, detail))
        if len(self._pending_log) >= LOG_BUFFER_ENTRIES or \
                (datetime.now() - self._pending_log[0][0]).total_seconds() > LOG_BUFFER_S:
            self.flush_log()

    def flush_log(self) -> None:
        pending, self._pending_log = self._pending_log, []
        if len(pending) <= 20:  # a few entries: plain inserts (no pyarrow import for a one-off CLI search)
            for at, action, detail in pending:
                self.conn.execute("INSERT INTO audit_log VALUES (nextval('audit_seq'), ?, ?, ?)",
                                  [at, action, json.dumps(detail, ensure_ascii=False)])
            return
        for action in dict.fromkeys(a for _, a, _ in pending):
            rows = [(at, d) for at, a, d in pending if a == action]
            self.log_many(action, [d for _, d in rows], [at for at, _ in rows])

    def log_many(self, action: str, details: list[dict], times: list[datetime] | None = None) -> None:
        """Many entries in one statement (a batch search logs every query)."""
        import pyarrow as pa

        if not details:
            return
        first = self.conn.execute(
            "SELECT nextval('audit_seq') FROM range(?)", [len(details)]
        ).fetchall()
        with registered(self.conn, "_new_log", {
            "seq": pa.array([r[0] for r in first], pa.int64()),
            "logged_at": pa.array(times or [datetime.now()] * len(details), pa.timestamp("us")),
            "action": pa.array([action] * len(details), pa.string()),
            "detail": pa.array([json.dumps(d, ensure_ascii=False) for d in details], pa.string()),
        }):
            self.conn.execute("INSERT INTO audit_log SELECT * FROM _new_log")

    def log_entries(self, limit: int | None = None, action: str | None = None) -> list[dict]:
        self.flush_log()
        sql = "SELECT seq, logged_at, action, detail FROM audit_log"
        params: list = []
        if action:
            sql += " WHERE action = ?"
            params.append(action)
        sql += " ORDER BY seq DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [{"seq": s, "logged_at": at, "action": a, "detail": json.loads(d)} for s, at, a, d in reversed(rows)]

    def scrub_from_log(self, person_id: str) -> None:
        """Remove a deleted person's id from earlier log entries (privacy: deleting removes them everywhere)."""
        rows = self.conn.execute(
            "SELECT seq, detail FROM audit_log WHERE contains(detail, ?)", [json.dumps(person_id)]
        ).fetchall()
        for seq, detail in rows:
            cleaned = _without(json.loads(detail), person_id)
            self.conn.execute("UPDATE audit_log SET detail = ? WHERE seq = ?", [json.dumps(cleaned, ensure_ascii=False), seq])


def _without(value, person_id: str):
    """The value with every mention of person_id (as a string, or a dict about them) taken out."""
    if isinstance(value, list):
        return [_without(v, person_id) for v in value if v != person_id and not _is_about(v, person_id)]
    if isinstance(value, dict):
        return {k: _without(v, person_id) for k, v in value.items() if not _is_about(v, person_id)}
    return "[removed]" if value == person_id else value


def _is_about(value, person_id: str) -> bool:
    return isinstance(value, dict) and value.get("id") == person_id

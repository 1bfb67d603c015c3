"""A network in PostgreSQL (with pgvector): the store a community runs behind many servers.

``semnetz --store postgresql://… --network NAME`` (or ``$SEMNETZ_STORE``, ``$SEMNETZ_NETWORK``) opens a network
held by a PostgreSQL database instead of a home's DuckDB file. One database holds several networks, a schema
each (default ``semnetz``). Installed with ``pip install 'semnetz[postgres]'``.

How it is built:

- **The same SQL.** The tables' statements (people.py, links.py, needs.py, audit.py, tables.py) run unchanged
  through DuckDB's postgres extension (loaded by path from its PyPI package): a session is an in-memory DuckDB
  with the network's schema attached, and a DuckDB transaction is one PostgreSQL transaction (repeatable read).
  What differs lives here: new ids come from PostgreSQL's sequences, the vectors are a table of pgvector
  ``halfvec`` rows (fp16, as the local vector files keep them), the journal keeps each change's generation.
- **Writers queue in the database**: a write session holds a PostgreSQL advisory lock (any server, any machine),
  and this machine's folder lock for its own search index. Searches take no lock.
- **Nearest-neighbour search runs in the database** (PgVectorSearch: pgvector's IVFFlat index per model, or
  exact over a narrow scope's pieces or a small network's). Each server keeps the rest of the search index (index/view.py with the
  "database" index type: words, names, roles, links; no vectors) in a folder of its own (``--home``, else the
  user cache directory), derived from the database and caught up before a search whenever the database's
  generation moved (every committed write bumps it and journals whom it touched, with that generation): a
  person added through one server is found through every other at its next search. Nothing is kept there that
  the database does not hold; deleting the folder only costs a rebuild.
- **Searches log straight into the audit log** (no spool file), so a remove through any server redacts them.
- **remove** deletes the person's rows everywhere, audit log included, then VACUUMs the touched tables (README
  "A community on PostgreSQL" says what PostgreSQL may still hold after that).

The schema is created as the local store's migrations leave it (migrations.py), recorded as applied, so a
newer schema is refused the same way; a later migration says how it runs here.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np

from ..config import HOME_ENVVAR, WRITE_LOCK_FILENAME, resolve_home
from ..errors import InputError, SemnetzError
from .db import LOCK_WAIT_S, Reentrant, Store, WriteLock, _quoted, wait_for
from .migrations import MIGRATIONS
from .people import int_list, registered
from .tables import Journal, Tables, get_meta, set_meta, transaction

DEFAULT_NETWORK = "semnetz"
URL_SCHEMES = ("postgresql://", "postgres://")
QUICK_CONNECTIONS = 4  # a process's connections for searches (postgres.py quick)
# A model's vectors get an inverted-file index (pgvector's IVFFlat, ~4 sqrt(n) lists as a home's FAISS index) from
# INDEX_FROM vectors (fewer are scanned exactly, as fast), made again when they grow four times past its lists.
# (HNSW was measured first: at 100,000 synthetic people, whose pieces repeat the same texts thousands of times,
# its graph strands the search among duplicates: recall@10 0.57 at any ef_search; IVFFlat 0.98 at 32 probes.)
INDEX_FROM = 20_000
IVF_PROBES = 32  # lists searched per query (as a home's FAISS IVF)
INDEX_BUILD_MEMORY = "2GB"  # maintenance_work_mem while the index is built (its k-means: ~0.9 GB for 2,048 lists)
RECENT_MOST = 200_000  # vectors a write session keeps to read back (its new segment) without asking again
NEAREST_FETCHED = 200  # pieces a search asks the index for, at least (the best k of them are kept)
EXACT_BELOW = 20_000  # a search restricted to at most this many pieces is exact over them
PG_CONNECTIONS = 8  # … and the most that its DuckDB's sessions open at once
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SEQUENCES = ("person_pk_seq", "item_id_seq", "audit_seq", "intro_seq")
_TOUCHED = ("people", "items", "vectors", "needs", "intros", "edges", "audit_log")  # VACUUMed after a remove


def is_url(store: str | None) -> bool:
    return bool(store) and store.startswith(URL_SCHEMES)


def network_name(name: str | None) -> str:
    name = name or DEFAULT_NETWORK
    if not _NAME.fullmatch(name):
        raise InputError(f"--network {name!r}: a network's name is lower-case letters, digits and _ (a PostgreSQL "
                         "schema), starting with a letter", key="network_name")
    return name


def _ddl() -> list[str]:
    """The schema as the local store's migrations leave it, plus the vectors and the journal's generations."""
    return [
        """CREATE TABLE people (pk integer PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL,
           aliases text[] NOT NULL, text text NOT NULL, tags text[] NOT NULL, contact text NOT NULL, via text,
           record_hash text NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL, uid text)""",
        """CREATE TABLE items (item_id bigint PRIMARY KEY, person_pk integer NOT NULL, kind text NOT NULL,
            pos integer NOT NULL, text text NOT NULL, content_hash text NOT NULL, model text NOT NULL)""",
        "CREATE INDEX items_person ON items (person_pk)",
        # one row per piece: its vector in fp16 (pgvector's halfvec; the dimension is the model's, meta vector_dim:)
        "CREATE TABLE vectors (item_id bigint PRIMARY KEY, model text NOT NULL, vector halfvec NOT NULL)",
        """CREATE TABLE needs (item_id bigint PRIMARY KEY, when_text text, status text NOT NULL DEFAULT 'open',
           created_at timestamp NOT NULL, due_from date, due_until date)""",
        """CREATE TABLE edges (from_pk integer NOT NULL, to_pk integer NOT NULL, relation text,
           strength double precision, created_at timestamp NOT NULL, PRIMARY KEY (from_pk, to_pk))""",
        """CREATE TABLE intros (intro_id integer PRIMARY KEY, need_item_id bigint NOT NULL, person_pk integer NOT NULL,
           status text NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL)""",
        """CREATE TABLE audit_log (seq bigint PRIMARY KEY, logged_at timestamp NOT NULL, action text NOT NULL,
           detail text NOT NULL)""",
        "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE migrations (name text PRIMARY KEY, applied_at timestamp NOT NULL)",
        # whom each write touched, with the generation it committed as (NULL until the write bumps it)
        "CREATE TABLE view_journal (pk integer NOT NULL, what text NOT NULL, generation bigint)",
        "CREATE INDEX view_journal_generation ON view_journal (generation)",
        *(f"CREATE SEQUENCE {name}" for name in _SEQUENCES),
    ]


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def shown(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", url)


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise SemnetzError("a network in PostgreSQL needs semnetz's postgres extra: "
                           "pip install 'semnetz[postgres]'") from None
    return psycopg


def _postgres_extension() -> str:
    try:
        import duckdb_extension_postgres_scanner as ext
    except ImportError:
        raise SemnetzError("a network in PostgreSQL needs semnetz's postgres extra: "
                           "pip install 'semnetz[postgres]'") from None
    return str(next((Path(ext.__file__).parent / "extensions").rglob("postgres_scanner.duckdb_extension")))


def cache_home(home, url: str, network: str) -> Path:
    """Where this machine keeps its search index of a network in a database: `home` if given, else a folder of
    the user cache directory named after the database (without its password) and the network."""
    if home is not None or os.environ.get(HOME_ENVVAR):
        return resolve_home(home)
    from ..config import cache_dir

    digest = hashlib.sha256(f"{shown(url)}\n{network}".encode()).hexdigest()[:16]
    return resolve_home(cache_dir() / "networks" / f"{network}-{digest}")


class AdvisoryLock(Reentrant):
    """The network's advisory lock in PostgreSQL, where writers on every server and machine queue, held with this
    machine's folder lock (`folder`, db.py WriteLock: the server's own search index). Re-entrant within one
    process, like WriteLock."""

    def __init__(self, path: Path, store: "PostgresStore"):
        super().__init__()
        self.folder = WriteLock(path)
        self.store = store
        self._pg = None

    def _take(self, what: str, wait_s: float) -> None:
        self.folder.acquire(what, wait_s)
        try:
            self._pg = self.store.connect(autocommit=True, application_name=f"semnetz: {what}"[:60])
            wait_for(lambda: self._pg.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                                              [self.store.lock_name]).fetchone()[0],
                     wait_s, self.holder, "server or command")
        except BaseException:
            self._close()
            self.folder.release()
            raise

    def _give(self) -> None:
        self._close()
        self.folder.release()

    def _close(self) -> None:
        if self._pg is not None:
            self._pg.close()  # the advisory lock ends with its session
            self._pg = None

    def holder(self) -> str:
        if self._pg is None:
            return self.folder.holder()
        row = self._pg.execute(
            """SELECT a.application_name, a.client_addr::text FROM pg_locks l JOIN pg_stat_activity a USING (pid)
               WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext(%s)::oid""",
            [self.store.lock_name]).fetchone()
        return f"{row[0]} from {row[1] or 'this machine'}" if row else "another server"


def index_name(model: str) -> str:
    """The vector index of one model's vectors (a partial index: only its rows, cast to its dimension)."""
    return "vectors_ivf_" + hashlib.sha256(model.encode()).hexdigest()[:16]


LISTS_KEY = "vector_lists:"  # meta: the lists of each model's vector index


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _nearest_sql(model: str, dim: int, filtered: bool) -> str:
    """The k nearest pieces of a model by inner product, through its index (the expression and predicate
    must be the index's, literally); `filtered`: only the item ids given (exact, without the index)."""
    vector = f"(vector::halfvec({int(dim)}))"
    query = f"%(q)s::halfvec({int(dim)})"
    where = f"model = {_literal(model)}" + (" AND item_id = ANY(%(ids)s)" if filtered else "")
    return (f"SELECT item_id, -({vector} <#> {query}) FROM vectors WHERE {where} "
            f"ORDER BY {vector} <#> {query} LIMIT %(k)s")


def _as_text(vector: np.ndarray) -> str:
    """A query vector as pgvector reads it."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def _halfvec_loader():
    """psycopg's loader of pgvector's binary halfvec (dim and a spare int16, then big-endian fp16 values): one
    numpy call a vector (pgvector's own loader makes Python objects, ~60 ms for a search's few thousand)."""
    import psycopg

    class HalfvecLoader(psycopg.adapt.Loader):
        format = psycopg.pq.Format.BINARY

        def load(self, data):
            return np.frombuffer(bytes(data), dtype=">f2", offset=4)

    return HalfvecLoader


class PgVectors:
    """The pieces' vectors in the network's ``vectors`` table, read and written in the session's transaction
    (the interface of store/vectors.py StoreVectors). A model's rows get their index when a write commits
    (ensure_indexes: a bulk import builds it once)."""

    folder = None

    def __init__(self, store: "PostgresStore"):
        self.store = store
        self.written: set[tuple[str, int]] = set()  # (model, dim) written in this session
        self.recent: dict[int, np.ndarray] = {}  # item id -> vector written in this session (read back at once)

    @property
    def conn(self):
        return self.store.session()

    def forget(self) -> None:
        """At the end of a session."""
        self.written.clear()
        self.recent = {}

    def ensure_indexes(self) -> None:
        """Before a commit: for every model this session wrote that has INDEX_FROM vectors or more, an index with
        lists enough for them (made, or made again when they outgrew it four times)."""
        from ..limits import inverted_lists

        for model, dim in sorted(self.written):
            count = self.conn.execute("SELECT count(*) FROM vectors WHERE model = ?", [model]).fetchone()[0]
            lists = int(get_meta(self.conn, LISTS_KEY + model, "0"))
            if count < INDEX_FROM or (lists and inverted_lists(count) < 4 * lists):
                continue
            lists = inverted_lists(count)
            name = f"{self.store.schema}.{index_name(model)}"
            sql = (f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'; DROP INDEX IF EXISTS {name}; "
                   f"CREATE INDEX {index_name(model)} ON {self.store.schema}.vectors USING ivfflat "
                   f"((vector::halfvec({int(dim)})) halfvec_ip_ops) WITH (lists = {lists}) "
                   f"WHERE model = {_literal(model)}")
            self.conn.execute("CALL postgres_execute(?, ?)", [self.store.catalog, sql])
            set_meta(self.conn, LISTS_KEY + model, lists)
        self.written.clear()

    def write(self, model: str, ids, vectors: np.ndarray) -> None:
        import pyarrow as pa

        ids = np.asarray(ids, dtype=np.int64)
        rows = np.asarray(vectors, dtype=np.float16).astype(np.float32)  # fp16 values, written exactly
        flat = pa.array(rows.reshape(-1))
        column = pa.FixedSizeListArray.from_arrays(flat, rows.shape[1]) if len(rows) else pa.array([], pa.list_(
            pa.float32()))
        with registered(self.conn, "_vectors", {"item_id": pa.array(ids), "vector": column}):
            self.conn.execute("DELETE FROM vectors WHERE item_id IN (SELECT item_id FROM _vectors)")
            # DuckDB writes the list as text, "[0.1, 0.2, …]", which pgvector reads as a halfvec
            self.conn.execute("INSERT INTO vectors SELECT item_id, ?, vector::FLOAT[]::VARCHAR FROM _vectors",
                              [model])
        if len(rows):
            self.written.add((model, int(rows.shape[1])))
            if len(self.recent) + len(ids) <= RECENT_MOST:
                self.recent.update(zip(ids.tolist(), rows))

    def read(self, model: str, dim: int, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), dim), dtype=np.float32)
        if not len(ids):
            return out
        if self.recent and all(i in self.recent for i in ids.tolist()):  # this session's own (a new segment's)
            return np.stack([self.recent[i] for i in ids.tolist()]).astype(np.float32)
        found = {}
        for start in range(0, len(ids), 50_000):
            wanted = "{" + ",".join(map(str, ids[start:start + 50_000].tolist())) + "}"
            query = (f"SELECT item_id, vector::text AS vector FROM {self.store.schema}.vectors "
                     f"WHERE item_id = ANY(''{wanted}''::bigint[])")
            table = self.conn.execute(f"SELECT item_id, CAST(vector AS FLOAT[{int(dim)}]) AS v FROM "
                                      f"postgres_query('{self.store.catalog}', '{query}')").to_arrow_table()
            got = table.column(0).to_numpy()
            values = table.column(1).combine_chunks().flatten().to_numpy(zero_copy_only=False)
            found.update(zip(got.tolist(), values.reshape(len(got), dim)))
        missing = [int(i) for i in ids.tolist() if int(i) not in found]
        if missing:
            raise SemnetzError(f"the database holds no vector for {len(missing)} piece(s) (e.g. item {missing[0]}): "
                               "semnetz reindex makes them again")
        for row, item_id in enumerate(ids.tolist()):
            out[row] = found[item_id]
        return out

    def to_erase(self, by_model: dict[str, list[int]]) -> None:
        """The rows of pieces being deleted: deleted in the same transaction."""
        ids = sorted({int(i) for rows in by_model.values() for i in rows})
        for start in range(0, len(ids), 1000):
            self.conn.execute(f"DELETE FROM vectors WHERE item_id IN {int_list(ids[start:start + 1000])}")

    def finish(self, named, dims) -> None:
        """Nothing is owed after a commit here (the rows went with the transaction)."""

    def scrub(self, named: dict[str, np.ndarray], dims: dict[str, int]) -> dict:
        """`semnetz check`: every piece has its vector (else the error names reindex); rows no piece names go."""
        conn = self.conn
        missing = conn.execute("SELECT count(*) FROM items i WHERE NOT EXISTS "
                               "(SELECT 1 FROM vectors v WHERE v.item_id = i.item_id)").fetchone()[0]
        if missing:
            raise SemnetzError(f"the database holds no vector for {missing} piece(s): semnetz reindex makes them "
                               "again")
        erased = conn.execute("SELECT count(*) FROM vectors v WHERE NOT EXISTS "
                              "(SELECT 1 FROM items i WHERE i.item_id = v.item_id)").fetchone()[0]
        if erased:
            with transaction(conn):
                conn.execute("DELETE FROM vectors WHERE item_id NOT IN (SELECT item_id FROM items)")
        return {"vector_rows": int(sum(len(v) for v in named.values())), "erased": int(erased)}

    def drop_models(self, keep: set[str]) -> None:
        """Rows (and indexes) of models no piece uses any more (after a reindex to another model)."""
        gone = [r[0] for r in self.conn.execute("SELECT DISTINCT model FROM vectors").fetchall() if r[0] not in keep]
        with transaction(self.conn):
            for model in gone:
                self.conn.execute("DELETE FROM vectors WHERE model = ?", [model])
                self.conn.execute("CALL postgres_execute(?, ?)", [
                    self.store.catalog, f"DROP INDEX IF EXISTS {self.store.schema}.{index_name(model)}"])
                self.conn.execute("DELETE FROM meta WHERE key = ?", [LISTS_KEY + model])

    def files(self) -> list[Path]:
        return []


class PgVectorSearch:
    """Nearest pieces and their vectors, asked of the database (pgvector): what a home's search index does with
    FAISS, for a view whose segments hold no vectors (index/view.py, index type "database"). A search's scope
    (the people it may return) is a mask by item id: a narrow one is searched exactly over its ids; a wide one
    through the index, asking for more until enough of the nearest are allowed."""

    index_type = "IVFFlat (pgvector)"

    def __init__(self, store: "PostgresStore"):
        self.store = store

    def search(self, queries: np.ndarray, k: int, allowed, model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(queries)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        mask = allowed.mask if allowed is not None else None
        narrow = mask is not None and allowed.count <= EXACT_BELOW
        scope_ids = np.flatnonzero(mask).tolist() if narrow else None  # once for the batch
        with self.store.with_vectors() as pg:
            for q, vector in enumerate(np.asarray(queries, dtype=np.float32)):
                if not vector.any():
                    continue
                params = {"q": _as_text(vector), "k": k}
                if narrow:
                    params["ids"] = scope_ids
                want = max(k, NEAREST_FETCHED)
                while True:
                    params["k"] = want
                    rows = pg.execute(_nearest_sql(model, dim, narrow), params).fetchall()
                    if mask is not None and not narrow:
                        kept = [r for r in rows if r[0] < len(mask) and mask[r[0]]]
                    else:
                        kept = rows
                    if len(kept) >= k or len(rows) < want or want >= allowed.count * 8:
                        break
                    want *= 4
                kept = sorted(kept, key=lambda r: -r[1])[:k]  # (an iterative scan's order is relaxed)
                if kept:
                    ids[q, :len(kept)] = [r[0] for r in kept]
                    scores[q, :len(kept)] = [r[1] for r in kept]
        return scores, ids

    def vectors_of(self, item_ids: np.ndarray, model: str, dim: int) -> np.ndarray:
        out = np.zeros((len(item_ids), dim), dtype=np.float32)
        if not len(item_ids):
            return out
        with self.store.with_vectors() as pg:
            rows = pg.cursor(binary=True).execute("SELECT item_id, vector FROM vectors WHERE item_id = ANY(%s)",
                                                  [np.asarray(item_ids).tolist()]).fetchall()
        found = dict(rows)
        for row, item_id in enumerate(np.asarray(item_ids).tolist()):
            vector = found.get(item_id)
            if vector is not None:  # (a piece removed since the view was made: zeros, never a match)
                out[row] = vector
        return out


class SharedJournal(Journal):
    """The journal of a network that many servers' search indexes follow: each change keeps the generation it
    committed as; a server's pending changes are those after the generation its own index shows (`seen()`)."""

    def __init__(self, conn, seen):
        super().__init__(conn)
        self.seen = seen

    COLUMNS = "pk, what, NULL"  # the generation: set when the write bumps it (PgTables.bump_generation)

    def _since(self) -> tuple[str, list]:
        return " WHERE generation IS NULL OR generation > ?", [int(self.seen())]

    def clear(self) -> None:
        """Other servers still follow it: nothing is cleared."""


class PgTables(Tables):
    def __init__(self, conn, store: "PostgresStore"):
        super().__init__(conn, store.vectors, take=store.take, journal=SharedJournal(conn, store.seen))
        self.store = store
        self.people.STREAMS = False  # its vectors are read through this connection (people.py)

    @contextmanager
    def transaction(self):
        with transaction(self.conn):
            yield self.conn
            self.people.vectors.ensure_indexes()

    def bump_generation(self) -> int:
        value = super().bump_generation()
        self.conn.execute("UPDATE view_journal SET generation = ? WHERE generation IS NULL", [value])
        return value

    def next_values(self) -> dict[str, int]:
        out = {}
        for name in _SEQUENCES:
            last, called = self.conn.execute(
                f"SELECT * FROM postgres_query('{self.store.catalog}', "
                f"'SELECT last_value, is_called FROM {self.store.network}.{name}')").fetchone()
            out[name] = int(last) + 1 if called else int(last)
        return out

    def continue_sequences(self, next_values: dict[str, int]) -> None:
        for name in _SEQUENCES:
            if name in next_values:
                self.conn.execute(f"SELECT * FROM postgres_query('{self.store.catalog}', "
                                  f"'SELECT setval(''{self.store.network}.{name}'', {int(next_values[name])}, false)')"
                                  ).fetchall()


class PgSearchLog:
    """Searches logged straight into the network's audit log (interface of audit.py SearchSpool)."""

    def __init__(self, store: "PostgresStore"):
        self.store = store

    def add(self, action: str, details: list[dict]) -> None:
        import json

        if not details:
            return
        at = datetime.now()
        with self.store.quick() as pg:
            with pg.cursor() as cur:
                cur.executemany(
                    "INSERT INTO audit_log VALUES (nextval('audit_seq'), %s, %s, %s)",
                    [(at, action, json.dumps(d, ensure_ascii=False)) for d in details])

    def flush(self) -> None:
        pass

    def files(self) -> list:
        return []

    def move_into(self, audit) -> int:
        return 0

    def clear_moved(self) -> None:
        pass


class _Pool:
    """A process's few autocommit connections to one server (QUICK_CONNECTIONS, however many threads a server
    runs), for one-statement jobs; `setup(pg)` runs on each new one."""

    def __init__(self, url: str, setup):
        self.url, self.setup = url, setup
        self._free: queue.LifoQueue = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()

    @contextmanager
    def connection(self):
        try:
            pg = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                made = self._made < QUICK_CONNECTIONS
                self._made += made
            pg = None if made else self._free.get(timeout=LOCK_WAIT_S)
        try:
            if pg is None or pg.closed:
                pg = _connect(self.url, autocommit=True, application_name="semnetz search")
                self.setup(pg)
            yield pg
        except _psycopg().Error as exc:
            if pg is not None:
                pg.close()
            raise SemnetzError(f"PostgreSQL at {shown(self.url)}: {_first_line(exc)}") from None
        finally:
            self._free.put(pg)  # (closed after an error: made again by the next user)


def _connect(url: str, autocommit: bool = False, application_name: str = "semnetz"):
    psycopg = _psycopg()
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, application_name=application_name)
    except psycopg.Error as exc:
        raise SemnetzError(f"cannot connect to {shown(url)}: {_first_line(exc)}") from None


class PostgresStore(Store):
    """A network in a PostgreSQL database, with the sessions of Store (db.py): write(what), read(), locked(what).
    `home`: this machine's folder for the search index it derives; `seen()`: the generation that index shows."""

    shared = True

    def __init__(self, url: str, network: str | None, home: Path, seen, replica: str | None = None):
        """replica: a read replica of the database (streaming replication), which this server's searches read
        instead (the generation check, the vector search); writes, the search log and catching up go to `url`."""
        self.url = url
        self.replica = replica
        self.network = network_name(network)
        self.home = Path(home)
        self.path = None
        self.key = ""
        self.seen = seen
        self.catalog = "pg"
        self.schema = f'"{self.network}"'
        self.lock_name = f"semnetz:{self.network}"
        self.vectors = PgVectors(self)
        self.lock = AdvisoryLock(self.home / WRITE_LOCK_FILENAME, self)
        self._conn = None
        self._writable = False
        self._threads = threading.RLock()
        self._primary = _Pool(url, self._setup)
        self._reads = _Pool(replica, self._setup_vectors) if replica else None
        self._vectors_pool = self._reads or _Pool(url, self._setup_vectors)
        self._vector_search = PgVectorSearch(self)
        self._db = None
        self._attaching = threading.Lock()
        self._known = False  # the network is there, and its schema is one this semnetz knows (checked once)

    def __str__(self) -> str:
        replica = f", searches reading {shown(self.replica)}" if self.replica else ""
        return f"the network {self.network!r} in {shown(self.url)}{replica}"

    # ---- connections ----
    def connect(self, autocommit: bool = False, application_name: str = "semnetz"):
        return _connect(self.url, autocommit, application_name)

    def _setup(self, pg) -> None:
        pg.execute(f"SET search_path TO {self.schema}, public")
        pg.execute("SET synchronous_commit TO off")  # a search's log entry need not wait for the disk

    def _setup_vectors(self, pg) -> None:
        """A connection that searches vectors: pgvector's halfvec read as numpy arrays (binary), its index's
        settings."""
        import psycopg

        pg.execute(f"SET search_path TO {self.schema}, public")
        info = psycopg.types.TypeInfo.fetch(pg, "halfvec")
        if info is None:
            raise SemnetzError(f"{shown(pg.info.dsn)} has no pgvector (the vector extension): install it")
        pg.adapters.register_loader(info.oid, _halfvec_loader())
        pg.execute(f"SET ivfflat.probes = {IVF_PROBES}")
        # a search for a scope's pieces only goes on to further lists until it has enough (in a relaxed order,
        # sorted afterwards)
        pg.execute("SET ivfflat.iterative_scan = relaxed_order")

    def quick(self):
        """One of this process's few connections to the primary, for one-statement jobs (a search's log)."""
        return self._primary.connection()

    def with_vectors(self):
        """One of this process's connections that search vectors (to the replica, if there is one)."""
        return self._vectors_pool.connection()

    def _attach(self):
        """A session's connection: a cursor of this process's DuckDB, which has the network's schema attached once
        (attaching takes ~150 ms; a cursor has its own transaction, and its own PostgreSQL connection)."""
        import duckdb

        with self._attaching:
            if self._db is None:
                db = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                        "autoload_known_extensions": False})
                try:
                    db.execute(f"LOAD '{_quoted(_postgres_extension())}'")
                    db.execute("SET threads TO 1")
                    db.execute("SET enable_progress_bar = false")
                    db.execute("SET pg_use_binary_copy = false")  # vectors go in as text, which pgvector reads
                    db.execute(f"SET pg_connection_limit = {PG_CONNECTIONS}")
                    db.execute(f"ATTACH '{_quoted(self.url)}' AS {self.catalog} (TYPE postgres, "
                               f"SCHEMA '{self.network}')")
                except duckdb.Error as exc:
                    db.close()
                    raise SemnetzError(f"cannot open {self}: {_first_line(exc)}") from None
                self._db = db
        conn = self._db.cursor()
        conn.execute(f"USE {self.catalog}.{self.schema}")
        return conn

    def session(self):
        if self._conn is None:
            raise RuntimeError("the network's vectors are read and written within a session")
        return self._conn

    def take(self, conn, sequence: str, n: int) -> np.ndarray:
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        rows = conn.execute(f"SELECT * FROM postgres_query('{self.catalog}', 'SELECT nextval(''{self.network}."
                            f"{sequence}'') FROM generate_series(1, {int(n)})')").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _tables(self, conn) -> PgTables:
        return PgTables(conn, self)

    # ---- the schema ----
    def holds_network(self, pg) -> bool:
        return pg.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{self.schema}.people"]).fetchone()[0]

    def _create(self) -> None:
        """The network's schema, made once (under the advisory lock)."""
        with self.connect() as pg, pg.transaction():
            if self.holds_network(pg):
                return
            pg.execute("CREATE EXTENSION IF NOT EXISTS vector")
            pg.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            pg.execute(f"SET LOCAL search_path TO {self.schema}, public")
            for statement in _ddl():
                pg.execute(statement)
            for fn in MIGRATIONS:
                pg.execute("INSERT INTO migrations VALUES (%s, now())", [fn.__name__])

    # ---- sessions ----
    def exists(self) -> bool:
        """Does the database hold the network yet (made by the first write, as a home's store file is)?"""
        if not self._known:
            with self.quick() as pg:
                return self.holds_network(pg)
        return True

    def check_present(self) -> None:
        pass

    def size(self) -> int:
        """Bytes the network's tables and their indexes take in the database."""
        with self.quick() as pg:
            return int(pg.execute("SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                                  "AND c.relkind = 'r'", [self.network]).fetchone()[0])

    @contextmanager
    def write(self, what: str):
        with self.locked(what):
            if self._conn is not None and self._writable:
                yield self._tables(self._conn)
                return
            if self._conn is not None:
                raise RuntimeError("a write session cannot start inside a read session")
            self._create()
            self._conn, self._writable = self._attach(), True
            try:
                self._conn.execute("CALL pg_clear_cache()")  # tables another server's newer semnetz changed
                self._check_version(self._conn)
                yield self._tables(self._conn)
            finally:
                conn, self._conn, self._writable = self._conn, None, False
                self.vectors.forget()
                conn.close()

    @contextmanager
    def following(self, what: str):
        """This machine's folder lock and a read session, to bring its search index up to what the network's
        writers committed (Network.view); None instead of the tables when another thread already did."""
        with self._one_thread():
            self.lock.folder.acquire(what)
            try:
                if not self.moved_since(self.seen()):
                    yield None
                    return
                with self._read() as tables:
                    yield tables
            finally:
                self.lock.folder.release()

    @contextmanager
    def _read(self):
        if self._conn is not None:
            yield self._tables(self._conn)
            return
        if not self._known:
            with self.quick() as pg:
                present = self.holds_network(pg)
            if not present:
                with self.write("create the network"):
                    pass
        conn = self._attach()
        try:
            if not self._known:
                self._check_version(conn)
                self._known = True
            self._conn = conn
            yield self._tables(conn)
        finally:
            self._conn = None
            conn.close()

    def _check_version(self, conn) -> None:
        from .migrations import unknown_migrations

        newer = unknown_migrations(conn)
        if newer:
            raise SemnetzError(f"{self} was written by a newer semnetz (schema step '{newer[0]}' is unknown here); "
                               "upgrade semnetz; nothing was changed")

    def moved_since(self, generation: int) -> bool:
        """Did a write through any server commit after `generation`? Asked before every search (one indexed
        read): a search sees every committed write at once; with a replica, once the replica has it (a replica
        behind this server's own writes is not "moved": only a later generation is)."""
        with (self._reads or self._primary).connection() as pg:
            row = pg.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        if row is None:
            return False
        return int(row[0]) > generation if self._reads else int(row[0]) != generation

    def use_keys(self, keys) -> None:
        if keys.encrypted:
            raise SemnetzError(f"{self.home} is an encrypted home: a network in PostgreSQL keeps its search index "
                               "in a plain folder of its own (--home); encrypt the database's disk and connections "
                               "with PostgreSQL's means (README); nothing was changed")

    def vector_search(self) -> PgVectorSearch:
        return self._vector_search

    def search_log(self, home: Path, directory: str, sealer) -> PgSearchLog:
        return PgSearchLog(self)

    # ---- space: PostgreSQL's own ----
    def _erase_freed(self, tables) -> None:
        pass

    def wasteful(self) -> bool:
        return False

    def mark_compaction(self) -> None:
        pass

    def room_to_compact(self, what: str) -> None:
        pass

    def compact(self) -> None:
        self.vacuum()

    def compact_after(self, done: str, until: str) -> None:
        self.vacuum()

    def vacuum(self) -> None:
        """VACUUM the tables a remove touches: the removed rows' space is marked free for reuse (README)."""
        with self.connect(autocommit=True) as pg:
            pg.execute(f"VACUUM {', '.join(f'{self.schema}.{t}' for t in _TOUCHED)}")

"""The DuckDB file and who may open it: one writer at a time (a lock file), readers in between.

DuckDB lets one process hold a file read-write and then no other process may open it at all, so nothing here
keeps a connection open for longer than one operation:

- ``Store.write(what)`` takes the home's write lock (writers queue, and a waiting writer says who is writing),
  then opens the file read-write; ``Store.locked(what)`` takes only the lock, for a writer that encodes for
  minutes between two short sessions.
- ``Store.read()`` opens the file read-only (many readers at once); while a writer holds it, it waits.

Within one process (a server answering requests in threads) one thread at a time uses the store: the write lock
is re-entrant per process and a session's connection is the Store's, so another thread waits for the session.

Searches never come here: they read the published view (index/view.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..config import DB_FILENAME, FILE_MODE, VIEW_DIRNAME, WRITE_LOCK_FILENAME, make_private
from ..errors import SemnetzError
from ..sealing import PLAIN, Plain
from .migrations import MIGRATIONS, applied_migrations, apply_migrations, pending_migrations, unknown_migrations
from .tables import Tables
from .vectors import StoreVectors

DUCKDB_MEMORY_LIMIT = "1GB"
# How long a command waits for another semnetz command that holds the store, and when it says so.
LOCK_WAIT_S = 600.0
LOCK_NOTICE_S = 1.0
_RETRY_S = 0.05
# The store is rewritten when more than this share of its file is free space (and it is not tiny).
COMPACT_FREE_SHARE = 0.3
COMPACT_MIN_BYTES = 16 << 20
BLOCK_BYTES = 256 << 10
COMPACT_HEADROOM_BYTES = 16 << 20  # beyond a copy of the file: its write-ahead log, the search index's new segment
# Beside the store: "rewrite the file" is owed (a remove or reindex wrote it before its rewrite began; a writer
# killed meanwhile leaves it, and the next writer does the rewrite), and the copy being written.
COMPACT_PENDING_SUFFIX = ".compact-pending"
COMPACT_COPY_SUFFIX = ".compact.duckdb"


class StoreBusyError(SemnetzError):
    key = "busy"


def _notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_for(take, wait_s: float, holder, who: str = "command") -> None:
    """take() until it returns True (a lock got): after LOCK_NOTICE_S say whom we wait for (holder()), after
    wait_s give up (StoreBusyError)."""
    started, told = time.monotonic(), False
    while not take():
        waited = time.monotonic() - started
        if waited > wait_s:
            raise StoreBusyError(f"another semnetz {who} is writing to this network ({holder()}); "
                                 f"gave up after {wait_s:.0f} s")
        if not told and waited > LOCK_NOTICE_S:
            _notice(f"Waiting: another semnetz {who} is writing to this network ({holder()}) …")
            told = True
        time.sleep(_RETRY_S * 2)


class Reentrant:
    """A lock a process may take again while it holds it (released when the outermost hold ends): _take and
    _give do the taking."""

    def __init__(self):
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    @property
    def outermost(self) -> bool:
        """Held, and not again inside a hold of the same process's."""
        return self._depth == 1

    def acquire(self, what: str, wait_s: float = LOCK_WAIT_S) -> None:
        if self._depth:
            self._depth += 1
            return
        self._take(what, wait_s)
        self._depth = 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._give()


class WriteLock(Reentrant):
    """The home's write lock (an flock on a file beside the store), re-entrant within one process. The holder
    writes what it is doing into the file, so a waiting writer can say who it waits for."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self._fd: int | None = None

    def _take(self, what: str, wait_s: float) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)

        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        try:
            wait_for(take, wait_s, self.holder)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what, "since": time.strftime("%H:%M:%S")}).encode(), 0)
        self._fd = fd

    def _give(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text() or "{}")
            return f"pid {info['pid']}: {info['what']} since {info['since']}"
        except (OSError, ValueError, KeyError):
            return "another process"


def _open(path: Path, read_only: bool, key: str = ""):
    """A connection, waiting while another process holds the file (a writer, or readers when we write). With a
    key: the file is encrypted (DuckDB's AES-GCM), attached with it, and DuckDB's temporary files are encrypted
    too."""
    import duckdb  # here, not at the top: a search never opens the store and need not load DuckDB

    started, told = time.monotonic(), False
    while True:
        try:
            conn = connect_file(path, read_only, key)
            break
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise SemnetzError(f"{path}: cannot open the network: damaged or unreadable ({text.splitlines()[0]})"
                                   ) from None
            waited = time.monotonic() - started
            if waited > LOCK_WAIT_S:
                raise StoreBusyError(f"{path}: another semnetz command holds the network; gave up after "
                                     f"{LOCK_WAIT_S:.0f} s") from None
            if not told and waited > LOCK_NOTICE_S:
                _notice("Waiting: another semnetz command is using this network …")
                told = True
            time.sleep(_RETRY_S)
        except duckdb.Error as exc:
            raise SemnetzError(f"{path}: not a semnetz network or damaged ({str(exc).splitlines()[0]})") from None
    conn.execute("SET threads TO 1")  # our queries are small; spare the second core for encoding
    # DuckDB's buffer pool would otherwise grow towards 80% of RAM while scanning a big network
    conn.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    conn.execute("SET enable_progress_bar = false")  # it would print into the user's output
    return conn


def connect_file(path: Path, read_only: bool, key: str = ""):
    """A DuckDB connection to the store file at `path` (encrypted with `key` unless it is ""); DuckDB's errors as
    it raises them."""
    import duckdb

    if not key:
        return duckdb.connect(str(path), read_only=read_only)
    conn = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})
    try:
        load_crypto(conn)
        conn.execute(f"SET temp_directory = '{_quoted(str(path) + '.tmp')}'")
        conn.execute("SET temp_file_encryption = true")
        mode = ", READ_ONLY" if read_only else ""
        conn.execute(f"ATTACH '{_quoted(str(path))}' AS store (ENCRYPTION_KEY '{key}'{mode})")
        conn.execute("USE store")
    except BaseException:
        conn.close()
        raise
    return conn


class UnreadableStore(SemnetzError):
    """A store file that does not open, or is not a semnetz network."""


def describe_file(path: Path, key: str = "") -> dict:
    """What a store file holds, read-only and without a home around it (a backup being restored): the schema steps
    it has and those this semnetz does not know ("newer"), and its counts (Tables.summary). UnreadableStore when it
    does not open or is not a network."""
    import duckdb

    try:
        conn = connect_file(path, read_only=True, key=key)
    except duckdb.Error as exc:
        raise UnreadableStore(f"its store does not open: {str(exc).splitlines()[0]}") from None
    try:
        newer = unknown_migrations(conn)
        if newer:
            return {"newer": newer, "migrations": applied_migrations(conn), "counts": None}
        return {"newer": [], "migrations": sorted(applied_migrations(conn)), "counts": Tables(conn).summary()}
    except duckdb.Error as exc:
        raise UnreadableStore(f"its store is not a semnetz network: {str(exc).splitlines()[0]}") from None
    finally:
        conn.close()


def load_crypto(conn) -> None:
    """DuckDB writes encrypted files only with the httpfs extension's crypto module (without it: "read-only crypto
    module"); loaded by path from its PyPI package, never downloaded."""
    import duckdb_extension_httpfs

    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    conn.execute(f"LOAD '{_quoted(str(next(folder.rglob('httpfs.duckdb_extension'))))}'")


def _quoted(text: str) -> str:
    return text.replace("'", "''")


class Store:
    """The network's DuckDB file. Sessions (see module doc) hand out a connection; tables live in
    store/people.py, links.py, needs.py, audit.py and take that connection."""

    shared = False  # one home's, not a database that many servers share (postgres.py)

    def __init__(self, home: Path, key: str = "", sealer: Plain = PLAIN):
        self.home = Path(home)
        self.path = self.home / DB_FILENAME
        self.key = key  # DuckDB's encryption key of an encrypted home (encryption.py), "" for a plain one
        self.vectors = StoreVectors(self.home, sealer)  # the pieces' vectors (vectors.py), sealed like the index
        self.lock = WriteLock(self.home / WRITE_LOCK_FILENAME)
        self._conn = None
        self._writable = False
        self._threads = threading.RLock()  # one thread of this process at a time (see the module doc)

    def use_keys(self, keys) -> None:
        """An encrypted home's keys (encryption.py): the file opens with them, the vectors are sealed."""
        self.key = keys.store
        self.vectors = StoreVectors(self.home, keys.sealer)

    def exists(self) -> bool:
        return self.path.exists()

    def size(self) -> int:
        """Bytes the store takes (its file; the vectors' files are counted apart)."""
        return self.path.stat().st_size if self.path.exists() else 0

    def __str__(self) -> str:
        return str(self.path)

    def moved_since(self, generation: int) -> bool:
        """Did a write change the network after the search index's generation without publishing it? Never
        here: every writer of a home publishes its own changes (a shared store's servers ask, postgres.py)."""
        return False

    def vector_search(self):
        """The store's own vector search, if it has one (a database that searches its vectors, postgres.py);
        None: the search index holds the vectors (FAISS)."""
        return None

    def following(self, what: str):
        """A session to bring the search index up to writes it missed (only a shared store has any)."""
        return self.write(what)

    def search_log(self, home: Path, directory: str, sealer: Plain):
        """Where searches log (audit.py): a spool the next writer takes in."""
        from .audit import SearchSpool

        return SearchSpool(home, directory, sealer)

    # ---- sessions ----
    @contextmanager
    def _one_thread(self):
        if not self._threads.acquire(timeout=LOCK_WAIT_S):
            raise StoreBusyError(f"another thread of this process is using the network; gave up after "
                                 f"{LOCK_WAIT_S:.0f} s")
        try:
            yield
        finally:
            self._threads.release()

    @contextmanager
    def locked(self, what: str):
        """The write lock alone (writers queue here)."""
        with self._one_thread():
            self.lock.acquire(what)
            try:
                yield
            finally:
                self.lock.release()

    @contextmanager
    def write(self, what: str):
        """The write lock and a read-write connection."""
        with self.locked(what):
            if self._conn is not None and self._writable:
                yield Tables(self._conn, self.vectors)
                return
            if self._conn is not None:  # a read session inside a write: DuckDB wants one mode per file
                raise RuntimeError("a write session cannot start inside a read session")
            self.check_present()
            self._finish_compaction()
            old_umask = os.umask(0o077)  # the WAL and temporary files DuckDB creates are private too
            try:
                self._conn, self._writable = _open(self.path, read_only=False, key=self.key), True
                moved = False
                try:
                    self._check_version(self._conn)
                    moved = "m005_vectors_out_of_the_store" in apply_migrations(self._conn, vectors=self.vectors) \
                        and self._conn.execute("SELECT count(*) FROM items").fetchone()[0] > 0
                    if moved:  # the old vectors' blocks are still in the file: rewritten at the end (or by the
                        self.mark_compaction()  # next writer, should this one be killed)
                    tables = Tables(self._conn, self.vectors)
                    self._erase_freed(tables)  # what a writer killed after its delete committed owed
                    yield tables
                    self._erase_freed(tables)
                finally:
                    conn, self._conn, self._writable = self._conn, None, False
                    conn.close()
                    self._private_files()
                if moved:  # the vectors left the file: give their space back (and leave no old byte of them)
                    self.compact()
            finally:
                os.umask(old_umask)

    @contextmanager
    def read(self):
        """A read-only connection (or the open read-write one)."""
        with self._one_thread(), self._read() as tables:
            yield tables

    @contextmanager
    def _read(self):
        if self._conn is not None:
            yield Tables(self._conn, self.vectors)
            return
        if not self.path.exists():
            self.check_present()
            with self.write("create the network"):
                pass
        conn = _open(self.path, read_only=True, key=self.key)
        try:
            self._check_version(conn)
            if pending_migrations(conn):  # written by an older semnetz: upgrade it once, then read
                conn.close()
                with self.write("upgrade the network"):
                    pass
                conn = _open(self.path, read_only=True, key=self.key)
            self._conn = conn
            yield Tables(conn, self.vectors)
        finally:
            self._conn = None
            conn.close()

    def _erase_freed(self, tables) -> None:
        """Erase the vector rows of pieces whose delete committed (store/vectors.py)."""
        if self.vectors.pending_path.exists():
            self.vectors.finish(tables.people.named, tables.people.dims())

    def check_present(self) -> None:
        """A home with a search index but no store file has lost its store (deleted, or a backup restored only in
        part): an error, never a new empty network beside the old index."""
        manifest = self.home / VIEW_DIRNAME / "manifest.json"
        if not self.path.exists() and manifest.exists():
            try:
                shared = json.loads(manifest.read_text()).get("index_type_choice") == "database"
            except (OSError, ValueError, AttributeError):
                shared = False
            if shared:  # a server's folder of a network in a database (postgres.py), asked without --store
                raise SemnetzError(f"{self.home} holds the search index of a network in a database, not a network: "
                                   "give its database with --store URL (or $SEMNETZ_STORE); nothing was changed")
            raise SemnetzError(f"{self.path}: the network's store file is missing (its search index is still there); "
                               f"restore it from a backup, or import your last export into a new home "
                               f"(semnetz import FILE --home NEW); nothing was changed")

    def _check_version(self, conn) -> None:
        newer = unknown_migrations(conn)
        if newer:
            raise SemnetzError(f"{self.path}: this network was written by a newer semnetz (schema step "
                               f"'{newer[0]}' is unknown here; this semnetz knows up to '{MIGRATIONS[-1].__name__}'). "
                               "Upgrade semnetz; nothing was changed.")

    def _private_files(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            if path.exists():
                make_private(path)

    # ---- space ----
    def wasteful(self) -> bool:
        """Does the file hold much more than its live rows (after deletes and updates)?"""
        with self.write("check the store's size") as tables:
            tables.conn.execute("CHECKPOINT")
            total, free = tables.conn.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchone()
        return total * BLOCK_BYTES > COMPACT_MIN_BYTES and free > COMPACT_FREE_SHARE * total

    @property
    def _pending_path(self) -> Path:
        return self.path.with_name(self.path.name + COMPACT_PENDING_SUFFIX)

    def mark_compaction(self) -> None:
        """Record that the file is to be rewritten (durably, before the change that calls for it commits)."""
        fd = os.open(self._pending_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _finish_compaction(self) -> None:
        """Under the write lock, before a session: a rewrite a killed writer owed is done now, and a half-written
        copy it left is deleted."""
        if self._pending_path.exists() and self.path.exists():
            self.compact()
        else:
            self._pending_path.unlink(missing_ok=True)
            self.path.with_name(self.path.stem + COMPACT_COPY_SUFFIX).unlink(missing_ok=True)

    def compact(self) -> None:
        """Rewrite the file with only live rows: DuckDB keeps deleted rows and old versions in the file until it
        is rewritten, so after a remove (privacy) or a reindex (size) the store is copied into a fresh file
        that replaces it. Needs the write lock; no session may be open."""
        if not self.lock.held or self._conn is not None:
            raise RuntimeError("compact() needs the write lock and no open session")
        fresh = self.path.with_name(self.path.stem + COMPACT_COPY_SUFFIX)
        fresh.unlink(missing_ok=True)
        old_umask = os.umask(0o077)
        try:
            conn = _open(self.path, read_only=False, key=self.key)
            try:
                encrypted = f" (ENCRYPTION_KEY '{self.key}')" if self.key else ""
                conn.execute(f"ATTACH '{_quoted(str(fresh))}' AS fresh{encrypted}")
                conn.execute(f"COPY FROM DATABASE {_catalog(conn)} TO fresh")
                conn.execute("DETACH fresh")
            finally:
                conn.close()
            with open(fresh, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(fresh, self.path)
            self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
            shutil.rmtree(self.path.with_name(self.path.name + ".tmp"), ignore_errors=True)
        finally:
            os.umask(old_umask)
            fresh.unlink(missing_ok=True)
            fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)
        self._pending_path.unlink(missing_ok=True)
        self._private_files()

    def room_to_compact(self, what: str) -> None:
        """Before a change that is followed by a rewrite of the file (remove, reindex): refuse it, changing
        nothing, when the disk could not hold a second copy of the file."""
        need = (self.path.stat().st_size if self.path.exists() else 0) + COMPACT_HEADROOM_BYTES
        free = shutil.disk_usage(self.home).free
        if free < need:
            raise SemnetzError(f"no space left on the disk for {what}: the store file is rewritten afterwards and "
                               f"needs about {need / 1e6:.0f} MB free ({free / 1e6:.0f} MB are); nothing was changed. "
                               "Free some space and run it again.")

    def compact_after(self, done: str, until: str) -> None:
        """compact(), after a change that committed: if the rewrite fails (a full disk), say so truthfully: the
        change is done, the rewrite is owed (the next writer or `semnetz check` does it)."""
        try:
            self.compact()
        except Exception as exc:  # the disk, or DuckDB failing to write the copy
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise SemnetzError(f"{done}, but the store file could not be rewritten ({first}): {until} until it is. "
                               "Free some space and run semnetz check (it finishes the rewrite).") from None


def _catalog(conn) -> str:
    return conn.execute("SELECT current_database()").fetchone()[0]

"""The store seam (semnetz/store/): sessions, the write lock, compaction, private files, schema versions and the
upgrade of a network written by semnetz 0.1 (fake encoder: fast, deterministic)."""

import hashlib
import json
import os
import select
import stat
import subprocess
import sys
import time
from datetime import datetime

import duckdb
import numpy as np
import pytest

from semnetz import Network
from semnetz.config import DB_FILENAME, WRITE_LOCK_FILENAME, resolve_home
from semnetz.errors import SemnetzError
from semnetz.store import Store
from semnetz.store.migrations import MIGRATIONS, apply_migrations
from semnetz.text import content_hash

from .conftest import FAKE, ROOT


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- sessions
def test_write_creates_the_file_and_read_sees_what_was_committed(semnetz_home):
    home = resolve_home(semnetz_home)
    store = Store(home)
    assert not store.path.exists()
    with store.write("test") as tables:
        assert store.path.exists()  # created (and brought to the current schema) by the write session
        with tables.transaction():
            tables.set_meta("colour", "green")
            tables.people.upsert([("t1", "Tina Test", [], "Testerin", [], {}, None, "h1")])
    with store.read() as tables:
        assert tables.get_meta("colour") == "green"
        assert [r["id"] for r in tables.people.rows()] == ["t1"]
        applied = [r[0] for r in tables.conn.execute("SELECT name FROM migrations ORDER BY name").fetchall()]
    assert applied == sorted(fn.__name__ for fn in MIGRATIONS)
    assert not store.lock.held and (home / WRITE_LOCK_FILENAME).read_text() == ""  # released, holder cleared


def test_read_of_a_missing_store_creates_an_empty_one(semnetz_home):
    store = Store(resolve_home(semnetz_home))
    with store.read() as tables:
        assert tables.people.count() == 0
    assert store.path.exists()


def test_a_failing_transaction_rolls_back_and_leaves_no_trace(semnetz_home):
    store = Store(resolve_home(semnetz_home))
    with store.write("setup") as tables:
        with tables.transaction():
            tables.set_meta("kept", "yes")
    with pytest.raises(RuntimeError, match="half way"):
        with store.write("failing") as tables:
            with tables.transaction():
                tables.set_meta("kept", "overwritten")
                tables.people.upsert([("t1", "Tina Test", [], "Testerin", [], {}, None, "h1")])
                tables.audit.log("add", {"added": ["t1"]})
                tables.journal.touch(people=[1], edges=[1])
                tables.bump_generation()
                raise RuntimeError("failed half way")
    assert not store.lock.held  # the lock is given back on the way out
    with store.read() as tables:
        assert tables.get_meta("kept") == "yes"
        assert tables.people.count() == 0
        assert tables.audit.entries() == []
        people, edges = tables.journal.pending()
        assert (len(people), len(edges)) == (0, 0)
        assert tables.generation == 0


def test_a_write_session_cannot_start_inside_a_read_session(semnetz_home):
    store = Store(resolve_home(semnetz_home))
    with store.read():
        with pytest.raises(RuntimeError, match="cannot start inside a read session"):
            with store.write("nested"):
                pass


# ---------------------------------------------------------------- the write lock
WAITER = """
import sys
from pathlib import Path
from semnetz.store import Store

with Store(Path(sys.argv[1])).write("second writer") as tables:
    with tables.transaction():
        tables.set_meta("written_by", "second writer")
print("written", flush=True)
"""


def read_line(stream, deadline: float) -> str | None:
    """The next line of a child's pipe, or None if none comes before the deadline (so a broken lock fails the
    test instead of hanging it)."""
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            return None
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            return line.decode() or None
        line += chunk
    return line.decode()


def test_a_second_writer_waits_for_the_lock_and_says_who_it_waits_for(semnetz_home):
    """This process holds the write lock; a second process that wants to write waits, says so on stderr after
    about a second (we hold the lock until it has said so: no timing in the test), and writes once we let go."""
    home = resolve_home(semnetz_home)
    store = Store(home)
    with store.write("create"):
        pass
    with store.locked("holding for the test"):
        waiter = subprocess.Popen([sys.executable, "-c", WAITER, str(home)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        try:
            notice = read_line(waiter.stderr, time.monotonic() + 60)
            assert notice is not None and notice.startswith("Waiting: another semnetz command is writing")
            assert f"pid {os.getpid()}: holding for the test since" in notice
            assert waiter.poll() is None  # still waiting …
            with store.read() as tables:
                assert tables.get_meta("written_by") is None  # … and has written nothing
        except BaseException:
            waiter.kill()
            raise
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err.decode()
    assert out.decode() == "written\n"
    with store.read() as tables:
        assert tables.get_meta("written_by") == "second writer"


def test_the_lock_is_reentrant_within_one_process(semnetz_home):
    store = Store(resolve_home(semnetz_home))
    with store.locked("outer"):
        with store.write("inner") as tables:  # would wait for itself forever if it were not re-entrant
            with tables.transaction():
                tables.set_meta("x", "1")
        assert store.lock.held
        holder = json.loads((store.home / WRITE_LOCK_FILENAME).read_text())
        assert (holder["pid"], holder["what"]) == (os.getpid(), "outer")
    assert not store.lock.held


# ---------------------------------------------------------------- compaction
def all_rows(tables) -> dict[str, list]:
    names = [r[0] for r in tables.conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name").fetchall()]
    return {name: tables.conn.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in names}


def test_compact_keeps_every_row_and_sequences_continue(run, small_network, semnetz_home):
    run("import", small_network)
    run("link", "e1", "e4", "--relation", "Schwager")
    need_id = json_lines(run("needs", "--json").output)[0]["need_id"]
    run("intro", need_id, "e4")
    run("plumbing")
    run("log")  # moves the search into the audit log
    with Network(home=semnetz_home) as net:
        with net.store.read() as tables:
            before = all_rows(tables)
            highest = {"pk": max(r[0] for r in before["people"]), "item": max(r[0] for r in before["items"]),
                       "seq": max(r[0] for r in before["audit_log"]), "intro": max(r[0] for r in before["intros"])}
        with pytest.raises(RuntimeError, match="needs the write lock"):
            net.store.compact()
        with net.store.locked("compact"):
            net.store.compact()
        with net.store.read() as tables:
            assert all_rows(tables) == before
        assert set(before) >= {"people", "items", "needs", "intros", "edges", "audit_log", "meta", "migrations",
                               "view_journal"}
        # new rows continue the sequences (a sequence restarting at 1 would collide with a kept primary key)
        net.add({"id": "e5", "name": "Lena Kraus", "text": "Malerin", "offers": ["Tapezieren"]})
        net.intro(need_id, "e1")
        with net.store.read() as tables:
            conn = tables.conn
            assert conn.execute("SELECT pk FROM people WHERE id = 'e5'").fetchone()[0] > highest["pk"]
            new_items = [r[0] for r in conn.execute("SELECT item_id FROM items i JOIN people p ON p.pk = "
                                                    "i.person_pk WHERE p.id = 'e5'").fetchall()]
            assert new_items and min(new_items) > highest["item"]
            assert conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] > highest["seq"]
            assert conn.execute("SELECT max(intro_id) FROM intros").fetchone()[0] > highest["intro"]
    assert [m["id"] for m in json_lines(run("Tapezieren", "--json", "-k", "1").output)] == ["e5"]


# ---------------------------------------------------------------- private files
def test_home_and_every_file_in_it_are_private_even_with_a_permissive_umask(run, small_network, semnetz_home):
    old = os.umask(0o000)  # the worst case: nothing masked, so every mode below is semnetz's own doing
    try:
        assert run("import", small_network).exit_code == 0
        assert run("plumbing").exit_code == 0
        assert run("edit", "e3", "--add-offer", "Boiler warten").exit_code == 0  # a delta segment
        assert run("Boiler warten").exit_code == 0
    finally:
        os.umask(old)
    paths = [semnetz_home, *semnetz_home.rglob("*")]
    names = {p.relative_to(semnetz_home).as_posix() for p in paths[1:]}
    assert {DB_FILENAME, WRITE_LOCK_FILENAME, "index", "index/manifest.json", "searches"} <= names
    assert any(n.startswith("searches/") and n.endswith(".jsonl") for n in names)  # the last search's spool
    assert any(n.endswith("vectors.faiss") for n in names) and any(n.endswith("vectors.npy") for n in names)
    wrong = {p.relative_to(semnetz_home).as_posix() or ".": oct(stat.S_IMODE(p.stat().st_mode)) for p in paths
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}


# ---------------------------------------------------------------- schema versions
def test_a_store_written_by_a_newer_semnetz_is_refused_and_left_alone(run, small_network, semnetz_home):
    run("import", small_network)
    conn = duckdb.connect(str(semnetz_home / DB_FILENAME))
    conn.execute("INSERT INTO migrations VALUES ('m999_future', current_timestamp)")
    conn.close()
    before = digest(semnetz_home / DB_FILENAME)
    for args in (("list",), ("add", "Nina Berg", "--text", "Hebamme"), ("remove", "e1"), ("log",), ("reindex",)):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "written by a newer semnetz" in result.output and "'m999_future'" in result.output
        assert result.output.strip().endswith("Upgrade semnetz; nothing was changed.")
    assert digest(semnetz_home / DB_FILENAME) == before
    assert not (semnetz_home / (DB_FILENAME + ".wal")).exists()
    with pytest.raises(SemnetzError, match="newer semnetz"):
        with Store(semnetz_home).read():
            pass
    assert digest(semnetz_home / DB_FILENAME) == before


def test_a_network_of_semnetz_0_1_is_upgraded_and_searchable(semnetz_home):
    """A file with only the first schema step and rows as 0.1 wrote them: opening it applies every later step,
    keeps the rows, and the view is built from them."""
    home = resolve_home(semnetz_home)
    conn = duckdb.connect(str(home / DB_FILENAME))
    assert apply_migrations(conn, upto="m001_people_items_log") == ["m001_people_items_log"]
    now = datetime(2024, 5, 1, 12, 0)
    conn.execute("INSERT INTO people VALUES (nextval('person_pk_seq'), 'old1', 'Olga Altmann', ['Omas Nachbarin'], "
                 "'Klavierlehrerin im Ruhestand.', ['musik'], ?, NULL, 'hash-of-0.1', ?, ?)",
                 [json.dumps({"phone": "+49 30 1234"}), now, now])
    pieces = [("about", 0, "Klavierlehrerin im Ruhestand"), ("offer", 0, "Klavier stimmen und Unterricht"),
              ("need", 0, "Hilfe beim Einkaufen")]
    vectors = FAKE.encode_texts([text for _, _, text in pieces])
    for (kind, pos, text), vector in zip(pieces, vectors):
        conn.execute("INSERT INTO items VALUES (nextval('item_id_seq'), 1, ?, ?, ?, ?, 'fake', ?)",
                     [kind, pos, text, content_hash(kind, text), vector.tolist()])
    need_item = conn.execute("SELECT item_id FROM items WHERE kind = 'need'").fetchone()[0]
    conn.execute("INSERT INTO needs VALUES (?, 'bald', 'open', ?)", [need_item, now])
    conn.execute("INSERT INTO audit_log VALUES (nextval('audit_seq'), ?, 'import', ?)",
                 [now, json.dumps({"source": "old.jsonl", "added": ["old1"]})])
    conn.execute("INSERT INTO meta VALUES ('model', 'fake')")
    conn.close()

    with Network(home=home) as net:
        record = net.get("old1")
        assert (record.name, record.aliases, record.text, record.offers) == (
            "Olga Altmann", ["Omas Nachbarin"], "Klavierlehrerin im Ruhestand.", ["Klavier stimmen und Unterricht"])
        assert record.contact == {"phone": "+49 30 1234"} and record.tags == ["musik"]
        with net.store.read() as tables:
            applied = [r[0] for r in tables.conn.execute("SELECT name FROM migrations ORDER BY name").fetchall()]
        assert applied == [fn.__name__ for fn in MIGRATIONS]
        with net.store.read() as tables:  # the vectors left DuckDB for the store's vector file, as they were
            columns = {r[0] for r in tables.conn.execute("DESCRIBE items").fetchall()}
            assert "vector" not in columns
            assert np.allclose(tables.people.vectors_of([1, 2, 3]), vectors, atol=1e-3)
        assert len(net.store.vectors.files()) == 1
        match = net.search("Klavier stimmen und Unterricht", k=1).matches[0]
        assert (match.id, match.why, match.why_kind) == ("old1", "Klavier stimmen und Unterricht", "offer")
        assert [(n.person_id, n.text, n.status) for n in net.needs()] == [("old1", "Hilfe beim Einkaufen", "open")]
        assert net.log_entries(action="import")[0]["detail"] == {"source": "old.jsonl", "added": ["old1"]}
        # and new rows continue the old sequences
        net.add({"id": "new1", "name": "Nils Neu", "text": "Klavierbauer"})
        with net.store.read() as tables:
            assert tables.people.pk("new1") == 2

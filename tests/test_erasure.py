"""Erasure that holds whatever the order (issue 15): a long-running Network's searches reach the audit log
redacted when the person is removed meanwhile elsewhere; a search that quotes their text is redacted; a remove
killed while the store is rewritten is finished by the next writer; a missing store file is an error, not an
empty network (fake encoder)."""

import json

import pytest

from semnetz import Network
from semnetz.config import DB_FILENAME
from semnetz.store import db as store_db
from semnetz.store.audit import REDACTED

NEEDLES = ("Thompson", "Marky", "e3", "leaking", "Heizung")


def log_text(home) -> str:
    with Network(home=home) as net:
        return json.dumps(net.log_entries(), ensure_ascii=False, default=str)


def test_a_server_search_reaches_the_log_redacted_when_another_process_removes_the_person(run, small_network,
                                                                                         semnetz_home):
    run("import", small_network)
    server = Network(home=semnetz_home)  # `semnetz serve`: one Network for many searches
    assert server.search("Marky", k=1).matches[0].id == "e3"
    assert server.search("plumbing", k=1).matches[0].id == "e3"
    other = Network(home=semnetz_home)  # the CLI in another process
    other.remove("e3")
    server.search("Tischler", k=1)  # the server goes on serving; later it is closed
    server.close()
    text = log_text(semnetz_home)
    for needle in ("Thompson", "Marky", '"e3"'):
        assert needle not in text, (needle, text)


def test_a_search_that_ranked_them_before_the_remove_and_logged_after_it_is_redacted(run, small_network,
                                                                                    semnetz_home, monkeypatch):
    run("import", small_network)
    server = Network(home=semnetz_home)
    server.search("Tischler", k=1)  # warm
    searcher = server._searcher()
    original = type(searcher).search_batch

    def rank_then_someone_removes(self, *args, **kwargs):
        results = original(self, *args, **kwargs)
        Network(home=semnetz_home).remove("e3")  # between the ranking and the log entry
        return results

    monkeypatch.setattr(type(searcher), "search_batch", rank_then_someone_removes)
    assert server.search("Marky", k=1).matches[0].id == "e3"
    monkeypatch.undo()
    server.close()
    run("link", "e1", "e4")  # the next writer takes the spool in
    text = log_text(semnetz_home)
    for needle in ("Thompson", "Marky", '"e3"'):
        assert needle not in text, (needle, text)


def test_a_search_that_quotes_their_text_is_redacted(run, small_network, semnetz_home):
    run("import", small_network)
    run("Heizung entlüften")  # one of his offers, word for word
    run("who fixes leaking taps")  # a distinctive phrase of what he wrote about himself
    run("Tischler")  # about someone else: stays
    assert run("remove", "e3").exit_code == 0
    searches = [e["detail"] for e in json.loads("[" + ",".join(run("log", "--json", "--action", "search")
                                                                .output.split("\n")[:-1]) + "]")]
    assert searches[:2] == [REDACTED, REDACTED]
    assert searches[2]["q"] == "Tischler"
    for needle in NEEDLES:
        assert needle not in log_text(semnetz_home), needle


def test_a_remove_killed_while_the_store_is_rewritten_is_finished_by_the_next_writer(run, small_network,
                                                                                    semnetz_home, monkeypatch):
    run("import", small_network)
    store = semnetz_home / DB_FILENAME
    assert b"Thompson" in store.read_bytes()

    class Killed(BaseException):
        pass

    def killed(conn):
        raise Killed  # in the middle of the rewrite, after the remove committed

    with monkeypatch.context() as patched:
        patched.setattr(store_db, "_catalog", killed)
        with pytest.raises(Killed):
            Network(home=semnetz_home).remove("e3")
    assert b"Thompson" in store.read_bytes()  # the crash: every byte of him is still there
    (semnetz_home / "semnetz.compact.duckdb").write_bytes(b"half a copy")  # as SIGKILL would leave it

    assert run("check").exit_code == 0  # any writer (here check) finishes the erasure
    assert b"Thompson" not in store.read_bytes() and b"Marky" not in store.read_bytes()
    assert not (semnetz_home / "semnetz.compact.duckdb").exists()
    assert not list(semnetz_home.glob("*pending*"))
    assert "e3" not in run("list").output and "e4" in run("list").output


def vector_rows(home, person_id: str):
    """(the store's vector file, the row ids of a person's pieces, their raw bytes)."""
    with Network(home=home) as net, net.store.read() as tables:
        ids = [r[0] for r in tables.conn.execute(
            "SELECT item_id FROM items JOIN people ON pk = person_pk WHERE id = ? ORDER BY item_id",
            [person_id]).fetchall()]
        model, dim = next(iter(tables.people.dims().items()))
        file = net.store.vectors.file(model, dim)
    raw = file.path.read_bytes()
    return file, ids, [raw[i * file.row_bytes:(i + 1) * file.row_bytes] for i in ids]


def test_a_removed_persons_vectors_are_zeros_in_the_store_at_once(run, small_network, semnetz_home):
    run("import", small_network)
    file, ids, rows = vector_rows(semnetz_home, "e3")
    _, others, their_rows = vector_rows(semnetz_home, "e4")
    assert ids and all(any(row) for row in rows)
    assert run("remove", "e3").exit_code == 0
    raw = file.path.read_bytes()
    assert all(raw[i * file.row_bytes:(i + 1) * file.row_bytes] == bytes(file.row_bytes) for i in ids)
    assert vector_rows(semnetz_home, "e4")[2] == their_rows  # the others' rows as they were
    assert run("check").exit_code == 0


def test_a_remove_killed_after_its_commit_has_its_vectors_erased_by_the_next_writer(run, small_network,
                                                                                    semnetz_home, monkeypatch):
    run("import", small_network)
    file, ids, _ = vector_rows(semnetz_home, "e3")
    with monkeypatch.context() as m:  # the process dies after the delete committed, before it erased the rows
        m.setattr(store_db.Store, "_erase_freed", lambda self, tables: None)
        m.setattr(store_db.Store, "compact_after", lambda self, done, until: None)
        with Network(home=semnetz_home) as net:
            net.remove("e3")
    assert (file.path.parent / "erase-pending.json").exists()
    assert any(file.path.read_bytes()[ids[0] * file.row_bytes:(ids[0] + 1) * file.row_bytes])
    assert run("add", "Nina Berg", "--text", "Hebamme").exit_code == 0  # the next writer
    raw = file.path.read_bytes()
    assert all(raw[i * file.row_bytes:(i + 1) * file.row_bytes] == bytes(file.row_bytes) for i in ids)
    assert not (file.path.parent / "erase-pending.json").exists()


def test_a_delete_that_rolled_back_erases_nothing(run, small_network, semnetz_home, monkeypatch):
    run("import", small_network)
    _, ids, rows = vector_rows(semnetz_home, "e3")
    with monkeypatch.context() as m:  # the remove fails after its delete, before its commit
        m.setattr("semnetz.store.links.LinkTable.remove_person", lambda self, pk: 1 / 0)
        with Network(home=semnetz_home) as net, pytest.raises(ZeroDivisionError):
            net.remove("e3")
    assert vector_rows(semnetz_home, "e3")[2] == rows
    assert run("show", "e3").exit_code == 0 and run("check").exit_code == 0


def test_a_damaged_vector_of_the_store_is_one_line_and_reindex_mends_it(run, small_network, semnetz_home):
    run("import", small_network)
    file, ids, _ = vector_rows(semnetz_home, "e2")
    with open(file.path, "r+b") as f:
        f.seek(ids[0] * file.row_bytes + 7)
        byte = f.read(1)
        f.seek(ids[0] * file.row_bytes + 7)
        f.write(bytes([byte[0] ^ 0x04]))
    result = run("check")
    assert result.exit_code == 2 and f"row {ids[0]} is damaged" in result.output
    assert "semnetz reindex" in result.output and "Traceback" not in result.output
    assert run("reindex", "--yes").exit_code == 0
    assert run("check").exit_code == 0


def test_a_stale_compact_copy_is_removed_by_the_next_writer(run, small_network, semnetz_home):
    run("import", small_network)
    (semnetz_home / "semnetz.compact.duckdb").write_bytes(b"left by a killed reindex")
    assert run("link", "e1", "e4").exit_code == 0
    assert not (semnetz_home / "semnetz.compact.duckdb").exists()


@pytest.mark.parametrize("command", [["list"], ["stats"], ["check"], ["log"], ["search", "Tischler"],
                                     ["add", "Neu", "--text", "Gärtnerin"], ["show", "e1"]])
def test_a_missing_store_file_is_an_error_for_every_command(run, small_network, semnetz_home, command):
    run("import", small_network)
    run("Tischler")
    (semnetz_home / DB_FILENAME).unlink()
    result = run(*command)
    assert result.exit_code == 2, (command, result.output)
    line = result.stderr.strip()
    assert "\n" not in line and DB_FILENAME in line and "backup" in line and "import" in line, line
    assert not (semnetz_home / DB_FILENAME).exists()  # nothing created


def test_what_a_killed_writer_left_in_the_index_is_deleted_by_check(run, small_network, semnetz_home):
    run("import", small_network)
    index = semnetz_home / "index"
    (index / ".tmp-base-00000009-abcdef").mkdir()  # half-built (killed while building)
    (index / ".tmp-base-00000009-abcdef" / "text_data.npy").write_bytes(b"Thompson")
    (index / "delta-00000009-abcdef").mkdir()  # built, never published (killed before the manifest)
    (index / "delta-00000009-abcdef" / "text_data.npy").write_bytes(b"Thompson")
    assert run("check").exit_code == 0
    assert not (index / ".tmp-base-00000009-abcdef").exists() and not (index / "delta-00000009-abcdef").exists()
    assert run("Tischler", "--json").exit_code == 0


def test_a_remove_without_room_to_rewrite_the_store_changes_nothing(run, small_network, semnetz_home, monkeypatch):
    import shutil
    from collections import namedtuple

    run("import", small_network)
    before = run("list", "--json").stdout
    usage = namedtuple("usage", "total used free")
    with monkeypatch.context() as patched:
        patched.setattr(shutil, "disk_usage", lambda path: usage(10 << 20, 10 << 20, 1 << 20))
        result = run("remove", "e3")
    assert result.exit_code == 2 and "no space left" in result.stderr and "nothing was changed" in result.stderr
    assert run("list", "--json").stdout == before
    assert run("remove", "e3").exit_code == 0


def test_a_remove_whose_rewrite_fails_says_what_was_done(run, small_network, semnetz_home, monkeypatch):
    run("import", small_network)

    def full(self):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(store_db.Store, "compact", full)
        result = run("remove", "e3")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("Error: Removed e3 (Mark Thompson), but the store file could not be rewritten")
    assert "semnetz check" in line and "nothing was changed" not in line
    assert (semnetz_home / "semnetz.duckdb.compact-pending").exists()
    assert run("check").exit_code == 0  # finishes the rewrite
    assert not (semnetz_home / "semnetz.duckdb.compact-pending").exists()

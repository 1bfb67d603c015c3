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

"""Damaged files through the CLI: a damaged file of the search view is noticed (checksum, or results no intact
index can give) and rebuilt from the store; a damaged store file and a full disk are one clear line, exit 2."""

import errno
import json

import pytest

from semnetz.index.view import read_manifest

from .conftest import write_jsonl


@pytest.fixture
def imported(run, small_network):
    assert run("import", small_network).exit_code == 0
    assert run("search", "Elektriker", "--json").exit_code == 0


def ids(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.strip()]


def base_folder(home):
    index = home / "index"
    return index / read_manifest(index)["segments"][0]


def flip(path, offset: int, count: int = 1, mask: int = 0xFF, step: int = 1) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, min(offset + count, len(data)), step):
        data[i] ^= mask
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("file", ["names_keys_data.npy", "item_id.npy", "vectors.faiss", "lex_terms_data.npy",
                                  "meta.json"])
def test_a_damaged_view_file_is_rebuilt_from_the_store(run, imported, semnetz_home, file):
    before = run("search", "Elektriker", "--json").output
    folder = base_folder(semnetz_home)
    path = folder / file
    if not path.exists():
        path = next(folder.glob("*.npy"))
    flip(path, path.stat().st_size // 2, 50)
    result = run("search", "Elektriker", "--json")
    assert result.exit_code == 0, result.output
    assert ids(result.stdout) == ids(before)
    assert "rebuilt it from the store" in result.stderr
    assert not folder.exists()  # the damaged segment is gone, a new one serves
    again = run("search", "Elektriker", "--json")
    assert "damaged" not in again.stderr  # once rebuilt, nothing more to say


def test_a_deleted_view_file_is_rebuilt(run, imported, semnetz_home):
    before = run("search", "plumber", "--json").output
    (base_folder(semnetz_home) / "names_owner_pk.npy").unlink()
    result = run("search", "plumber", "--json")
    assert result.exit_code == 0 and ids(result.stdout) == ids(before)


def test_damage_a_sampled_checksum_misses_shows_in_the_scores(run, small_network, semnetz_home, monkeypatch):
    """Flipped bytes in the middle of a vector index that is checksummed only by a sample (as big ones are):
    the scores no two unit vectors can have are not shown; the view is rebuilt and the search answered from it."""
    from semnetz.index import checksum

    monkeypatch.setattr(checksum, "WHOLE_UP_TO", 0)  # sample every file: its first and last 64 bytes only
    monkeypatch.setattr(checksum, "SAMPLED_BLOCKS", 2)
    monkeypatch.setattr(checksum, "BLOCK", 64)
    assert run("import", small_network).exit_code == 0
    before = run("search", "Elektriker", "--json").stdout
    faiss_file = base_folder(semnetz_home) / "vectors.faiss"
    size = faiss_file.stat().st_size
    assert size > 4000
    # the exponent bits of the (fp16) vectors: values of tens instead of tenths, as flipped bits do
    flip(faiss_file, 201, size // 2 - 200, mask=0x7C, step=2)
    result = run("search", "Elektriker", "--json")
    assert result.exit_code == 0, result.output
    assert "search index was damaged" in result.stderr and "rebuilt it from the store" in result.stderr
    assert result.stdout == before


def test_check_reads_every_byte_and_rebuilds_what_a_sample_missed(run, small_network, semnetz_home, monkeypatch):
    from semnetz.index import checksum

    monkeypatch.setattr(checksum, "WHOLE_UP_TO", 0)
    monkeypatch.setattr(checksum, "SAMPLED_BLOCKS", 2)
    monkeypatch.setattr(checksum, "BLOCK", 64)
    assert run("import", small_network).exit_code == 0
    result = run("check")
    assert result.exit_code == 0 and "all intact" in result.stdout, result.output
    folder = base_folder(semnetz_home)
    flip(folder / "text_data.npy", (folder / "text_data.npy").stat().st_size // 2, 3)  # a sample does not see it
    assert run("search", "Elektriker").exit_code == 0
    result = run("check")
    assert result.exit_code == 0 and "text_data.npy is damaged" in result.stdout, result.output
    assert "rebuilt" in result.stdout.lower() and not folder.exists()
    assert "all intact" in run("check").stdout


def test_a_damaged_store_file_is_one_clear_line(run, imported, semnetz_home):
    store = semnetz_home / "semnetz.duckdb"
    data = bytearray(store.read_bytes())
    data[0:4096] = b"\x00" * 4096  # the header
    data[4096:12288] = bytes(range(256)) * 32
    store.write_bytes(bytes(data))
    for command in (["list"], ["add", "Neu", "--text", "Gärtnerin"], ["stats"]):
        result = run(*command, "--home", semnetz_home)
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        line = result.stderr.strip()
        assert "\n" not in line and "semnetz.duckdb" in line and "damaged" in line
    # a search reads only the view, which is intact: people can still be found
    assert "e1" in run("search", "Elektriker").stdout


def test_a_full_disk_during_an_import_is_one_clear_line_and_writes_nothing(run, imported, tmp_path, monkeypatch):
    from semnetz.index import segment

    before = run("list", "--json").stdout
    people = write_jsonl(tmp_path / "more.jsonl", [{"id": f"n{i}", "name": f"Neu {i}", "text": "Gärtnerin"}
                                                   for i in range(20)])

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(segment.Arrays, "write", staticmethod(full))
        result = run("import", people)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "no space left" in result.stderr.lower() and "nothing was changed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run("list", "--json").stdout == before  # nothing was written
    assert run("import", people).exit_code == 0  # and with space again, the import goes through
    assert len(run("list", "--json").stdout.splitlines()) == len(before.splitlines()) + 20


def test_a_short_write_to_the_vector_file_is_no_space_and_changes_nothing(run, imported, tmp_path, monkeypatch):
    """A full disk makes pwrite write less than asked without an error: that is "no space left", not rows that
    are missing when they are read back (the harness, benchmarks/full_disk.py, found it so)."""
    import os as real_os

    from semnetz import vector_file

    before = run("list", "--json").stdout
    people = write_jsonl(tmp_path / "more.jsonl", [{"id": f"n{i}", "name": f"Neu {i}", "text": "Gärtnerin"}
                                                   for i in range(5)])
    state = {"left": 700}

    def pwrite(fd, data, offset):  # the disk takes 700 more bytes, then 0 (pwrite says how much it wrote)
        n = min(len(data), state["left"])
        state["left"] -= n
        return real_os.pwrite(fd, bytes(data[:n]), offset) if n else 0

    with monkeypatch.context() as patched:
        patched.setattr(vector_file.os, "pwrite", pwrite)
        result = run("import", people)
    assert result.exit_code == 2 and "no space left" in result.stderr and "nothing was changed" in result.stderr
    assert "damaged" not in result.stderr
    assert run("list", "--json").stdout == before
    assert run("check").exit_code == 0


def test_a_commit_without_room_is_refused_before_it_starts(run, imported, monkeypatch):
    """DuckDB 1.5.5 ends the process when a COMMIT runs out of space at an unlucky point: a write commits only
    with COMMIT_HEADROOM_BYTES free, else nothing is changed."""
    import shutil as real_shutil

    from semnetz.store import tables

    before = run("list", "--json").stdout
    usage = real_shutil.disk_usage("/")
    with monkeypatch.context() as patched:
        patched.setattr(tables.shutil, "disk_usage",
                        lambda path: usage._replace(free=tables.COMMIT_HEADROOM_BYTES - 1))
        result = run("add", "Nina Berg", "--text", "Hebamme")
    assert result.exit_code == 2 and "no space left" in result.stderr and "nothing was changed" in result.stderr
    assert run("list", "--json").stdout == before
    assert run("add", "Nina Berg", "--text", "Hebamme").exit_code == 0


def test_a_full_disk_in_the_store_is_one_clear_line(run, imported, tmp_path, monkeypatch):
    import duckdb

    from semnetz.store import people

    before = run("list", "--json").stdout
    more = write_jsonl(tmp_path / "more.jsonl", [{"id": "n1", "name": "Neu", "text": "Gärtnerin"}])

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "semnetz.duckdb": No space left on device')

    with monkeypatch.context() as patched:
        patched.setattr(people.PeopleTable, "insert_items", full)
        result = run("import", more)
    assert result.exit_code == 2, result.output
    assert "no space left" in result.stderr.lower() and "nothing was changed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run("list", "--json").stdout == before


def test_an_index_naming_another_model_is_rebuilt_by_check(run, small_network, semnetz_home, monkeypatch):
    """A manifest that names a model the store was not built with: searches fail, so check must not say intact."""
    import json as _json

    from semnetz.config import VIEW_DIRNAME

    assert run("import", small_network).exit_code == 0
    manifest = semnetz_home / VIEW_DIRNAME / "manifest.json"
    data = _json.loads(manifest.read_text())
    data["model"] = "no-such-model"
    manifest.write_text(_json.dumps(data))
    monkeypatch.delenv("SEMNETZ_MODEL")  # the model the network is built with, as a user runs it
    checked = run("check")
    assert checked.exit_code == 0, checked.output
    assert "no-such-model" in checked.output and "Rebuilt" in checked.output
    assert _json.loads(manifest.read_text())["model"] == "fake"
    found = run("plumbing", "--json")
    assert found.exit_code == 0 and '"e3"' in found.output


def test_a_full_disk_after_the_store_committed_says_the_change_is_saved(run, imported, monkeypatch):
    from semnetz.index import publish

    def full(directory, manifest):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(publish, "write_manifest", full)
        result = run("link", "e1", "e4", "--relation", "Nachbar")
    assert result.exit_code == 2
    assert "the change is saved" in result.stderr and "nothing was changed" not in result.stderr
    assert "Nachbar" in run("show", "e1").output  # saved
    assert run("check").exit_code == 0  # publishes what the journal still names
    assert run("Tischler").exit_code == 0

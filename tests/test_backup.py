"""Backups that restore (issue 15, part 3): semnetz backup FILE, semnetz restore FILE --home DIR."""

import json
import re
import os
import multiprocessing
import stat
import threading
import zipfile

import pytest

from semnetz import Network
from semnetz.backup import BackupError, restore

from .conftest import DATA


@pytest.fixture
def built(semnetz_home, run):
    result = run("import", DATA / "people.jsonl", "--home", semnetz_home)
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in run("list", "--json").output.splitlines()[:3]]
    assert run("link", ids[0], ids[1], "--relation", "Kollege").exit_code == 0
    assert run("need", "add", "--by", ids[2], "suche", "Zahnarzt").exit_code == 0
    run("brauche Handwerker")  # a search waiting in the spool: the backup takes it into the log
    return semnetz_home


def _export(run, home, out):
    result = run("export", out, "--home", home)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _all_files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_backup_then_restore_gives_the_same_export_bytes(built, run, tmp_path):
    backup = tmp_path / "net.semnetz-backup"
    result = run("backup", backup)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".net.")]  # no temporary file left
    with zipfile.ZipFile(backup) as archive:
        names = sorted(archive.namelist())
        assert names[:2] == ["manifest.json", "semnetz.duckdb"] and len(names) == 3
        assert re.fullmatch(r"vectors/[0-9a-f]{16}\.f16", names[2])  # the pieces' vectors, as they are
        assert archive.getinfo(names[2]).compress_type == zipfile.ZIP_STORED
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["model"] == "fake" and manifest["format_version"] == 2
    assert manifest["members"]["semnetz.duckdb"]["compression"] == "zstd"  # the store compressed, …
    assert set(manifest["members"][names[2]]) == {"bytes"}  # … the vectors as they are (every row checks itself)
    assert manifest["counts"]["people"] > 0 and manifest["counts"]["links"] >= 1 and manifest["counts"]["needs"] >= 1
    assert len(manifest["members"]["semnetz.duckdb"]["sha256"]) == 64

    new = tmp_path / "restored"
    result = run("restore", backup, "--home", new)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600) for p in new.rglob("*"))
    assert (new / "index" / "manifest.json").exists()  # the search index is rebuilt
    assert not [p for p in tmp_path.iterdir() if ".restoring." in p.name]

    assert _export(run, new, tmp_path / "b.jsonl") == _export(run, built, tmp_path / "a.jsonl")
    same = [json.loads(line)["id"] for line in run("brauche Handwerker", "--json", "--home", new).output.splitlines()]
    assert same == [json.loads(line)["id"]
                    for line in run("brauche Handwerker", "--json", "--home", built).output.splitlines()]
    assert "backup" in run("log", "--action", "backup", "--home", built).output
    restored_log = run("log", "--json", "--home", new).output
    assert '"restore"' in restored_log and '"search"' in restored_log  # the spooled search went into the backup


def test_the_library_backs_up_and_restores(built, tmp_path):
    with Network(home=built) as net:
        manifest = net.backup(tmp_path / "lib.zip")
    done = restore(tmp_path / "lib.zip", tmp_path / "new")
    assert done["counts"] == manifest["counts"]
    with Network(home=tmp_path / "new") as net:
        assert net.search("brauche Handwerker").matches
        assert net.log_entries(action="restore")


def _damage_refused(run, backup, tmp_path):
    target = tmp_path / "target"
    before = _all_files(tmp_path)
    result = run("restore", backup, "--home", target)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "damaged or truncated backup" in lines[0] and "nothing was written" in lines[0]
    assert not target.exists() and _all_files(tmp_path) == before


def test_a_truncated_or_flipped_backup_is_refused_and_nothing_written(built, run, tmp_path):
    backup = tmp_path / "net.zip"
    assert run("backup", backup).exit_code == 0
    data = backup.read_bytes()
    bad = tmp_path / "bad.zip"
    for cut in (len(data) // 2, len(data) - 1, 100):
        bad.write_bytes(data[:cut])
        _damage_refused(run, bad, tmp_path)
    for at in (10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 70, len(data) - 1):
        flipped = bytearray(data)
        flipped[at] ^= 0x01
        bad.write_bytes(bytes(flipped))
        _damage_refused(run, bad, tmp_path)
    bad.write_bytes(b"not a backup at all")
    _damage_refused(run, bad, tmp_path)
    with pytest.raises(BackupError):
        restore(bad, tmp_path / "lib-target")
    assert not (tmp_path / "lib-target").exists()


def test_restore_refuses_a_home_that_is_not_empty_and_takes_an_empty_one(built, run, tmp_path):
    backup = tmp_path / "net.zip"
    assert run("backup", backup).exit_code == 0
    result = run("restore", backup, "--home", built)
    assert result.exit_code == 2 and "not empty" in result.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = run("restore", backup, "--home", other)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("restore", backup, "--home", empty).exit_code == 0
    assert (empty / "semnetz.duckdb").exists()


def test_backup_to_standard_output_is_not_supported(built, run):
    result = run("backup", "-")
    assert result.exit_code == 2 and "standard output" in result.output


def _search_loop(home, stop, errors, count):
    try:
        with Network(home=home) as net:
            while not stop.is_set():
                assert net.search("brauche Handwerker").matches
                count.append(1)
    except Exception as exc:  # noqa: BLE001 - reported to the test
        errors.append(exc)


def test_searches_go_on_during_a_backup(built, tmp_path):
    stop, errors, count = threading.Event(), [], []
    searcher = threading.Thread(target=_search_loop, args=(built, stop, errors, count))
    with Network(home=built) as net:
        net.search("brauche Handwerker")  # warm
        searcher.start()
        try:
            for n in range(3):
                net.backup(tmp_path / f"b{n}.zip")
        finally:
            stop.set()
            searcher.join()
    assert not errors and count


def _search_in_process(home, started, done):
    with Network(home=home) as net:
        started.set()
        while not done.is_set():
            net.search("brauche Handwerker")


def test_a_search_in_another_process_during_a_backup(built, tmp_path):
    ctx = multiprocessing.get_context("fork")
    started, done = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_search_in_process, args=(built, started, done))
    other.start()
    try:
        assert started.wait(30)
        with Network(home=built) as net:
            net.backup(tmp_path / "p.zip")
    finally:
        done.set()
        other.join(30)
    assert other.exitcode == 0
    assert restore(tmp_path / "p.zip", tmp_path / "p-home")["counts"]["people"] > 0


def test_backup_and_restore_with_the_real_model(run, real_model, semnetz_home, tmp_path):
    assert run("import", DATA / "people.jsonl").exit_code == 0
    assert run("backup", tmp_path / "real.zip").exit_code == 0
    result = run("restore", tmp_path / "real.zip", "--home", tmp_path / "real-home")
    assert result.exit_code == 0, result.output
    assert _export(run, tmp_path / "real-home", tmp_path / "b.jsonl") == _export(run, semnetz_home, tmp_path / "a.jsonl")
    first = run("brauche Handwerker", "--json", "--home", tmp_path / "real-home").output
    assert first == run("brauche Handwerker", "--json").output


def test_what_a_killed_backup_left_beside_its_file_goes_with_the_next_backup(built, run, tmp_path):
    target = tmp_path / "network.semnetz-backup"
    dead = 99_999_999  # beyond any process id
    copy = tmp_path / f".{target.name}.{dead}.x1.duckdb"
    partial = tmp_path / f".{target.name}.{dead}.x2.tmp"
    mine = tmp_path / f".{target.name}.{os.getpid()}.x3.tmp"  # a running process's: kept
    for path in (copy, partial, mine):
        path.write_bytes(b"people")
    assert run("backup", target).exit_code == 0
    assert not copy.exists() and not partial.exists() and mine.exists()

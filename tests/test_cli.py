"""Every command through the CLI, the way a user runs it (fake encoder: fast, deterministic)."""

import json
import shutil

import numpy as np
import pytest

from semnetz import Network
from semnetz.cli import cli
from semnetz.index.lexical import stem

from .conftest import FAKE, SMALL_NETWORK, write_jsonl


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_every_command_has_help_text_and_is_in_the_readme():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert command.help, f"command '{name}' has no help text"
        assert f"semnetz {name}" in readme, f"command '{name}' is not documented in README.md"


def test_import_then_search_by_default_command(run, small_network):
    result = run("import", small_network)
    assert result.exit_code == 0
    assert result.stdout == f"{small_network}: 4 added, 0 updated, 0 unchanged (13 pieces embedded, 0 kept)\n"
    assert result.stderr.startswith("Creating a new network in ")
    result = run("plumbing", "--json", "-k", "1")
    assert result.exit_code == 0
    assert json_lines(result.output) == [{"id": "e3", "name": "Mark Thompson", "score": 1.084, "why": "plumbing",
                                          "why_kind": "offer", "fit": 1.084, "path": ["me", "e3"],
                                          "how": "direct contact", "confidence": "good", "hops": 1,
                                          "reach": {"id": "e3", "name": "Mark Thompson", "introduces": False}}]


def test_search_subcommand_table_shows_name_score_why_id(run, small_network):
    run("import", small_network)
    result = run("search", "plumbing", "-k", "1")
    lines = result.output.splitlines()
    assert lines[0].split() == ["#", "name", "score", "sure", "why", "reach", "id"]
    assert lines[2].split() == ["1", "Mark", "Thompson", "1.08", "good", "fit", "plumbing", "direct", "e3"]


def test_one_result_per_person_with_best_piece_as_why(run, small_network):
    run("import", small_network)
    out = json_lines(run("Heizung entlüften plumbing", "--json", "--all", "-k", "10").output)
    ids = [m["id"] for m in out]
    assert len(ids) == len(set(ids)) == 4
    assert out[0]["id"] == "e3"


def test_nothing_fits_says_so_and_all_shows_anyway(run, small_network):
    run("import", small_network)
    result = run("xyzzy qwv")
    assert result.exit_code == 0
    assert result.output.startswith('Nobody in your network fits "xyzzy qwv" well')
    assert "--all" in result.output
    assert run("xyzzy qwv", "--json").output == ""
    assert len(json_lines(run("xyzzy qwv", "--json", "--all", "-k", "3").output)) == 3


def test_names_and_aliases_are_found_even_misspelt(run, small_network):
    run("import", small_network)
    assert json_lines(run("Leons Mama", "--json").output)[0]["id"] == "e2"
    assert json_lines(run("Leon Mamma", "--json").output)[0]["id"] == "e2"
    assert json_lines(run("Ayse Demir", "--json").output)[0]["id"] == "e2"
    first = json_lines(run("Jonas Webber", "--json").output)[0]
    assert (first["id"], first["why_kind"]) == ("e1", "name")
    nickname = json_lines(run("Marky Thomson", "--json").output)[0]  # the name he goes by, surname misspelt
    assert (nickname["id"], nickname["why_kind"]) == ("e3", "alias")


def test_batch_reads_text_and_json_lines_and_loads_model_once(run, small_network, tmp_path):
    run("import", small_network)
    batch = tmp_path / "queries.txt"
    batch.write_text('plumbing\n\n{"q": "Brillen reparieren", "rel": {"e2": 2}}\nLeons Mama\n', encoding="utf-8")
    calls_before = FAKE.calls
    result = run("search", "--batch", batch, "-k", "2")
    assert result.exit_code == 0
    out = json_lines(result.output)
    assert [o["q"] for o in out] == ["plumbing", "Brillen reparieren", "Leons Mama"]
    assert out[0]["results"][0]["id"] == "e3"
    assert out[1]["results"][0]["id"] == "e2"
    assert set(out[0]["results"][0]) == {"id", "name", "score", "why", "why_kind", "fit", "path", "how", "hops",
                                         "confidence", "reach"}
    assert FAKE.calls - calls_before == 1  # one encoder call for the whole batch


def test_batch_bad_line_names_file_and_line(run, small_network, tmp_path):
    run("import", small_network)
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"q": "ok"}\n{"q": 3}\n', encoding="utf-8")
    result = run("search", "--batch", batch)
    assert result.exit_code == 2
    assert result.output == f'Error: {batch}:2: a JSON line needs a non-empty "q" string\n'


def test_reimport_is_an_upsert_that_reembeds_only_changes(run, small_network, tmp_path):
    run("import", small_network)
    assert run("import", small_network).output.endswith("0 added, 0 updated, 4 unchanged (0 pieces embedded, 0 kept)\n")
    changed = [dict(p) for p in SMALL_NETWORK]
    changed[2]["offers"] = ["plumbing", "Waschmaschine anschließen"]
    path = write_jsonl(tmp_path / "changed.jsonl", changed)
    before = FAKE.texts_encoded
    result = run("import", path)
    assert result.output.endswith("0 added, 1 updated, 3 unchanged (1 pieces embedded, 3 kept)\n")
    assert FAKE.texts_encoded - before == 1  # only the new offer
    assert len(json_lines(run("list", "--json").output)) == 4
    assert json_lines(run("Waschmaschine anschließen", "--json", "-k", "1").output)[0]["id"] == "e3"
    assert "Heizung entlüften" not in run("show", "e3").output


def test_index_stays_consistent_with_store(run, small_network, semnetz_home):
    run("import", small_network)
    run("edit", "e3", "--remove-offer", "Heizung entlüften", "--add-offer", "Boiler warten")
    run("remove", "e4")
    run("add", "Lena Kraus", "--id", "e5", "--text", "Malerin, streicht Wohnungen", "--offer", "Tapezieren")
    with Network(home=semnetz_home) as net:
        with net.store.read() as tables:
            stored = {r[0] for r in tables.conn.execute("SELECT item_id FROM items WHERE kind != 'need'").fetchall()}
        view = net.view()
        assert len(view.segments) > 1  # the writes after the import were published as deltas
        assert set(view.items_of(view.live_pks())[0].tolist()) == stored
        before = [(m.id, round(m.score, 4)) for m in net.search("Boiler warten", k=5, include_all=True).matches]
    assert run("reindex").exit_code == 0
    with Network(home=semnetz_home) as net:
        view = net.view()
        assert len(view.segments) == 1  # rebuilt whole
        assert set(view.items_of(view.live_pks())[0].tolist()) == stored
        after = [(m.id, round(m.score, 4)) for m in net.search("Boiler warten", k=5, include_all=True).matches]
    assert after == before


def test_index_is_rebuilt_from_store_when_file_is_lost(run, small_network, semnetz_home):
    run("import", small_network)
    shutil.rmtree(semnetz_home / "index")
    assert json_lines(run("plumbing", "--json", "-k", "1").output)[0]["id"] == "e3"


def test_another_model_is_an_explicit_switch_never_a_silent_one(run, small_network, semnetz_home):
    run("import", small_network)
    for args in (("stats", "--json"), ("plumbing", "--json"), ("add", "X", "--text", "y")):
        result = run(*args, "--model", "fake-other")
        assert result.exit_code == 2, args
        assert result.stderr == ("Error: this network is built with the model fake, not fake-other; to switch it "
                                 "(everything is embedded again): semnetz reindex --model fake-other\n")
    assert json.loads(run("stats", "--json").stdout)["model"] == "fake"  # untouched
    assert run("reindex", "--model", "fake-other", input="n\n").exit_code == 1  # asked, and declined
    assert json.loads(run("stats", "--json").stdout)["model"] == "fake"
    assert run("reindex", "--model", "fake-other", "--yes").exit_code == 0
    assert json.loads(run("stats", "--json", "--model", "fake-other").stdout)["model"] == "fake-other"
    with Network(home=semnetz_home, model="fake-other") as net, net.store.read() as tables:
        assert tables.people.models_in_use() == {"fake-other"}
    log = json_lines(run("log", "--json", "--action", "reindex", "--model", "fake-other").output)
    assert "model changed from fake to fake-other" in log[-1]["detail"]["reason"]


def test_reindex_with_a_model_that_does_not_exist_says_so_before_asking(run, small_network, tmp_path):
    run("import", small_network)
    result = run("reindex", "--model", str(tmp_path / "no-such-model"), input="y\n")
    assert result.exit_code == 2
    assert "Embed everyone again" not in result.output  # not asked
    assert result.stderr.startswith("Error: cannot load model") and len(result.stderr.splitlines()) == 1
    assert json.loads(run("stats", "--json").stdout)["model"] == "fake"


def test_add_show_edit_list_remove(run):
    result = run("add", "Nina Berg", "--text", "Hebamme", "--offer", "Wochenbettbetreuung", "--alias", "die Hebamme",
                 "--need", "Kinderwagen", "--phone", "+49 1")
    assert result.stdout == "Added Nina Berg as p0001\n"
    shown = json.loads(run("show", "p0001", "--json").output)
    assert shown == {"id": "p0001", "name": "Nina Berg", "aliases": ["die Hebamme"], "text": "Hebamme",
                     "offers": ["Wochenbettbetreuung"], "needs": ["Kinderwagen"], "contact": {"phone": "+49 1"}}
    assert run("edit", "p0001", "--add-offer", "Stillberatung", "--email", "n@example.org").output == \
        "Updated p0001: contact, offers\n"
    shown = json.loads(run("show", "p0001", "--json").output)
    assert shown["offers"] == ["Wochenbettbetreuung", "Stillberatung"]
    assert shown["contact"] == {"phone": "+49 1", "email": "n@example.org"}
    assert "Nina Berg" in run("list").output
    assert run("remove", "p0001").output == "Removed p0001 (Nina Berg)\n"
    assert run("list", "--json").output == ""


def test_add_with_a_name_that_exists_adds_a_second_person_and_says_so(run):
    run("add", "Kurt Meier", "--text", "Hausmeister")
    run("add", "Ida Klein", "--text", "Malerin", "--via", "p0001")
    assert run("add", "Kurt Meier", "--text", "Bäcker").stdout == \
        "Added Kurt Meier as p0003 (there is also a Kurt Meier: p0001)\n"
    rows = json_lines(run("list", "--json").output)
    assert [(r["id"], r["text"]) for r in rows] == [("p0001", "Hausmeister"), ("p0002", "Malerin"), ("p0003", "Bäcker")]
    assert rows[1]["via"] == "p0001"  # the first Kurt keeps everything, his link included
    taken = run("add", "Kurt", "--id", "p0001", "--text", "x")
    assert (taken.exit_code, taken.stderr) == (2, "Error: add: the id 'p0001' is taken; to change that person: "
                                                  "semnetz edit p0001\n")


def test_an_import_without_ids_never_merges_two_people_of_one_file(run, tmp_path):
    people = [{"name": "Kurt Meier", "text": "Hausmeister"}, {"name": "Kurt Meier", "text": "Bäcker"},
              {"name": "Ida Klein", "text": "Malerin"}]
    path = write_jsonl(tmp_path / "p.jsonl", people)
    assert run("import", path).stdout.endswith("3 added, 0 updated, 0 unchanged (3 pieces embedded, 0 kept)\n")
    assert run("import", path).stdout.endswith("0 added, 0 updated, 3 unchanged (0 pieces embedded, 0 kept)\n")
    people[1]["text"] = "Bäckermeister"  # the second Kurt changes; the first stays
    assert run("import", write_jsonl(path, people)).stdout.endswith(
        "0 added, 1 updated, 2 unchanged (1 pieces embedded, 0 kept)\n")
    rows = json_lines(run("list", "--json").output)
    assert sorted(r["text"] for r in rows) == ["Bäckermeister", "Hausmeister", "Malerin"]
    assert not json_lines(run("Bäcker", "--json", "--all", "-k", "3").stdout)[0]["why"] == "Bäcker"  # no stale piece


def test_remove_deletes_everywhere_including_log_mentions(run, small_network, semnetz_home):
    run("import", small_network)
    run("plumbing", "-k", "4", "--all")
    run("remove", "e3")
    log_text = run("log", "--json").output
    assert '"e3"' not in log_text
    with Network(home=semnetz_home) as net:
        with net.store.read() as tables:
            assert tables.conn.execute("SELECT count(*) FROM items WHERE person_pk NOT IN (SELECT pk FROM people)"
                                       ).fetchone()[0] == 0
        assert "e3" not in {m.id for m in net.search("plumbing", k=10, include_all=True).matches}
    assert run("show", "e3").exit_code == 2


def test_log_records_every_action_with_details(run, small_network):
    run("import", small_network)
    run("add", "Nina Berg", "--text", "Hebamme")
    run("edit", "e1", "--text", "Elektriker, auch am Wochenende")
    run("plumbing", "-k", "1")
    run("remove", "e4")
    run("reindex")
    entries = json_lines(run("log", "--json").output)
    assert [e["action"] for e in entries] == ["import", "add", "edit", "search", "remove", "reindex"]
    assert entries[0]["detail"]["added"] == ["e1", "e2", "e3"]  # e4 was removed: scrubbed
    assert entries[3]["detail"] == {"q": "plumbing", "ids": ["e3"]}
    assert all("logged_at" in e for e in entries)
    table = run("log", "-n", "2").output
    assert "remove" in table and "reindex" in table and "import" not in table


def test_stats(run, small_network):
    run("import", small_network)
    stats = json.loads(run("stats", "--json").output)
    assert (stats["people"], stats["offers"], stats["needs"], stats["about_clauses"]) == (4, 4, 1, 8)
    assert stats["index_vectors"] == {"offers": 12}  # needs are matched from the store, not indexed
    assert stats["model"] == "fake" and stats["index_type"] == "SQfp16"
    run("reindex")
    assert json.loads(run("stats", "--json").output)["last_reindex"] is not None
    assert "people" in run("stats").output


def test_csv_import(run, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("id,name,aliases,text,offers,phone\n"
                    "c1,Olga Ivanova,Mischas Mama,Übersetzerin,Russisch übersetzen; Behördenbriefe,+49 2\n",
                    encoding="utf-8")
    assert run("import", path).exit_code == 0
    shown = json.loads(run("show", "c1", "--json").output)
    assert shown["offers"] == ["Russisch übersetzen", "Behördenbriefe"]
    assert shown["contact"] == {"phone": "+49 2"}


BAD_LINES = [
    ('{"id": "x1", "name": "A", "text": "t"}\n{"id": "x2", "text": "no name"}\n', 2, "missing 'name'"),
    ('{"id": "x1", "name": "A", "text": "t"}\n{"id": "x2", "name": "B", "text": "t"\n', 2, "not valid JSON"),
    ('{"id": "x1", "name": "A", "offers": "ok"}\n{"id": "x2", "name": "B", "offers": [1]}\n', 2,
     "each entry of 'offers' must be a string, got int"),
    ('{"id": "x1", "name": "A"}\n', 1, "a person needs 'text' or 'offers'"),
    ('{"id": "x1", "name": "A", "text": "t", "ofers": []}\n', 1, "unknown field 'ofers'"),
    ('{"id": "x1", "name": "A", "text": "t"}\n{"id": "x1", "name": "B", "text": "t"}\n', 2,
     "id 'x1' appears twice (first on line 1)"),
    ('{"id": "x1", "name": "A", "text": "t", "via": "nobody"}\n', 1, "'via' names unknown id 'nobody'"),
    ('{"id": "x1", "name": "A", "text": "t", "knows": [{"id": "x2", "strength": 1.5}]}\n', 1,
     "'strength' must be from 0 to 1, got 1.5"),
    ('[1, 2]\n', 1, "expected a JSON object for a person, got list"),
]


@pytest.mark.parametrize("content,line,message", BAD_LINES)
def test_bad_input_one_line_exit_2_and_store_unchanged(run, small_network, tmp_path, semnetz_home, content, line,
                                                       message):
    run("import", small_network)
    before = run("list", "--json").output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    result = run("import", bad)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad}:{line}: {message}")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert run("list", "--json").output == before
    assert json_lines(run("log", "--json").output)[-1]["action"] == "import"  # the first, good import only


def test_unreadable_and_non_utf8_files(run, tmp_path):
    result = run("import", tmp_path / "missing.jsonl")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"Error: {tmp_path / 'missing.jsonl'}: cannot read file")
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(b'{"name": "A", "text": "ok"}\n{"name": "B\xe4r", "text": "t"}\n')
    result = run("import", latin)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, f"Error: {latin}:2: not UTF-8 text (save the file "
                                                                     "as UTF-8)")


def test_bad_csv_header(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("name,job\nA,B\n", encoding="utf-8")
    result = run("import", path)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, f"Error: {path}:1: unknown column 'job' (allowed: "
                                                                     "id, name, aliases, text, offers, needs, tags, "
                                                                     "phone, email, via)")


@pytest.mark.parametrize("args,message", [
    (("show", "nope"), "Error: no person with id 'nope' (see 'semnetz list')\n"),
    (("remove", "nope"), "Error: no person with id 'nope' (see 'semnetz list')\n"),
    (("edit", "nope", "--text", "x"), "Error: no person with id 'nope' (see 'semnetz list')\n"),
    (("edit", "e1"), "Error: nothing to change: give at least one option (see 'semnetz edit --help')\n"),
    (("edit", "e1", "--remove-offer", "nope"), "Error: e1 has no offer 'nope' (see 'semnetz show e1')\n"),
    (("search",), 'Error: say what you need, e.g. "brauche Handwerker"\n'),
    (("   ",), 'Error: say what you need, e.g. "brauche Handwerker"\n'),
])
def test_unknown_ids_and_bad_arguments(run, small_network, args, message):
    run("import", small_network)
    result = run(*args)
    assert (result.exit_code, result.output) == (2, message)


def test_home_option_overrides_environment(run, small_network, tmp_path):
    other = tmp_path / "other-home"
    run("import", small_network, "--home", other)
    assert len(json_lines(run("list", "--json", "--home", other).output)) == 4
    assert len(json_lines(run("--home", other, "list", "--json").output)) == 4  # before the command, too
    missing = run("list", "--json")
    assert missing.exit_code == 2 and missing.stderr.startswith("Error: there is no network in ")


def test_python_api_matches_cli(small_network, semnetz_home):
    with Network(home=semnetz_home) as net:
        report = net.import_file(small_network)
        assert len(report.added) == 4
        result = net.search("plumbing", k=1)
        assert result.matches[0].id == "e3"
        assert result.to_json()["results"][0]["why"] == "plumbing"
        vectors = net.encoder.encode_texts(["a", "b"])
        assert vectors.shape == (2, net.encoder.dim)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_ci_runs_the_readme_test_command():
    import subprocess

    from .conftest import ROOT

    extracted = subprocess.run(
        ["awk", "/^```bash$/{n++; next} /^```$/{if (n==2) exit; next} n==2", str(ROOT / "README.md")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted.endswith("python -m pytest -q")
    assert "awk" in (ROOT / ".ci" / "run").read_text()


def test_ctrl_c_during_import_leaves_the_store_as_it_was(run, small_network, tmp_path, monkeypatch):
    run("import", small_network)
    before = run("list", "--json").output
    more = write_jsonl(tmp_path / "more.jsonl", [{"id": f"m{i}", "name": f"M {i}", "text": f"Neu {i}"} for i in range(5)])

    def interrupted(texts):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(FAKE, "encode_texts", interrupted)
        result = run("import", more)
    assert (result.exit_code, result.output) == (130, "Interrupted; nothing was half-written.\n")
    assert run("list", "--json").output == before
    assert json_lines(run("plumbing", "--json", "-k", "1").output)[0]["id"] == "e3"


def test_query_stemming_agrees_with_duckdb_fts(semnetz_home, small_network):
    """Query words are stemmed in Python (snowballstemmer); the index was stemmed by DuckDB FTS."""
    from semnetz.store.people import load_fts

    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        words = ["wasserhähne", "handwerker", "größere", "kinderärztin", "fahrräder", "straße", "übersetzung"]
        with net.store.read() as tables:
            load_fts(tables.conn)  # DuckDB's stem(), which the postings were stemmed with
            duck = dict(tables.conn.execute(
                "SELECT w, stem(lower(strip_accents(w)), 'german') FROM unnest(?) t(w)", [words]).fetchall())
        assert [stem(w) for w in words] == [duck[w] for w in words]


# ---------------------------------------------------------------- commands that read as people type (issue 14)
def test_need_alone_shows_its_help_and_need_add_takes_words_without_quotes(run, small_network):
    shown = run("need")
    assert shown.exit_code == 0 and " need [OPTIONS] [COMMAND]" in shown.stdout and "add  Add a need" in shown.stdout
    run("import", small_network)
    added = run("need", "add", "--by", "me", "suche", "Zahnarzt", "--when", "nächste Woche")
    assert added.exit_code == 0 and added.stdout.startswith("Added need")
    mine = [n for n in json_lines(run("needs", "--json").stdout) if n["by"] == "me"]
    assert [(n["need"], n["when"]) for n in mine] == [("suche Zahnarzt", "nächste Woche")]


@pytest.mark.parametrize("args", [("need", "add", "--by", "e1", "Leiter", "--when", "gestern"),
                                  ("search", "plumbing", "--when", "gestern")])
def test_a_time_that_is_past_is_one_clear_line(run, small_network, args):
    run("import", small_network)
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: the time 'gestern' is past (it ended on ")


def test_the_answer_says_how_to_reach_everyone_and_the_json_names_whom_to_contact(run, small_network, tmp_path):
    run("import", small_network)
    from .conftest import write_jsonl

    run("import", write_jsonl(tmp_path / "more.jsonl", [
        {"id": "e5", "name": "Olga Ofen", "text": "Ofenbauerin, setzt Kachelöfen", "via": "e1"}]))
    table = run("search", "Kachelofen setzen").stdout
    assert "How to reach them:" in table
    assert "Olga Ofen: ask Jonas Weber (+49 170 1111) to introduce you to Olga Ofen" in table
    first = json_lines(run("search", "Kachelofen setzen", "--json", "-k", "1").stdout)[0]
    assert first["id"] == "e5"
    assert first["reach"] == {"id": "e1", "name": "Jonas Weber", "introduces": True, "phone": "+49 170 1111"}
    direct = json_lines(run("search", "Lampen anschließen", "--json", "-k", "1").stdout)[0]
    assert direct["reach"] == {"id": "e1", "name": "Jonas Weber", "introduces": False, "phone": "+49 170 1111"}
    assert "Jonas Weber: direct contact: +49 170 1111" in run("search", "Lampen anschließen", "-k", "1").stdout

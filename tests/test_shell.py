"""Ordinary shell habits through the CLI: options before the command, unquoted queries, misspelt commands,
-h, examples, standard input, a home that is not there, and list --json that imports again (fake encoder)."""

import json

import pytest

from semnetz.cli import cli

from .conftest import SMALL_NETWORK, write_jsonl


@pytest.fixture
def imported(run, small_network):
    assert run("import", small_network).exit_code == 0


def ids(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.strip()]


def test_global_options_before_the_command(run, small_network, tmp_path):
    home = tmp_path / "elsewhere"
    assert run("--home", home, "import", small_network).exit_code == 0
    listed = run("--home", home, "list", "--json")
    assert listed.exit_code == 0 and len(listed.stdout.splitlines()) == 4
    assert ids(run("--home", home, "plumbing", "--json").stdout)[0] == "e3"


def test_an_unquoted_query_is_one_query(run, imported):
    assert ids(run("Heizung", "entlüften", "--json").stdout)[0] == "e3"
    assert ids(run("need", "a", "plumber", "--json").stdout)[0] == "e3"  # "need" is also a command group
    assert run("need", "add", "--by", "e1", "Leiter").stdout.startswith("Added need")


@pytest.mark.parametrize("typed,meant", [("lsit", "list"), ("improt", "import"), ("stas", "stats")])
def test_a_misspelt_command_is_not_searched(run, imported, typed, meant):
    result = run(typed, "x")
    assert result.exit_code == 2
    assert f"Did you mean 'semnetz {meant}'?" in result.stderr and f"semnetz search {typed}" in result.stderr


def test_a_one_word_query_that_is_a_command_is_searched_with_search(run, imported):
    assert run("search", "list", "--json", "--all", "-k", "1").exit_code == 0
    assert run("Liste", "--json", "--all").exit_code == 0  # a real word close to a command is searched


def test_h_and_every_command_has_an_example(run):
    assert run("-h").stdout == run("--help").stdout
    commands = list(cli.commands.items()) + [(f"need {n}", c) for n, c in cli.commands["need"].commands.items()] \
        + [(f"bench {n}", c) for n, c in cli.commands["bench"].commands.items()]
    for name, command in commands:
        text = run(*name.split(), "-h").stdout
        assert "semnetz " in text.split("Options:")[0], name  # an example before the options


def test_bench_commands_name_a_count_and_a_file_differently(run):
    assert "--size" in run("bench", "speed", "-h").stdout and "--size" in run("bench", "peers", "-h").stdout
    assert "--people" not in run("bench", "speed", "-h").stdout


def test_standard_input_for_a_query_and_a_batch(run, imported):
    assert ids(run("search", "-", "--json", input="need a plumber\n").stdout)[0] == "e3"
    batch = run("search", "--batch", "-", input="plumbing\nBrillen reparieren\n").stdout.splitlines()
    assert [json.loads(line)["results"][0]["id"] for line in batch] == ["e3", "e2"]


def test_a_home_that_is_not_there_is_named_not_silently_made(run, tmp_path):
    missing = tmp_path / "typo-home"
    result = run("--home", missing, "list")
    assert result.exit_code == 2 and f"there is no network in {missing}" in result.stderr
    assert not missing.exists()
    created = run("--home", missing, "add", "Ida Klein", "--text", "Malerin")
    assert created.exit_code == 0 and created.stderr == f"Creating a new network in {missing}\n"


def test_edit_with_an_empty_value_clears_the_field(run, imported):
    assert run("edit", "e1", "--phone", "").exit_code == 0
    assert "phone" not in json.loads(run("show", "e1", "--json").stdout).get("contact", {})


def test_list_json_writes_the_import_format_and_imports_again(run, imported, tmp_path):
    run("link", "e1", "e4", "--relation", "Nachbar", "--strength", "0.5")
    run("need", "add", "--by", "e1", "Leiter", "--when", "bis März")
    exported = run("list", "--json").stdout
    path = tmp_path / "everyone.jsonl"
    path.write_text(exported, encoding="utf-8")
    rows = [json.loads(line) for line in exported.splitlines()]
    e1 = next(r for r in rows if r["id"] == "e1")
    assert e1["offers"] == SMALL_NETWORK[0]["offers"] and {"text": "Leiter", "when": "bis März"} in e1["needs"]
    assert e1["knows"] == [{"id": "e4", "relation": "Nachbar", "strength": 0.5}]
    again = tmp_path / "again"
    assert run("--home", again, "import", path).exit_code == 0
    assert run("--home", again, "list", "--json").stdout == exported


def test_a_need_of_your_own(run, imported):
    assert run("need", "add", "--by", "me", "Umzugshelfer", "--when", "bis März").stdout.startswith("Added need")
    needs = [json.loads(line) for line in run("needs", "--json").stdout.splitlines()]
    assert [(n["by"], n["need"]) for n in needs if n["by"] == "me"] == [("me", "Umzugshelfer")]
    assert "me" not in ids(run("Umzugshelfer", "--json", "--all", "-k", "5").stdout)  # you are not found for it
    assert run("need", "add", "--by", "me", "Leiter").exit_code == 0  # a second one joins the first


def test_control_characters_in_names_never_reach_the_terminal_raw(run, tmp_path):
    evil = "Eve\x1b]0;pwned\x07 Mallory\x9b31m"
    run("import", write_jsonl(tmp_path / "p.jsonl", [{"id": "x1", "name": evil, "text": "Klempnerin"}]))
    for args in (("show", "x1"), ("list",), ("Klempnerin",), ("show", "x1", "--json"), ("Klempnerin", "--json")):
        out = run(*args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, args

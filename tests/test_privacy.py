"""`semnetz remove` leaves no byte of the person anywhere in the home: not in the DuckDB file (rewritten), its
WAL, the index segments, the search spool or the lock file (fake encoder)."""


from semnetz.config import VIEW_DIRNAME

from .conftest import SMALL_NETWORK, write_jsonl

PHONE = "+49 170 5550199"
EMAIL = "zz.unique@example.org"
PERSON = {"id": "q1", "name": "Quirinus Zwetschgenbaum", "aliases": ["Onkel Quirin"],
          "text": "Sammelt Quastenflosser-Fossilien und repariert alte Standuhren.",
          "offers": ["Standuhren reparieren"], "needs": [{"text": "Vitrine für Quastenflosser", "when": "bis März"}],
          "contact": {"phone": PHONE, "email": EMAIL}, "knows": [{"id": "e4", "relation": "Stammtischbruder"}]}
NEEDLES = ["Quirinus Zwetschgenbaum", "Zwetschgenbaum", "Quirinus", "Onkel Quirin", "Quastenflosser",
           "Stammtischbruder", "Standuhren reparieren", "Pendel einstellen", PHONE, EMAIL]


def files_holding(home, needles) -> dict[str, list[str]]:
    """needle -> the files under home whose bytes contain it (UTF-8)."""
    contents = {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}
    return {n: [name for name, data in contents.items() if n.encode("utf-8") in data] for n in needles}


def test_remove_leaves_no_byte_of_them_in_the_home(run, tmp_path, semnetz_home):
    run("import", write_jsonl(tmp_path / "people.jsonl", [*SMALL_NETWORK, PERSON]))
    run("edit", "q1", "--add-offer", "Pendel einstellen")  # their newer version in a delta, the older in the base
    assert run("Quirinus Zwetschgenbaum").exit_code == 0  # a search that names them: spooled …
    run("log")  # … and moved into the audit log by this writer
    run(PHONE)  # and one that stays in the spool until the remove

    before = files_holding(semnetz_home, NEEDLES)
    assert {n for n, files in before.items() if not files} == set()  # every check below can fail …
    assert "semnetz.duckdb" in before[PHONE] or "semnetz.duckdb" in before[EMAIL]  # … the store's too
    assert any(f.startswith("index/") for f in before["Quastenflosser"])
    assert any(f.startswith("searches/") for f in before[PHONE])

    assert run("remove", "q1").output == "Removed q1 (Quirinus Zwetschgenbaum)\n"
    after = files_holding(semnetz_home, NEEDLES)
    assert {n: files for n, files in after.items() if files} == {}
    names = {p.relative_to(semnetz_home).as_posix() for p in semnetz_home.rglob("*") if p.is_file()}
    assert "semnetz.duckdb" in names and not any(n.startswith("searches/") for n in names)
    # the rest of the network is intact
    assert run("Tischler", "--json", "-k", "1").output.startswith('{"id": "e4"')
    assert '"q1"' not in run("log", "--json").output


def test_the_relation_of_a_link_published_on_its_own_is_cut_from_the_index(run, small_network, semnetz_home):
    run("import", small_network)
    run("link", "e3", "e4", "--relation", "Stammtischbruder")  # a delta with links only, no people
    index = semnetz_home / VIEW_DIRNAME
    assert files_holding(index, ["Stammtischbruder"])["Stammtischbruder"]
    run("remove", "e3")
    assert files_holding(index, ["Stammtischbruder"]) == {"Stammtischbruder": []}


def test_the_relation_of_their_links_does_not_stay_in_the_audit_log(run, small_network, semnetz_home):
    run("import", small_network)
    run("link", "e4", "e3", "--relation", "Stammtischbruder")
    run("remove", "e3")
    assert "Stammtischbruder" not in run("log", "--json").output

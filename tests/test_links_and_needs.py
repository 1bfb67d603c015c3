"""Who knows whom, needs with a when, match / intro / outcome — through the CLI (fake encoder)."""

import json

import pytest

from semnetz import Network
from semnetz.errors import InputError

from .conftest import NEIGHBOURS as NETWORK, write_jsonl


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def network(run, tmp_path):
    path = write_jsonl(tmp_path / "net.jsonl", NETWORK)
    assert run("import", path).exit_code == 0
    return path


def test_second_degree_person_found_with_path_and_introduction(run, network):
    out = json_lines(run("Fliesen legen im Bad", "--json", "-k", "1").output)[0]
    assert (out["id"], out["path"], out["hops"]) == ("b1", ["me", "a1", "b1"], 2)
    assert out["how"] == "ask Svetlana Petrova to introduce you to Igor Petrov (Bruder)"
    table = run("Fliesen legen im Bad", "-k", "1").output
    assert "via Svetlana Petrova" in table
    assert ("Igor Petrov: ask Svetlana Petrova (+49 170 1111111, sveta@example.org) to introduce you to Igor Petrov "
            "(Bruder)") in table


def test_hops_limit_who_is_searched(run, network):
    assert "c1" not in [m["id"] for m in json_lines(run("Kachelofen bauen", "--json", "--all", "-k", "10").output)]
    three = json_lines(run("Kachelofen bauen", "--json", "--hops", "3", "-k", "1").output)[0]
    assert (three["id"], three["path"]) == ("c1", ["me", "a1", "b1", "c1"])
    assert three["how"] == "ask Svetlana Petrova to introduce you to Igor Petrov (Bruder), who knows Pavel Novak (Kollege)"
    direct_only = {m["id"] for m in json_lines(run("Fliesen legen im Bad", "--json", "--all", "--hops", "1",
                                                   "-k", "10").output)}
    assert direct_only == {"a1", "d1", "e1", "f1"}


def test_direct_contact_who_fits_well_beats_stranger_who_fits_slightly_better(run, tmp_path):
    people = [
        {"id": "x1", "name": "Anna", "text": "Freundin", "offers": ["Fahrrad"], "knows": [{"id": "x3"}]},
        {"id": "x2", "name": "Direkt Doris", "offers": ["Fahrrad reparieren schnell"]},
        {"id": "x3", "name": "Fremder Fritz", "offers": ["Fahrrad reparieren lassen"], "via": "x1"},
    ]
    run("import", write_jsonl(tmp_path / "p.jsonl", people))
    out = json_lines(run("Fahrrad reparieren", "--json", "--all", "-k", "3").output)
    by_id = {m["id"]: m for m in out}
    assert by_id["x2"]["fit"] < by_id["x3"]["fit"] < 1.1 * by_id["x2"]["fit"]  # the stranger fits slightly better …
    assert [m["id"] for m in out].index("x2") < [m["id"] for m in out].index("x3")  # … the direct contact ranks first


def test_link_unlink_and_bad_links(run, network):
    assert run("link", "d1", "c1", "--relation", "Nachbar", "--strength", "0.7").output == "Linked d1 -> c1 (Nachbar)\n"
    out = json_lines(run("Kachelofen bauen", "--json", "-k", "1").output)[0]
    assert (out["id"], out["path"]) == ("c1", ["me", "d1", "c1"])
    assert {"id": "c1", "relation": "Nachbar", "strength": 0.7} in json.loads(run("show", "d1", "--json").output)["knows"]
    assert run("unlink", "d1", "c1").output == "Unlinked d1 and c1\n"
    assert "c1" not in [m["id"] for m in json_lines(run("Kachelofen bauen", "--json", "--all", "-k", "10").output)]
    for args, message in [
        (("link", "d1", "zz"), "Error: no person with id 'zz' (see 'semnetz list')\n"),
        (("link", "d1", "d1"), "Error: cannot link d1 to themself\n"),
        (("link", "d1", "c1", "--strength", "1.5"), "Error: --strength must be from 0 to 1, got 1.5\n"),
        (("unlink", "d1", "c1"), "Error: d1 and c1 are not linked\n"),
    ]:
        result = run(*args)
        assert (result.exit_code, result.output) == (2, message)
    actions = [e["action"] for e in json_lines(run("log", "--json").output)]
    assert actions.count("link") == 1 and actions.count("unlink") == 1


def test_filter_never_hides_a_match_that_exists(run, tmp_path):
    # 30 untagged people fit better than the one tagged person; with --tag it must still be found
    people = [{"id": f"u{i}", "name": f"Person {i}", "offers": ["Umzugshelfer mit Transporter"]} for i in range(30)]
    people.append({"id": "t1", "name": "Tagged Tina", "offers": ["Umzüge"], "tags": ["umzug"]})
    run("import", write_jsonl(tmp_path / "p.jsonl", people))
    unfiltered = [m["id"] for m in json_lines(run("Umzugshelfer mit Transporter", "--json", "--all", "-k", "5").output)]
    assert "t1" not in unfiltered
    filtered = json_lines(run("Umzugshelfer mit Transporter", "--json", "--all", "--tag", "umzug", "-k", "5").output)
    assert [m["id"] for m in filtered] == ["t1"]
    # and hops: the best match is two hops away, the direct contact must still come back with --hops 1
    people = [{"id": "h1", "name": "Hanna", "offers": ["Kuchen"], "knows": [{"id": "h2"}]},
              {"id": "h2", "name": "Hugo", "offers": ["Gitarrenunterricht für Kinder"], "via": "h1"},
              {"id": "h3", "name": "Heike", "offers": ["Gitarre"]}]
    run("import", write_jsonl(tmp_path / "h.jsonl", people))
    assert json_lines(run("Gitarrenunterricht für Kinder", "--json", "--all", "--hops", "1", "-k", "1").output)[0]["id"] \
        in {"h3"}


def test_needs_listed_soonest_first_with_dates(run, network):
    rows = json_lines(run("needs", "--json").output)
    assert [r["need"] for r in rows] == ["Umzugshelfer mit Transporter", "suche 4-Zimmer-Wohnung", "Kinderbett",
                                         "Winterreifen"]
    assert rows[0]["when"] == "Ende Februar" and rows[0]["until"].endswith("-02-28")
    assert rows[1]["until"].endswith("-03-31") and rows[1]["from"] is None
    assert rows[2]["until"] is None and all(r["status"] == "open" for r in rows)
    assert "Umzugshelfer mit Transporter" in run("needs").output


def test_need_add_and_bad_dates(run, network):
    result = run("need", "add", "--by", "f1", "Babysitter", "--when", "nächste Woche")
    assert result.exit_code == 0 and result.output.startswith("Added need ")
    row = [r for r in json_lines(run("needs", "--json").output) if r["need"] == "Babysitter"][0]
    assert row["by"] == "f1" and row["from"] is not None and row["until"] is not None
    for args, message in [
        (("need", "add", "--by", "f1", "Babysitter", "--when", "irgendwann mal"),
         "Error: cannot understand the time 'irgendwann mal' (try e.g. 'bis März', 'nächste Woche', 'ASAP', "
         "'2027-03-01')\n"),
        (("need", "add", "--by", "zz", "Babysitter"), "Error: no person with id 'zz' (see 'semnetz list')\n"),
    ]:
        result = run(*args)
        assert (result.exit_code, result.output) == (2, message)


def test_bad_date_in_import_names_file_and_line_and_changes_nothing(run, network, tmp_path):
    before = run("needs", "--json").output
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "g1", "name": "G", "text": "t", "needs": [{"text": "x", "when": "morgen"}]},
        {"id": "g2", "name": "H", "text": "t", "needs": [{"text": "y", "when": "am Sankt Nimmerleinstag"}]},
    ])
    result = run("import", bad)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad}:2: cannot understand the time 'am Sankt Nimmerleinstag'")
    assert run("needs", "--json").output == before


def test_expired_needs(network, semnetz_home):
    with Network(home=semnetz_home) as net:
        with pytest.raises(InputError, match="the time '2020-01-01' is past"):
            net.add_need("f1", "Hilfe beim Streichen", "2020-01-01")  # a new need lies ahead
        # a need recorded earlier (an import, an edit) whose date has passed
        net.edit("f1", {"needs": [*net.get("f1").to_dict().get("needs", []),
                                  {"text": "Hilfe beim Streichen", "when": "2020-01-01"}]})
        need_id = next(n.need_id for n in net.needs(read_only=True) if n.text == "Hilfe beim Streichen")
        assert {n.need_id: n.status for n in net.needs(read_only=True)}[need_id] == "expired"  # shown so, unwritten
        assert {n.need_id: n.status for n in net.needs()}[need_id] == "expired"
        assert need_id not in {n.need_id for n in net.needs("open")}
        assert need_id not in {p.need.need_id for p in net.match(read_only=True, include_all=True)}


def test_match_proposes_the_flat_and_the_mover_and_logs_proposals(run, network):
    out = json_lines(run("match", "--json", "-k", "1").output)
    pairs = {(p["needs"], p["offers"]) for p in out}
    assert ("e1", "d1") in pairs  # needs a 4-room flat <- her 4-room flat frees up
    assert ("d1", "f1") in pairs  # needs movers <- Umzugshelfer
    assert all(p["needs"] != p["offers"] for p in out)
    text = run("match").output
    assert 'Mehmet Yilmaz needs "suche 4-Zimmer-Wohnung", Lena Schmidt offers "4-Zimmer-Wohnung wird frei"' in text
    logged = [e for e in json_lines(run("log", "--json").output) if e["action"] == "proposal"]
    assert {(e["detail"]["needs"], e["detail"]["offers"]) for e in logged} >= pairs


def test_match_for_one_person(run, network):
    out = json_lines(run("match", "--for", "f1", "--json").output)
    assert [p["need"] for p in out][:1] == ["Umzugshelfer mit Transporter"]
    assert run("match", "--for", "zz").exit_code == 2


def test_intro_and_outcome_change_status_and_ranking(run, network, semnetz_home):
    need_id = [r for r in json_lines(run("needs", "--json").output) if r["need"] == "suche 4-Zimmer-Wohnung"][0]["need_id"]
    assert run("intro", need_id, "d1").output == \
        f'Introduced d1 to e1 for need {need_id} ("suche 4-Zimmer-Wohnung")\n'
    status = {r["need_id"]: r["status"] for r in json_lines(run("needs", "--json").output)}
    assert status[need_id] == "matched"
    before = json_lines(run("4-Zimmer-Wohnung wird frei", "--json", "-k", "1").output)[0]
    assert run("outcome", need_id, "d1", "--helped").exit_code == 0
    after = json_lines(run("4-Zimmer-Wohnung wird frei", "--json", "-k", "1").output)[0]
    assert after["id"] == before["id"] == "d1"
    assert after["score"] == pytest.approx(before["score"] + 0.03, abs=1e-3)
    status = {r["need_id"]: r["status"] for r in json_lines(run("needs", "--json").output)}
    assert status[need_id] == "fulfilled"
    actions = [e["action"] for e in json_lines(run("log", "--json").output)]
    assert "intro" in actions and "outcome" in actions
    for args, message in [
        (("intro", 999999, "d1"), "Error: no need with id 999999 (see 'semnetz needs')\n"),
        (("intro", need_id, "e1"), "Error: e1 is the one with this need; introduce someone else\n"),
        (("outcome", need_id, "zz", "--helped"), "Error: no person with id 'zz' (see 'semnetz list')\n"),
    ]:
        result = run(*args)
        assert (result.exit_code, result.output) == (2, message)


def test_search_when_moves_contradicting_availability_down(run, tmp_path):
    people = [
        {"id": "s1", "name": "Vormittags Vera", "text": "Babysitterin, nur vormittags", "offers": ["Babysitten"]},
        {"id": "s2", "name": "Wochenend Wanda", "text": "Babysitterin, nur am Wochenende", "offers": ["Babysitten"]},
    ]
    run("import", write_jsonl(tmp_path / "p.jsonl", people))
    out = json_lines(run("Babysitten", "--json", "--all", "--when", "Samstagabend").output)
    assert [m["id"] for m in out] == ["s2", "s1"]
    assert [m["availability"] for m in out] == ["fits", "contradicts"]
    assert "[time fits]" in run("Babysitten", "--when", "Samstagabend", "--all").output
    assert run("Babysitten", "--when", "blah blah").exit_code == 2
    # a time said in the query counts the same; --when wins over it
    said = json_lines(run("Babysitten am Samstagabend", "--json", "--all").output)
    assert [(m["id"], m["availability"]) for m in said] == [("s2", "fits"), ("s1", "contradicts")]
    overridden = json_lines(run("Babysitten am Samstagabend", "--json", "--all", "--when", "Montagvormittag").output)
    assert [m["availability"] for m in overridden if m["id"] == "s1"] == ["fits"]
    assert "[time fits]" in run("Babysitten am Samstagabend", "--all").output


def test_remove_takes_links_and_intros_too(run, network, semnetz_home):
    need_id = [r for r in json_lines(run("needs", "--json").output) if r["need"] == "suche 4-Zimmer-Wohnung"][0]["need_id"]
    run("intro", need_id, "d1")
    run("remove", "a1")
    with Network(home=semnetz_home) as net, net.store.read() as tables:
        assert tables.conn.execute("SELECT count(*) FROM edges WHERE from_pk NOT IN (SELECT pk FROM people) OR "
                                   "to_pk NOT IN (SELECT pk FROM people)").fetchone()[0] == 0
    out = json_lines(run("Fliesen legen im Bad", "--json", "-k", "1").output)[0]
    assert (out["id"], out["path"]) == ("b1", ["me", "b1"])  # known only through a1: now a direct contact
    run("remove", "d1")
    with Network(home=semnetz_home) as net, net.store.read() as tables:
        assert tables.conn.execute("SELECT count(*) FROM intros").fetchone()[0] == 0
    assert '"d1"' not in run("log", "--json").output

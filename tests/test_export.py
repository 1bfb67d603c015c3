"""semnetz export: everything out as the import format (and vCards for a phone), and back in as the same
network — through the CLI (fake encoder; one test with the real model)."""

import errno
import json
import os
import shutil

import pytest

from semnetz import Network

from .conftest import DATA, NEIGHBOURS as NETWORK, write_jsonl

def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def need_id(run, by: str, text: str, home=None) -> int:
    rows = json_lines(ok(run("needs", "--json", *(["--home", home] if home else []))).stdout)
    return next(r["need_id"] for r in rows if r["by"] == by and r["need"] == text)


def state(run, home) -> dict:
    """Everything a network holds, without its internal numbers (need ids) and its audit log."""
    needs = json_lines(ok(run("needs", "--json", "--home", home)).stdout)
    return {
        "people": ok(run("list", "--json", "--home", home)).stdout,
        "needs": [{k: v for k, v in n.items() if k != "need_id"} for n in needs],
        "search": [[(m["id"], m["score"], m["path"]) for m in json_lines(
            ok(run(q, "--json", "--all", "--hops", "3", "--home", home)).stdout)]
            for q in ("Umzugshelfer mit Transporter", "Fliesen legen im Bad", "Kachelofen bauen")],
    }


@pytest.fixture(scope="module")
def lived_in_once(tmp_path_factory):
    """Where the used network below is kept once built: it takes a dozen writes, and every test gets a copy."""
    return {"home": None, "dir": tmp_path_factory.mktemp("lived-in")}


@pytest.fixture
def lived_in(run, tmp_path, semnetz_home, lived_in_once):
    """A network that has been used: links made by hand, your own need, introductions and their outcomes."""
    people = write_jsonl(tmp_path / "net.jsonl", NETWORK)
    if lived_in_once["home"] is not None:
        shutil.copytree(lived_in_once["home"], semnetz_home)  # modes kept: the home 0700, its files 0600
        return semnetz_home
    ok(run("import", people))
    ok(run("link", "d1", "c1", "--relation", "Nachbar", "--strength", "0.7"))
    ok(run("link", "f1", "a1"))
    ok(run("need", "add", "--by", "me", "Babysitter für Samstagabend", "--when", "nächste Woche"))
    with Network(home=semnetz_home) as net:  # a need recorded long ago (a new one must lie ahead): expired
        net.edit("a1", {"needs": [*net.get("a1").to_dict().get("needs", []),
                                  {"text": "Winterreifen", "when": "bis 1.1.2020"}]})
    umzug = need_id(run, "d1", "Umzugshelfer mit Transporter")
    ok(run("intro", umzug, "f1"))
    ok(run("outcome", umzug, "f1", "--helped"))
    wohnung = need_id(run, "e1", "suche 4-Zimmer-Wohnung")
    ok(run("intro", wohnung, "d1"))
    ok(run("intro", wohnung, "a1"))
    ok(run("outcome", wohnung, "a1", "--not-helped"))
    babysitter = need_id(run, "me", "Babysitter für Samstagabend")
    ok(run("intro", babysitter, "a1"))
    lived_in_once["home"] = lived_in_once["dir"] / "home"
    shutil.copytree(semnetz_home, lived_in_once["home"])
    return semnetz_home


def test_export_then_import_gives_the_same_network(run, tmp_path, lived_in):
    out = tmp_path / "backup.jsonl"
    result = ok(run("export", out))
    assert result.stdout == f"Exported 7 people, 6 needs, 4 introductions to {out}\n"
    assert os.stat(out).st_mode & 0o777 == 0o600
    lines = json_lines(out.read_text(encoding="utf-8"))
    assert [p["id"] for p in lines] == ["a1", "b1", "c1", "d1", "e1", "f1", "me"]
    wohnung = next(p for p in lines if p["id"] == "e1")["needs"][0]
    # introduced twice, and the second did not help: open again
    assert (wohnung["text"], wohnung["when"], wohnung["status"]) == ("suche 4-Zimmer-Wohnung", "bis März", "open")
    assert [(i["person"], i["outcome"]) for i in wohnung["intros"]] == [("d1", None), ("a1", "not helped")]
    assert "outcome_at" in wohnung["intros"][1] and "outcome_at" not in wohnung["intros"][0]
    mine = next(p for p in lines if p["id"] == "me")["needs"]
    assert [(n["text"], n["when"], n["status"]) for n in mine] == [("Babysitter für Samstagabend", "nächste Woche",
                                                                    "matched")]
    assert next(p for p in lines if p["id"] == "d1")["needs"][0]["status"] == "fulfilled"

    fresh = tmp_path / "fresh"
    result = ok(run("import", out, "--home", fresh))
    assert result.stdout.startswith(f"{out}: 7 added, 0 updated, 0 unchanged")
    assert state(run, fresh) == state(run, lived_in)
    assert {n["status"] for n in json_lines(run("needs", "--json", "--home", fresh).stdout)} == \
        {"open", "matched", "fulfilled", "expired"}
    again = tmp_path / "again.jsonl"
    ok(run("export", again, "--home", fresh))
    assert again.read_bytes() == out.read_bytes()  # introductions, their times and outcomes came back too


def test_importing_an_export_again_changes_nothing(run, tmp_path, lived_in):
    out = tmp_path / "backup.jsonl"
    ok(run("export", out))
    before = state(run, lived_in)
    # into the network it came from (whose links were made after its people were imported) …
    assert ok(run("import", out)).stdout.startswith(f"{out}: 0 added, 0 updated, 7 unchanged (0 pieces embedded")
    assert state(run, lived_in) == before
    ok(run("export", tmp_path / "after.jsonl"))
    assert (tmp_path / "after.jsonl").read_bytes() == out.read_bytes()
    # … and into a new one, twice
    fresh = tmp_path / "fresh"
    ok(run("import", out, "--home", fresh))
    assert ok(run("import", out, "--home", fresh)).stdout.startswith(f"{out}: 0 added, 0 updated, 7 unchanged")


def test_an_import_restores_what_became_of_needs(run, tmp_path, lived_in):
    out = tmp_path / "backup.jsonl"
    ok(run("export", out))
    umzug = need_id(run, "d1", "Umzugshelfer mit Transporter")
    ok(run("outcome", umzug, "f1", "--not-helped"))  # changed afterwards …
    assert [n["status"] for n in json_lines(run("needs", "--json").stdout) if n["by"] == "d1"] == ["open"]
    result = ok(run("import", out))  # … and restored from the backup: d1 is the one updated
    assert result.stdout.startswith(f"{out}: 0 added, 1 updated, 6 unchanged (0 pieces embedded")
    assert [n["status"] for n in json_lines(run("needs", "--json").stdout) if n["by"] == "d1"] == ["fulfilled"]
    ok(run("export", tmp_path / "restored.jsonl"))
    assert (tmp_path / "restored.jsonl").read_bytes() == out.read_bytes()


def test_a_need_is_dated_from_the_day_it_was_recorded(run, tmp_path):
    person = {"id": "x1", "name": "Xaver", "text": "Gärtner",
              "needs": [{"text": "Babysitter", "when": "nächste Woche", "status": "open",
                         "created": "2020-06-03T10:00:00"}]}  # a Wednesday
    ok(run("import", write_jsonl(tmp_path / "old.jsonl", [person])))
    row, = json_lines(ok(run("needs", "--json")).stdout)
    assert (row["from"], row["until"], row["status"]) == ("2020-06-08", "2020-06-14", "expired")


def test_export_to_standard_output(run, tmp_path, lived_in):
    out = tmp_path / "backup.jsonl"
    ok(run("export", out))
    result = ok(run("export", "-"))
    assert result.stdout == out.read_text(encoding="utf-8")
    assert result.stderr == "Exported 7 people, 6 needs, 4 introductions to standard output\n"
    logged = [e["detail"] for e in json_lines(ok(run("log", "--json", "--action", "export")).stdout)]
    assert logged == [{"format": "jsonl", "file": str(out), "people": 7, "needs": 6, "intros": 4},
                      {"format": "jsonl", "file": "<stdout>", "people": 7, "needs": 6, "intros": 4}]


def test_a_large_network_is_read_a_few_people_at_a_time(run, tmp_path, lived_in, monkeypatch):
    from semnetz.store import recorded

    whole = ok(run("export", "-")).stdout
    monkeypatch.setattr(recorded, "CHUNK", 2)  # whom they know and introductions reach across chunks
    assert ok(run("export", "-")).stdout == whole

    def as_listed(need):  # a need as `list --json` writes it: without what became of it
        if isinstance(need, str):
            return need
        return {"text": need["text"], "when": need["when"]} if need.get("when") else need["text"]

    listed = [{**p, "needs": [as_listed(n) for n in p["needs"]]} if "needs" in p else p for p in json_lines(whole)]
    assert json_lines(ok(run("list", "--json")).stdout) == listed  # the export is `list --json` and more


def test_export_of_an_empty_network(run, tmp_path):
    ok(run("add", "Karl Holz", "--text", "Tischler"))
    ok(run("remove", "p0001"))
    out = tmp_path / "empty.jsonl"
    assert ok(run("export", out)).stdout == f"Exported 0 people, 0 needs, 0 introductions to {out}\n"
    assert out.read_bytes() == b""
    assert ok(run("export", "-")).stdout == ""


def test_vcards_for_a_phone(run, tmp_path, lived_in):
    vobject = pytest.importorskip("vobject")
    ok(run("import", write_jsonl(tmp_path / "g.jsonl", [
        {"id": "g1", "name": "Gabi", "uid": "card-4711", "offers": ["Nachhilfe in Mathe", "Latein"],
         "contact": {"email": "gabi@example.org", "telegram": "@gabi"}}])))
    out = tmp_path / "contacts.vcf"
    assert ok(run("export", "--vcf", out)).stdout == f"Exported 7 people to {out}\n"
    assert os.stat(out).st_mode & 0o777 == 0o600
    cards = {c.fn.value: c for c in vobject.readComponents(out.read_text(encoding="utf-8"))}
    assert sorted(cards) == ["Dennis Koch", "Gabi", "Igor Petrov", "Lena Schmidt", "Mehmet Yilmaz", "Pavel Novak",
                             "Svetlana Petrova"]  # not you ("me")
    sveta = cards["Svetlana Petrova"]
    assert sveta.version.value == "3.0"
    assert (sveta.n.value.given, sveta.n.value.family) == ("Svetlana", "Petrova")
    assert [n.value for n in sveta.contents["nickname"]] == ["Sveta"]
    assert [t.value for t in sveta.contents["tel"]] == ["+49 170 1111111"]
    assert [e.value for e in sveta.contents["email"]] == ["sveta@example.org"]
    assert sveta.categories.value == ["kinder"]
    assert sveta.note.value == "Erzieherin in der Kita\n\nOffers: Kita-Tipps"
    assert cards["Dennis Koch"].categories.value == ["umzug", "handwerk"]
    gabi = cards["Gabi"]
    assert gabi.uid.value == "card-4711"  # the UID of the card they came from
    assert gabi.note.value == "Offers: Nachhilfe in Mathe; Latein\n\ntelegram: @gabi"
    assert "tel" not in gabi.contents and gabi.email.value == "gabi@example.org"
    # a UID derived from the id: one person, one UID, in every export
    uids = {c.fn.value: c.uid.value for c in cards.values()}
    assert len(set(uids.values())) == len(uids)
    ok(run("export", tmp_path / "again.vcf"))
    assert (tmp_path / "again.vcf").read_bytes() == out.read_bytes()


def test_vcards_import_back(run, tmp_path, lived_in):
    out = tmp_path / "contacts.vcf"
    ok(run("export", "--vcf", out))
    fresh = tmp_path / "fresh"
    ok(run("import", out, "--home", fresh))

    def people(home):
        return sorted((p["name"], p.get("aliases", []), p.get("contact", {}).get("phone"),
                       p.get("contact", {}).get("email"), p.get("tags", []))
                      for p in json_lines(ok(run("list", "--json", "--home", home)).stdout) if p["id"] != "me")

    assert people(fresh) == people(lived_in)


def test_unwritable_paths_are_one_line_and_write_nothing(run, tmp_path, lived_in):
    for target, why in [(tmp_path / "no-such-folder" / "x.jsonl", "No such file or directory"),
                        (tmp_path / "backup.jsonl" / "x.jsonl", "Not a directory")]:
        if target.parent.name == "backup.jsonl":
            target.parent.write_text("not a folder")
        result = run("export", target)
        assert (result.exit_code, result.stderr) == (2, f"Error: cannot write {target}: {why}; nothing was written\n")
        assert "Traceback" not in result.output
    result = run("export", tmp_path)
    assert (result.exit_code, result.stderr) == (2, f"Error: cannot write {tmp_path}: it is a folder; give a file "
                                                    "name\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl", "home", "net.jsonl"]


def test_a_failed_write_leaves_the_old_file_as_it_was(run, tmp_path, lived_in, monkeypatch):
    from semnetz.export import jsonl

    out = tmp_path / "backup.jsonl"
    out.write_text("the backup of yesterday\n")
    written = []

    def disk_full(value):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(value)
        return json.dumps(value, ensure_ascii=False)

    monkeypatch.setattr(jsonl, "json_text", disk_full)
    result = run("export", out)
    assert (result.exit_code, result.stderr) == (2, f"Error: cannot write {out}: no space left on the disk; "
                                                    "nothing was written\n")
    assert out.read_text() == "the backup of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl", "home", "net.jsonl"]  # no temporary file


@pytest.mark.parametrize("need,message", [
    ({"text": "Kinderbett", "status": "done"}, "need 'status' must be one of open, matched, fulfilled, expired, got done"),
    ({"text": "Kinderbett", "created": "gestern"}, "need 'created' must be an ISO date or time like "
                                                   "\"2026-12-03T10:02:13\", got gestern"),
    ({"text": "Kinderbett", "intros": [{"person": "nobody"}]}, "an introduction names unknown id 'nobody'"),
    ({"text": "Kinderbett", "intros": [{"person": "y1"}]}, "a need of 'y1' cannot introduce them to themself"),
    ({"text": "Kinderbett", "intros": [{"person": "y2", "outcome": "yes"}]},
     "introduction 'outcome' must be \"helped\", \"not helped\" or null, got yes"),
    ({"text": "Kinderbett", "intros": [{"person": "y2"}, {"person": "y2"}]}, "'y2' is introduced twice for one need"),
    ({"text": "Kinderbett", "intro": []}, "unknown field 'intro' in a need (allowed: text, when, status, created, intros)"),
])
def test_bad_need_states_are_one_line(run, tmp_path, need, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": "y2", "name": "Yusuf", "text": "Koch"},
                                                 {"id": "y1", "name": "Yvonne", "text": "Köchin", "needs": [need]}])
    result = run("import", path)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, f"Error: {path}:2: {message}")
    assert "Traceback" not in result.output


def test_the_demo_network_searches_the_same_after_export_and_import(run, tmp_path, real_model):
    home, fresh, out = tmp_path / "demo", tmp_path / "fresh", tmp_path / "demo-export.jsonl"
    ok(run("import", DATA / "people.jsonl", "--home", home))
    ok(run("export", out, "--home", home))
    result = ok(run("import", out, "--home", fresh))
    assert result.stdout.startswith(f"{out}: 75 added, 0 updated, 0 unchanged")
    for query in ("brauche Handwerker", "Kind hat Fieber am Wochenende", "need a plumber", "Leons Papa"):
        before = json_lines(ok(run(query, "--json", "-k", "10", "--home", home)).stdout)
        after = json_lines(ok(run(query, "--json", "-k", "10", "--home", fresh)).stdout)
        assert [(m["id"], m["path"]) for m in after] == [(m["id"], m["path"]) for m in before]
        assert [m["score"] for m in after] == pytest.approx([m["score"] for m in before], abs=1e-3)
    assert ok(run("list", "--json", "--home", fresh)).stdout == ok(run("list", "--json", "--home", home)).stdout

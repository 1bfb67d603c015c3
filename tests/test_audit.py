"""The audit log and the search spool (semnetz/store/audit.py): a search never writes to the store, its entry
waits in a private spool file until the next writing command moves it into the log; removing a person redacts
every entry that names them (fake encoder)."""

import hashlib
import json
import stat

from semnetz import Network
from semnetz.config import DB_FILENAME, SPOOL_DIRNAME
from semnetz.store.audit import REDACTED

from .conftest import SMALL_NETWORK, write_jsonl


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_search_spools_its_entry_and_the_next_writer_moves_it_into_the_log(run, small_network, semnetz_home):
    run("import", small_network)
    store_before = digest(semnetz_home / DB_FILENAME)
    assert json_lines(run("plumbing", "--json", "-k", "1").output)[0]["id"] == "e3"

    assert digest(semnetz_home / DB_FILENAME) == store_before  # the search did not touch the store
    assert not (semnetz_home / (DB_FILENAME + ".wal")).exists()
    spooled = sorted((semnetz_home / SPOOL_DIRNAME).glob("*.jsonl"))
    assert len(spooled) == 1
    assert stat.S_IMODE(spooled[0].stat().st_mode) == 0o600
    (line,) = json_lines(spooled[0].read_text(encoding="utf-8"))
    assert (line["action"], line["detail"]) == ("search", {"q": "plumbing", "ids": ["e3"]})
    with Network(home=semnetz_home) as net, net.store.read() as tables:
        assert tables.audit.entries(action="search") == []  # not in the log yet

    assert run("link", "e1", "e4").exit_code == 0  # any writing command takes the spool in
    assert list((semnetz_home / SPOOL_DIRNAME).glob("*.jsonl")) == []
    with Network(home=semnetz_home) as net, net.store.read() as tables:
        assert [e["detail"] for e in tables.audit.entries(action="search")] == [{"q": "plumbing", "ids": ["e3"]}]
    entries = json_lines(run("log", "--json").output)
    assert [e["action"] for e in entries] == ["import", "search", "link"]
    assert entries[1]["detail"] == {"q": "plumbing", "ids": ["e3"]}


def test_a_batch_search_logs_every_query_in_order(run, small_network, semnetz_home, tmp_path):
    run("import", small_network)
    batch = tmp_path / "queries.txt"
    batch.write_text("plumbing\nBrillen reparieren\nTischler\n", encoding="utf-8")
    assert run("search", "--batch", batch, "-k", "1").exit_code == 0
    searches = json_lines(run("log", "--json", "--action", "search").output)
    assert [(e["detail"]["q"], e["detail"]["ids"]) for e in searches] == [
        ("plumbing", ["e3"]), ("Brillen reparieren", ["e2"]), ("Tischler", ["e4"])]


def test_remove_redacts_every_log_entry_that_names_them(run, tmp_path, semnetz_home):
    phone = "+44 7700 900123"
    people = [dict(p) for p in SMALL_NETWORK]
    people[2] = {**people[2], "contact": {"phone": phone}}
    run("import", write_jsonl(tmp_path / "people.jsonl", people))
    run("Mark Thompson")
    run("Marky")
    run(phone)
    plumbing = [m["id"] for m in json_lines(run("plumbing", "--json", "--all", "-k", "4").output)]
    assert plumbing[0] == "e3" and len(plumbing) == 4
    carpenter = [m["id"] for m in json_lines(run("Tischler", "--json", "--all", "-k", "4").output)]
    assert "e3" in carpenter and len(carpenter) == 4
    run("link", "e3", "e1", "--relation", "Kumpel")
    run("edit", "e3", "--add-offer", "Boiler warten")

    assert run("remove", "e3").output == "Removed e3 (Mark Thompson)\n"
    entries = json_lines(run("log", "--json").output)
    for entry in entries:
        text = json.dumps([entry["action"], entry["detail"]], ensure_ascii=False)
        for needle in ("Thompson", "Marky", "e3", phone):
            assert needle not in text, (needle, entry)
    by_action = [(e["action"], e["detail"]) for e in entries]
    assert by_action == [
        ("import", {"source": str(tmp_path / "people.jsonl"), "added": ["e1", "e2", "e4"], "updated": [],
                    "unchanged": 0, "embedded": 13}),
        ("search", REDACTED),  # "Mark Thompson": his name
        ("search", REDACTED),  # "Marky": his alias
        ("search", REDACTED),  # his phone number
        ("search", REDACTED),  # "plumbing": one of his offers, word for word
        ("search", {"q": "Tischler", "ids": [i for i in carpenter if i != "e3"]}),  # he is taken out of the answer
        ("link", REDACTED),  # a link of theirs: about them
        ("edit", {"source": "edit", "added": [], "updated": [], "unchanged": 0, "embedded": 1}),
        ("remove", {"removed": 1, "pieces": 5}),
    ]

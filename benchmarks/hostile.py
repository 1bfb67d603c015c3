"""Throw thousands of hostile people files at the importer and count what happens.

    python benchmarks/hostile.py --count 10000 --seed 0
    python benchmarks/hostile.py --count 500 --seed 1 --kinds deep_nesting,huge_numbers --show 10

Every input is written to a temporary file and imported in process with `Network(home, model="fake").import_file`
(the fake encoder of tests/fake_encoder.py, so encoding costs nothing; the home starts with data/people.jsonl).
Each import must end in one of two ways:

- a clean import: it returns a report, or
- a clean refusal: it raises SemnetzError whose message is one line naming the file, and the store is exactly as it
  was before (row counts of every table and a digest of everyone's records).

Anything else is counted and the first few are printed with their kind and a shortened input:

- traceback:    any other exception;
- partial write: a refusal (or traceback) after which the store changed;
- unclear:      a refusal whose message is not one line, or does not name the file;
- wrongly refused: a kind whose inputs are all valid (line separators inside strings, control characters in
                names, decomposed umlauts, CRLF, a BOM, …) was refused;
- slow:         one input took longer than --slow seconds.

Inputs are made by a random.Random(seed), so the same arguments give the same inputs. Kinds (see KINDS below):
valid people files (JSON Lines and CSV) and their random mutations (truncation, byte flips, inserted bytes,
wrong types, deleted and unknown fields), lone surrogates, deep nesting, huge and odd numbers, odd encodings
(UTF-16/32, Latin-1, CESU-8, overlong UTF-8), BOMs, CR/LF mixes, NUL bytes, very long lines and fields,
too many entries, empty files, CSV with ';' and tabs, broken quoting and CR in header cells, random bytes, random
JSON, duplicate keys and ids, dangling references, odd 'when' expressions, and one file over the size limit.

Prints a table (inputs, clean imports, clean refusals, tracebacks, partial writes, …, per kind and in total) and
the run time; exits 1 if there was any traceback, partial write, unclear message or wrongly refused input.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import hashlib
import io
import json
import random
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network, encoders  # noqa: E402
from semnetz.errors import SemnetzError  # noqa: E402
from semnetz.records import (MAX_ENTRIES, MAX_FIELD_CHARS, MAX_FILE_BYTES, MAX_LABEL_CHARS,  # noqa: E402
                             MAX_LINE_CHARS, MAX_PIECE_CHARS, MAX_PIECES, MAX_TEXT_CHARS)
from tests.fake_encoder import FakeEncoder  # noqa: E402

FAKE = FakeEncoder()
encoders.register_encoder("fake", lambda: FAKE)

BASE = [json.loads(line) for line in (ROOT / "data" / "people.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()]
BASE_IDS = [p["id"] for p in BASE]
FIELDS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "contact", "knows", "via")
CSV_COLUMNS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "phone", "email", "via")
NEW_IDS = [f"h{i:03d}" for i in range(150)]  # new people come from a small pool (the store stays small)
ODD = ["\u2028", "\u2029", "\x85", "\r", "\n", "\r\n", "\x00", "\ufeff", "\x1b[31m", "\u202e", "\t", "\\", '"',
       "\x7f", "\x9b", "u\u0308", "\U0001F600", "\u200d", "\ufffd", "\uffff", ";", ",", "{", "}", "[", "]"]


# ---------------------------------------------------------------- building blocks
def person(rng: random.Random, new: bool | None = None) -> dict:
    """A valid person: one of data/people.jsonl, under its own id or a new one from the pool."""
    p = json.loads(json.dumps(rng.choice(BASE)))
    if new if new is not None else rng.random() < 0.4:
        p["id"] = rng.choice(NEW_IDS)
        p.pop("via", None)  # a new person known via someone is fine, but keep cycles out of the valid sets
    return p


def people(rng: random.Random, n: int | None = None) -> list[dict]:
    chosen, ids = [], set()
    for _ in range(n if n is not None else rng.randint(1, 5)):
        p = person(rng)
        if p["id"] not in ids:
            ids.add(p["id"])
            chosen.append(p)
    return chosen


def jsonl(rows, ensure_ascii=False, newline="\n") -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=ensure_ascii)) + newline for r in rows)


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def to_csv(rows: list[dict], delimiter=",", lineterminator="\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(CSV_COLUMNS)
    for p in rows:
        contact = p.get("contact") or {}
        needs = [n if isinstance(n, str) else n["text"] for n in p.get("needs") or []]
        writer.writerow([p.get("id", ""), p["name"], "; ".join(p.get("aliases", [])), p.get("text", ""),
                         "; ".join(p.get("offers", [])), "; ".join(needs), "; ".join(p.get("tags", [])),
                         contact.get("phone", ""), contact.get("email", ""), p.get("via", "")])
    return buffer.getvalue()


def odd_string(rng: random.Random, n: int = 12) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            out.append(rng.choice(ODD))
        elif r < 0.7:
            out.append(chr(rng.randint(32, 126)))
        elif r < 0.85:
            out.append(chr(rng.randint(0x80, 0x2FFF)))
        else:
            cp = rng.randint(0, 0x10FFFF)
            out.append(chr(cp))  # may be a lone surrogate
    return "".join(out)


def random_json(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.5:
        return rng.choice([None, True, False, 0, -1, 1.5, 10 ** rng.randint(1, 60), float("inf"), float("nan"),
                           "", odd_string(rng, rng.randint(0, 10)), "x" * rng.randint(0, 50)])
    if r < 0.75:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {odd_string(rng, 3) if rng.random() < 0.3 else rng.choice(FIELDS): random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # NaN and Infinity come out as NaN and Infinity


# ---------------------------------------------------------------- kinds: each returns (bytes, suffix, note)
def k_valid_jsonl(rng):
    rows = people(rng)
    return utf8(jsonl(rows, ensure_ascii=rng.random() < 0.5)), ".jsonl", f"{len(rows)} people"


def k_valid_csv(rng):
    rows = [p for p in people(rng) if not p.get("needs") or all(isinstance(n, str) or "when" not in n
                                                                  for n in p["needs"])]
    rows = rows or [{"id": rng.choice(NEW_IDS), "name": "Csv Person", "text": "macht Dinge"}]
    return utf8(to_csv(rows, lineterminator=rng.choice(["\n", "\r\n"]))), ".csv", f"{len(rows)} people"


def k_unicode_separators(rng):
    p = person(rng)
    sep = rng.choice(["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
    p["text"] = p["text"].replace(" ", sep, rng.randint(1, 5))
    if p.get("offers"):
        p["offers"][0] = p["offers"][0].replace(" ", sep, 1)
    return utf8(jsonl([p], ensure_ascii=False)), ".jsonl", f"separator {sep!r}"


def k_control_chars(rng):
    p = person(rng)
    junk = rng.choice(["\x1b[31m", "\x07", "\x00", "\u202e", "\x9b2J", "\x08\x08", "\x7f"])
    p["name"] = p["name"][:3] + junk + p["name"][3:]
    p["text"] = junk + p["text"]
    if p.get("aliases"):
        p["aliases"][0] += junk
    return utf8(jsonl([p], ensure_ascii=rng.random() < 0.5)), ".jsonl", f"control {junk!r}"


def k_decomposed(rng):
    rows = people(rng, 2)
    for p in rows:
        p["name"] = unicodedata.normalize("NFD", p["name"] + " Müller-Lüdenscheidt")
        p["text"] = unicodedata.normalize("NFD", p["text"])
    return utf8(jsonl(rows)), ".jsonl", "NFD"


def k_crlf_valid(rng):
    rows = people(rng, 3)
    text = jsonl(rows, newline=rng.choice(["\r\n", "\n\n", "\r\n\r\n"]))
    bom = b"\xef\xbb\xbf" if rng.random() < 0.5 else b""
    return bom + utf8(text), ".jsonl", "CRLF / blank lines / BOM"


def k_lone_surrogate(rng):
    p = person(rng)
    field = rng.choice(["name", "text", "id", "aliases", "offers", "tags", "contact", "needs"])
    s = chr(rng.randint(0xD800, 0xDFFF))
    if field in ("aliases", "offers", "tags"):
        p[field] = (p.get(field) or []) + [f"x{s}y"]
    elif field == "contact":
        p["contact"] = {"phone": s}
    elif field == "needs":
        p["needs"] = [{"text": f"brauche {s}", "when": "morgen"}]
    else:
        p[field] = f"{p.get(field, '')}{s}"
    escaped = rng.random() < 0.8  # as a \\uXXXX escape (valid JSON) or as raw CESU-8 bytes (not UTF-8)
    return (jsonl([p], ensure_ascii=True).encode("ascii") if escaped else utf8(jsonl([p]))), ".jsonl", \
        f"{field} {'escaped' if escaped else 'raw'}"


def k_deep_nesting(rng):
    depth = rng.choice([50, 500, 990, 1000, 5000, 100_000])
    opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
    inner = opener * depth + "1" + closer * depth if rng.random() < 0.8 else opener * depth
    where = rng.choice(["line", "text", "offers", "contact", "knows", "needs"])
    line = inner if where == "line" else dumps({"name": "Tief", "text": "t"})[:-1] + f', "{where if where != "text" else "tags"}": {inner}}}'
    return utf8(jsonl([person(rng), line])), rng.choice([".jsonl", ""]), f"depth {depth} in {where}"


def k_huge_numbers(rng):
    number = rng.choice(["9" * 4301, "9" * 5000, "-" + "9" * 5000, "1" * 100, "1" * 101, "1e999999", "-1e-999999",
                         "1." + "0" * 5000 + "1", "NaN", "Infinity", "-Infinity", "1.5", "true", "false", "0",
                         "-0", "1E400", "0x1F", "01", "+1", ".5", "1_000", "9" * 200_000])
    field = rng.choice(["id", "id", "name", "text", "via", "strength", "offers", "contact"])
    if field == "strength":
        line = f'{{"name": "Zahl", "text": "t", "knows": [{{"id": "{rng.choice(BASE_IDS)}", "strength": {number}}}]}}'
    elif field == "offers":
        line = f'{{"name": "Zahl", "offers": [{number}]}}'
    elif field == "contact":
        line = f'{{"name": "Zahl", "text": "t", "contact": {{"phone": {number}}}}}'
    else:
        base = {"name": "Zahl", "text": "t"}
        base.pop(field, None)
        line = dumps(base)[:-1] + f', "{field}": {number}}}'
    return utf8(jsonl([line])), ".jsonl", f"{field} = {number[:20]}{'…' if len(number) > 20 else ''}"


def k_wrong_types(rng):
    p = person(rng)
    field = rng.choice(FIELDS)
    p[field] = random_json(rng)
    for nested in ("knows", "needs"):
        if rng.random() < 0.3 and isinstance(p.get(nested), list) and p[nested]:
            p[nested][0] = random_json(rng)
    return utf8(jsonl([p])), ".jsonl", f"{field}: {type(p[field]).__name__}"


def k_missing_or_unknown_fields(rng):
    p = person(rng)
    r = rng.random()
    if r < 0.4:
        for field in rng.sample(FIELDS, rng.randint(1, 4)):
            p.pop(field, None)
    elif r < 0.7:
        p[odd_string(rng, rng.randint(1, 8))] = "x"
    else:
        p = {k: (v if rng.random() < 0.7 else "") for k, v in p.items()}
    return utf8(jsonl([p])), ".jsonl", ",".join(sorted(map(repr, p)))[:60]


def k_truncation(rng):
    data, suffix, _ = (k_valid_jsonl if rng.random() < 0.7 else k_valid_csv)(rng)
    cut = rng.randint(0, max(0, len(data) - 1))
    return data[:cut], suffix, f"cut at {cut} of {len(data)}"


def k_byte_flips(rng):
    data, suffix, _ = (k_valid_jsonl if rng.random() < 0.7 else k_valid_csv)(rng)
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        data[at] = rng.randrange(256) if rng.random() < 0.5 else data[at] ^ (1 << rng.randrange(8))
    return bytes(data), suffix, "flips"


def k_inserted_bytes(rng):
    data, suffix, _ = (k_valid_jsonl if rng.random() < 0.7 else k_valid_csv)(rng)
    for _ in range(rng.randint(1, 5)):
        at = rng.randint(0, len(data))
        chunk = rng.choice([b"\x00", b"\r", b"\n", b"\xef\xbb\xbf", b'"', b",", b";", b"\\", b"{", b"\xff",
                            b"\xc0\xaf", b"\xed\xa0\x80", bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))])
        data = data[:at] + chunk + data[at:]
    return data, suffix, "inserted"


def k_odd_encodings(rng):
    rows = people(rng, 2)
    text = jsonl(rows) if rng.random() < 0.7 else to_csv(rows)
    suffix = ".jsonl" if text.startswith("{") else ".csv"
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "cesu", "overlong",
                           "mac_roman", "utf-7", "utf-8-sig-twice"])
    if encoding == "cesu":
        data = text.replace("Ü", "\U0001F600").encode("utf-16", "surrogatepass").decode("utf-16").encode(
            "utf-8", "surrogatepass")
        data = data.replace("\U0001F600".encode(), "\ud83d\ude00".encode("utf-8", "surrogatepass"))
    elif encoding == "overlong":
        data = utf8(text).replace(b"/", b"\xc0\xaf").replace(b" ", b"\xc0\xa0", 1)
    elif encoding == "utf-8-sig-twice":
        data = codecs.BOM_UTF8 * 2 + utf8(text)
    else:
        data = text.encode(encoding, "replace")
    return data, suffix, encoding


def k_boms(rng):
    lines = [dumps(p) for p in people(rng, 3)]
    at = rng.randrange(len(lines))
    lines[at] = "\ufeff" + lines[at] if rng.random() < 0.5 else lines[at][:-1] + ', "x\ufeff": 1}'
    data = utf8("\n".join(lines) + "\n")
    if rng.random() < 0.5:
        data = codecs.BOM_UTF8 + data
    return data, ".jsonl", f"BOM on line {at + 1}"


def k_line_end_mixes(rng):
    lines = [dumps(p) for p in people(rng, 4)]
    ends = ["\n", "\r\n", "\r", "\n\r", "\u2028", "\x85", "\x0b", "\x0c", "\r\r\n"]
    text = "".join(line + rng.choice(ends) for line in lines)
    return utf8(text), rng.choice([".jsonl", ".jsonl", ".csv", ""]), "mixed ends"


def k_nul_bytes(rng):
    p = person(rng)
    how = rng.choice(["raw in file", "escaped in text", "escaped in name", "escaped in id", "csv cell", "only NULs"])
    if how == "raw in file":
        data = utf8(jsonl([p]))
        at = rng.randrange(len(data))
        return data[:at] + b"\x00" * rng.randint(1, 3) + data[at:], ".jsonl", how
    if how == "csv cell":
        return utf8(to_csv([{"id": "h999", "name": "Nu\x00ll", "text": "Null\x00Byte"}])), ".csv", how
    if how == "only NULs":
        return b"\x00" * rng.randint(1, 5000), rng.choice([".jsonl", ".csv", ""]), how
    field = how.split()[-1]
    p[field] = p.get(field, "") + "\x00" + "nach"
    return jsonl([p], ensure_ascii=True).encode(), ".jsonl", how


def k_long_lines(rng):
    how = rng.choice(["one clause", "many clauses", "line over limit", "csv row over limit", "field over limit",
                      "long name", "long offer", "long tag", "long id", "many offers", "many tags", "many aliases",
                      "many needs", "many knows", "many pieces", "csv cell over csv limit", "text at limit",
                      "long sentence"])
    base = {"id": rng.choice(NEW_IDS), "name": "Lang", "text": "kurz"}
    if how == "one clause":
        base["text"] = "a" * rng.choice([MAX_TEXT_CHARS + 1, 500_000, 10_000_000])
    elif how == "many clauses":
        base["text"] = "ab, " * rng.choice([6000, 50_000, 700_000])
    elif how == "line over limit":
        base["text"] = "x" * 10
        base["offers"] = ["o" * 1000] * (MAX_LINE_CHARS // 1000 + 5)
    elif how == "csv row over limit":
        cells = ",".join(['"' + "a" * 100_000 + '"'] * 11)
        return utf8("name,text,offers,needs,aliases,tags,phone,email,via,id,x\n" + cells + "\n"), ".csv", how
    elif how == "csv cell over csv limit":
        return utf8("name,text\nA," + "b" * 200_000 + "\n"), ".csv", how
    elif how == "field over limit":
        base["text"] = "y " * (MAX_TEXT_CHARS // 2 + 1)
    elif how == "long name":
        base["name"] = "N" * (MAX_FIELD_CHARS + rng.choice([1, 100_000]))
    elif how == "long offer":
        base["offers"] = ["o" * (MAX_FIELD_CHARS + 1)]
    elif how == "long tag":
        base["tags"] = ["t" * (MAX_LABEL_CHARS + 1)]
    elif how == "long id":
        base["id"] = "i" * (MAX_LABEL_CHARS + 1)
    elif how in ("many offers", "many tags", "many aliases", "many needs"):
        base[how.split()[1]] = [f"x{i}" for i in range(MAX_ENTRIES + rng.choice([1, 10_000]))]
    elif how == "many knows":
        base["knows"] = [rng.choice(BASE_IDS) for _ in range(MAX_ENTRIES + 1)]
    elif how == "many pieces":
        base["text"] = ", ".join(f"Stück{i:05d}" for i in range(MAX_PIECES + rng.choice([1, 1000])))
    elif how == "text at limit":
        base["text"] = ". ".join(["Wort " * (MAX_PIECE_CHARS // 6)] * MAX_TEXT_CHARS)[:MAX_TEXT_CHARS]
    elif how == "long sentence":
        base["text"] = "Satz. " + "Wort " * (MAX_PIECE_CHARS // 5 + rng.choice([1, 1000]))
    return utf8(jsonl([base])), ".jsonl", how


def k_empty(rng):
    data = rng.choice([b"", b"\n", b"   \n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\r\n\r\n", b"{}", b"[]",
                       b"null", b"0", b'""', b"{}\n{}\n", b"\x00", b"\n" * 10_000, b",,,\n", b"name\n",
                       b"name,text\n", b"name,text\n\n\n", b'"', b"{", b"\\"])
    return data, rng.choice([".jsonl", ".csv", ".txt", ""]), repr(data[:12])


def k_csv_dialects(rng):
    rows = people(rng, 2)
    how = rng.choice(["semicolons", "tabs", "pipes", "unbalanced quote", "CR in header", "CR in cell", "LF in cell",
                      "extra cells", "fewer cells", "duplicate column", "empty header cell", "spaces in header",
                      "upper-case header", "only header", "CR line ends", "quoted header", "odd column"])
    if how in ("semicolons", "tabs", "pipes"):
        text = to_csv(rows, delimiter={"semicolons": ";", "tabs": "\t", "pipes": "|"}[how])
    elif how == "unbalanced quote":
        text = 'name,text\n"Anna,Malerin\nBen,"Koch\n'
    elif how == "CR in header":
        text = rng.choice(['"na\rme",text\nA,t\n', 'name,te\rxt\nA,t\n', '"name\r",text\nA,t\n'])
    elif how == "CR in cell":
        text = 'id,name,text\nh900,"Cora\rCarla","Malerin\rund mehr"\n'
    elif how == "LF in cell":
        text = 'id,name,text\nh901,Dora,"Malerin\nund\nmehr"\n'
    elif how == "extra cells":
        text = "name,text\nA,t,u,v\n"
    elif how == "fewer cells":
        text = "id,name,text,offers\nh902,Fewer\n"
    elif how == "duplicate column":
        text = "name,text,NAME\nA,t,B\n"
    elif how == "empty header cell":
        text = "name,,text\nA,x,t\n"
    elif how == "spaces in header":
        text = " id , name , text \nh903,Spaces,t\n"
    elif how == "upper-case header":
        text = "ID,NAME,TEXT\nh904,Upper,t\n"
    elif how == "only header":
        text = ",".join(CSV_COLUMNS) + "\n"
    elif how == "CR line ends":
        text = to_csv(rows, lineterminator="\r")
    elif how == "quoted header":
        text = '"id","name","text"\n"h905","Quoted","t"\n'
    else:
        text = "name,text,beruf\nA,t,x\n"
    return utf8(text), ".csv", how


def k_csv_mutations(rng):
    text = to_csv(people(rng, 3))
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars.insert(at, rng.choice(['"', ",", ";", "\r", "\n", "\t", "\x00", "\ufeff", "\u2028", "\\"]))
        elif op < 0.7:
            del chars[at]
        else:
            chars[at] = odd_string(rng, 1)
    return utf8("".join(chars)), rng.choice([".csv", ".csv", ""]), "mutated CSV"


def k_random_bytes(rng):
    n = rng.choice([1, 10, 100, 1000, 20_000])
    data = bytes(rng.randrange(256) for _ in range(rng.randint(0, n)))
    if rng.random() < 0.3:
        data = b"{" + data
    return data, rng.choice([".jsonl", ".csv", ".txt", ""]), f"{len(data)} bytes"


def k_random_json(rng):
    lines = [dumps(random_json(rng)) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.5:
        lines.insert(0, dumps(person(rng)))
    return utf8("\n".join(lines) + "\n"), ".jsonl", "random JSON"


def k_duplicates(rng):
    p = person(rng)
    how = rng.choice(["key twice", "id twice", "id twice differing case", "same name no id", "name twice nfd"])
    if how == "key twice":
        line = dumps(p)[:-1] + f', "name": {dumps(odd_string(rng, 5))}}}'
        return utf8(line + "\n"), ".jsonl", how
    q = json.loads(json.dumps(p))
    if how == "id twice differing case":
        q["id"] = p["id"].upper()
    elif how in ("same name no id", "name twice nfd"):
        p.pop("id")
        q.pop("id")
        if how == "name twice nfd":
            q["name"] = unicodedata.normalize("NFD", q["name"])
    return utf8(jsonl([p, q])), ".jsonl", how


def k_references(rng):
    p = person(rng, new=True)
    how = rng.choice(["via unknown", "via self", "knows unknown", "knows self", "knows empty id", "via empty",
                      "knows bad strength", "via control"])
    if how == "via unknown":
        p["via"] = "nobody-" + odd_string(rng, 3)
    elif how == "via self":
        p["via"] = p["id"]
    elif how == "knows unknown":
        p["knows"] = [{"id": "nobody"}]
    elif how == "knows self":
        p["knows"] = [p["id"]]
    elif how == "knows empty id":
        p["knows"] = [{"id": " "}]
    elif how == "via empty":
        p["via"] = ""
    elif how == "knows bad strength":
        p["knows"] = [{"id": rng.choice(BASE_IDS), "strength": rng.choice([-0.1, 1.01, "0.5", None, [], 10 ** 80])}]
    else:
        p["via"] = "\x1b" + rng.choice(BASE_IDS)
    return utf8(jsonl([p])), ".jsonl", how


def k_odd_whens(rng):
    p = person(rng)
    when = rng.choice(["", " ", "morgen", "bis März", "ASAP", "9999-99-99", "0000-01-01", "31.02.2027",
                       "bis " * 50, "x" * (MAX_LABEL_CHARS + 1), odd_string(rng, 20), "\x00", "2027-03-01\n",
                       "ab gestern bis morgen", "nächste Woche" * 10, "10000-01-01", "-1", "1e9", "Sankt Nimmerlein"])
    p["needs"] = [{"text": "braucht Hilfe", "when": when}]
    return utf8(jsonl([p])), ".jsonl", f"when {when[:20]!r}"


def k_huge_file(rng):
    return None, ".jsonl", f"file of {MAX_FILE_BYTES // 2**20 + 1} MB"


# (function, weight, valid?): valid kinds must import
KINDS = {
    "valid_jsonl": (k_valid_jsonl, 4, True),
    "valid_csv": (k_valid_csv, 2, True),
    "unicode_separators": (k_unicode_separators, 3, True),
    "control_chars": (k_control_chars, 3, True),
    "decomposed": (k_decomposed, 2, True),
    "crlf_valid": (k_crlf_valid, 2, True),
    "lone_surrogate": (k_lone_surrogate, 5, False),
    "deep_nesting": (k_deep_nesting, 4, False),
    "huge_numbers": (k_huge_numbers, 5, False),
    "wrong_types": (k_wrong_types, 10, False),
    "missing_or_unknown_fields": (k_missing_or_unknown_fields, 5, False),
    "truncation": (k_truncation, 8, False),
    "byte_flips": (k_byte_flips, 8, False),
    "inserted_bytes": (k_inserted_bytes, 6, False),
    "odd_encodings": (k_odd_encodings, 5, False),
    "boms": (k_boms, 3, False),
    "line_end_mixes": (k_line_end_mixes, 4, False),
    "nul_bytes": (k_nul_bytes, 4, False),
    "long_lines": (k_long_lines, 3, False),
    "empty": (k_empty, 3, False),
    "csv_dialects": (k_csv_dialects, 5, False),
    "csv_mutations": (k_csv_mutations, 6, False),
    "random_bytes": (k_random_bytes, 5, False),
    "random_json": (k_random_json, 6, False),
    "duplicates": (k_duplicates, 3, False),
    "references": (k_references, 3, False),
    "odd_whens": (k_odd_whens, 3, False),
}


# ---------------------------------------------------------------- running
def snapshot(net: Network) -> tuple:
    """Row counts of every table and a digest of everyone's records."""
    with net.store.read() as tables:
        names = [r[0] for r in tables.conn.execute("SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        counts = tables.conn.execute(" UNION ALL ".join(f"SELECT '{n}', count(*) FROM \"{n}\"" for n in names)
                                     ).fetchall()
        everyone = tables.people.rows()  # what net.list_people() gives, in the same session
    digest = hashlib.sha1(utf8(json.dumps(everyone, sort_keys=True, default=str))).hexdigest()
    return tuple(sorted(counts)), digest


def shorten(data: bytes | None, width: int = 100) -> str:
    if data is None:
        return "(huge file)"
    text = repr(data[:width])
    return text + (f" … ({len(data):,} bytes)" if len(data) > width else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="how many inputs (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", help="comma-separated kinds to run (default: all); one of " + ", ".join(KINDS))
    parser.add_argument("--show", type=int, default=5, help="how many problems of each sort to print")
    parser.add_argument("--slow", type=float, default=5.0, help="seconds above which one input counts as slow")
    parser.add_argument("--no-huge-file", action="store_true", help=f"skip the one file over {MAX_FILE_BYTES:,} bytes")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    rng = random.Random(args.seed)
    plan = rng.choices(kinds, weights=[KINDS[k][1] for k in kinds], k=args.count)
    if not args.no_huge_file and not args.kinds:
        plan[len(plan) // 2] = "huge_file"

    started = time.perf_counter()
    stats: dict[str, Counter] = defaultdict(Counter)
    problems: dict[str, list[str]] = defaultdict(list)
    slowest: dict[str, float] = defaultdict(float)

    def problem(sort: str, text: str) -> None:
        stats["TOTAL"][sort] += 0  # the column exists
        problems[sort].append(text)

    with tempfile.TemporaryDirectory(prefix="semnetz-hostile-") as tmp:
        tmp = Path(tmp)
        net = Network(home=tmp / "home", model="fake")
        net.import_file(ROOT / "data" / "people.jsonl")
        before = snapshot(net)
        for number, kind in enumerate(plan, start=1):
            if kind == "huge_file":
                data, suffix, note = k_huge_file(rng)
                path = tmp / f"input{suffix}"
                with open(path, "wb") as f:
                    f.truncate(MAX_FILE_BYTES + 1)  # sparse: NUL bytes, one more than the limit
                valid = False
            else:
                function, _, valid = KINDS[kind]
                data, suffix, note = function(rng)
                path = tmp / f"input{suffix}"
                path.write_bytes(data)
            row = stats[kind]
            row["inputs"] += 1
            t0 = time.perf_counter()
            outcome, error = None, None
            try:
                net.import_file(path)
                outcome = "clean imports"
            except SemnetzError as exc:
                outcome, error = "clean refusals", exc
            except Exception as exc:  # noqa: BLE001 - counting exactly these
                outcome, error = "tracebacks", exc
                trace = "".join(traceback.format_exception(exc)[-4:])
                problem("tracebacks", f"#{number} {kind} ({note}): {shorten(data)}\n{trace}")
            took = time.perf_counter() - t0
            slowest[kind] = max(slowest[kind], took)
            if took > args.slow:
                row["slow"] += 1
                problem("slow", f"#{number} {kind} ({note}): {took:.1f} s, {shorten(data)}")
            row[outcome] += 1
            if outcome == "tracebacks":
                try:
                    net.close()
                except Exception:  # noqa: BLE001
                    pass
                net = Network(home=tmp / "home", model="fake")
            after = snapshot(net)
            if outcome == "clean imports":
                before = after
                if not valid and kind in ("lone_surrogate", "deep_nesting", "huge_numbers", "long_lines"):
                    pass  # some of these are valid (depth 50, 100-digit ids, a text at the limit)
            else:
                if after != before:
                    row["partial writes"] += 1
                    problem("partial writes", f"#{number} {kind} ({note}): {shorten(data)}")
                    before = after
                if outcome == "clean refusals":
                    message = str(error)
                    if "\n" in message or "\r" in message or not message.startswith(f"{path}"):
                        row["unclear"] += 1
                        problem("unclear", f"#{number} {kind} ({note}): {message[:300]!r}")
                if valid:
                    row["wrongly refused"] += 1
                    problem("wrongly refused", f"#{number} {kind} ({note}): {str(error)[:300]!r}")
            if number % 1000 == 0:
                print(f"  {number:,} inputs, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        net.close()
    elapsed = time.perf_counter() - started

    columns = ["inputs", "clean imports", "clean refusals", "tracebacks", "partial writes", "unclear",
               "wrongly refused", "slow"]
    total = Counter()
    for kind, row in stats.items():
        if kind != "TOTAL":
            total.update(row)
    order = [k for k in list(KINDS) + ["huge_file"] if k in stats]
    width = max(len(k) for k in order + ["TOTAL"])
    print(f"{'kind':<{width}}  " + "  ".join(f"{c:>{max(len(c), 6)}}" for c in columns) + "  slowest")
    for kind in order + ["TOTAL"]:
        row = total if kind == "TOTAL" else stats[kind]
        slow = max(slowest.values()) if kind == "TOTAL" else slowest[kind]
        if kind == "TOTAL":
            print("-" * (width + 2 + sum(max(len(c), 6) + 2 for c in columns) + 7))
        print(f"{kind:<{width}}  " + "  ".join(f"{row[c]:>{max(len(c), 6)},}" for c in columns) + f"  {slow:6.2f}s")
    print(f"\n{total['inputs']:,} inputs in {elapsed:.1f} s (seed {args.seed})")
    for sort in ("tracebacks", "partial writes", "unclear", "wrongly refused", "slow"):
        if problems[sort]:
            print(f"\nfirst {min(args.show, len(problems[sort]))} of {len(problems[sort])} {sort}:")
            for text in problems[sort][:args.show]:
                print("  " + text.replace("\n", "\n    "))
    bad = total["tracebacks"] + total["partial writes"] + total["unclear"] + total["wrongly refused"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

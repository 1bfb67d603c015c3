"""`semnetz graph`: a picture of who knows whom around you, through the CLI (fake encoder; the command uses none)."""

import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from semnetz import Network

from .conftest import DATA, FAKE, ROOT, write_jsonl

SVG = "{http://www.w3.org/2000/svg}"

# you -> a (direct) -> b (via a) -> c (via b); you -> d (direct) — e (direct, linked to d); f knows nobody
CHAIN = [
    {"id": "a", "name": "Anna Alpha", "text": "Elektrikerin", "offers": ["Lampen anschließen"],
     "knows": [{"id": "d", "relation": "Nachbarin", "strength": 0.9}]},
    {"id": "b", "name": "Bernd Beta", "text": "Tischler", "offers": ["Regale bauen"], "via": "a",
     "knows": [{"id": "a", "relation": "Bruder", "strength": 0.3}]},
    {"id": "c", "name": "Carla Gamma", "offers": ["Nachhilfe Mathe"], "via": "b"},
    {"id": "d", "name": "Dora Delta", "text": "Kinderärztin", "offers": ["Vorsorge"]},
    {"id": "e", "name": "Emil Epsilon", "offers": ["Fahrrad reparieren"], "knows": [{"id": "d"}]},
    {"id": "f", "name": "Frida Phi", "text": "Steuerberaterin"},
]


@pytest.fixture
def chain(run, tmp_path):
    assert run("import", write_jsonl(tmp_path / "chain.jsonl", CHAIN)).exit_code == 0
    return tmp_path


def svg_of(path):
    """The SVG root of an .svg file or of the one inline in an .html page."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = text[text.index("<svg"):text.index("</svg>") + len("</svg>")]
    return ET.fromstring(text)


def names_in(root) -> set[str]:
    return {"".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")}


def person_tips(root) -> list[str]:
    """The tooltip of each person drawn (the centre first)."""
    people = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "people")
    return [t.text for child in people.iter() if child.tag in (f"{SVG}path", f"{SVG}use")
            for t in child.findall(f"{SVG}title")]


def test_html_svg_and_png_show_who_is_within_reach(run, chain):
    calls = FAKE.calls
    for suffix in ("html", "svg", "png"):
        out = chain / f"net.{suffix}"
        result = run("graph", "--out", out)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"Wrote {out}: 5 people within 2 hops of you\n"
        assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it names people
    assert FAKE.calls == calls  # no encoder (no model) is used to draw
    assert sorted(p.name for p in chain.iterdir() if p.name.startswith(".")) == []  # no temporary file left
    assert (chain / "net.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for suffix in ("html", "svg"):
        root = svg_of(chain / f"net.{suffix}")
        shown = names_in(root)
        assert {"You", "Anna Alpha", "Bernd Beta", "Dora Delta", "Emil Epsilon", "Frida Phi"} <= shown
        assert "Carla Gamma" not in shown  # three links away
        tips = person_tips(root)
        assert len(tips) == 6 and tips[0].startswith("You")
        assert "Anna Alpha (a)\noffers: Lampen anschließen\nyour direct contact" in tips
        assert "Bernd Beta (b)\noffers: Regale bauen\n2 links away, through Anna Alpha" in tips
        ties = {t.text for t in root.iter(f"{SVG}title")}
        assert "Bernd Beta knows Anna Alpha (Bruder), strength 0.3" in ties
        assert "Emil Epsilon knows Dora Delta, strength not recorded" in ties
    page = (chain / "net.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Who knows whom around you – semnetz</title>" in page
    assert "<h1>Who knows whom around you</h1>" in page
    assert re.search(r"<li><span class=\"swatch\"[^>]*></span>Handwerk: 2 people</li>", page)  # the legend as text
    assert "Ärztinnen und Ärzte: 1 person" in page and "Papierkram und Ämter: 1 person" in page  # Steuerberaterin
    assert not re.search(r"(src|href)=\"(?!#)|url\((?!#)|@import|<script", page)  # nothing loaded from elsewhere


def test_hops_and_around(run, chain):
    out = chain / "one.svg"
    assert run("graph", "--out", out, "--hops", "1").stdout == f"Wrote {out}: 4 people within 1 hop of you\n"
    assert "Bernd Beta" not in names_in(svg_of(out))
    result = run("graph", "--out", out, "--around", "b", "--hops", "1")
    assert result.stdout == f"Wrote {out}: 2 people within 1 hop of Bernd Beta (b)\n"
    assert names_in(svg_of(out)) >= {"Bernd Beta", "Anna Alpha", "Carla Gamma"}
    assert {"You", "Dora Delta"}.isdisjoint(names_in(svg_of(out)))  # you are not a link; Dora is two away
    result = run("graph", "--out", out, "--around", "f")
    assert result.exit_code == 0
    assert result.stderr == "Note: Frida Phi (f) has no links: the picture shows only them\n"
    assert names_in(svg_of(out)) == {"Frida Phi", "Who knows whom around Frida Phi: 0 people within 2 hops",
                                     "What they offer", "Frida Phi (centre)"}


def test_limit_draws_the_nearest_first(run, tmp_path):
    people = [{"id": f"d{i}", "name": f"Direct {i}", "offers": ["Kuchen backen"]} for i in range(8)]
    people += [{"id": f"f{i}", "name": f"Far {i}", "offers": ["Hecke schneiden"], "via": "d0"} for i in range(4)]
    people[1]["knows"] = [{"id": "d2"}, {"id": "d3"}]  # the best connected direct contacts come first:
    # d0 (four people known through d0), d1 (two links), d2 (one link, before d3 with one as it came first)
    run("import", write_jsonl(tmp_path / "p.jsonl", people))
    out = tmp_path / "net.svg"
    result = run("graph", "--out", out, "--limit", "3")
    assert result.stdout == (f"Wrote {out}: the nearest 3 people within 2 hops of you (more are within reach: "
                             "raise --limit)\n")
    tips = person_tips(svg_of(out))
    assert [t.split(" (")[0] for t in tips] == ["You", "Direct 0", "Direct 1", "Direct 2"]
    run("graph", "--out", out, "--limit", "10")
    drawn = [t.split(" (")[0] for t in person_tips(svg_of(out))]
    assert len(drawn) == 11 and set(drawn[1:9]) == {f"Direct {i}" for i in range(8)}  # all of hop 1, then hop 2
    assert run("graph", "--out", out, "--limit", "1001").exit_code == 2


def test_errors_are_one_line(run, chain):
    before = sorted(p.name for p in chain.iterdir())
    cases = [
        (("--out", chain / "x.svg", "--around", "nobody"), "Error: no person with id 'nobody' (see 'semnetz list')"),
        (("--out", chain / "missing" / "x.svg"),
         f"Error: cannot write the picture to {chain / 'missing' / 'x.svg'}: the folder {chain / 'missing'} does "
         "not exist"),
        (("--out", chain), f"Error: cannot write the picture to {chain}: it is a folder"),
        (("--out", chain / "chain.jsonl" / "x.svg"),
         f"Error: cannot write the picture to {chain / 'chain.jsonl' / 'x.svg'}: the folder "
         f"{chain / 'chain.jsonl'} does not exist"),
        (("--out", chain / "x.pdf"), "Error: --out must end in .html, .svg or .png (the format is chosen by it), "
                                     "not 'x.pdf'"),
    ]
    for args, message in cases:
        result = run("graph", *args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n"), args
    if os.geteuid() != 0:  # root may write anywhere
        locked = chain / "locked"
        locked.mkdir(mode=0o500)
        result = run("graph", "--out", locked / "x.svg")
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"Error: cannot write the picture to {locked / 'x.svg'}: ")
        locked.chmod(0o700)
        locked.rmdir()
    assert sorted(p.name for p in chain.iterdir()) == before


def test_empty_network_is_a_picture_of_just_you(run, tmp_path, semnetz_home):
    run("add", "Solo", "--text", "Maler")
    run("remove", "p0001")
    out = tmp_path / "net.html"
    result = run("graph", "--out", out)
    assert result.exit_code == 0
    assert result.stderr == "Note: nobody is in your network yet (semnetz import FILE): the picture shows only you\n"
    assert person_tips(svg_of(out)) == ["You"]


def test_overwrites_atomically_and_privately(run, chain):
    out = chain / "net.svg"
    out.write_text("old")
    out.chmod(0o644)
    assert run("graph", "--out", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_bytes().startswith(b"<?xml")


def test_names_that_are_markup_math_or_control_characters(run, tmp_path):
    people = [{"id": "x1", "name": "<script>x</script> & $x^2$", "offers": ["a\x1b[31m red"]},
              {"id": "x2", "name": "Ünal \u202eYılmaz 山田", "offers": ["Übersetzen"]}]
    run("import", write_jsonl(tmp_path / "p.jsonl", people))
    for suffix in ("html", "svg", "png"):
        assert run("graph", "--out", tmp_path / f"net.{suffix}").exit_code == 0
    root = svg_of(tmp_path / "net.svg")  # parses: no raw control character, markup escaped
    assert "<script>x</script> & $x^2$" in names_in(root)  # text as written, no math
    page = (tmp_path / "net.html").read_text(encoding="utf-8")
    assert "<script" not in page and "\x1b" not in page and "\u202e" not in page
    svg_of(tmp_path / "net.html")


def test_demo_network_colours_by_what_people_offer(run):
    """The demo network of data/: who is within reach and how they are grouped (no model is used)."""
    run("import", DATA / "people.jsonl")
    with Network() as net:
        hood = net.neighbourhood()
        data = hood.to_json()
    group = {p["id"]: p["group"] for p in data["people"]}
    assert len(data["people"]) == 75 and not data["more"]
    assert group["n03"] == "Handwerk"  # "selbstständiger Elektriker"
    assert group["n04"] == group["n13"] == "Ärztinnen und Ärzte"  # Kinderärztin, Zahnärztin
    assert group["n01"] == "Übersetzen" and group["n14"] == "Therapie" and group["n20"] == "Nachhilfe"
    hops = {p["id"]: p["hops"] for p in data["people"]}
    assert hops["n61"] == 2 and data["people"][[p["id"] for p in data["people"]].index("n61")]["via"] == "n02"
    assert json.dumps(data)  # serialisable (a web page can ask for it)


def test_drawing_libraries_load_only_for_the_picture():
    """`semnetz --help` and every other command stay fast: matplotlib and networkx load in `graph` only."""
    code = ("import sys, semnetz.cli.main, semnetz.network, semnetz.picture; "
            "print(sorted(m for m in ('matplotlib', 'networkx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"

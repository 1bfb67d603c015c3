"""Importing an address book: the same 5,000 people as one vCard file and as JSON Lines, each imported into a fresh
network, with the real default encoder (what a user waits for) and with a fake one (the reader's own cost).

    python benchmarks/vcard_import.py [--people 5000] [--runs 3] [--model use-m3]

Prints people per second for both formats and the ratio vCard / JSON Lines (the target: at least 0.9 with the
real encoder), and what reading alone costs: semnetz's readers, and for comparison vobject.readComponents over the
same vCard file (the Component layer semnetz does not use, see semnetz/ingest/vcard.py).
The people come from semnetz/synthetic.py: a name, a nickname, a role (TITLE), a note, a phone number and an
e-mail address, a UID, a birthday and an address; every tenth card has a photo (~4 KB, as phones export them).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network, encoders  # noqa: E402
from semnetz.ingest import readers  # noqa: E402
from semnetz.synthetic import generate_people  # noqa: E402
from tests.fake_encoder import FakeEncoder  # noqa: E402

encoders.register_encoder("fake", FakeEncoder)


def address_book(n: int, seed: int = 0) -> list[dict]:
    """n people as a phone's address book holds them (what a vCard can say), in the import format plus the
    vCard-only details (birthday, street, photo) under '_card'."""
    rng = random.Random(seed)
    photo = base64.b64encode(bytes(rng.randrange(256) for _ in range(3000))).decode()
    people = []
    for i, p in enumerate(generate_people(n, seed)):
        role = p["text"].split(". ")[1].split(" seit ")[0]
        first, last = p["name"].split(" ", 1)
        person = {
            "name": p["name"], "aliases": p["aliases"], "text": p["text"].split(". ")[0] + ". " + "; ".join(p["offers"]),
            "offers": [role],
            "contact": {"phone": f"+49 1{rng.choice([51, 52, 57, 60, 62, 70, 71, 72, 76])} {rng.randrange(10**7, 10**8)}",
                        "email": f"{first.lower()}.{last.lower().replace(' ', '')}.{i}@example.org"},
            "uid": f"{rng.getrandbits(128):032x}",
            "_card": {"bday": f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
                      "street": f"Lindenstraße {rng.randrange(1, 120)}", "photo": photo if i % 10 == 0 else None},
        }
        people.append(person)
    return people


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _folded(line: str) -> list[str]:
    return [line[:75]] + [" " + line[i:i + 74] for i in range(75, len(line), 74)]


def as_vcard(people: list[dict]) -> str:
    lines = []
    for p in people:
        first, last = p["name"].split(" ", 1)
        card = p["_card"]
        lines += ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iPhone OS 17.4//EN",
                  f"N:{_escaped(last)};{_escaped(first)};;;", f"FN:{_escaped(p['name'])}",
                  f"NICKNAME:{_escaped(p['aliases'][0])}", f"TITLE:{_escaped(p['offers'][0])}",
                  f"item1.EMAIL;type=INTERNET;type=pref:{p['contact']['email']}", "item1.X-ABLabel:_$!<Other>!$_",
                  f"TEL;type=CELL;type=VOICE;type=pref:{p['contact']['phone']}",
                  f"item2.ADR;type=HOME;type=pref:;;{card['street']};Köln;;50667;Deutschland", "item2.X-ABADR:de",
                  *_folded(f"NOTE:{_escaped(p['text'])}"), f"BDAY:{card['bday']}"]
        if card["photo"]:
            lines += _folded(f"PHOTO;ENCODING=b;TYPE=JPEG:{card['photo']}")
        lines += [f"UID:{p['uid']}", "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"


def as_jsonl(people: list[dict]) -> str:
    return "".join(json.dumps({k: v for k, v in p.items() if k != "_card"}, ensure_ascii=False) + "\n" for p in people)


def timed_import(path: Path, model: str) -> float:
    with tempfile.TemporaryDirectory(prefix="semnetz-vcard-bench-") as home, Network(home=home, model=model) as net:
        started = time.perf_counter()
        net.import_file(path)
        return time.perf_counter() - started


def same_people(vcf: Path, jsonl: Path) -> None:
    """Both files must bring in the same people, or the comparison means nothing."""
    def content(path):
        return sorted(json.dumps({k: v for k, v in r.to_dict().items() if k != "id"}, sort_keys=True, ensure_ascii=False)
                      for _, r in readers.read_people(path))
    assert content(vcf) == content(jsonl), "the vCard and the JSON Lines file differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="use-m3")
    args = parser.parse_args()
    people = address_book(args.people)
    with tempfile.TemporaryDirectory(prefix="semnetz-vcard-files-") as tmp:
        vcf, jsonl = Path(tmp) / "contacts.vcf", Path(tmp) / "contacts.jsonl"
        vcf.write_text(as_vcard(people), encoding="utf-8", newline="")
        jsonl.write_text(as_jsonl(people), encoding="utf-8")
        same_people(vcf, jsonl)
        print(f"{args.people:,} people: contacts.vcf {vcf.stat().st_size / 2**20:.1f} MB (vCard 3.0, CRLF, "
              f"{sum(1 for p in people if p['_card']['photo']):,} photos), contacts.jsonl "
              f"{jsonl.stat().st_size / 2**20:.1f} MB; {args.runs} runs each, formats alternating, each into a fresh "
              f"network; median (best)\n")

        reading = {}
        for name, path in (("vcf", vcf), ("jsonl", jsonl)):
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                readers.read_people(path)
                times.append(time.perf_counter() - started)
            reading[name] = times
        import vobject

        started = time.perf_counter()
        cards = sum(1 for _ in vobject.readComponents(vcf.read_text(encoding="utf-8"), allowQP=True))
        components = time.perf_counter() - started
        assert cards == args.people
        print("reading and validating only (no store, no encoder)")
        for name, times in reading.items():
            print(f"  {name:6} {statistics.median(times):6.2f} s  {args.people / statistics.median(times):9,.0f} people/s")
        print(f"  for comparison, vobject.readComponents over the .vcf (parse only, not validated): {components:.2f} s "
              f"({args.people / components:,.0f} cards/s)\n")

        for model in ("fake", args.model):
            timed_import(jsonl, model)  # warm-up: the encoder (and everything else) loaded once
            times: dict[str, list[float]] = {"vcf": [], "jsonl": []}
            for _ in range(args.runs):
                for name, path in (("vcf", vcf), ("jsonl", jsonl)):
                    times[name].append(timed_import(path, model))
            rate = {name: args.people / statistics.median(t) for name, t in times.items()}
            best = {name: args.people / min(t) for name, t in times.items()}
            label = "fake encoder (the reader's own cost)" if model == "fake" else f"{model} (what a user waits for)"
            print(f"import, {label}")
            for name in ("vcf", "jsonl"):
                print(f"  {name:6} {rate[name]:9,.0f} people/s ({best[name]:,.0f})   "
                      f"{statistics.median(times[name]):6.2f} s")
            print(f"  ratio vcf/jsonl: {rate['vcf'] / rate['jsonl']:.2f} ({best['vcf'] / best['jsonl']:.2f} best to best)\n")


if __name__ == "__main__":
    main()

"""An encrypted home against a plain one (issue 15, part 1): import, warm search in one process, a cold CLI search,
remove and the bytes on disk, on the same synthetic people, one after the other in one run (ratios, since this
machine is shared). Prints the figures; --out writes them as JSON.

    python benchmarks/encryption.py --people 5000 [--runs 3] [--cold 7] [--out benchmarks/results/encryption.json]

Targets: warm search p50 <= 1.2x, import <= 1.3x, cold CLI search <= 1.3x the plain home's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network
from semnetz.synthetic import generate_people

KEY = "benchmark passphrase"


def queries() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "data" / "queries_newuser.jsonl").read_text("utf-8").splitlines()]
    return [r["q"] for r in rows]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def make_home(home: Path, encrypted: bool, model: str) -> Network:
    if encrypted:
        net, _ = Network.create(home, encrypt=True, key=KEY, model=model)
        return net
    return Network(home, model=model)


def import_seconds(home: Path, people: Path, encrypted: bool, model: str) -> float:
    net = make_home(home, encrypted, model)
    started = time.perf_counter()
    net.import_file(people)
    return time.perf_counter() - started


def warm_search_ms(homes: dict[str, Path], model: str, qs: list[str], runs: int) -> dict[str, list[float]]:
    """Each query on each home in turn (interleaved, so both see the same load), after one warm-up pass."""
    nets = {name: Network(home, model=model, key=KEY) for name, home in homes.items()}
    for net in nets.values():
        for q in qs[:20]:
            net.search(q)
    times = {name: [] for name in nets}
    for _ in range(runs):
        for q in qs:
            for name, net in nets.items():
                started = time.perf_counter()
                net.search(q)
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def cold_cli_s(homes: dict[str, Path], query: str, runs: int) -> dict[str, list[float]]:
    env = {**os.environ, "SEMNETZ_KEY": KEY}
    times = {name: [] for name in homes}
    for _ in range(runs):
        for name, home in homes.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "semnetz", query, "--home", str(home)], env=env, check=True,
                           capture_output=True)
            times[name].append(time.perf_counter() - started)
    return times


def add_s(home: Path, model: str) -> float:
    net = Network(home, model=model, key=KEY)
    net.encoder.encode_texts(["warm"])  # the model loaded before the clock starts
    started = time.perf_counter()
    net.add({"name": "Lena Schulz", "text": "Tagesmutter in der Südstadt", "offers": ["Betreuung ab 1 Jahr"]})
    return time.perf_counter() - started


def remove_s(home: Path, model: str, person_id: str) -> float:
    net = Network(home, model=model, key=KEY)
    started = time.perf_counter()
    net.remove(person_id)
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3, help="passes over the queries for warm search")
    parser.add_argument("--cold", type=int, default=7, help="cold CLI searches per home")
    parser.add_argument("--model", default="use-m3")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="semnetz-encryption-bench-"))
    people = work / "people.jsonl"
    people.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in generate_people(args.people)),
                      encoding="utf-8")
    homes = {"plain": work / "plain", "encrypted": work / "encrypted"}
    report: dict = {"people": args.people, "model": args.model}
    warm_up = work / "warm-up.jsonl"  # the model and its background knowledge loaded before anything is timed
    warm_up.write_text("".join(people.read_text("utf-8").splitlines(keepends=True)[:50]), encoding="utf-8")
    import_seconds(work / "warm-up", warm_up, False, args.model)
    report["import_s"] = {name: import_seconds(home, people, name == "encrypted", args.model)
                          for name, home in homes.items()}
    report["bytes"] = {name: dir_bytes(home) for name, home in homes.items()}
    warm = warm_search_ms(homes, args.model, queries(), args.runs)
    report["warm_ms"] = {name: {"p50": statistics.median(t), "p95": pct(t, 95), "n": len(t)}
                         for name, t in warm.items()}
    cold = cold_cli_s(homes, "brauche jemanden der morgen die Heizung repariert", args.cold)
    report["cold_cli_s"] = {name: statistics.median(t) for name, t in cold.items()}
    first_id = json.loads(people.read_text("utf-8").splitlines()[0])["id"]
    report["add_s"] = {name: add_s(home, args.model) for name, home in homes.items()}
    report["remove_s"] = {name: remove_s(home, args.model, first_id) for name, home in homes.items()}

    ratio = {k: report[k]["encrypted"] / report[k]["plain"]
             for k in ("import_s", "cold_cli_s", "add_s", "remove_s", "bytes")}
    ratio["warm_p50"] = report["warm_ms"]["encrypted"]["p50"] / report["warm_ms"]["plain"]["p50"]
    report["ratio"] = ratio
    print(f"{args.people} people, model {args.model}")
    print(f"{'':22}{'plain':>12}{'encrypted':>12}{'ratio':>8}  target")
    rows = [("import (s)", report["import_s"], ratio["import_s"], "<= 1.3"),
            ("warm search p50 (ms)", {k: v["p50"] for k, v in report["warm_ms"].items()}, ratio["warm_p50"], "<= 1.2"),
            ("warm search p95 (ms)", {k: v["p95"] for k, v in report["warm_ms"].items()}, None, ""),
            ("cold CLI search (s)", report["cold_cli_s"], ratio["cold_cli_s"], "<= 1.3"),
            ("add one person (s)", report["add_s"], ratio["add_s"], ""),
            ("remove (s)", report["remove_s"], ratio["remove_s"], ""),
            ("home (MB)", {k: v / 1e6 for k, v in report["bytes"].items()}, ratio["bytes"], "")]
    for label, values, r, target in rows:
        shown = "" if r is None else f"{r:8.2f}"
        print(f"{label:22}{values['plain']:12.2f}{values['encrypted']:12.2f}{shown}  {target}")
    print("remove / add: " + ", ".join(f"{name} {report['remove_s'][name] / report['add_s'][name]:.1f}x"
                                       for name in homes) + "  (target <= 3x)")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

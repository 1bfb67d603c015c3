"""Ranking quality of every configuration on the demo network's labelled sets (data/).

    python benchmarks/quality.py [--queries data/queries.jsonl] [--split calibration|heldout] [--json] [--out DIR]

The same as `semnetz bench quality --people data/people.jsonl --queries …`, run for the labelled sets
(the development set, the held-out one that tuning never looked at, a third set written later by someone
who saw only data/people.jsonl, the set nobody fits, and the new-user set typed as parents type on a phone),
with how right the first result's label is (overall and per query class).
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz.bench.quality import quality_plot, quality_table, run_quality  # noqa: E402
from semnetz.errors import InputError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=Path, default=ROOT / "data" / "people.jsonl")
    parser.add_argument("--queries", type=Path, nargs="*",
                        default=[ROOT / "data" / f"queries{s}.jsonl"
                                 for s in ("", "_heldout", "_check", "_nobody", "_newuser")])
    parser.add_argument("--split", choices=["calibration", "heldout"],
                        help='Only the queries whose "split" is this (a file without "split" lines: none).')
    parser.add_argument("--json", action="store_true", help="One JSON report per set instead of the tables.")
    parser.add_argument("--encoder", action="append", help="Only this encoder (repeatable).")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for queries in args.queries:
        try:
            report = run_quality(args.people, queries, args.encoder, split=args.split)
        except InputError as exc:  # e.g. a set without "split" lines under --split
            print(f"== {queries.name}: skipped: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            print(f"== {queries.name}")
            print(quality_table(report))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            quality_plot(report, args.out / f"quality-{queries.stem}.png")


if __name__ == "__main__":
    main()

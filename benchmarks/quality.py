"""Ranking quality of every configuration on the demo network's labelled sets (data/).

    python benchmarks/quality.py [--queries data/queries.jsonl] [--out DIR]

The same as `semnetz bench quality --people data/people.jsonl --queries …`, run for both labelled sets
(the development set, the held-out one that tuning never looked at, and a third set written later by someone
who saw only data/people.jsonl).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz.bench.quality import quality_plot, quality_table, run_quality  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=Path, default=ROOT / "data" / "people.jsonl")
    parser.add_argument("--queries", type=Path, nargs="*",
                        default=[ROOT / "data" / f"queries{s}.jsonl" for s in ("", "_heldout", "_check")])
    parser.add_argument("--encoder", action="append", help="Only this encoder (repeatable).")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for queries in args.queries:
        report = run_quality(args.people, queries, args.encoder)
        print(f"== {queries.name}")
        print(quality_table(report))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            quality_plot(report, args.out / f"quality-{queries.stem}.png")


if __name__ == "__main__":
    main()

"""`semnetz match` at scale: N synthetic people, M open needs, one batched run.

    python benchmarks/match.py [--people 100000] [--needs 10000] [--home DIR]

With --home the network is built there once and reused by later runs (building 100,000 people takes minutes;
the figure that counts is the match itself). Prints the build time, the match wall time, proposals made and
the share of needs with at least one proposal.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network  # noqa: E402
from semnetz.synthetic import NEEDS, generate_people  # noqa: E402


def build(home: Path, n_people: int, n_needs: int, seed: int = 0) -> float:
    people = generate_people(n_people, seed=seed)
    for person in people:
        person.pop("needs", None)
    rng = random.Random(seed + 7)
    for i in rng.sample(range(n_people), n_needs):
        text, when = rng.choice(NEEDS)
        people[i]["needs"] = [{"text": f"{text} ({people[i]['name'].split()[0]})", "when": when or "bis Dezember"}]
    started = time.perf_counter()
    with Network(home=home) as net:
        net.import_dicts(people, source="synthetic")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="semnetz-match-"))
    with Network(home=home) as net:
        existing = net.store.count("people")
    if existing != args.people:
        print(f"building {args.people} people with {args.needs} needs in {home} …", flush=True)
        print(f"build: {build(home, args.people, args.needs):.0f} s", flush=True)
    with Network(home=home) as net:
        open_needs = len(net.needs("open"))
        started = time.perf_counter()
        proposals = net.match()
        elapsed = time.perf_counter() - started
        stats = net.stats()
    covered = len({p.need.need_id for p in proposals})
    print(f"people {stats['people']}, open needs {open_needs}, index {stats['index_type']}")
    print(f"semnetz match: {elapsed:.1f} s wall, {len(proposals)} proposals, "
          f"{covered / max(1, open_needs):.0%} of needs with at least one")


if __name__ == "__main__":
    main()

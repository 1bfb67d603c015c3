"""Calibrate what a user is shown (rank/showing.py) on labelled queries, many of them ones nobody fits.

    python benchmarks/calibrate.py [--encoder use-m3] [--json OUT]

Every labelled set in data/ is ranked once (the demo network, --all, 10 deep); then the cut's thresholds are
searched on a grid: the setting that shows the most (nDCG@5 of what is shown, pooled over the calibration sets)
while answering "nobody fits well" (nobody marked good or maybe; the closest may still be shown) to at least
--nobody-rate of the queries nobody fits. Calibration sets: the development
set, the check set, the English set, their typo'd variants, every other line of the nobody set, and every other
query of the short-profile network (data/occupations.jsonl, as typed and with typos); the held-out set (and its
typo'd variant) and the other halves are never looked at while choosing, and are reported beside. Prints the chosen thresholds and, per set, what the user sees.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network  # noqa: E402
from semnetz.evaluation import ndcg_at, read_queries  # noqa: E402
from semnetz.rank.showing import Cut  # noqa: E402

DATA = ROOT / "data"
CALIBRATION = ["queries", "queries_check", "queries_en", "queries_typo", "queries_check_typo", "nobody-even",
               "occupations-even", "occupations_typo-even"]
HELD_OUT = ["queries_heldout", "queries_heldout_typo", "nobody-odd", "occupations-odd", "occupations_typo-odd"]


class Ranked:
    """A query's ranking (--all) as (id, score) pairs, with its labels."""

    def __init__(self, q, rel: dict, ids: list[str], scores: list[float]):
        self.q, self.rel, self.ids, self.scores = q, rel, ids, scores


class FakeMatch:
    def __init__(self, id_, score):
        self.id, self.score, self.confidence = id_, score, None


def rank_sets(encoder: str) -> dict[str, list[Ranked]]:
    """Every set ranked on its network: the demo network's sets, and the short profiles of occupations.jsonl
    (split in two halves, one for choosing, one held out)."""
    demo = {name: read_queries(DATA / f"{name}.jsonl") for name in
            ["queries", "queries_check", "queries_en", "queries_typo", "queries_check_typo", "queries_heldout",
             "queries_heldout_typo"]}
    nobody = read_queries(DATA / "queries_nobody.jsonl")
    demo["nobody-even"], demo["nobody-odd"] = nobody[0::2], nobody[1::2]
    occupations = {}
    for name in ("occupations", "occupations_typo"):
        queries = read_queries(DATA / f"queries_{name}.jsonl")
        occupations[f"{name}-even"], occupations[f"{name}-odd"] = queries[0::2], queries[1::2]
    out = {}
    for people, sets in (("people.jsonl", demo), ("occupations.jsonl", occupations)):
        with tempfile.TemporaryDirectory() as home, Network(home=home, model=encoder) as net:
            net.import_file(DATA / people)
            for name, queries in sets.items():
                results = net.search_batch([q.q for q in queries], k=10, include_all=True, hops=3)
                out[name] = [Ranked(q.q, q.rel, [m.id for m in r.matches], [m.score for m in r.matches])
                             for q, r in zip(queries, results)]
    return out


def seen(cut: Cut, ranked: Ranked) -> list[str]:
    return [m.id for m in shown_matches(cut, ranked)]


def shown_matches(cut: Cut, ranked: Ranked) -> list[FakeMatch]:
    return cut.shown([FakeMatch(i, s) for i, s in zip(ranked.ids, ranked.scores)])


def says_fits(cut: Cut, ranked: Ranked) -> list[str]:
    """Who is shown as fitting (good or maybe), not only as the closest."""
    return [m.id for m in shown_matches(cut, ranked) if m.confidence in ("good", "maybe")]


def figures(cut: Cut, rankings: list[Ranked]) -> dict:
    """What the user sees: nDCG@5 of what is shown, how often a fitting person is shown, how often a shown
    person fits, how often "nobody" is the answer to a query nobody fits (and to one somebody fits)."""
    labelled = [r for r in rankings if r.rel]
    empty = [r for r in rankings if not r.rel]
    shown = {id(r): seen(cut, r) for r in rankings}
    fits = {id(r): says_fits(cut, r) for r in rankings}
    fitting_shown = [any(i in r.rel for i in shown[id(r)]) for r in labelled]
    shown_people = [(i in r.rel) for r in labelled for i in fits[id(r)]]
    return {
        "queries": len(rankings), "labelled": len(labelled), "nobody_fits": len(empty),
        "ndcg@5_seen": float(np.mean([ndcg_at(shown[id(r)], r.rel, 5) for r in labelled])) if labelled else None,
        "ndcg@5_ranking": float(np.mean([ndcg_at(r.ids, r.rel, 5) for r in labelled])) if labelled else None,
        "fitting_person_shown": float(np.mean(fitting_shown)) if labelled else None,
        "shown_person_fits": float(np.mean(shown_people)) if shown_people else None,
        "nobody_right": float(np.mean([not fits[id(r)] for r in empty])) if empty else None,
        "nobody_wrong": float(np.mean([not fits[id(r)] for r in labelled])) if labelled else None,
    }


def calibrate(sets: dict[str, list[Ranked]], nobody_rate: float) -> Cut:
    pool = [r for name in CALIBRATION for r in sets[name]]
    best, best_key = None, None
    grid = itertools.product(np.arange(0.40, 0.90, 0.01), (0.15, 0.2, 0.25, 0.3), (0.0, 0.05, 0.1), (0.2, 0.3, 0.4))
    for min_score, margin, gap, floor in grid:
        cut = Cut(float(min_score), float(min_score), margin, gap, floor)
        f = figures(cut, pool)
        if f["nobody_right"] < nobody_rate:
            continue
        key = (round(f["ndcg@5_seen"], 4), f["nobody_right"], -min_score, -gap, -floor)
        if best_key is None or key > best_key:
            best, best_key = cut, key
    if best is None:
        raise SystemExit(f"no setting answers nobody to {nobody_rate:.0%} of the queries nobody fits")
    # "good": the score from which 95 % of the people shown fit (on the calibration sets)
    scored = [(m.score, m.id in r.rel) for r in pool if r.rel for m in shown_matches(best, r)
              if m.confidence in ("good", "maybe")]
    good = best.min_score
    for threshold in np.arange(best.min_score, 1.5, 0.01):
        above = [fits for s, fits in scored if s >= threshold]
        if above and np.mean(above) >= 0.95:
            good = float(threshold)
            break
    return replace(best, good_score=round(good, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="use-m3")
    parser.add_argument("--nobody-rate", type=float, default=0.9)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sets = rank_sets(args.encoder)
    cut = calibrate(sets, args.nobody_rate)
    print(f"chosen: min_score {cut.min_score:.2f}, good_score {cut.good_score:.2f}, standout_gap "
          f"{cut.standout_gap:.2f}, standout_floor {cut.standout_floor:.2f}, margin {cut.margin:.2f}")
    report = {"cut": cut.__dict__, "sets": {}}
    print(f"{'set':24} {'n':>4} {'nDCG@5 seen':>12} {'ranking':>8} {'fit shown':>10} {'shown fits':>11} "
          f"{'nobody right':>13} {'nobody wrong':>13}")
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    for name in CALIBRATION + HELD_OUT:
        f = figures(cut, sets[name])
        report["sets"][name] = f
        print(f"{name + (' *' if name in HELD_OUT else ''):24} {f['queries']:>4} {fmt(f['ndcg@5_seen']):>12} "
              f"{fmt(f['ndcg@5_ranking']):>8} {fmt(f['fitting_person_shown']):>10} {fmt(f['shown_person_fits']):>11} "
              f"{fmt(f['nobody_right']):>13} {fmt(f['nobody_wrong']):>13}")
    print("* held out: never looked at while choosing")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Calibrate what a user is shown (rank/showing.py) on labelled queries, many of them ones nobody fits.

    python benchmarks/calibrate.py [--encoder use-m3] [--nobody-rate 0.85] [--good-precision 0.85] [--json OUT]

Every labelled set in data/ is ranked once as the default answer ranks it (Network.search: k 5, hops 2, here with
--all so that every cut can be tried on the same lists) and once as `semnetz bench quality` ranks it (10 deep,
hops 3: the "ranking" nDCG@5). Then, on the calibration sets pooled:

- min_score: the one (0.40 … 0.99, step 0.01) that maximises label accuracy (among the queries somebody fits: the
  first shown result fits and is labelled good or maybe) while answering at least --nobody-rate of the queries
  nobody fits with nobody said to fit (no match, or only the "closest"); ties go to the higher nobody accuracy, then
  to the higher nDCG@5 as seen, then to the lower min_score;
- good_score: the lowest score (from min_score, step 0.01) from which at least --good-precision of the people shown
  as "good" fit (every query, the ones nobody fits included: anyone shown as good there does not fit).

margin, standout_gap and standout_floor are the encoder's in models/encoders.json (the defaults of Cut.of when it
names none); they do not move label accuracy or nobody accuracy, only what is shown after the first and whether a
"closest" is shown. Calibration sets: the development set, the check set, the English set, their typo'd variants,
every other line of the nobody set, every other query of the short-profile network (data/occupations.jsonl, as typed
and with typos), and the "calibration" lines of the new-user set; the held-out set (and its typo'd variant), the other
halves and the "heldout" lines of the new-user set are never looked at while choosing, and are reported beside.
Prints the chosen thresholds and, per set and pooled, what the user sees; when models/encoders.json says otherwise
for the encoder, the same figures at its setting too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network
from semnetz.encoders import encoder_info
from semnetz.evaluation import label_figures, ndcg_at, read_queries
from semnetz.limits import DEFAULT_HOPS, DEFAULT_K
from semnetz.rank.showing import Cut
from semnetz.rank.weights import WEIGHTS

DATA = ROOT / "data"
CALIBRATION = ["queries", "queries_check", "queries_en", "queries_typo", "queries_check_typo", "nobody-even",
               "newuser-calibration", "occupations-even", "occupations_typo-even"]
HELD_OUT = ["queries_heldout", "queries_heldout_typo", "nobody-odd", "newuser-heldout", "occupations-odd",
            "occupations_typo-odd"]
RANK_DEPTH, RANK_HOPS = 10, 3  # as `semnetz bench quality` ranks (the "ranking" nDCG@5)


class FakeMatch:
    """What Cut needs of a Match: its score, how well it fits and why (a look-up by name, alias, phone or e-mail
    is good only when exact), and the confidence the cut gives it."""

    def __init__(self, id_: str, score: float, fit: float, why_kind: str):
        self.id, self.score, self.fit, self.why_kind, self.confidence = id_, score, fit, why_kind, None


class Ranked:
    """A query's default ranking (k 5, hops 2, --all) as (id, score, fit, why_kind), its deeper ranking (ids, 10
    deep, hops 3), and its labels."""

    def __init__(self, q: str, rel: dict, default: list[tuple], deep: list[str]):
        self.q, self.rel, self.default, self.deep = q, rel, default, deep

    def shown(self, cut: Cut) -> list[FakeMatch]:
        return cut.shown([FakeMatch(*m) for m in self.default])


def rank_sets(encoder: str) -> dict[str, list[Ranked]]:
    """Every set ranked on its network: the demo network's sets, and the short profiles of occupations.jsonl
    (split in two halves, one for choosing, one held out)."""
    demo = {name: read_queries(DATA / f"{name}.jsonl") for name in
            ["queries", "queries_check", "queries_en", "queries_typo", "queries_check_typo", "queries_heldout",
             "queries_heldout_typo"]}
    nobody = read_queries(DATA / "queries_nobody.jsonl")
    demo["nobody-even"], demo["nobody-odd"] = nobody[0::2], nobody[1::2]
    for split in ("calibration", "heldout"):
        demo[f"newuser-{split}"] = read_queries(DATA / "queries_newuser.jsonl", split=split)
    occupations = {}
    for name in ("occupations", "occupations_typo"):
        queries = read_queries(DATA / f"queries_{name}.jsonl")
        occupations[f"{name}-even"], occupations[f"{name}-odd"] = queries[0::2], queries[1::2]
    out = {}
    for people, sets in (("people.jsonl", demo), ("occupations.jsonl", occupations)):
        with tempfile.TemporaryDirectory() as home, Network(home=home, model=encoder) as net:
            net.import_file(DATA / people)
            for name, queries in sets.items():
                texts = [q.q for q in queries]
                default = net.search_batch(texts, k=DEFAULT_K, include_all=True, hops=DEFAULT_HOPS)
                deep = net.search_batch(texts, k=RANK_DEPTH, include_all=True, hops=RANK_HOPS)
                out[name] = [Ranked(q.q, q.rel, [(m.id, float(m.score), float(m.fit), m.why_kind) for m in d.matches],
                                    [m.id for m in r.matches]) for q, d, r in zip(queries, default, deep)]
    return out


def figures(cut: Cut, rankings: list[Ranked]) -> dict:
    """What the user sees (evaluation.label_figures: label accuracy, closest on a right answer, nobody accuracy,
    nDCG@5 as seen), nDCG@5 of the ranking, and how many of the people shown as good fit."""
    shown = [r.shown(cut) for r in rankings]
    queries = [_Query(r.rel) for r in rankings]
    out = {k: v for k, v in label_figures(queries, shown).items() if k != "by_class"}
    labelled = [r for r in rankings if r.rel]
    out["ndcg@5_ranking"] = float(np.mean([ndcg_at(r.deep, r.rel, 5) for r in labelled])) if labelled else None
    good = [m.id in r.rel for r, s in zip(rankings, shown) for m in s if m.confidence == "good"]
    out["shown_good"], out["good_fits"] = len(good), (float(np.mean(good)) if good else None)
    return out


class _Query:
    def __init__(self, rel: dict):
        self.rel, self.cls = rel, None


def good_precision(cut: Cut, pool: list[Ranked]) -> tuple[int, float | None]:
    """How many people are shown as good over the pool, and the share of them who fit."""
    good = [m.id in r.rel for r in pool for m in r.shown(cut) if m.confidence == "good"]
    return len(good), (float(np.mean(good)) if good else None)


def calibrate(sets: dict[str, list[Ranked]], base: Cut, nobody_rate: float, good_target: float) -> tuple[Cut, list]:
    """The cut chosen on the calibration sets pooled, and the curve it was chosen on (min_score: its figures)."""
    pool = [r for name in CALIBRATION for r in sets[name]]
    best, best_key, curve = None, None, []
    for min_score in np.round(np.arange(0.40, 1.00, 0.01), 2):
        # good_score high enough that it does not matter here: label and nobody accuracy count good and maybe alike
        cut = Cut(float(min_score), 9.0, base.margin, base.standout_gap, base.standout_floor)
        f = figures(cut, pool)
        curve.append((float(min_score), f["label_accuracy"], f["nobody_accuracy"], f["ndcg@5_seen"]))
        if f["nobody_accuracy"] < nobody_rate:
            continue
        key = (round(f["label_accuracy"], 6), round(f["nobody_accuracy"], 6), round(f["ndcg@5_seen"], 6), -min_score)
        if best_key is None or key > best_key:
            best, best_key = float(min_score), key
    if best is None:
        raise SystemExit(f"no min_score answers nobody to {nobody_rate:.0%} of the queries nobody fits")
    good = None
    for threshold in np.round(np.arange(best, 1.50, 0.01), 2):
        n, precision = good_precision(Cut(best, float(threshold), base.margin, base.standout_gap, base.standout_floor),
                                      pool)
        if n and precision >= good_target:
            good = float(threshold)
            break
    if good is None:
        raise SystemExit(f"no good_score makes {good_target:.0%} of the people shown as good fit")
    return Cut(best, good, base.margin, base.standout_gap, base.standout_floor), curve


COLUMNS = (("label_accuracy", "label right"), ("closest_on_right", "closest on right"),
           ("nobody_accuracy", "nobody right"), ("ndcg@5_seen", "nDCG@5 seen"), ("ndcg@5_ranking", "nDCG@5 ranking"),
           ("good_fits", "good fits"))


def table(cut: Cut, sets: dict[str, list[Ranked]]) -> tuple[str, dict]:
    fmt = lambda v: "—" if v is None else f"{v:.3f}"
    lines = [f"{'set':26} {'somebody':>8} {'nobody':>6} " + " ".join(f"{h:>16}" for _, h in COLUMNS)]
    report = {}
    for group, names in (("calibration", CALIBRATION), ("held out", HELD_OUT)):
        rows = [(name, sets[name]) for name in names] + [(f"pooled {group}", [r for n in names for r in sets[n]])]
        for name, rankings in rows:
            f = figures(cut, rankings)
            report[name] = f
            lines.append(f"{name + (' *' if group == 'held out' and not name.startswith('pooled') else ''):26} "
                         f"{f['somebody_fits']:>8} {f['nobody_fits']:>6} "
                         + " ".join(f"{fmt(f[k]):>16}" for k, _ in COLUMNS))
        lines.append("")
    lines.append("* held out: never looked at while choosing. label right / closest on right / nDCG@5 seen: among the "
                 "queries somebody fits; nobody right: among those nobody fits (no match, or only 'closest'); good "
                 "fits: share of the people shown as good who fit (all queries)")
    return "\n".join(lines), report


def describe(cut: Cut) -> str:
    return (f"min_score {cut.min_score:.2f}, good_score {cut.good_score:.2f}, margin {cut.margin:.2f}, "
            f"standout_gap {cut.standout_gap:.2f}, standout_floor {cut.standout_floor:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="use-m3")
    parser.add_argument("--nobody-rate", type=float, default=0.85,
                        help="At least this share of the queries nobody fits answered so (calibration, pooled).")
    parser.add_argument("--good-precision", type=float, default=0.85,
                        help="At least this share of the people shown as good fit (calibration, pooled).")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = encoder_info(args.encoder)
    registry = Cut.of(info, float(info["min_score"]), WEIGHTS.score_margin)
    sets = rank_sets(args.encoder)
    cut, curve = calibrate(sets, registry, args.nobody_rate, args.good_precision)
    print(f"encoder {args.encoder}; nobody rate >= {args.nobody_rate:.2f}, good precision >= {args.good_precision:.2f}")
    print(f"chosen:                 {describe(cut)}")
    print(f"models/encoders.json:   {describe(registry)}")
    print("\nmin_score curve (calibration pooled; good and maybe alike):")
    print(f"  {'min_score':>9} {'label right':>12} {'nobody right':>13} {'nDCG@5 seen':>12}")
    for min_score, label, nobody, seen in curve:
        if abs(min_score - cut.min_score) <= 0.05 + 1e-9 or abs(min_score - registry.min_score) <= 0.02 + 1e-9:
            mark = " <- chosen" if min_score == cut.min_score else \
                " <- encoders.json" if abs(min_score - registry.min_score) < 1e-9 else ""
            print(f"  {min_score:>9.2f} {label:>12.3f} {nobody:>13.3f} {seen:>12.3f}{mark}")
    pool = [r for name in CALIBRATION for r in sets[name]]
    print("\ngood_score curve (calibration pooled, at the chosen min_score): people shown as good, share who fit")
    for threshold in np.round(np.arange(cut.good_score - 0.05, cut.good_score + 0.06, 0.01), 2):
        if threshold < cut.min_score:
            continue
        n, p = good_precision(Cut(cut.min_score, float(threshold), cut.margin, cut.standout_gap, cut.standout_floor),
                              pool)
        print(f"  {threshold:.2f}: {n:>4} shown as good, {'—' if p is None else f'{p:.3f}'} fit"
              + (" <- chosen" if abs(threshold - cut.good_score) < 1e-9 else ""))
    text, report = table(cut, sets)
    print(f"\nAt the chosen setting ({describe(cut)}):\n{text}")
    out = {"encoder": args.encoder, "nobody_rate": args.nobody_rate, "good_precision": args.good_precision,
           "cut": cut.__dict__, "registry_cut": registry.__dict__, "sets": report,
           "min_score_curve": [dict(zip(("min_score", "label_accuracy", "nobody_accuracy", "ndcg@5_seen"), c))
                               for c in curve]}
    if (abs(cut.min_score - registry.min_score) > 1e-9 or abs(cut.good_score - registry.good_score) > 1e-9):
        text, out["registry_sets"] = table(registry, sets)
        print(f"\nAt the setting of models/encoders.json ({describe(registry)}):\n{text}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Ranking quality of every encoder option on a labelled set (default: the demo network in data/).

    python benchmarks/quality.py [--people data/people.jsonl] [--queries data/queries.jsonl] [--models use-m3,minilm]

Prints nDCG@5, Recall@5, MRR@10 per encoder (ranking without the minimum score), and how the minimum score
behaves: the share of relevant people still shown, and the share of "nobody fits" queries answered with nobody.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network  # noqa: E402
from semnetz.encoders import known_encoders  # noqa: E402
from semnetz.evaluation import mean_metrics, per_query_metrics, read_queries  # noqa: E402


def evaluate(model: str, people: Path, queries_path: Path, k: int = 10) -> dict:
    queries = read_queries(queries_path)
    with tempfile.TemporaryDirectory() as home, Network(home=home, model=model) as net:
        net.import_file(people)
        started = time.perf_counter()
        ranked = net.search_batch([q.q for q in queries], k=k, include_all=True)
        elapsed = time.perf_counter() - started
        shown = net.search_batch([q.q for q in queries], k=k)
        min_score = net.encoder.min_score
    labelled = [(q, r) for q, r in zip(queries, ranked) if q.rel]
    metrics = mean_metrics([per_query_metrics([m.id for m in r.matches], q.rel) for q, r in labelled])
    relevant_total = sum(len(q.rel) for q in queries)
    relevant_shown = sum(len(set(q.rel) & {m.id for m in s.matches}) for q, s in zip(queries, shown))
    empty = [s for q, s in zip(queries, shown) if not q.rel]
    irrelevant_shown = sum(len({m.id for m in s.matches} - set(q.rel)) for q, s in zip(queries, shown))
    shown_total = sum(len(s.matches) for s in shown)
    return {
        "model": model,
        "queries": len(labelled),
        **metrics,
        "min_score": min_score,
        "relevant_shown": relevant_shown / relevant_total if relevant_total else None,
        "shown_that_fit": 1 - irrelevant_shown / shown_total if shown_total else None,
        "nobody_fits_answered_empty": sum(not s.matches for s in empty) / len(empty) if empty else None,
        "batch_ms_per_query": 1000 * elapsed / len(queries),
        "per_query": {q.q: round(per_query_metrics([m.id for m in r.matches], q.rel)["ndcg@5"], 3)
                      for q, r in labelled},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=Path, default=ROOT / "data" / "people.jsonl")
    parser.add_argument("--queries", type=Path, default=ROOT / "data" / "queries.jsonl")
    parser.add_argument("--models", default=",".join(known_encoders()))
    parser.add_argument("--worst", type=int, default=0, help="Also list the N worst queries per model.")
    args = parser.parse_args()
    print(f"{'model':<16} {'nDCG@5':>7} {'R@5':>6} {'MRR@10':>7} {'nDCG@10':>8} | {'min':>5} {'rel shown':>9} "
          f"{'shown fit':>9} {'empty ok':>8}")
    for model in args.models.split(","):
        try:
            r = evaluate(model, args.people, args.queries)
        except Exception as exc:  # a model that is not installed is reported, not fatal
            print(f"{model:<16} unavailable: {exc}")
            continue
        fmt = lambda v: "   n/a" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{model:<16} {r['ndcg@5']:7.3f} {r['recall@5']:6.3f} {r['mrr@10']:7.3f} {r['ndcg@10']:8.3f} | "
              f"{r['min_score']:5.2f} {fmt(r['relevant_shown']):>9} {fmt(r['shown_that_fit']):>9} "
              f"{fmt(r['nobody_fits_answered_empty']):>8}")
        if args.worst:
            for q, v in sorted(r["per_query"].items(), key=lambda kv: kv[1])[: args.worst]:
                print(f"    {v:.2f}  {q}")


if __name__ == "__main__":
    main()

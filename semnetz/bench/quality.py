"""`semnetz bench quality`: ranking quality on any labelled set, for every configuration, with 95% CIs.

Configurations: for every encoder that loads here, "dense" (vectors only) and "hybrid" (what semnetz does:
vectors + lexical + needs-to-roles bridge + names); and "lexical" (DuckDB full-text search, BM25 with the German
stemmer, alone). Each configuration ranks people for every labelled query in a throw-away network.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..encoders import known_encoders
from ..errors import SemnetzError
from ..evaluation import per_query_metrics, read_queries
from ..ingest.readers import read_people
from ..network import Network
from .stats import bootstrap_ci

METRICS = ("ndcg@5", "ndcg@10", "recall@5", "recall@10", "mrr@10")
RANK_DEPTH = 10


def run_quality(people_path, queries_path, encoders: list[str] | None = None, samples: int = 1000,
                seed: int = 0, progress=None) -> dict:
    """Per configuration: mean and 95% bootstrap interval of each metric over the labelled queries."""
    queries = read_queries(queries_path)
    records = read_people(people_path)  # validate once, before any model loads
    labelled = [q for q in queries if q.rel]
    if not labelled:
        raise SemnetzError(f"{queries_path}: no query has relevance labels")
    texts = [q.q for q in labelled]
    configs, skipped = [], {}
    lexical_done = False
    for model in encoders or known_encoders():
        try:
            with tempfile.TemporaryDirectory(prefix="semnetz-bench-") as home, Network(home=home, model=model) as net:
                net.import_records([(line, r) for line, r in records], source=str(people_path))
                modes = ["dense", "hybrid"] + ([] if lexical_done else ["lexical"])
                for mode in modes:
                    results = net.search_batch(texts, k=RANK_DEPTH, include_all=True, hops=3, mode=mode)
                    per_query = [per_query_metrics([m.id for m in r.matches], q.rel) for q, r in zip(labelled, results)]
                    name = "lexical (BM25)" if mode == "lexical" else f"{mode}: {model}"
                    config = {
                        "name": name, "mode": mode, "encoder": None if mode == "lexical" else model,
                        "metrics": {m: bootstrap_ci([row[m] for row in per_query], samples, seed) for m in METRICS},
                    }
                    if mode == "hybrid":
                        config["shown"] = _shown(net, queries)
                    configs.append(config)
                    if progress:
                        progress(name)
                lexical_done = True
        except SemnetzError as exc:
            skipped[model] = str(exc)
    return {"people": str(people_path), "queries": str(queries_path), "labelled_queries": len(labelled),
            "configs": configs, "skipped": skipped}


def _shown(net: Network, queries) -> dict:
    """What the user sees (the default cut, not --all): nDCG@5 of what is shown, how often a fitting person is
    shown, how often a person shown as fitting ("good" or "maybe") fits, and how often "nobody fits (well)" is the
    answer to a query nobody fits (rel {})."""
    results = net.search_batch([q.q for q in queries], k=RANK_DEPTH, hops=3)
    labelled = [(q, r) for q, r in zip(queries, results) if q.rel]
    empty = [r for q, r in zip(queries, results) if not q.rel]
    fitting = [m for q, r in labelled for m in r.matches if m.confidence in ("good", "maybe")]
    fits = sum(1 for q, r in labelled for m in r.matches if m.confidence in ("good", "maybe") and m.id in q.rel)
    return {
        "min_score": net.encoder.min_score,
        "ndcg@5_seen": (sum(per_query_metrics([m.id for m in r.matches], q.rel)["ndcg@5"] for q, r in labelled)
                        / len(labelled)) if labelled else None,
        "fitting_person_shown": (sum(any(m.id in q.rel for m in r.matches) for q, r in labelled) / len(labelled)
                                 if labelled else None),
        "shown_that_fit": fits / len(fitting) if fitting else None,
        "nobody_fits_answered_nobody": (sum(not any(m.confidence in ("good", "maybe") for m in r.matches)
                                            for r in empty) / len(empty)) if empty else None,
    }


def quality_table(report: dict) -> str:
    from tabulate import tabulate

    rows = []
    for config in report["configs"]:
        cells = [config["name"]]
        for m in METRICS:
            v = config["metrics"][m]
            cells.append(f"{v['mean']:.3f} [{v['low']:.2f}–{v['high']:.2f}]")
        rows.append(cells)
    out = tabulate(rows, headers=["configuration", *METRICS], tablefmt="simple", disable_numparse=True)
    out += f"\n\n{report['labelled_queries']} labelled queries; [95% bootstrap interval]"
    for config in report["configs"]:
        shown = config.get("shown")
        if shown:
            fmt = lambda v: "n/a" if v is None else f"{v:.0%}"  # noqa: E731
            seen = "n/a" if shown["ndcg@5_seen"] is None else f"{shown['ndcg@5_seen']:.3f}"
            out += (f"\n{config['name']}, as the user sees it (minimum score {shown['min_score']:.2f}): nDCG@5 {seen}; "
                    f"a fitting person shown in {fmt(shown['fitting_person_shown'])} of the queries somebody fits, "
                    f"{fmt(shown['shown_that_fit'])} of those shown as fitting fit, "
                    f"{fmt(shown['nobody_fits_answered_nobody'])} of 'nobody fits' queries answered so")
    for model, why in report["skipped"].items():
        out += f"\nskipped {model}: {why}"
    return out


def quality_plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    configs = report["configs"]
    x = np.arange(len(METRICS))
    width = 0.8 / max(1, len(configs))
    fig, ax = plt.subplots(figsize=(12, 4.5))
    for i, config in enumerate(configs):
        means = [config["metrics"][m]["mean"] for m in METRICS]
        low = [config["metrics"][m]["mean"] - config["metrics"][m]["low"] for m in METRICS]
        high = [config["metrics"][m]["high"] - config["metrics"][m]["mean"] for m in METRICS]
        ax.bar(x + i * width - 0.4 + width / 2, means, width, yerr=[low, high], capsize=2, label=config["name"])
    ax.set_xticks(x, METRICS)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean over queries (95% CI)")
    ax.set_title(f"semnetz bench quality — {report['labelled_queries']} queries")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

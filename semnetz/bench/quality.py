"""`semnetz bench quality`: ranking quality on any labelled set, for every configuration, with 95% CIs.

Configurations: for every encoder that loads here, "dense" (vectors only) and "hybrid" (what semnetz does:
vectors + lexical + needs-to-roles bridge + names); and "lexical" (DuckDB full-text search, BM25 with the German
stemmer, alone). Each configuration ranks people for every labelled query in a throw-away network. For "hybrid",
also what the user is shown and how right its label is (evaluation.label_figures), over all queries including
those nobody fits. A set of only queries nobody fits gets only that.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..encoders import known_encoders
from ..errors import SemnetzError
from ..evaluation import label_figures, per_query_metrics, read_queries
from ..ingest.readers import read_people
from ..network import Network
from .stats import bootstrap_ci

METRICS = ("ndcg@5", "ndcg@10", "recall@5", "recall@10", "mrr@10")
RANK_DEPTH = 10


def run_quality(people_path, queries_path, encoders: list[str] | None = None, samples: int = 1000,
                seed: int = 0, progress=None, split: str | None = None) -> dict:
    """Per configuration: mean and 95% bootstrap interval of each metric over the labelled queries; for hybrid,
    what the user is shown ("shown") and how right its labels are ("labels"). ``split``: only the queries whose
    "split" is that ("calibration" or "heldout")."""
    queries = read_queries(queries_path, split)
    records = read_people(people_path)  # validate once, before any model loads
    labelled = [q for q in queries if q.rel]
    texts = [q.q for q in labelled]
    configs, skipped = [], {}
    lexical_done = False
    for model in encoders or known_encoders():
        try:
            with tempfile.TemporaryDirectory(prefix="semnetz-bench-") as home, Network(home=home, model=model) as net:
                net.import_records([(line, r) for line, r in records], source=str(people_path))
                modes = ["dense", "hybrid"] + ([] if lexical_done else ["lexical"])
                if not labelled:
                    modes = ["hybrid"]  # only queries nobody fits: nothing to rank, only what is shown
                for mode in modes:
                    name = "lexical (BM25)" if mode == "lexical" else f"{mode}: {model}"
                    config = {"name": name, "mode": mode, "encoder": None if mode == "lexical" else model,
                              "metrics": {}}
                    if labelled:
                        results = net.search_batch(texts, k=RANK_DEPTH, include_all=True, hops=3, mode=mode)
                        per_query = [per_query_metrics([m.id for m in r.matches], q.rel)
                                     for q, r in zip(labelled, results)]
                        config["metrics"] = {m: bootstrap_ci([row[m] for row in per_query], samples, seed)
                                             for m in METRICS}
                    if mode == "hybrid":
                        config["shown"] = _shown(net, queries)
                        config["labels"] = _labels(net, queries)
                    configs.append(config)
                    if progress:
                        progress(name)
                lexical_done = True
        except SemnetzError as exc:
            skipped[model] = str(exc)
    return {"people": str(people_path), "queries": str(queries_path), "split": split, "queries_read": len(queries),
            "labelled_queries": len(labelled), "configs": configs, "skipped": skipped}


def _labels(net: Network, queries) -> dict:
    """How right the label of the first result is, as the default answer shows it (Network.search without
    include_all: default k and hops, each result with its confidence); see evaluation.label_figures."""
    results = net.search_batch([q.q for q in queries])
    out = label_figures(queries, [r.matches for r in results])
    out["wrong"] = [  # every query whose first label is wrong: somebody fits but not shown so, or nobody but said so
        {"q": q.q, "class": q.cls, "split": q.split, "rel": q.rel,
         "shown": [{"id": m.id, "name": m.name, "confidence": m.confidence, "score": round(float(m.score), 3)}
                   for m in r.matches]}
        for q, r in zip(queries, results)
        if (q.rel and not (r.matches and q.rel.get(r.matches[0].id, 0) > 0
                           and r.matches[0].confidence in ("good", "maybe")))
        or (not q.rel and any(m.confidence in ("good", "maybe") for m in r.matches))]
    return out


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
        if not config["metrics"]:
            continue
        cells = [config["name"]]
        for m in METRICS:
            v = config["metrics"][m]
            cells.append(f"{v['mean']:.3f} [{v['low']:.2f}–{v['high']:.2f}]")
        rows.append(cells)
    out = ""
    if rows:
        out = tabulate(rows, headers=["configuration", *METRICS], tablefmt="simple", disable_numparse=True) + "\n\n"
    split = f' ("split": "{report["split"]}")' if report.get("split") else ""
    out += (f"{report['labelled_queries']} labelled queries, {report.get('queries_read', 0) - report['labelled_queries']}"
            f" nobody fits{split}; [95% bootstrap interval]")
    for config in report["configs"]:
        shown = config.get("shown")
        if shown:
            fmt = lambda v: "n/a" if v is None else f"{v:.0%}"  # noqa: E731
            seen = "n/a" if shown["ndcg@5_seen"] is None else f"{shown['ndcg@5_seen']:.3f}"
            out += (f"\n{config['name']}, as the user sees it (minimum score {shown['min_score']:.2f}): nDCG@5 {seen}; "
                    f"a fitting person shown in {fmt(shown['fitting_person_shown'])} of the queries somebody fits, "
                    f"{fmt(shown['shown_that_fit'])} of those shown as fitting fit, "
                    f"{fmt(shown['nobody_fits_answered_nobody'])} of 'nobody fits' queries answered so")
    for config in report["configs"]:
        if config.get("labels"):
            out += "\n\n" + labels_table(config["name"], config["labels"])
    for model, why in report["skipped"].items():
        out += f"\nskipped {model}: {why}"
    return out


LABEL_COLUMNS = (("first_relevant", "1st fits"), ("label_accuracy", "label right"),
                 ("closest_on_right", "closest on right"), ("nobody_accuracy", "nobody right"),
                 ("ndcg@5_seen", "nDCG@5 seen"))


def labels_table(name: str, labels: dict) -> str:
    """The label figures of one configuration, overall and per query class."""
    from tabulate import tabulate

    def cells(title, f):
        out = [title, f["somebody_fits"], f["nobody_fits"]]
        for key, _ in LABEL_COLUMNS:
            v = f[key]
            out.append("—" if v is None else f"{v:.3f}")
        return out

    rows = [cells("all", labels)] + [cells(c, f) for c, f in labels.get("by_class", {}).items()]
    table = tabulate(rows, headers=["class", "somebody", "nobody", *(h for _, h in LABEL_COLUMNS)],
                     tablefmt="simple", disable_numparse=True)
    return (f"{name}, labels as the default answer shows them (first result; 'label right': it fits and is "
            f"good/maybe; 'closest on right': it fits but is 'closest'; 'nobody right': a query nobody fits answered "
            f"with no match or only 'closest'):\n{table}")


def quality_plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    configs = [c for c in report["configs"] if c["metrics"]]  # a set nobody fits ranks nothing
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

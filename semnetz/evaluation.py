"""Ranking quality on a labelled query set: nDCG@k, Recall@k, MRR@k (graded relevance 2 = fits, 1 = partly), and
how right the label of what a user is shown is (label_figures)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError
from .ingest.readers import read_jsonl_objects, read_text

SPLITS = ("calibration", "heldout")


@dataclass
class LabelledQuery:
    q: str
    rel: dict[str, int]
    cls: str | None = None  # the line's "class" (what kind of query), if it says
    split: str | None = None  # the line's "split" ("calibration" or "heldout"), if it says


def read_queries(path, split: str | None = None) -> list[LabelledQuery]:
    """The labelled queries of a JSON Lines file; with ``split``, only the lines whose "split" is that."""
    if split is not None and split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    source, text = read_text(path)
    out = []
    for line, obj in read_jsonl_objects(source, text):
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not obj["q"].strip():
            raise InputError('each line needs {"q": "…", "rel": {"<id>": 2 or 1}}', source, line)
        rel = obj.get("rel") or {}
        if not isinstance(rel, dict) or any(v not in (0, 1, 2) or isinstance(v, bool) for v in rel.values()):
            raise InputError('"rel" must map person ids to 2 (fits) or 1 (partly fits)', source, line)
        cls, line_split = obj.get("class"), obj.get("split")
        if cls is not None and not isinstance(cls, str):
            raise InputError('"class" must be a string', source, line)
        if line_split is not None and line_split not in SPLITS:
            raise InputError(f'"split" must be one of {", ".join(SPLITS)}', source, line)
        out.append(LabelledQuery(obj["q"], {str(k): int(v) for k, v in rel.items() if v}, cls, line_split))
    if not out:
        raise InputError("no queries in this file", source)
    if split is not None:
        out = [q for q in out if q.split == split]
        if not out:
            raise InputError(f'no query with "split": "{split}" in this file', source)
    return out


def dcg(gains: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked_ids: list[str], rel: dict[str, int], k: int) -> float:
    ideal = dcg(sorted(rel.values(), reverse=True)[:k])
    return dcg([rel.get(i, 0) for i in ranked_ids[:k]]) / ideal if ideal else 0.0


def recall_at(ranked_ids: list[str], rel: dict[str, int], k: int) -> float:
    relevant = {i for i, g in rel.items() if g > 0}
    return len(relevant & set(ranked_ids[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked_ids: list[str], rel: dict[str, int], k: int) -> float:
    for rank, person_id in enumerate(ranked_ids[:k], start=1):
        if rel.get(person_id, 0) > 0:
            return 1.0 / rank
    return 0.0


def per_query_metrics(ranked_ids: list[str], rel: dict[str, int]) -> dict[str, float]:
    return {
        "ndcg@5": ndcg_at(ranked_ids, rel, 5),
        "ndcg@10": ndcg_at(ranked_ids, rel, 10),
        "recall@5": recall_at(ranked_ids, rel, 5),
        "recall@10": recall_at(ranked_ids, rel, 10),
        "mrr@10": reciprocal_rank(ranked_ids, rel, 10),
    }


SAYS_FITS = ("good", "maybe")


def first_shown_row(shown, rel: dict[str, int]) -> dict:
    """One query's answer as the user sees it: ``shown`` is what the default search shows (best first; anything with
    ``.id`` and ``.confidence``, e.g. the matches of Network.search without include_all), ``rel`` its labels."""
    first = shown[0] if shown else None
    relevant = first is not None and rel.get(first.id, 0) > 0
    return {
        "somebody_fits": bool(rel),
        "first_id": first.id if first is not None else None,
        "first_confidence": first.confidence if first is not None else None,
        "first_relevant": relevant,
        "label_right": relevant and first.confidence in SAYS_FITS,
        "closest_on_right": relevant and first.confidence == "closest",
        # a query nobody fits is answered right with no match, or with nobody said to fit (only "closest")
        "nobody_right": not any(m.confidence in SAYS_FITS for m in shown),
        "ndcg@5_seen": ndcg_at([m.id for m in shown], rel, 5),
    }


def label_figures(queries: list[LabelledQuery], shown: list) -> dict:
    """How right the label of the first result is, over labelled queries and what the default search showed for each
    (``shown[i]`` for ``queries[i]``; see first_shown_row). Among the queries somebody fits (rel not empty):

    - ``first_relevant``: the share whose first shown result fits (rel >= 1), whatever its label;
    - ``label_accuracy``: the share whose first shown result fits and is labelled "good" or "maybe";
    - ``closest_on_right``: the share whose first shown result fits but is labelled "closest" (the right answer
      mislabelled as "nobody fits well"); first_relevant = label_accuracy + closest_on_right;
    - ``ndcg@5_seen``: nDCG@5 of the shown list (nothing shown: 0).

    Among the queries nobody fits (rel {}): ``nobody_accuracy``, the share answered with no match at all or with only
    a "closest" match. A share over no queries is None. With query classes, the same per class in ``by_class``.
    """
    if len(queries) != len(shown):
        raise ValueError(f"{len(queries)} queries but {len(shown)} answers")
    rows = [first_shown_row(s, q.rel) for q, s in zip(queries, shown)]
    out = _label_summary(rows)
    classes = sorted({q.cls for q in queries if q.cls is not None})
    if classes:
        out["by_class"] = {c: _label_summary([r for q, r in zip(queries, rows) if q.cls == c]) for c in classes}
    return out


def _label_summary(rows: list[dict]) -> dict:
    somebody = [r for r in rows if r["somebody_fits"]]
    nobody = [r for r in rows if not r["somebody_fits"]]

    def share(items, key):
        return sum(bool(r[key]) for r in items) / len(items) if items else None

    return {
        "queries": len(rows), "somebody_fits": len(somebody), "nobody_fits": len(nobody),
        "first_relevant": share(somebody, "first_relevant"),
        "label_accuracy": share(somebody, "label_right"),
        "closest_on_right": share(somebody, "closest_on_right"),
        "nobody_accuracy": share(nobody, "nobody_right"),
        "ndcg@5_seen": sum(r["ndcg@5_seen"] for r in somebody) / len(somebody) if somebody else None,
    }

"""Ranking quality on a labelled query set: nDCG@k, Recall@k, MRR@k (graded relevance 2 = fits, 1 = partly)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError
from .ingest.readers import read_jsonl_objects, read_text


@dataclass
class LabelledQuery:
    q: str
    rel: dict[str, int]


def read_queries(path) -> list[LabelledQuery]:
    source, text = read_text(path)
    out = []
    for line, obj in read_jsonl_objects(source, text):
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not obj["q"].strip():
            raise InputError('each line needs {"q": "…", "rel": {"<id>": 2 or 1}}', source, line)
        rel = obj.get("rel") or {}
        if not isinstance(rel, dict) or any(v not in (0, 1, 2) or isinstance(v, bool) for v in rel.values()):
            raise InputError('"rel" must map person ids to 2 (fits) or 1 (partly fits)', source, line)
        out.append(LabelledQuery(obj["q"], {str(k): int(v) for k, v in rel.items() if v}))
    if not out:
        raise InputError("no queries in this file", source)
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


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}

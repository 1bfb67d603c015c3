"""Recall@10 of semnetz's candidate search against exact search over every piece of a (big) network.

    python benchmarks/recall_at_scale.py HOME [--queries 200]

Exact: every piece vector (read from the network's vector file in chunks) scored against each query.
semnetz: the pieces its index nominates (with a compressed index, LOSSY_FETCH_FACTOR times more), rescored
from the full vectors, best 10. A found piece counts if it scores at least the exact 10th best (ties between
identical texts of different people make "the" ids ambiguous). Prints recall@10 and the index type.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network  # noqa: E402
from semnetz.search import LOSSY_FETCH_FACTOR, MIN_ITEMS_FETCHED  # noqa: E402
from semnetz.synthetic import generate_queries  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with Network(home=args.home) as net:
        index = net._index("offers")
        queries = net.encoder.encode_texts(generate_queries(args.queries, seed=11))
        item_ids, _ = net.store.piece_owners(("about", "offer", "offer_part"))
        item_ids = np.sort(item_ids)
        vector_file = net._vector_file("offers", index.dim)
        exact_scores = np.full((len(queries), 10), -2.0, dtype=np.float32)
        for start in range(0, len(item_ids), 200_000):
            chunk = item_ids[start:start + 200_000]
            scores = queries @ vector_file.read(chunk).T
            merged = np.concatenate([exact_scores, scores], axis=1)
            exact_scores = -np.sort(-merged, axis=1)[:, :10]
        tenth = exact_scores[:, 9]
        n = MIN_ITEMS_FETCHED * (LOSSY_FETCH_FACTOR if index.lossy else 1)
        _, found = index.search(queries, n)
        hits = []
        for q, row in enumerate(found):
            row = row[row >= 0]
            rescored = net.piece_vectors("offers", row) @ queries[q]
            best = np.sort(rescored)[::-1][:10]
            hits.append(np.sum(best >= tenth[q] - 1e-4) / 10)
        print(f"{len(item_ids):,} pieces, index {index.index_type}, {n} nominated per query: "
              f"recall@10 {np.mean(hits):.3f} (min over queries {np.min(hits):.1f})")


if __name__ == "__main__":
    main()

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
from semnetz.index.segment import PIECE_KINDS  # noqa: E402
from semnetz.rank.ranker import LOSSY_FETCH_FACTOR, MIN_ITEMS_FETCHED  # noqa: E402
from semnetz.synthetic import generate_queries  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with Network(home=args.home) as net:
        view = net.view()
        queries = net.encoder.encode_texts(generate_queries(args.queries, seed=11)).astype(np.float32)
        exact_scores = np.full((len(queries), 10), -2.0, dtype=np.float32)
        pieces = 0
        with net.store.read() as tables:  # every piece's vector, as the store keeps it, in chunks
            for _, _, _, _, vectors in tables.people.iter_pieces(PIECE_KINDS, chunk=200_000, with_text=False):
                merged = np.concatenate([exact_scores, queries @ vectors.T], axis=1)
                exact_scores = -np.sort(-merged, axis=1)[:, :10]
                pieces += len(vectors)
        tenth = exact_scores[:, 9]
        n = MIN_ITEMS_FETCHED * (LOSSY_FETCH_FACTOR if view.lossy else 1)
        _, found = view.search_vectors(queries, n)
        hits = []
        for q, row in enumerate(found):
            row = row[row >= 0]
            rescored = view.vectors_of(row) @ queries[q]
            best = np.sort(rescored)[::-1][:10]
            hits.append(np.sum(best >= tenth[q] - 1e-4) / 10)
        print(f"{pieces:,} pieces, index {view.index_type}, {n} nominated per query: "
              f"recall@10 {np.mean(hits):.3f} (min over queries {np.min(hits):.1f})")


if __name__ == "__main__":
    main()

"""Measurements that run in a fresh process, so peak memory and cold start are those of a real user process.

    python -m semnetz.bench.worker pipeline HOME QUERIES.json        -> JSON on stdout
    python -m semnetz.bench.worker index INDEX_FILE QUERIES.npy K   -> JSON on stdout
"""

from __future__ import annotations

import json
import sys
import time

BATCH = 100
WARMUP = 10


def _latencies(run_one, queries) -> dict:
    for q in queries[:WARMUP]:
        run_one([q])
    single = []
    for q in queries:
        started = time.perf_counter()
        run_one([q])
        single.append(time.perf_counter() - started)
    batch = queries[:BATCH]
    started = time.perf_counter()
    run_one(batch)
    batch_s = time.perf_counter() - started
    from .stats import percentile_ms

    return {"p50_ms": percentile_ms(single, 50), "p99_ms": percentile_ms(single, 99),
            "batch_ms_per_query": 1000 * batch_s / len(batch)}


def pipeline(home: str, queries_file: str) -> dict:
    started = time.perf_counter()
    from ..network import Network
    from .stats import peak_rss_mb

    queries = json.loads(open(queries_file, encoding="utf-8").read())
    with Network(home=home) as net:
        first = time.perf_counter()
        net.search(queries[0])
        first_search_s = time.perf_counter() - first
        to_first_result_s = time.perf_counter() - started
        out = _latencies(lambda qs: net.search_batch(qs, k=5), queries)
        out.update({"cold_first_search_s": first_search_s, "process_start_to_first_result_s": to_first_result_s,
                    "peak_rss_mb": peak_rss_mb(), "index_type": net.stats()["index_type"]})
    return out


def index(index_file: str, queries_file: str, k: str) -> dict:
    import numpy as np

    from ..index.vectors import VectorIndex
    from .stats import peak_rss_mb

    loaded = VectorIndex.load(index_file)
    if loaded is None:
        raise SystemExit(f"{index_file}: cannot load")
    vi = loaded[0]
    queries = np.load(queries_file)
    out = _latencies(lambda qs: vi.search(np.asarray(qs), int(k)), list(queries))
    _, found = vi.search(queries, int(k))
    out["peak_rss_mb"] = peak_rss_mb()
    out["candidates"] = [[int(i) for i in row if i >= 0] for row in found]
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"pipeline": pipeline, "index": index}[command](*args)
    print(json.dumps(result))

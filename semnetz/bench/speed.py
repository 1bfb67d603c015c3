"""`semnetz bench speed --size N`: a synthetic network of N people (reproducible from a seed), measured.

1. Indexing: the bare encoder's throughput on a sample, then `import` of all N people in chunks.
2. The real search in a fresh process (warm p50/p99 for single queries, per-query time in a batch of 100,
   time to the first result, peak RSS) with the index type semnetz chooses for that size.
3. FAISS index types side by side on the network's own piece vectors (encoder output, not random vectors):
   build time, size on disk, latency, peak RSS in a fresh process, recall@10 against exact search.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from ..index.segment import TRAINING_SAMPLE
from ..network import Network
from ..records import person_from_dict
from ..synthetic import generate_people, generate_queries
from ..index.vectors import EXACT_INDEX_TYPE, IVF_NPROBE, VectorIndex

IMPORT_CHUNK = 20_000
THROUGHPUT_SAMPLE = 3_000
SEARCH_K = 64  # what semnetz asks FAISS for per query (ITEMS_PER_PERSON x k, at least 64)
MAX_IN_MEMORY_VECTORS = 1_000_000  # beyond this the comparison samples, so the benchmark itself fits in RAM


def candidate_index_types(n_vectors: int) -> list[str]:
    """The index types worth comparing at this size."""
    nlist = 1 << int(round(np.log2(4 * np.sqrt(max(n_vectors, 1)))))
    nlist = max(16, min(nlist, 1 << int(np.log2(max(n_vectors // 39, 16)))))  # faiss wants >= 39 points per list
    types = [EXACT_INDEX_TYPE, f"IVF{nlist},Flat", f"IVF{nlist},SQfp16", f"IVF{nlist},SQ8"]
    if n_vectors >= 256 * 39:  # PQ trains 256 centroids per sub-vector
        types.append(f"IVF{nlist},PQ64")
    if n_vectors <= 500_000:
        types.append("HNSW32,SQfp16")
    if n_vectors * 512 * 2 > 3e9:  # an fp16 copy of everything alone would pass the 3 GB budget
        types = [t for t in types if not t.endswith(("SQfp16", "Flat")) or t.startswith("IVF") and "PQ" in t]
    return types


def _worker(*args) -> dict:
    result = subprocess.run([sys.executable, "-m", "semnetz.bench.worker", *map(str, args)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "worker failed")
    return json.loads(result.stdout.strip().splitlines()[-1])  # faiss prints warnings to stdout


def measure_indexing(net: Network, people: list[dict], progress) -> dict:
    sample = people[:THROUGHPUT_SAMPLE]
    pieces = list(dict.fromkeys(t for p in sample for _, _, t in person_from_dict(p).searchable_pieces()))
    net.encoder.encode_texts(pieces[:64])  # load the model outside the timing
    started = time.perf_counter()
    net.encoder.encode_texts(pieces)
    bare_s = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(people), IMPORT_CHUNK):
        net.import_dicts(people[start:start + IMPORT_CHUNK], source="synthetic")
        if progress:
            progress(f"imported {min(start + IMPORT_CHUNK, len(people))} of {len(people)} people")
    import_s = time.perf_counter() - started
    bare_people_s = len(sample) / bare_s
    import_people_s = len(people) / import_s
    return {"bare_encoder_people_per_s": bare_people_s, "bare_encoder_pieces_per_s": len(pieces) / bare_s,
            "import_people_per_s": import_people_s, "import_s": import_s,
            "pipeline_overhead": bare_people_s / import_people_s - 1}


def _recall(exact: np.ndarray, tenth: np.ndarray, row_of: dict, found: list[list[int]]) -> float:
    hits = [sum(1 for i in f if i in row_of and exact[q, row_of[i]] >= tenth[q] - 1e-4) / 10
            for q, f in enumerate(found)]
    return float(np.mean(hits))


def compare_index_types(net: Network, query_vectors: np.ndarray, workdir: Path, types: list[str] | None,
                        progress) -> dict:
    view = net.view()
    all_ids, _ = view.items_of(view.live_pks())
    total = len(all_ids)
    ids = np.sort(all_ids)
    if total > MAX_IN_MEMORY_VECTORS:  # a sample keeps the comparison itself within memory
        ids = np.sort(np.random.default_rng(0).choice(ids, MAX_IN_MEMORY_VECTORS, replace=False))
    vectors = view.vectors_of(ids)  # the network's own full vectors
    sampled = total if len(ids) < total else None
    exact = query_vectors @ vectors.T
    # the 10th best exact score per query: a found piece counts if it scores at least that (ties between
    # identical texts of different people make "the" top-10 ids ambiguous, the scores are not)
    tenth = -np.partition(-exact, 9, axis=1)[:, 9]
    row_of = {int(i): r for r, i in enumerate(ids.tolist())}
    queries_file = workdir / "queries.npy"
    np.save(queries_file, query_vectors)
    rows = []
    for index_type in types or candidate_index_types(len(ids)):
        started = time.perf_counter()
        index = VectorIndex(vectors.shape[1], index_type)
        if index.needs_training:  # as semnetz does: learn from a sample, then add everything
            sample = np.random.default_rng(1).choice(len(ids), min(len(ids), TRAINING_SAMPLE), replace=False)
            index.train(vectors[sample])
        index.add(ids, vectors)
        build_s = time.perf_counter() - started
        path = workdir / f"{index_type.replace(',', '_')}.faiss"
        index.save(path, {})
        del index
        measured = _worker("index", path, queries_file, SEARCH_K * 4)
        found = measured.pop("candidates")
        recall = _recall(exact, tenth, row_of, [f[:10] for f in found])
        # what semnetz does with a compressed index: rescore the nominated pieces exactly, keep the best 10
        refined = [sorted(f, key=lambda i: -exact[q, row_of[i]])[:10] for q, f in enumerate(found)]
        rows.append({"index_type": index_type, "build_s": build_s, "size_mb": path.stat().st_size / 1e6,
                     "recall@10": recall, "recall@10_rescored": _recall(exact, tenth, row_of, refined), **measured})
        path.unlink()
        if progress:
            progress(f"{index_type}: recall@10 {recall:.3f}, p50 {measured['p50_ms']:.2f} ms")
    return {"vectors": int(len(ids)), "vectors_in_network": sampled or int(len(ids)), "nprobe": IVF_NPROBE,
            "types": rows}


def run_speed(n_people: int, seed: int = 0, n_queries: int = 200, index_types: list[str] | None = None,
              home: str | None = None, progress=None) -> dict:
    """Build (or reuse, with home) a synthetic network of n_people and measure it."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="semnetz-speed-")))
        home_path = Path(home) if home else workdir / "network"
        people = generate_people(n_people, seed=seed)
        queries = generate_queries(n_queries, seed=seed)
        with Network(home=home_path) as net:
            reuse = net.view().people_count == n_people
            indexing = None if reuse else measure_indexing(net, people, progress)
            query_vectors = net.encoder.encode_texts(queries)
            stats = net.stats()
        (workdir / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        if progress:
            progress("measuring the search in a fresh process")
        after_import = _worker("pipeline", home_path, workdir / "queries.json")  # builds what an import left stale
        search = _worker("pipeline", home_path, workdir / "queries.json")  # an ordinary new process
        search["first_search_after_import_s"] = after_import["cold_first_search_s"]
        with Network(home=home_path) as net:
            comparison = compare_index_types(net, query_vectors, workdir, index_types, progress)
        return {
            "people": n_people, "seed": seed, "queries": n_queries, "machine": machine(),
            "pieces": stats["index_vectors"]["offers"], "index_type": stats["index_type"],
            "index_mb": stats["index_bytes"] / 1e6, "store_mb": stats["store_bytes"] / 1e6,
            "indexing": indexing, "search": search, "index_types": comparison,
        }


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory_gb = 0
    return f"{cores} cores, {memory_gb:.0f} GB RAM, Python {sys.version.split()[0]}"


def speed_table(report: dict) -> str:
    from tabulate import tabulate

    lines = [f"{report['people']:,} synthetic people (seed {report['seed']}), {report['pieces']:,} pieces; "
             f"{report['machine']}"]
    ix = report["indexing"]
    if ix:
        lines.append(f"indexing: {ix['import_people_per_s']:.0f} people/s through semnetz import, bare encoder "
                     f"{ix['bare_encoder_people_per_s']:.0f} people/s (pipeline overhead {ix['pipeline_overhead']:+.0%})")
    s = report["search"]
    lines.append(f"search ({s['index_type']}): warm p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, "
                 f"batch of 100 {s['batch_ms_per_query']:.1f} ms/query; first result "
                 f"{s['process_start_to_first_result_s']:.2f} s after process start "
                 f"({s.get('first_search_after_import_s', float('nan')):.1f} s for the first search after the import, "
                 f"which builds the full-text index); peak RSS {s['peak_rss_mb']:.0f} MB")
    comp = report["index_types"]
    lines.append(f"\nFAISS index types on {comp['vectors']:,} piece vectors"
                 + (f" (a sample of {comp['vectors_in_network']:,})" if comp["vectors"] != comp["vectors_in_network"] else "")
                 + f", k={SEARCH_K}, IVF nprobe {comp['nprobe']}:")
    rows = [[t["index_type"], f"{t['recall@10']:.3f}", f"{t['recall@10_rescored']:.3f}", f"{t['p50_ms']:.2f}",
             f"{t['p99_ms']:.2f}",
             f"{t['batch_ms_per_query']:.2f}", f"{t['build_s']:.1f}", f"{t['size_mb']:.0f}", f"{t['peak_rss_mb']:.0f}"]
            for t in comp["types"]]
    lines.append(tabulate(rows, headers=["index", "recall@10", "rescored", "p50 ms", "p99 ms", "batch ms/q",
                                         "build s", "MB", "peak RSS MB"], tablefmt="simple", disable_numparse=True))
    lines.append(f"(latency for {SEARCH_K * 4} nominated pieces; 'rescored': recall when they are rescored exactly, "
                 "as semnetz does)")
    return "\n".join(lines)


def speed_plots(out_dir: Path) -> None:
    """latency against N (from every speed-*.json in out_dir) and recall against latency (per N)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = sorted((json.loads(p.read_text()) for p in out_dir.glob("speed-*.json")), key=lambda r: r["people"])
    if not reports:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ns = [r["people"] for r in reports]
    ax.plot(ns, [r["search"]["p50_ms"] for r in reports], "o-", label="semnetz search p50")
    ax.plot(ns, [r["search"]["p99_ms"] for r in reports], "o--", label="semnetz search p99")
    families = {}
    for r in reports:
        for t in r["index_types"]["types"]:
            family = t["index_type"].split(",")[-1] if t["index_type"].startswith("IVF") else t["index_type"]
            family = ("IVF," + family) if t["index_type"].startswith("IVF") else family
            families.setdefault(family, []).append((r["people"], t["p50_ms"]))
    for family, points in families.items():
        ax.plot(*zip(*points), ".:", label=f"FAISS {family} p50")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("people")
    ax.set_ylabel("ms per query")
    ax.set_title("latency against network size")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "latency-vs-people.png", dpi=120)
    plt.close(fig)
    for r in reports:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for t in r["index_types"]["types"]:
            ax.scatter(t["p50_ms"], t["recall@10"], facecolors="none", edgecolors="grey")
            ax.scatter(t["p50_ms"], t.get("recall@10_rescored", t["recall@10"]))
            ax.annotate(t["index_type"], (t["p50_ms"], t.get("recall@10_rescored", t["recall@10"])), fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("p50 ms per query (FAISS search)")
        ax.set_ylabel("recall@10 against exact (hollow: raw, filled: rescored)")
        ax.set_title(f"recall against latency, {r['people']:,} people")
        fig.tight_layout()
        fig.savefig(out_dir / f"recall-vs-latency-{r['people']}.png", dpi=120)
        plt.close(fig)

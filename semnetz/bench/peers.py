"""`semnetz bench peers`: semnetz, txtai and a brute-force numpy baseline on the same data with the same encoder.

Every system gets the same pieces of the same synthetic people and the same use-m3 vectors; people are ranked by
their best piece. Figures: time to index, warm query latency (encode + search + one result per person),
cold start (a new process: load everything, answer one query), peak memory of that process, and recall@10 of
the people found against the exact numpy ranking. txtai is optional (pip install -e '.[bench]').
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from ..encoders import get_encoder
from ..records import person_from_dict
from ..synthetic import generate_people, generate_queries
from .stats import percentile_ms

OFFER_KINDS = ("about", "offer", "offer_part")
PIECES_PER_QUERY = 64
TOP = 10


def _pieces(people: list[dict]) -> tuple[list[str], np.ndarray, list[str]]:
    texts, owners = [], []
    for i, p in enumerate(people):
        for kind, _, text in person_from_dict(p).searchable_pieces():
            if kind in OFFER_KINDS:
                texts.append(text)
                owners.append(i)
    return texts, np.array(owners), [p["id"] for p in people]


def top_people(scores: np.ndarray, piece_rows: np.ndarray, owners: np.ndarray, ids: list[str], k: int = TOP) -> list[str]:
    """People ranked the way semnetz ranks them by vectors (best and second-best piece, see search.py),
    from the given (piece row, score) hits; with every piece given, this is the exact ranking."""
    from ..rank.ranker import fit_per_person

    keep = piece_rows >= 0
    fits = fit_per_person(np.asarray(scores)[keep], owners[np.asarray(piece_rows)[keep]])
    return [ids[o] for o in sorted(fits, key=lambda o: -fits[o][0])[:k]]


def _time_queries(search, queries: list[str]) -> tuple[dict, list[list[str]]]:
    for q in queries[:5]:
        search(q)
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(search(q))
        times.append(time.perf_counter() - started)
    return {"p50_ms": percentile_ms(times, 50), "p99_ms": percentile_ms(times, 99)}, found


def _cold(script: str, workdir: Path) -> dict:
    """Run a script (which defines queries, search and first) in a fresh interpreter, then the queries;
    it prints JSON with its own timings and peak RSS."""
    script = textwrap.dedent(script) + _COLD_TAIL
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=workdir, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "cold run failed")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


_COLD_TAIL = """
import json, time
times = []
for q in queries:
    t = time.perf_counter(); search(q); times.append(time.perf_counter() - t)
from semnetz.bench.stats import peak_rss_mb
print(json.dumps({"first_result_s": first, "peak_rss_mb": peak_rss_mb()}))
"""


def run_peers(n_people: int = 2000, n_queries: int = 200, seed: int = 0, progress=None) -> dict:
    people = generate_people(n_people, seed=seed)
    for person in people:  # the peers index what people offer; needs and who-knows-whom are semnetz's own
        for extra in ("needs", "knows", "via"):
            person.pop(extra, None)
    queries = generate_queries(n_queries, seed=seed)
    texts, owners, ids = _pieces(people)
    encoder = get_encoder("use-m3")
    encoder.encode_texts(texts[:32])  # model loaded before any timing
    systems: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="semnetz-peers-") as tmp:
        work = Path(tmp)
        (work / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        np.save(work / "owners.npy", owners)
        (work / "ids.json").write_text(json.dumps(ids))

        # ---- brute-force numpy: encode everything, one matrix product per query
        started = time.perf_counter()
        matrix = encoder.encode_texts(texts)
        index_s = time.perf_counter() - started
        np.save(work / "vectors.npy", matrix)

        all_rows = np.arange(len(texts))

        def numpy_search(q):  # every piece scored: the exact ranking
            return top_people(matrix @ encoder.encode_texts([q])[0], all_rows, owners, ids)

        warm, exact = _time_queries(numpy_search, queries)
        # the exact fit of every person for every query, to judge the others' top 10 (ties between people
        # with identical texts make "the" top-10 ids ambiguous; a found person counts if they fit as well)
        from ..rank.ranker import fit_per_person

        tenth_fit, exact_fit = [], []
        for q in queries:
            fits = fit_per_person(matrix @ encoder.encode_texts([q])[0], owners)
            by_id = {ids[o]: f for o, (f, _) in fits.items()}
            exact_fit.append(by_id)
            tenth_fit.append(sorted(by_id.values(), reverse=True)[min(TOP, len(by_id)) - 1])

        def _recall(found, _exact):
            return float(np.mean([sum(1 for i in f[:TOP] if exact_fit[q].get(i, -9) >= tenth_fit[q] - 1e-4) / TOP
                                  for q, f in enumerate(found)]))
        systems["numpy (brute force)"] = {"index_s": index_s, **warm, "recall@10": 1.0, **_cold("""
            import time; start = time.perf_counter()
            import json, numpy as np
            from semnetz.encoders import get_encoder
            from semnetz.bench.peers import top_people
            encoder = get_encoder("use-m3"); matrix = np.load("vectors.npy"); owners = np.load("owners.npy")
            ids = json.load(open("ids.json")); queries = json.load(open("queries.json", encoding="utf-8"))
            rows = np.arange(len(matrix))
            def search(q):
                return top_people(matrix @ encoder.encode_texts([q])[0], rows, owners, ids)
            search(queries[0]); first = time.perf_counter() - start
        """, work)}
        if progress:
            progress("numpy done")

        # ---- semnetz: the real import and the real search (dense mode: the same ranking as the others)
        from ..network import Network

        home = work / "semnetz-home"  # not "semnetz": the cold process runs in work/ and would import it
        with Network(home=home) as net:
            started = time.perf_counter()
            net.import_dicts(people, source="peers")
            index_s = time.perf_counter() - started
            warm, found = _time_queries(lambda q: [m.id for m in net.search(q, k=TOP, include_all=True, hops=3,
                                                                             mode="dense").matches], queries)
            hybrid, _ = _time_queries(lambda q: net.search(q, k=TOP, hops=3), queries)
        systems["semnetz"] = {"index_s": index_s, **warm, "recall@10": _recall(found, exact),
                              "hybrid_p50_ms": hybrid["p50_ms"], "hybrid_p99_ms": hybrid["p99_ms"], **_cold(f"""
            import time; start = time.perf_counter()
            import json
            from semnetz import Network
            net = Network(home={str(home)!r}); queries = json.load(open("queries.json", encoding="utf-8"))
            def search(q):
                return net.search(q, k={TOP}, include_all=True, hops=3, mode="dense")
            search(queries[0]); first = time.perf_counter() - start
        """, work)}
        if progress:
            progress("semnetz done")

        # ---- txtai (the closest open-source peer), exact FAISS index like the others
        try:
            from txtai import Embeddings
        except ImportError:
            systems["txtai"] = {"unavailable": "pip install -e '.[bench]' (txtai)"}
        else:
            def transform(batch):  # txtai wants a plain function
                return encoder.encode_texts(batch)

            config = {"method": "external", "transform": transform, "backend": "faiss",
                      "faiss": {"components": "IDMap,Flat"}, "content": False}
            started = time.perf_counter()
            embeddings = Embeddings(config)
            embeddings.index([(i, text, None) for i, text in enumerate(texts)])
            index_s = time.perf_counter() - started
            embeddings.save(str(work / "txtai"))

            def txtai_search(q):
                hits = embeddings.search(q, PIECES_PER_QUERY)
                return top_people(np.array([h[1] for h in hits]), np.array([h[0] for h in hits]), owners, ids)

            warm, found = _time_queries(txtai_search, queries)
            systems["txtai"] = {"index_s": index_s, **warm, "recall@10": _recall(found, exact), **_cold(f"""
                import time; start = time.perf_counter()
                import json, numpy as np
                from txtai import Embeddings
                from semnetz.encoders import get_encoder
                from semnetz.bench.peers import top_people
                encoder = get_encoder("use-m3")
                def transform(batch):
                    return encoder.encode_texts(batch)
                embeddings = Embeddings(); embeddings.load("txtai", config={{"transform": transform}})
                owners = np.load("owners.npy"); ids = json.load(open("ids.json"))
                queries = json.load(open("queries.json", encoding="utf-8"))
                def search(q):
                    hits = embeddings.search(q, {PIECES_PER_QUERY})
                    return top_people(np.array([h[1] for h in hits]), np.array([h[0] for h in hits]), owners, ids)
                search(queries[0]); first = time.perf_counter() - start
            """, work)}
            if progress:
                progress("txtai done")
    return {"people": n_people, "pieces": len(texts), "queries": n_queries, "encoder": "use-m3", "systems": systems}


def peers_table(report: dict) -> str:
    from tabulate import tabulate

    systems = report["systems"]
    rows = []
    for name, s in systems.items():
        if "unavailable" in s:
            rows.append([name, "unavailable: " + s["unavailable"]])
            continue
        rows.append([name, f"{s['index_s']:.1f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}",
                     f"{s['first_result_s']:.2f}", f"{s['peak_rss_mb']:.0f}", f"{s['recall@10']:.3f}"])
    out = tabulate(rows, headers=["system", "index s", "warm p50 ms", "warm p99 ms", "cold start s", "peak RSS MB",
                                  "recall@10"], tablefmt="simple", disable_numparse=True)
    out = (f"{report['people']:,} synthetic people, {report['pieces']:,} pieces, {report['queries']} queries, "
           f"encoder {report['encoder']} for everyone\n") + out
    ours, peer = systems.get("semnetz"), systems.get("txtai")
    if ours and peer and "unavailable" not in peer:
        out += "\n\nsemnetz / txtai: " + ", ".join(
            f"{label} {ours[key] / peer[key]:.2f}x" for label, key in
            [("index time", "index_s"), ("warm p50", "p50_ms"), ("warm p99", "p99_ms"),
             ("cold start", "first_result_s"), ("memory", "peak_rss_mb")]) + " (below 1: semnetz is better)"
    if ours:
        out += f"\nsemnetz's full hybrid search (lexical, bridge, names, paths): p50 {ours['hybrid_p50_ms']:.2f} ms"
    return out

"""Speed of the default setup: indexing throughput, warm query latency at N people, and a cold CLI search.

    python benchmarks/speed.py [--people 10000] [--queries 300] [--model use-m3] [--load]

--load runs the latency part a second time while another process keeps one core busy (the machine is shared).
All figures come from one run; compare them as ratios, the machine is noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network  # noqa: E402
from semnetz.encoders import get_encoder  # noqa: E402
from semnetz.records import person_from_dict  # noqa: E402
from semnetz.synthetic import generate_people, generate_queries  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_queries(net: Network, queries: list[str]) -> dict:
    for q in queries[:10]:  # warm-up
        net.search(q)
    single = []
    for q in queries:
        started = time.perf_counter()
        net.search(q)
        single.append(1000 * (time.perf_counter() - started))
    encode = []
    for q in queries:
        started = time.perf_counter()
        net.encoder.encode_texts([q])
        encode.append(1000 * (time.perf_counter() - started))
    started = time.perf_counter()
    net.search_batch(queries[:100])
    batch_ms = 1000 * (time.perf_counter() - started) / min(100, len(queries))
    return {"p50_ms": statistics.median(single), "p99_ms": percentile(single, 99),
            "encode_p50_ms": statistics.median(encode), "batch100_ms_per_query": batch_ms}


def cold_search(home: Path, model: str, runs: int = 3) -> dict:
    def wall(cmd: list[str]) -> float:
        best = float("inf")
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            best = min(best, time.perf_counter() - started)
        return best

    semnetz = [sys.executable, "-m", "semnetz"]
    return {
        "python_startup_s": wall([sys.executable, "-c", "pass"]),
        "import_numpy_duckdb_faiss_s": wall([sys.executable, "-c", "import numpy, duckdb, faiss"]),
        "import_semnetz_cli_s": wall([sys.executable, "-c", "import semnetz.cli, semnetz.network"]),
        "load_model_s": wall([sys.executable, "-c", f"from semnetz.encoders import get_encoder; get_encoder('{model}')"]),
        "cold_search_s": wall(semnetz + ["search", "brauche Handwerker", "--home", str(home), "--model", model]),
        "cold_stats_s": wall(semnetz + ["stats", "--home", str(home)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--model", default="use-m3")
    parser.add_argument("--load", action="store_true", help="Also measure latency with one core kept busy.")
    args = parser.parse_args()

    people = generate_people(args.people, seed=0)
    queries = generate_queries(args.queries, seed=0)
    encoder = get_encoder(args.model)
    pieces = list(dict.fromkeys(t for p in people for _, _, t in person_from_dict(p).searchable_pieces()))
    started = time.perf_counter()
    for start in range(0, len(pieces), 512):
        encoder.encode_texts(pieces[start:start + 512])
    bare_s = time.perf_counter() - started
    print(f"machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
          f"model {args.model}; {args.people} synthetic people, {len(pieces)} unique pieces")
    print(f"bare encoder:      {len(pieces) / bare_s:8.0f} pieces/s  = {args.people / bare_s:6.0f} people/s")

    with tempfile.TemporaryDirectory() as home:
        with Network(home=home, model=args.model) as net:
            started = time.perf_counter()
            net.import_dicts(people, source="synthetic")
            import_s = time.perf_counter() - started
            print(f"semnetz import:    {len(pieces) / import_s:8.0f} pieces/s  = {args.people / import_s:6.0f} people/s "
                  f"({import_s:.1f} s; pipeline overhead {100 * (import_s / bare_s - 1):.0f}% over the bare encoder)")
            quiet = time_queries(net, queries)
            print(f"warm search:       p50 {quiet['p50_ms']:.1f} ms, p99 {quiet['p99_ms']:.1f} ms "
                  f"(encode alone p50 {quiet['encode_p50_ms']:.1f} ms); batch of 100: "
                  f"{quiet['batch100_ms_per_query']:.1f} ms/query")
            if args.load:
                burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                try:
                    loaded = time_queries(net, queries)
                finally:
                    burner.kill()
                print(f"warm, 1 core busy: p50 {loaded['p50_ms']:.1f} ms, p99 {loaded['p99_ms']:.1f} ms "
                      f"(encode alone p50 {loaded['encode_p50_ms']:.1f} ms)")
        demo_home = Path(home) / "demo"
        with Network(home=demo_home, model=args.model) as net:
            net.import_file(ROOT / "data" / "people.jsonl")
        cold = cold_search(demo_home, args.model)
        print("cold CLI on the demo network (best of 3, wall):")
        for key, value in cold.items():
            print(f"  {key:<30} {value:6.2f} s")
        print(f"  cold search / import(numpy, duckdb, faiss) = "
              f"{cold['cold_search_s'] / cold['import_numpy_duckdb_faiss_s']:.1f}x")


if __name__ == "__main__":
    main()

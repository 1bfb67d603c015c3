"""The web API under many clients: 20 people searching at once while one adds people, against one client alone.

    python benchmarks/api_load.py --size 10000               # a synthetic network of 10,000 people (built once)
    python benchmarks/api_load.py --home ~/kita-netz         # an existing network (people are added to it!)
    python benchmarks/api_load.py --clients 20 --think 1.0 --queries 30

A real `semnetz serve` runs as its own process (loopback, the network's own model), and the clients are threads
of this process, each with its own HTTP connection (httpx). Three phases:

1. one client alone: --single searches, one after another (p50, p99);
2. --clients clients at once, like people at their phones: each starts after, and follows each request with, a
   pause drawn from an exponential distribution with mean --think seconds; one of the clients adds a new person
   (POST /api/people) instead of searching, --adds times;
3. the same clients without pauses (a closed loop: everyone asks again the moment the answer is there), which
   shows what the machine can serve at most and how latency grows beyond that.

Every request that does not answer 2xx, or fails to connect, is an error. At the end each added person must be
found by a search for their name. Prints a table (requests, errors, p50, p99, requests/s, p50 against one
client) and writes it as JSON with --out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz.synthetic import generate_people, generate_queries  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "semnetz-api-load"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def write_people(path: Path, size: int) -> None:
    """`size` generated people (seed 0) as JSON Lines."""
    with open(path, "w", encoding="utf-8") as f:
        for person in generate_people(size, seed=0):
            f.write(json.dumps(person, ensure_ascii=False) + "\n")


def build_network(size: int) -> Path:
    """A synthetic network of `size` people, imported once with the default model and kept for later runs."""
    home = CACHE / f"people-{size}"
    if (home / "semnetz.duckdb").exists():
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    people = CACHE / f"people-{size}.jsonl"
    write_people(people, size)
    print(f"building a network of {size:,} people in {home} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "semnetz", "--home", str(home), "import", str(people)], check=True,
                   stdout=subprocess.DEVNULL)
    return home


class Server:
    def __init__(self, home: Path, core: int | None = None):
        """A real `semnetz serve` on a free port; `core`: bound to that core alone."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("SEMNETZ_MODEL", "SEMNETZ_TOKEN", "SEMNETZ_HOME")}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([sys.executable, "-m", "semnetz", "--home", str(home), "serve",
                                         "--port", str(self.port)], env=env, stdout=self.log, stderr=self.log,
                                        preexec_fn=None if core is None else lambda: os.sched_setaffinity(0, {core}))
        self.pid = self.process.pid

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"semnetz serve ended: {self.output()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/search", params={"q": "Elektriker"}, timeout=30).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("semnetz serve did not answer in time")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.search: list[float] = []
        self.add: list[float] = []
        self.errors: list[str] = []

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                (self.search if kind == "search" else self.add).append(seconds)


def timed(client: httpx.Client, tally: Tally, kind: str, method: str, path: str, **kwargs) -> None:
    start = time.perf_counter()
    try:
        response = client.request(method, path, timeout=60, **kwargs)
        error = None if response.is_success else f"{kind}: HTTP {response.status_code} {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{kind}: {type(exc).__name__}: {exc}"
    tally.record(kind, time.perf_counter() - start, error)


def searcher(url: str, queries: list[str], k: int, think: float, seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url) as client:
        if think:  # people do not all press "ask" in the same millisecond: each starts after a pause of its own
            time.sleep(rng.expovariate(1 / think))
        for query in queries:
            timed(client, tally, "search", "GET", "/api/search", params={"q": query, "k": k})
            if think:
                time.sleep(rng.expovariate(1 / think))


def adder(url: str, people: list[dict], think: float, seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url) as client:
        if think:
            time.sleep(rng.expovariate(1 / think))
        for person in people:
            timed(client, tally, "add", "POST", "/api/people", json=person)
            if think:
                time.sleep(rng.expovariate(1 / think))


def phase(url: str, clients: int, queries: list[str], per_client: int, k: int, think: float, adds: list[dict],
          seed: int) -> dict:
    tally = Tally()
    threads = []
    for c in range(clients - (1 if adds else 0)):
        mine = [queries[(c * per_client + i) % len(queries)] for i in range(per_client)]
        threads.append(threading.Thread(target=searcher, args=(url, mine, k, think, seed + c, tally)))
    if adds:
        threads.append(threading.Thread(target=adder, args=(url, adds, think, seed + 999, tally)))
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"clients": clients, "think_s": think, "searches": len(tally.search), "adds": len(tally.add),
            "errors": len(tally.errors), "first_errors": tally.errors[:5], "wall_s": round(wall, 2),
            "search_p50_ms": round(percentile(tally.search, 50) * 1000, 1),
            "search_p99_ms": round(percentile(tally.search, 99) * 1000, 1),
            "add_p50_ms": round(percentile(tally.add, 50) * 1000, 1) if tally.add else None,
            "requests_per_s": round((len(tally.search) + len(tally.add)) / wall, 1)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--home", type=Path, help="an existing network (new people are added to it)")
    where.add_argument("--size", type=int, default=10_000, help="people in a synthetic network (default 10000)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--queries", type=int, default=30, help="searches per client in phases 2 and 3")
    parser.add_argument("--single", type=int, default=200, help="searches of the client alone")
    parser.add_argument("--adds", type=int, default=20, help="people the adding client adds, per phase")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a client's requests (s)")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)

    home = args.home or build_network(args.size)
    queries = generate_queries(max(args.single, args.clients * args.queries), seed=args.seed)
    tag = f"{int(time.time())}"
    adds = [[{"id": f"load-{tag}-{p}-{i}", "name": f"Lasttest {tag} {p} {i}",
              "text": random.Random(i).choice(["Elektrikerin", "Klempner", "Babysitterin", "Nachhilfe in Mathe"]),
              "offers": ["hilft beim Lasttest"]} for i in range(args.adds)] for p in (2, 3)]

    server = Server(home)
    try:
        server.wait()
        with httpx.Client(base_url=server.url) as client:  # warm up
            for q in queries[:20]:
                client.get("/api/search", params={"q": q, "k": args.k}, timeout=60)
        rows = [("one client", phase(server.url, 1, queries, args.single, args.k, 0.0, [], args.seed))]
        rows.append((f"{args.clients} clients, pauses", phase(server.url, args.clients, queries, args.queries, args.k,
                                                           args.think, adds[0], args.seed)))
        rows.append((f"{args.clients} clients, no pauses", phase(server.url, args.clients, queries, args.queries,
                                                              args.k, 0.0, adds[1], args.seed)))
        missing = []
        with httpx.Client(base_url=server.url) as client:
            for person in adds[0] + adds[1]:
                found = client.get("/api/search", params={"q": person["name"], "k": 10}, timeout=60).json()
                if person["id"] not in json.dumps(found):
                    missing.append(person["id"])
    finally:
        server.stop()

    alone = rows[0][1]["search_p50_ms"]
    print(f"\nsemnetz serve on {home} ({os.cpu_count()} cores), k={args.k}")
    header = ["phase", "searches", "adds", "errors", "search p50 ms", "search p99 ms", "add p50 ms", "req/s",
              "p50 vs one client"]
    print(" | ".join(header))
    for name, r in rows:
        print(" | ".join(str(x) for x in [name, r["searches"], r["adds"], r["errors"], r["search_p50_ms"],
                                          r["search_p99_ms"], r["add_p50_ms"] or "-", r["requests_per_s"],
                                          f"{r['search_p50_ms'] / alone:.2f}x"]))
        for e in r["first_errors"]:
            print("   error:", e)
    print(f"added people found by name afterwards: {len(adds[0]) + len(adds[1]) - len(missing)} of "
          f"{len(adds[0]) + len(adds[1])}" + (f" (missing: {', '.join(missing[:5])})" if missing else ""))
    if args.out:
        args.out.write_text(json.dumps({"home": str(home), "phases": dict(rows), "missing_after": missing},
                                       indent=2) + "\n")
    if any(r["errors"] for _, r in rows) or missing:
        sys.exit(1)


if __name__ == "__main__":
    main()

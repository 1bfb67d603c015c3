"""Writes under search load, and a long soak: a real `semnetz serve` on a real home, many clients searching.

    python benchmarks/soak.py --part add                 # (a) add under load: 20 clients search, one adds
    python benchmarks/soak.py --part soak --minutes 10   # (b) soak: adds, edits and removes for 10 minutes
    python benchmarks/soak.py --part both --out soak.json

The home is the demo network (data/people.jsonl) plus --people generated people (a few thousand), built once with
the default model (use-m3) and copied afresh for every run, so runs start from the same state. The server is
its own process (loopback, no token). The clients are --client-procs processes of --clients threads in all, each
thread with its own connection, asking realistic German queries (the labelled sets in data/) one after another
without pauses (--think to pause): through the page (GET /?q=…, the default) or the API (--via api). The writer
is a process of its own (this one), so its timings do not share an interpreter with the searchers.

(a) add under load: first a few searches and adds alone (the baseline), then --adds people added through the
    page (POST /people, following the redirect to their page, as a browser does) or the API, one every --every
    seconds, while every client searches. Reports add latency p50/p95/max, search latency p50/p95 and errors;
    afterwards every added person must be found by a search for their name.
(b) soak: the same load for --minutes, while one writer adds, edits (through the page or API) and removes people
    (`semnetz remove` in a process of its own: the server has no remove). Every --sample seconds it records the
    server's RSS, open file descriptors (/proc/PID/fd), threads, and the home's size (store, index, search log
    spool). At the end, the home is copied and `semnetz reindex`ed (store rewritten, index rebuilt whole): what
    the home holds beyond that copy is growth the data does not explain.

Every request that does not answer as expected (2xx; 303 for a page's form), or fails to connect, is an error.
Prints the figures; --out writes them as JSON (a bare file name goes to benchmarks/results/).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz.synthetic import generate_people  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import api_load  # noqa: E402

DATA = ROOT / "data"
RESULTS = ROOT / "benchmarks" / "results"
CACHE = Path(tempfile.gettempdir()) / "semnetz-soak"
# German labelled query sets (the English one is left out): what parents type into the page
QUERY_SETS = ("queries_newuser.jsonl", "queries.jsonl", "queries_check.jsonl", "queries_heldout.jsonl",
              "queries_occupations.jsonl", "queries_nobody.jsonl", "queries_typo.jsonl")
TIMEOUT_S = 120.0


# ---------------------------------------------------------------- figures
def percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def latency(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": ms(percentile(values, 50)), "p95_ms": ms(percentile(values, 95)),
            "max_ms": ms(max(values) if values else None)}


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else None


# ---------------------------------------------------------------- the home
def queries() -> list[str]:
    out = []
    for name in QUERY_SETS:
        path = DATA / name
        if path.exists():
            out += [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(out))


def semnetz(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SEMNETZ_MODEL", "SEMNETZ_TOKEN", "SEMNETZ_HOME")}
    return subprocess.run([sys.executable, "-m", "semnetz", *args], check=check, env=env, capture_output=True,
                          text=True, **kwargs)


def template_home(people: int) -> Path:
    """The demo network plus `people` generated people, built once (default model) and kept for later runs."""
    home = CACHE / f"home-{people}"
    if (home / "semnetz.duckdb").exists() and (home / "index" / "manifest.json").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    generated = CACHE / f"people-{people}.jsonl"
    api_load.write_people(generated, people)
    print(f"building the home: data/people.jsonl + {people:,} generated people in {home} (once) ...", flush=True)
    semnetz("--home", str(home), "import", str(DATA / "people.jsonl"))
    semnetz("--home", str(home), "import", str(generated))
    return home


def fresh_home(people: int) -> Path:
    template = template_home(people)
    home = Path(tempfile.mkdtemp(prefix="semnetz-soak-")) / "home"
    shutil.copytree(template, home)
    return home


def home_sizes(home: Path) -> dict:
    """Bytes of the home: all, the store (file and WAL), the search index, the search log spool; and files."""
    sizes = {"total": 0, "store": 0, "index": 0, "spool": 0, "other": 0, "files": 0, "spool_files": 0}
    for dirpath, _, filenames in os.walk(home):
        rel = Path(dirpath).relative_to(home)
        part = rel.parts[0] if rel.parts else ""
        for name in filenames:
            try:
                size = os.stat(os.path.join(dirpath, name)).st_size
            except OSError:  # removed meanwhile
                continue
            sizes["total"] += size
            sizes["files"] += 1
            if part == "index":
                sizes["index"] += size
            elif part == "searches":
                sizes["spool"] += size
                sizes["spool_files"] += 1
            elif name.startswith("semnetz.duckdb"):
                sizes["store"] += size
            else:
                sizes["other"] += size
    return sizes


def counts(home: Path) -> dict:
    """People, pieces and audit log entries by action, read from the store (the server is stopped)."""
    import duckdb

    conn = duckdb.connect(str(home / "semnetz.duckdb"), read_only=True)
    try:
        out = {"people": conn.execute("SELECT count(*) FROM people").fetchone()[0],
               "items": conn.execute("SELECT count(*) FROM items").fetchone()[0],
               "audit": dict(conn.execute("SELECT action, count(*) FROM audit_log GROUP BY action ORDER BY action")
                             .fetchall())}
    finally:
        conn.close()
    manifest = json.loads((home / "index" / "manifest.json").read_text())
    out["index_segments"] = len(manifest["segments"])
    return out


# ---------------------------------------------------------------- the server
class Server(api_load.Server):
    """api_load's server (`semnetz serve` in a subprocess), with its process's figures."""

    def __init__(self, home: Path):
        super().__init__(home)
        self.home = home

    def wait(self, timeout: float = 180) -> None:
        super().wait(timeout)

    def sample(self) -> dict:
        status = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            status[key] = value.strip()
        return {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
                "hwm_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1),
                "threads": int(status["Threads"]),
                "fds": len(os.listdir(f"/proc/{self.pid}/fd"))}


# ---------------------------------------------------------------- requests
class Browser:
    """One client's connection, asking as the page or the API does."""

    def __init__(self, url: str, via: str):
        self.via = via
        self.origin = url
        self.client = httpx.Client(base_url=url, timeout=TIMEOUT_S, headers={"Accept-Language": "de-DE,de;q=0.9"})
        self.post_s = 0.0  # of the last add or edit through the page: the POST alone, without the page after it

    def close(self) -> None:
        self.client.close()

    def search(self, q: str) -> str | None:
        """None, or what went wrong."""
        if self.via == "page":
            response = self.client.get("/", params={"q": q})
        else:
            response = self.client.get("/api/search", params={"q": q, "k": 5})
        return None if response.status_code == 200 else f"search {q!r}: HTTP {response.status_code} " \
                                                         f"{response.text[:200]}"

    def add(self, person: dict) -> str | None:
        if self.via == "page":
            form = {"name": person["name"], "text": person["text"], "offers": "\n".join(person["offers"]),
                    "aliases": "\n".join(person.get("aliases", [])), "tags": "", "phone": person["phone"],
                    "email": "", "via": ""}
            began = time.perf_counter()
            response = self.client.post("/people", data=form, headers={"Origin": self.origin})
            self.post_s = time.perf_counter() - began
            if response.status_code != 303:
                return f"add: HTTP {response.status_code} {response.text[:200]}"
            location = response.headers["location"]
            person["id"] = httpx.URL(location).path.rsplit("/", 1)[-1]
            page = self.client.get(location)  # what the browser shows next: the new person's page
            return None if page.status_code == 200 else f"add, their page: HTTP {page.status_code}"
        body = {"name": person["name"], "text": person["text"], "offers": person["offers"],
                "aliases": person.get("aliases", []), "contact": {"phone": person["phone"]}}
        began = time.perf_counter()
        response = self.client.post("/api/people", json=body)
        self.post_s = time.perf_counter() - began
        if response.status_code != 201:
            return f"add: HTTP {response.status_code} {response.text[:200]}"
        person["id"] = response.json()["id"]
        return None

    def edit(self, person: dict, text: str) -> str | None:
        pid = person["id"]
        if self.via == "page":
            form = {"name": person["name"], "text": text, "offers": "\n".join(person["offers"]),
                    "aliases": "\n".join(person.get("aliases", [])), "tags": "", "phone": person["phone"],
                    "email": "", "via": ""}
            response = self.client.post(f"/people/{pid}", data=form, headers={"Origin": self.origin})
            if response.status_code != 303:
                return f"edit: HTTP {response.status_code} {response.text[:200]}"
            page = self.client.get(response.headers["location"])
            return None if page.status_code == 200 else f"edit, their page: HTTP {page.status_code}"
        response = self.client.patch(f"/api/people/{pid}", json={"text": text})
        return None if response.status_code == 200 else f"edit: HTTP {response.status_code} {response.text[:200]}"

    def found(self, person: dict) -> bool:
        response = self.client.get("/api/search", params={"q": person["name"], "k": 10})
        return response.status_code == 200 and any(r["id"] == person["id"] for r in response.json()["results"])


def timed(call, *args) -> tuple[float, str | None]:
    start = time.perf_counter()
    try:
        error = call(*args)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - start, error


def new_people(n: int, tag: str, seed: int = 11) -> list[dict]:
    """Realistic new people (generated like the home's, with names of their own so a search finds them)."""
    out = []
    for i, person in enumerate(generate_people(n, seed=seed)):
        out.append({"name": f"{person['name']} Soak{tag}x{i}", "text": person["text"], "offers": person["offers"],
                    "aliases": person["aliases"], "phone": f"+49 160 {seed:03d}{i:05d}"})
    return out


# ---------------------------------------------------------------- the searching clients
def _search_process(url: str, via: str, threads: int, qs: list[str], seed: int, think: float, go, stop, out) -> None:
    """A process of searching clients: each thread asks query after query until stop; returns (start, seconds,
    error) per request through out."""
    records: list[tuple[float, float, str | None]] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        browser = Browser(url, via)
        mine = []
        go.wait()
        try:
            while not stop.is_set():
                q = rng.choice(qs)
                began = time.time()
                seconds, error = timed(browser.search, q)
                mine.append((began, seconds, error))
                if think:
                    time.sleep(rng.expovariate(1 / think))
        finally:
            browser.close()
            with lock:
                records.extend(mine)

    pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(records)


class Load:
    """--clients searching clients in --client-procs processes, from start() until stop()."""

    def __init__(self, url: str, via: str, clients: int, procs: int, qs: list[str], think: float, seed: int):
        ctx = mp.get_context("spawn")
        self.go, self.halt, self.out = ctx.Event(), ctx.Event(), ctx.Queue()
        per = [clients // procs + (1 if p < clients % procs else 0) for p in range(procs)]
        self.procs = [ctx.Process(target=_search_process, args=(url, via, n, qs, seed + p, think, self.go, self.halt,
                                                                self.out), daemon=True)
                      for p, n in enumerate(per) if n]

    def start(self) -> float:
        for p in self.procs:
            p.start()
        time.sleep(1.0)  # let the processes start and connect before the clock starts
        self.go.set()
        return time.time()

    def stop(self) -> list[tuple[float, float, str | None]]:
        self.halt.set()
        records = []
        for _ in self.procs:
            records += self.out.get(timeout=TIMEOUT_S + 60)
        for p in self.procs:
            p.join(30)
        return records


def search_figures(records, since: float | None = None, until: float | None = None) -> dict:
    chosen = [r for r in records if (since is None or r[0] >= since) and (until is None or r[0] < until)]
    ok = [s for _, s, e in chosen if e is None]
    errors = [e for _, _, e in chosen if e is not None]
    span = (max(r[0] + r[1] for r in chosen) - min(r[0] for r in chosen)) if chosen else 0
    return {**latency(ok), "errors": len(errors), "first_errors": errors[:5],
            "per_s": round(len(chosen) / span, 1) if span else None}


# ---------------------------------------------------------------- (a) add under load
def add_under_load(server: Server, args, qs: list[str]) -> dict:
    tag = f"{int(time.time()) % 100000}"
    people = new_people(args.alone_adds + args.adds, tag)
    browser = Browser(server.url, args.via)
    # alone: searches one after another, and adds with nobody searching
    alone_search = [timed(browser.search, q) for q in qs[:args.alone_searches]]
    alone_add, alone_posts = [], []
    for person in people[:args.alone_adds]:
        alone_add.append(timed(browser.add, person))
        alone_posts.append(browser.post_s)
        time.sleep(0.5)
    load = Load(server.url, args.via, args.clients, args.client_procs, qs, args.think, args.seed)
    began = load.start()
    time.sleep(args.settle)  # the searches under way before the first add
    adds, posts = [], []
    for person in people[args.alone_adds:]:
        seconds, error = timed(browser.add, person)
        adds.append((time.time() - seconds, seconds, error))
        if error is None:
            posts.append(browser.post_s)
        time.sleep(max(0.0, args.every - seconds))
    ended = time.time()
    records = load.stop()
    missing = [p["name"] for p in people if "id" not in p or not browser.found(p)]
    browser.close()
    add_ok = [s for _, s, e in adds if e is None]
    return {
        "alone": {"search": search_figures([(0, s, e) for s, e in alone_search]),
                  "add": {**latency([s for s, e in alone_add if e is None]),
                          "errors": sum(e is not None for _, e in alone_add)},
                  "add_request_only": latency([p for p, (_, e) in zip(alone_posts, alone_add) if e is None])},
        "under_load": {"clients": args.clients, "via": args.via, "think_s": args.think,
                       "add": {**latency(add_ok), "errors": sum(e is not None for _, _, e in adds),
                               "first_errors": [e for _, _, e in adds if e][:5],
                               "all_ms": [ms(s) for s in add_ok]},
                       "add_request_only": latency(posts),
                       "search": search_figures(records, since=began + args.settle, until=ended),
                       # the first seconds of the load, before the first add (the first second left out)
                       "search_before_adds": search_figures(records, since=began + min(1.0, args.settle / 2),
                                                            until=began + args.settle),
                       "search_all": search_figures(records)},
        "added_not_found": missing,
    }


# ---------------------------------------------------------------- (b) soak
def soak(server: Server, args, qs: list[str]) -> dict:
    home = server.home
    tag = f"{int(time.time()) % 100000}"
    fresh = iter(new_people(100_000, tag, seed=13))
    browser = Browser(server.url, args.via)
    samples = []
    start_sizes = home_sizes(home)
    stop = threading.Event()
    t0 = time.time()

    def sampler() -> None:
        while True:
            samples.append({"t_s": round(time.time() - t0, 1), **server.sample(), "home": home_sizes(home)})
            if stop.wait(args.sample):
                return

    watcher = threading.Thread(target=sampler)
    load = Load(server.url, args.via, args.clients, args.client_procs, qs, args.think, args.seed + 100)
    load.start()
    t0 = time.time()
    watcher.start()
    ops: dict[str, list] = {"add": [], "edit": [], "remove": []}
    errors: list[str] = []
    alive: list[dict] = []
    rng = random.Random(args.seed)
    n = 0
    deadline = t0 + args.minutes * 60
    while time.time() < deadline:
        # two adds for every edit and remove: the network grows a little, as a real one does
        kind = ("add", "edit", "add", "remove")[n % 4] if alive else "add"
        n += 1
        if kind == "add":
            person = next(fresh)
            seconds, error = timed(browser.add, person)
            if error is None:
                alive.append(person)
        elif kind == "edit":
            person = rng.choice(alive)
            seconds, error = timed(browser.edit, person, f"{person['text']} Jetzt auch abends ({n}).")
        else:
            person = alive.pop(rng.randrange(len(alive)))
            began = time.perf_counter()
            done = semnetz("--home", str(home), "remove", person["id"], check=False)
            seconds = time.perf_counter() - began
            error = None if done.returncode == 0 else f"remove {person['id']}: exit {done.returncode} " \
                                                      f"{done.stderr.strip()[-300:]}"
        if error:
            errors.append(f"{kind}: {error}")
        else:
            ops[kind].append(seconds)
        time.sleep(max(0.0, args.every - seconds))
    stop.set()
    watcher.join()
    records = load.stop()
    time.sleep(1.0)
    samples.append({"t_s": round(time.time() - t0, 1), **server.sample(), "home": home_sizes(home), "idle": True})
    alive_found = sum(browser.found(p) for p in alive[-20:])
    browser.close()
    server.stop()
    end_sizes = home_sizes(home)
    end_counts = counts(home)
    # the same data, compacted: a copy of the home, store rewritten and index rebuilt whole
    copy = home.parent / "reindexed"
    shutil.copytree(home, copy)
    done = semnetz("--home", str(copy), "reindex", check=False)
    if done.returncode != 0:
        errors.append(f"reindex of the copy: exit {done.returncode} {done.stderr.strip()[-300:]}")
    reindexed = home_sizes(copy)
    shutil.rmtree(copy, ignore_errors=True)

    warm = [s for s in samples if s["t_s"] >= min(60.0, args.minutes * 30)]  # after the first minute
    first, last = samples[0], samples[-1]
    mb = 1 << 20
    figures = {
        "minutes": args.minutes, "clients": args.clients, "via": args.via,
        "search": search_figures(records),
        "writes": {k: latency(v) for k, v in ops.items()}, "write_errors": len(errors), "first_errors": errors[:5],
        "people_added_alive": len(alive), "last_added_found_by_name": f"{alive_found} of {min(20, len(alive))}",
        "server": {
            "rss_mb": {"first": first["rss_mb"], "after_1min": warm[0]["rss_mb"] if warm else None,
                       "max": max(s["rss_mb"] for s in samples), "last": last["rss_mb"],
                       "slope_after_1min_mb_per_min": _per_min(slope([(s["t_s"], s["rss_mb"]) for s in warm]))},
            "fds": {"first": first["fds"], "max": max(s["fds"] for s in samples), "last": last["fds"]},
            "threads": {"first": first["threads"], "max": max(s["threads"] for s in samples),
                        "last": last["threads"]},
        },
        "home": {
            "start_mb": round(start_sizes["total"] / mb, 2), "end_mb": round(end_sizes["total"] / mb, 2),
            "end_reindexed_mb": round(reindexed["total"] / mb, 2),
            "beyond_data_mb": round((end_sizes["total"] - reindexed["total"]) / mb, 2),
            "end": end_sizes, "reindexed": reindexed, "start": start_sizes,
            "max_spool_files": max(s["home"]["spool_files"] for s in samples),
            "max_total_mb": round(max(s["home"]["total"] for s in samples) / mb, 2),
        },
        "counts_end": end_counts,
        "samples": [{"t_s": s["t_s"], "rss_mb": s["rss_mb"], "fds": s["fds"], "threads": s["threads"],
                     "home_mb": round(s["home"]["total"] / mb, 2), "store_mb": round(s["home"]["store"] / mb, 2),
                     "index_mb": round(s["home"]["index"] / mb, 2), "spool_files": s["home"]["spool_files"]}
                    for s in samples],
    }
    return figures


def _per_min(per_s: float | None) -> float | None:
    return None if per_s is None else round(per_s * 60, 2)


# ---------------------------------------------------------------- printing
def show_add(r: dict) -> list[str]:
    u, a = r["under_load"], r["alone"]
    lines = [f"(a) add under load: {u['clients']} clients searching through the {u['via']}"
             + (f", pauses {u['think_s']} s" if u["think_s"] else ", no pauses"),
             f"  alone:       search p50 {a['search']['p50_ms']} ms, p95 {a['search']['p95_ms']} ms; "
             f"add p50 {a['add']['p50_ms']} ms, max {a['add']['max_ms']} ms ({a['add']['n']} adds; "
             f"the {'POST' if u['via'] == 'page' else 'request'} alone p50 {a['add_request_only']['p50_ms']} ms)",
             f"  under load:  add p50 {u['add']['p50_ms']} ms, p95 {u['add']['p95_ms']} ms, "
             f"max {u['add']['max_ms']} ms ({u['add']['n']} adds, {u['add']['errors']} errors)",
             f"               search p50 {u['search']['p50_ms']} ms, p95 {u['search']['p95_ms']} ms, "
             f"{u['search']['per_s']} searches/s ({u['search']['n']} searches, {u['search']['errors']} errors)",
             f"               before the first add: search p50 {u['search_before_adds']['p50_ms']} ms, "
             f"p95 {u['search_before_adds']['p95_ms']} ms, {u['search_before_adds']['per_s']} searches/s",
             f"               (the {'POST' if u['via'] == 'page' else 'request'} alone, without the page after it: "
             f"p50 {u['add_request_only']['p50_ms']} ms, max {u['add_request_only']['max_ms']} ms)",
             f"  adds (ms):   {', '.join(str(round(x)) for x in u['add']['all_ms'])}",
             f"  added people found by name afterwards: missing {len(r['added_not_found'])}"]
    for e in u["add"]["first_errors"] + u["search"]["first_errors"]:
        lines.append(f"  error: {e}")
    return lines


def show_soak(r: dict) -> list[str]:
    s, h, srv = r["search"], r["home"], r["server"]
    w = r["writes"]
    lines = [f"(b) soak: {r['minutes']} min, {r['clients']} clients searching through the {r['via']}, one writer",
             f"  searches: {s['n']} ({s['per_s']}/s), p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
             f"max {s['max_ms']} ms, {s['errors']} errors",
             f"  writes:   add p50 {w['add']['p50_ms']} ms max {w['add']['max_ms']} ms ({w['add']['n']}); "
             f"edit p50 {w['edit']['p50_ms']} ms max {w['edit']['max_ms']} ms ({w['edit']['n']}); "
             f"remove (CLI) p50 {w['remove']['p50_ms']} ms max {w['remove']['max_ms']} ms ({w['remove']['n']}); "
             f"{r['write_errors']} errors",
             f"  server:   RSS {srv['rss_mb']['first']} MB at start, {srv['rss_mb']['after_1min']} after 1 min, "
             f"max {srv['rss_mb']['max']}, last {srv['rss_mb']['last']} "
             f"(slope after 1 min {srv['rss_mb']['slope_after_1min_mb_per_min']} MB/min)",
             f"            fds {srv['fds']['first']} -> max {srv['fds']['max']} -> last {srv['fds']['last']}; "
             f"threads {srv['threads']['first']} -> max {srv['threads']['max']} -> last {srv['threads']['last']}",
             f"  home:     {h['start_mb']} MB at start, {h['end_mb']} MB at the end (max {h['max_total_mb']}), "
             f"{h['end_reindexed_mb']} MB reindexed: {h['beyond_data_mb']} MB beyond the data; "
             f"spool files max {h['max_spool_files']}",
             f"            end: store {h['end']['store']:,} B, index {h['end']['index']:,} B, "
             f"spool {h['end']['spool']:,} B; reindexed: store {h['reindexed']['store']:,} B, "
             f"index {h['reindexed']['index']:,} B",
             f"  at the end: {r['counts_end']['people']} people, {r['counts_end']['items']} pieces, "
             f"{r['counts_end']['index_segments']} index segments, audit log {r['counts_end']['audit']}",
             f"  last added people found by name: {r['last_added_found_by_name']}"]
    for e in r["first_errors"] + s["first_errors"]:
        lines.append(f"  error: {e}")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("add", "soak", "both"), default="add")
    parser.add_argument("--people", type=int, default=3000, help="generated people beside the demo's (default 3000)")
    parser.add_argument("--home", type=Path, help="run on a copy of this home instead")
    parser.add_argument("--clients", type=int, default=20, help="searching clients (default 20)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes the clients run in (default 2)")
    parser.add_argument("--via", choices=("page", "api"), default="page", help="search and write through the page "
                                                                               "(default) or the JSON API")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause after each search (s; default 0)")
    parser.add_argument("--adds", type=int, default=20, help="(a) adds under load (default 20)")
    parser.add_argument("--every", type=float, default=3.0, help="a write every this many seconds (default 3)")
    parser.add_argument("--settle", type=float, default=15.0, help="(a) seconds of searching before the first add "
                                                                   "(default 15; reported apart)")
    parser.add_argument("--alone-searches", type=int, default=40)
    parser.add_argument("--alone-adds", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=10.0, help="(b) how long (default 10)")
    parser.add_argument("--sample", type=float, default=10.0, help="(b) seconds between samples (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="", help="a name for this run in the JSON (e.g. before, after)")
    parser.add_argument("--out", help="write the figures as JSON (a bare name: into benchmarks/results/)")
    args = parser.parse_args(argv)

    qs = queries()
    figures: dict = {"label": args.label, "cores": os.cpu_count(), "people_generated": args.people,
                     "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    lines: list[str] = []
    for part in (("add", "soak") if args.part == "both" else (args.part,)):
        if args.home:
            home = Path(tempfile.mkdtemp(prefix="semnetz-soak-")) / "home"
            shutil.copytree(args.home, home)
        else:
            home = fresh_home(args.people)
        server = Server(home)
        try:
            server.wait()
            # every query once, alone: a query the server refuses (e.g. a time that is over) is left out, and
            # counted, so that errors under load are errors of the load
            probe = Browser(server.url, args.via)
            refused = [q for q in qs if probe.search(q) is not None]
            probe.close()
            usable = [q for q in qs if q not in refused]
            figures["queries"] = {"usable": len(usable), "refused_alone": refused}
            if part == "add":
                figures["add_under_load"] = result = add_under_load(server, args, usable)
                lines += show_add(result)
            else:
                figures["soak"] = result = soak(server, args, usable)
                lines += show_soak(result)
        finally:
            server.stop()
            shutil.rmtree(home.parent, ignore_errors=True)
    head = (f"semnetz serve, {figures['people_generated']:,} generated people + the demo network, "
            f"{figures['cores']} cores, {len(qs)} German queries ({len(figures['queries']['refused_alone'])} refused "
            f"alone){' [' + args.label + ']' if args.label else ''}")
    print("\n".join([head] + lines))
    if args.out:
        out = Path(args.out)
        if out.parent == Path("."):
            out = RESULTS / out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    bad = figures.get("add_under_load", {}).get("added_not_found") or \
        figures.get("add_under_load", {}).get("under_load", {}).get("add", {}).get("errors") or \
        figures.get("soak", {}).get("write_errors") or figures.get("soak", {}).get("search", {}).get("errors")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()

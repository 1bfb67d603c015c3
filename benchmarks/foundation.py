"""Foundation benchmark: what writes, concurrent processes, reindexing and start-up cost, for one checkout.

Run it against any checkout of semnetz with this repository's venv, e.g.:

    python benchmarks/foundation.py --src /path/to/checkout --only startup --out results.json
    python benchmarks/foundation.py --src /work/baseline --people 10000,100000 \\
        --work /work/benchwork-baseline --out benchmarks/results/foundation-before.json

Sections (``--only name[,name]``; all by default):

  after_write   per size (--people): warm in-process search latency with nothing changed, then for each of
                add / edit / remove of one person the first search right after the write, and its ratio to
                the unchanged median; then the same through the CLI, each search a fresh process.
  concurrency   on the 10000 network (else the first size): (a) --burst CLI searches started at once;
                (b) a CLI import of 10,000 new people into a copy while a CLI search starts every --interval
                seconds (and, for scale, the same import into another copy with nothing else running);
                (c) a second, small CLI import started 2 s after the first one.
  store_size    a fresh 2000-person network: bytes of semnetz.duckdb (+ .wal) after import and after each of
                5 `reindex` runs; total bytes under the home.
  startup       median wall of `python -c pass`, `python -m semnetz --help`, `python -c "import numpy, duckdb,
                faiss"` and a cold CLI search on the demo network, run alternately (A B C D A B C D ...).

How the checkout is run: every measurement runs in a subprocess of this interpreter with PYTHONPATH=SRC (the
in-process parts re-run this file as a worker that also puts SRC at sys.path[0]), with the working directory
in --work, SEMNETZ_MODEL and SEMNETZ_HOME unset and --home always given. So two checkouts are compared with
the same venv. Byte code is written and reused as for installed code (PYTHONDONTWRITEBYTECODE is cleared).
Unless --in-place is given, the checkout is not written to: byte code goes to WORK/pycache (PYTHONPYCACHEPREFIX;
libraries are compiled there once, in the first, untimed runs) and the models folder is copied to
WORK/models/KEY (SEMNETZ_MODELS_DIR, without its cache) so the encoder's derived cache is built there. Use the
same setting for runs you compare.

Networks are built by writing synthetic people to JSON Lines and running `semnetz import` once; they are cached
under --work (default: a temporary folder) by checkout and size, so a rerun reuses them. after_write changes
them (it restores nothing); a small state file next to each network makes every run edit and remove people not
touched before.

The machine is shared and noisy: compare ratios measured within one run, not absolute figures across runs.
Every subprocess failure is recorded (exit code and the last line of stderr), never raised.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
DEFAULT_SRC = HERE.parent.parent
SECTIONS = ("after_write", "concurrency", "store_size", "startup", "import_scaling")
IMPORT_SCALING_PEOPLE = 1000
DB_FILENAME = "semnetz.duckdb"
DEMO_QUERY = "brauche Handwerker"
STORE_SIZE_PEOPLE = 2000
REINDEX_RUNS = 5
LATE_IMPORT_PEOPLE = 50
LATE_IMPORT_DELAY_S = 2.0


# ---------------------------------------------------------------- small helpers
def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def fmt(value, unit: str = "", digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def dir_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


def file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n{title}")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(cells[0], widths)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print("  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    sys.stdout.flush()


# ---------------------------------------------------------------- subprocesses
@dataclass
class Run:
    cmd: list[str]
    rc: int | str | None  # exit code, "timeout", or "error" (could not start)
    wall_s: float | None
    stdout: str = ""
    stderr_last: str = ""
    stderr_first: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def brief(self) -> dict:
        out = {"rc": self.rc, "wall_s": self.wall_s}
        if not self.ok:
            out["stderr_last"] = self.stderr_last
        return out


class Launched:
    """A process started now (Popen); a thread records when it ends. Output goes to files (no pipe stalls)."""

    def __init__(self, cmd: list[str], env: dict, cwd: Path, logdir: Path, name: str, timeout: float):
        self.cmd, self.name = cmd, name
        self.out_path, self.err_path = logdir / f"{name}.out", logdir / f"{name}.err"
        self.rc: int | str | None = None
        self.end: float | None = None
        self.start = time.perf_counter()
        try:
            with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                             cwd=cwd)
        except OSError as exc:
            self.proc = None
            self.rc, self.end = "error", time.perf_counter()
            self.err_path.write_text(str(exc))
            return
        self.thread = threading.Thread(target=self._wait, args=(timeout,), daemon=True)
        self.thread.start()

    def _wait(self, timeout: float) -> None:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self.end = time.perf_counter()
        self.rc = rc

    @property
    def running(self) -> bool:
        return self.end is None

    def join(self) -> None:
        if self.proc is not None:
            self.thread.join()

    def result(self) -> Run:
        self.join()
        stderr = self.err_path.read_text(errors="replace") if self.err_path.exists() else ""
        stdout = self.out_path.read_text(errors="replace") if self.out_path.exists() else ""
        return Run(self.cmd, self.rc, self.end - self.start, stdout[-2000:], last_line(stderr), first_line(stderr))


class Checkout:
    """How to run one checkout's code: its environment, commands, and its cached networks under --work."""

    def __init__(self, src: Path, work: Path, in_place: bool, timeout: float):
        self.src, self.work, self.timeout = src, work, timeout
        self.key = f"{src.name or 'src'}-{hashlib.sha1(str(src).encode()).hexdigest()[:8]}"
        self.root = work / "nets" / self.key
        self.root.mkdir(parents=True, exist_ok=True)
        self.logdir = work / "logs" / self.key
        self.logdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        # byte code is written and reused, as for installed code (PYTHONDONTWRITEBYTECODE would make every
        # process compile the checkout, and with a cache prefix also every library, from source)
        for name in ("SEMNETZ_MODEL", "SEMNETZ_HOME", "SEMNETZ_MODELS_DIR", "PYTHONPYCACHEPREFIX",
                     "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        env["PYTHONPATH"] = str(src)
        if not in_place:
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            models = work / "models" / self.key
            if (src / "models").is_dir() and not models.exists():
                shutil.copytree(src / "models", models, ignore=shutil.ignore_patterns("cache"))
            if models.exists():
                env["SEMNETZ_MODELS_DIR"] = str(models)
        self.env = env

    def semnetz(self, *args) -> list[str]:
        return [sys.executable, "-m", "semnetz", *[str(a) for a in args]]

    def run(self, cmd: list[str], timeout: float | None = None) -> Run:
        timeout = timeout or self.timeout
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=self.env,
                                  cwd=self.work, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return Run(cmd, "timeout", time.perf_counter() - started, "", last_line(stderr) or f"timeout {timeout}s")
        except OSError as exc:
            return Run(cmd, "error", None, "", str(exc), str(exc))
        wall = time.perf_counter() - started
        return Run(cmd, proc.returncode, wall, proc.stdout[-2000:], last_line(proc.stderr), first_line(proc.stderr))

    def launch(self, cmd: list[str], name: str, timeout: float | None = None) -> Launched:
        return Launched(cmd, self.env, self.work, self.logdir, name, timeout or self.timeout)

    def search(self, home: Path, query: str, timeout: float | None = None) -> Run:
        return self.run(self.semnetz("search", query, "--home", home), timeout)

    def worker(self, task: str, args: dict, timeout: float | None = None) -> tuple[dict | None, Run]:
        """Run a task of this file in a subprocess that imports the checkout's code; its JSON answer."""
        out = self.logdir / f"worker-{task}-{os.getpid()}-{time.monotonic_ns()}.json"
        cmd = [sys.executable, str(HERE), "--worker", task, "--worker-args", json.dumps(args),
               "--worker-out", str(out), "--src", str(self.src)]
        run = self.run(cmd, timeout)
        answer = None
        if run.ok:
            try:
                answer = json.loads(out.read_text())
            except (OSError, ValueError) as exc:
                run.rc, run.stderr_last = "no answer", str(exc)
        out.unlink(missing_ok=True)
        return answer, run

    # ---- networks ----
    def write_people(self, path: Path, n: int, seed: int = 0, prefix: str = "") -> Run | None:
        """Synthetic people (the checkout's generator) as JSON Lines; ids prefixed. None when it worked."""
        answer, run = self.worker("people", {"n": n, "seed": seed, "prefix": prefix, "out": str(path)})
        return None if answer is not None else run

    def network(self, n: int) -> tuple[Path | None, dict]:
        """The cached network of n synthetic people (built now by one CLI import if missing)."""
        folder = self.root / f"people-{n}"
        home, people, marker = folder / "home", folder / "people.jsonl", folder / "built.json"
        if marker.exists():
            info = json.loads(marker.read_text())
            info["reused"] = True
            return home, info
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        failed = self.write_people(people, n)
        if failed:
            return None, {"error": "generating people failed", **failed.brief()}
        generate_s = time.perf_counter() - started
        run = self.run(self.semnetz("import", people, "--home", home), timeout=max(self.timeout, 4 * 3600))
        info = {"people": n, "generate_s": generate_s, "import_wall_s": run.wall_s, "import_rc": run.rc,
                "import_stdout": last_line(run.stdout), "db_bytes": file_bytes(home / DB_FILENAME),
                "home_bytes": dir_bytes(home), "built_at": time.strftime("%Y-%m-%d %H:%M:%S")}
        if not run.ok:
            info["stderr_last"] = run.stderr_last
            return None, {"error": "import failed", **info}
        marker.write_text(json.dumps(info, indent=2))
        info["reused"] = False
        return home, info

    def untouched_ids(self, n: int, count: int) -> list[str]:
        """Ids of people no earlier run edited or removed (taken from the end of the people file)."""
        folder = self.root / f"people-{n}"
        state_path = folder / "state.json"
        state = json.loads(state_path.read_text()) if state_path.exists() else {"used": 0, "runs": 0}
        ids = [json.loads(line)["id"] for line in (folder / "people.jsonl").read_text().splitlines() if line.strip()]
        start = len(ids) - state["used"]
        chosen = ids[max(0, start - count):start][::-1]
        state["used"] += count
        state["runs"] += 1
        state_path.write_text(json.dumps(state))
        return chosen

    def run_number(self, n: int) -> int:
        state_path = self.root / f"people-{n}" / "state.json"
        return json.loads(state_path.read_text())["runs"] if state_path.exists() else 0

    def demo_home(self) -> tuple[Path | None, dict]:
        home = self.root / "demo" / "home"
        marker = self.root / "demo" / "built.json"
        if marker.exists():
            return home, json.loads(marker.read_text())
        shutil.rmtree(home.parent, ignore_errors=True)
        home.parent.mkdir(parents=True)
        run = self.run(self.semnetz("import", self.src / "data" / "people.jsonl", "--home", home))
        info = {"import_wall_s": run.wall_s, "import_rc": run.rc, "import_stdout": last_line(run.stdout)}
        if not run.ok:
            info["stderr_last"] = run.stderr_last
            return None, info
        marker.write_text(json.dumps(info))
        return home, info


# ---------------------------------------------------------------- workers (run with the checkout's code)
def worker_people(args: dict) -> dict:
    from semnetz.synthetic import generate_people

    prefix = args.get("prefix", "")
    people = generate_people(args["n"], seed=args.get("seed", 0))
    if prefix:
        for person in people:
            person["id"] = prefix + person["id"]
            if person.get("via"):
                person["via"] = prefix + person["via"]
            for knows in person.get("knows") or []:
                knows["id"] = prefix + knows["id"]
    with open(args["out"], "w", encoding="utf-8") as f:
        for person in people:
            f.write(json.dumps(person, ensure_ascii=False) + "\n")
    return {"people": len(people)}


def worker_queries(args: dict) -> dict:
    from semnetz.synthetic import generate_queries

    return {"queries": generate_queries(args["n"], seed=args.get("seed", 0))}


def worker_after_write(args: dict) -> dict:
    """In one process: warm search latency unchanged, then per write the first searches after it."""
    from semnetz import Network, person_from_dict
    from semnetz.synthetic import generate_queries

    warmup, timed, after = args["warmup"], args["timed"], args["after"]
    queries = generate_queries(warmup + timed + 3 * (1 + after) + 5, seed=args["seed"])
    pending = iter(queries)

    def search_ms(net) -> float:
        started = time.perf_counter()
        net.search(next(pending), k=5)
        return 1000 * (time.perf_counter() - started)

    tag = args["tag"]
    writes = {
        "add": lambda net: net.add(person_from_dict({
            "id": f"bench-{tag}-added", "name": f"Bench Added {tag}",
            "text": f"Elektrikerin aus Ehrenfeld, repariert Steckdosen und Lampen, abends erreichbar (Lauf {tag}).",
            "offers": [f"Steckdosen reparieren in Ehrenfeld (Lauf {tag})"]})),
        "edit": lambda net: net.edit(args["edit_id"], {
            "text": f"Klempner seit zehn Jahren, kommt auch kurzfristig bei tropfenden Wasserhähnen (Lauf {tag})."}),
        "remove": lambda net: net.remove(args["remove_id"]),
    }
    out: dict = {}
    started = time.perf_counter()
    with Network(home=args["home"]) as net:
        out["open_s"] = time.perf_counter() - started
        warm = [search_ms(net) for _ in range(warmup)]
        out["first_search_ms"] = warm[0] if warm else None
        unchanged = [search_ms(net) for _ in range(timed)]
        out["unchanged_ms"] = unchanged
        out["unchanged_median_ms"] = statistics.median(unchanged)
        for op, write in writes.items():
            row: dict = {}
            try:
                # the same query just before the write (its second run) and right after it: query-to-query
                # differences (a time said in one query, say) do not count
                probe = next(pending)
                net.search(probe, k=5)
                started = time.perf_counter()
                net.search(probe, k=5)
                row["same_query_before_ms"] = 1000 * (time.perf_counter() - started)
                began = time.perf_counter()
                write(net)
                row["write_s"] = time.perf_counter() - began
                started = time.perf_counter()
                net.search(probe, k=5)
                row["first_ms"] = 1000 * (time.perf_counter() - started)
                row["ratio_same_query"] = row["first_ms"] / row["same_query_before_ms"]
                row["next_ms"] = [search_ms(net) for _ in range(after)]
                row["next_median_ms"] = statistics.median(row["next_ms"]) if row["next_ms"] else None
                row["ratio"] = row["first_ms"] / out["unchanged_median_ms"]
            except Exception as exc:  # record, and go on with the next write
                row["error"] = f"{type(exc).__name__}: {exc}"[:300]
            out[op] = row
    return out


def worker_main(task: str, args: dict, out: Path, src: Path) -> None:
    sys.path.insert(0, str(src))
    answer = {"people": worker_people, "queries": worker_queries, "after_write": worker_after_write}[task](args)
    out.write_text(json.dumps(answer))


# ---------------------------------------------------------------- sections
class Bench:
    def __init__(self, args, checkout: Checkout):
        self.args, self.co = args, checkout
        self.results: dict = {"meta": self.meta(), "sections": {}}
        self._queries: list[str] | None = None

    def meta(self) -> dict:
        src = self.co.src
        commit = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)
        return {"src": str(src), "commit": commit.stdout.strip() or None,
                "dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None,
                "work": str(self.co.work), "python": sys.version.split()[0], "executable": sys.executable,
                "platform": platform.platform(), "cores": os.cpu_count(),
                "in_place": self.args.in_place, "people": self.args.people,
                "started": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_start": loadavg()}

    def save(self) -> None:
        if self.args.out:
            out = Path(self.args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(self.results, indent=2, ensure_ascii=False, default=str))

    def queries(self) -> list[str]:
        """CLI queries from the checkout's generator (a fixed fallback if that fails)."""
        if self._queries is None:
            answer, _ = self.co.worker("queries", {"n": 200, "seed": 11})
            self._queries = answer["queries"] if answer else [DEMO_QUERY, "need a plumber", "Kind hat Fieber"]
        return self._queries

    def query(self, i: int) -> str:
        qs = self.queries()
        return qs[i % len(qs)]

    def prepare(self) -> dict:
        """Encoder caches built before anything is timed: the demo network and one search on it."""
        started = time.perf_counter()
        home, info = self.co.demo_home()
        search = self.co.search(home, DEMO_QUERY) if home else None
        out = {"demo_build": info, "first_search": search.brief() if search else None,
               "prepare_s": time.perf_counter() - started}
        print(f"prepared in {out['prepare_s']:.1f}s (demo network "
              f"{'ok' if home else 'FAILED: ' + info.get('stderr_last', '')}; first search rc "
              f"{search.rc if search else '-'})", flush=True)
        return out

    # ---- 1. after_write
    def after_write(self) -> dict:
        out = {}
        for n in self.args.people:
            out[str(n)] = self.after_write_size(n)
            self.results["sections"]["after_write"] = out
            self.save()
        return out

    def after_write_size(self, n: int) -> dict:
        started = time.perf_counter()
        home, build = self.co.network(n)
        print(f"  network {n}: {'reused (built earlier' if build.get('reused') else 'built'}"
              f" in {fmt(build.get('import_wall_s'), ' s', 1)}{')' if build.get('reused') else ''}", flush=True)
        out: dict = {"build": build}
        if home is None:
            print(f"  network {n} FAILED: {build}", flush=True)
            return out
        run_no = self.co.run_number(n)
        ids = self.co.untouched_ids(n, 4)
        tag = f"{run_no}-{os.getpid()}"
        inproc, run = self.co.worker("after_write", {
            "home": str(home), "warmup": 3, "timed": self.args.timed, "after": 5, "seed": 100 + run_no,
            "tag": tag, "edit_id": ids[0], "remove_id": ids[1]})
        out["inprocess"] = inproc if inproc is not None else {"error": run.brief()}
        out["inprocess_wall_s"] = run.wall_s
        out["cli"] = self.after_write_cli(home, ids[2], ids[3], tag, base=run_no * 40)
        out["section_s"] = time.perf_counter() - started
        self.print_after_write(n, out)
        return out

    def after_write_cli(self, home: Path, edit_id: str, remove_id: str, tag: str, base: int) -> dict:
        co, q = self.co, iter(range(base, base + 40))
        out: dict = {"warmup": co.search(home, self.query(next(q))).brief()}
        unchanged = [co.search(home, self.query(next(q))) for _ in range(self.args.cli_runs)]
        out["unchanged"] = [r.brief() for r in unchanged]
        out["unchanged_median_s"] = median([r.wall_s for r in unchanged if r.ok])
        writes = {
            "add": co.semnetz("add", f"Bench CLI {tag}", "--text",
                              f"Fahrradmechanikerin, repariert Kinderräder, samstags erreichbar (Lauf {tag}).",
                              "--home", home),
            "edit": co.semnetz("edit", edit_id, "--text",
                               f"Nachhilfe in Mathe und Deutsch für Grundschulkinder, nachmittags (Lauf {tag}).",
                               "--home", home),
            "remove": co.semnetz("remove", remove_id, "--home", home),
        }
        for op, cmd in writes.items():
            probe = self.query(next(q))
            before = co.search(home, probe)  # the same query right before the write
            write = co.run(cmd)
            first = co.search(home, probe)
            after = [co.search(home, self.query(next(q))) for _ in range(2)]
            out[op] = {"write": write.brief(), "write_stdout": last_line(write.stdout), "first": first.brief(),
                       "same_query_before_s": before.wall_s,
                       "ratio_same_query": ratio(first.wall_s, before.wall_s) if first.ok and before.ok else None,
                       "next_median_s": median([r.wall_s for r in after if r.ok]),
                       "ratio": ratio(first.wall_s, out["unchanged_median_s"]) if first.ok else None}
        return out

    def print_after_write(self, n: int, out: dict) -> None:
        rows = []
        inproc = out.get("inprocess") or {}
        if "error" in inproc and "unchanged_median_ms" not in inproc:
            rows.append(["in-process", "FAILED", "", "", "", "", str(inproc["error"])[:80]])
        else:
            base = inproc.get("unchanged_median_ms")
            rows.append(["in-process", "unchanged", "", "", fmt(base, " ms", 1), "1.00",
                         f"open {fmt(inproc.get('open_s'), 's', 2)}, 1st search {fmt(inproc.get('first_search_ms'), ' ms', 1)}"])
            for op in ("add", "edit", "remove"):
                row = inproc.get(op, {})
                same = row.get("ratio_same_query")
                note = row.get("error", "")[:80] or (f"same query: {fmt(row.get('same_query_before_ms'), ' ms', 1)} "
                                                     f"before, {fmt(same, 'x', 2)}" if same is not None else "")
                rows.append(["in-process", op, fmt(row.get("write_s"), " s", 3), fmt(row.get("first_ms"), " ms", 1),
                             fmt(row.get("next_median_ms"), " ms", 1), fmt(row.get("ratio"), "x", 2), note])
        cli = out.get("cli", {})
        base = cli.get("unchanged_median_s")
        failed = sum(1 for r in cli.get("unchanged", []) if r["rc"] != 0)
        rows.append(["cli", "unchanged", "", "", fmt(base, " s", 3), "1.00", f"{failed} failed" if failed else ""])
        for op in ("add", "edit", "remove"):
            row = cli.get(op, {})
            write, first = row.get("write", {}), row.get("first", {})
            note = "; ".join(f"{what} rc {r.get('rc')}: {r.get('stderr_last', '')[:60]}"
                             for what, r in (("write", write), ("search", first)) if r.get("rc") != 0)
            if not note and row.get("ratio_same_query") is not None:
                note = (f"same query: {fmt(row.get('same_query_before_s'), ' s', 3)} before, "
                        f"{fmt(row.get('ratio_same_query'), 'x', 2)}")
            rows.append(["cli", op, fmt(write.get("wall_s"), " s", 3), fmt(first.get("wall_s"), " s", 3),
                         fmt(row.get("next_median_s"), " s", 3), fmt(row.get("ratio"), "x", 2), note])
        print_table(f"after_write, {n} people (first search after a write / unchanged median; "
                    f"section {fmt(out.get('section_s'), 's', 1)})",
                    ["where", "write", "write time", "1st search after", "median (unchanged | next)", "ratio", "note"], rows)

    # ---- 2. concurrency
    def concurrency(self) -> dict:
        n = 10_000 if 10_000 in self.args.people else self.args.people[0]
        started = time.perf_counter()
        home, build = self.co.network(n)
        out: dict = {"people": n, "build": build}
        if home is None:
            print(f"  network {n} FAILED: {build}", flush=True)
            return out
        co = self.co
        co.search(home, self.query(0))  # warm-up
        solo = [co.search(home, self.query(1 + i)) for i in range(3)]
        solo_s = median([r.wall_s for r in solo if r.ok])
        out["solo"] = {"runs": [r.brief() for r in solo], "median_s": solo_s}
        out["burst"] = self.burst(home, solo_s)
        self.results["sections"]["concurrency"] = out
        self.save()
        self.print_burst(out)
        out["import_while_searching"] = self.import_while_searching(home, solo_s)
        out["section_s"] = time.perf_counter() - started
        self.print_import_while_searching(out)
        return out

    def burst(self, home: Path, solo_s: float | None) -> dict:
        started = time.perf_counter()
        procs = [self.co.launch(self.co.semnetz("search", self.query(10 + i), "--home", home), f"burst-{i}")
                 for i in range(self.args.burst)]
        runs = [p.result() for p in procs]
        total = time.perf_counter() - started
        walls = [r.wall_s for r in runs]
        failures = [r for r in runs if not r.ok]
        return {"processes": len(runs), "failures": len(failures), "total_wall_s": total,
                "max_wall_s": max(walls), "median_wall_s": median(walls),
                "max_waited_s": max(walls) - solo_s if solo_s else None,
                "exit_codes": [r.rc for r in runs], "walls_s": walls,
                "failure_messages": sorted({r.stderr_last for r in failures})[:5]}

    def print_burst(self, out: dict) -> None:
        b = out["burst"]
        rows = [["solo CLI search (median of 3)", fmt(out["solo"]["median_s"], " s")],
                ["processes started at once", b["processes"]],
                ["failures (exit code != 0)", b["failures"]],
                ["total wall (all done)", fmt(b["total_wall_s"], " s")],
                ["median wall per process", fmt(b["median_wall_s"], " s")],
                ["max wall per process", fmt(b["max_wall_s"], " s")],
                ["max waited for others (max wall - solo)", fmt(b["max_waited_s"], " s")]]
        rows += [["failure message", m[:110]] for m in b["failure_messages"]]
        print_table(f"concurrency (a): {b['processes']} CLI searches at the same moment, {out['people']} people",
                    ["figure", "value"], rows)

    def import_while_searching(self, home: Path, solo_s: float | None) -> dict:
        co = self.co
        folder = co.root / "concurrency"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        copy = folder / "home"
        shutil.copytree(home, copy)
        big, small = folder / "import-new.jsonl", folder / "import-late.jsonl"
        for path, count, seed, prefix in ((big, self.args.import_people, 1, "imp-"),
                                          (small, LATE_IMPORT_PEOPLE, 2, "late-")):
            failed = co.write_people(path, count, seed=seed, prefix=prefix)
            if failed:
                return {"error": f"generating {path.name} failed", **failed.brief()}
        long_timeout = max(self.co.timeout, 3600)
        # the same import with nothing else running, for scale: searches launched twice a second load the machine
        alone_home = folder / "home-alone"
        shutil.copytree(home, alone_home)
        alone = co.run(co.semnetz("import", big, "--home", alone_home), long_timeout)
        shutil.rmtree(alone_home, ignore_errors=True)
        print(f"  import of {self.args.import_people} new people alone: {fmt(alone.wall_s, ' s', 1)} (rc {alone.rc})",
              flush=True)
        importer = co.launch(co.semnetz("import", big, "--home", copy), "import-big", long_timeout)
        t0 = importer.start
        late = None
        searches: list[Launched] = []
        skipped = max_live_seen = 0
        next_search = t0 + self.args.interval
        while importer.running:
            now = time.perf_counter()
            if late is None and now - t0 >= LATE_IMPORT_DELAY_S:
                late = co.launch(co.semnetz("import", small, "--home", copy), "import-late", long_timeout)
            if now >= next_search:
                live = sum(s.running for s in searches)
                max_live_seen = max(max_live_seen, live)
                if live < self.args.max_live:
                    searches.append(co.launch(co.semnetz("search", self.query(50 + len(searches)), "--home", copy),
                                              f"during-import-{len(searches)}"))
                else:
                    skipped += 1
                next_search += self.args.interval
            time.sleep(0.01)
        big_run = importer.result()
        late_run = late.result() if late else None
        runs = [(s.start - t0, s.result(), s.end) for s in searches]
        import_end = importer.end
        walls = [r.wall_s for _, r, _ in runs]
        failures = [r for _, r, _ in runs if not r.ok]
        ok_walls = [r.wall_s for _, r, _ in runs if r.ok]
        out = {
            "import_alone": {**alone.brief(), "stdout": last_line(alone.stdout)},
            "import": {"people": self.args.import_people, **big_run.brief(), "stdout": last_line(big_run.stdout)},
            "import_slowdown": ratio(big_run.wall_s, alone.wall_s) if alone.ok and big_run.ok else None,
            "searches": len(runs), "skipped_max_live": skipped, "failures": len(failures),
            "succeeded_before_import_ended": sum(1 for _, r, end in runs if r.ok and end < import_end),
            "median_wall_s": median(walls), "max_wall_s": max(walls) if walls else None,
            "median_wall_ok_s": median(ok_walls), "median_wall_failed_s": median([r.wall_s for r in failures]),
            "max_live": max_live_seen,
            "max_waited_s": (max(walls) - solo_s) if walls and solo_s else None,
            "failure_messages": sorted({r.stderr_last for r in failures})[:5],
            "per_search": [{"start_s": round(start, 3), "wall_s": r.wall_s, "rc": r.rc} for start, r, _ in runs],
        }
        if late_run is not None:
            out["late_import"] = {
                "people": LATE_IMPORT_PEOPLE, "started_after_s": late.start - t0, "rc": late_run.rc,
                "wall_s": late_run.wall_s, "ended_after_big_import": late.end > import_end,
                "stderr_first": late_run.stderr_first, "stdout": last_line(late_run.stdout),
                "outcome": ("queued (waited, then imported)" if late_run.ok and late.end > import_end else
                            "ran alongside" if late_run.ok else "failed")}
        shutil.rmtree(folder, ignore_errors=True)
        return out

    def print_import_while_searching(self, out: dict) -> None:
        r = out["import_while_searching"]
        if "error" in r:
            print(f"\nconcurrency (b): FAILED {r}", flush=True)
            return
        imp = r["import"]
        alone = r["import_alone"]
        rows = [[f"import of {imp['people']} new people alone: wall", fmt(alone["wall_s"], " s")
                 + ("" if alone["rc"] == 0 else f" (rc {alone['rc']})")],
                ["the same import while searching: wall", fmt(imp["wall_s"], " s")],
                ["  slowdown (while searching / alone)", fmt(r["import_slowdown"], "x", 2)],
                ["import exit code", f"{imp['rc']}" + (f" ({imp.get('stderr_last', '')[:80]})" if imp["rc"] else "")],
                [f"searches launched (one every {self.args.interval} s)", r["searches"]],
                ["failures (exit code != 0)", r["failures"]],
                ["succeeded before the import ended", r["succeeded_before_import_ended"]],
                ["median search wall", fmt(r["median_wall_s"], " s")],
                ["median search wall: succeeded | failed",
                 f"{fmt(r['median_wall_ok_s'], ' s')} | {fmt(r['median_wall_failed_s'], ' s')}"],
                ["max search wall", fmt(r["max_wall_s"], " s")],
                ["max waited (max wall - solo)", fmt(r["max_waited_s"], " s")]]
        rows.append(["most search processes alive at once", r["max_live"]])
        if r["skipped_max_live"]:
            rows.append([f"launches skipped (--max-live {self.args.max_live} reached)", r["skipped_max_live"]])
        rows += [["failure message", m[:110]] for m in r["failure_messages"]]
        late = r.get("late_import")
        if not late:
            rows.append(["(c) 2nd import", f"not started: the first ended before {LATE_IMPORT_DELAY_S} s"])
        else:
            rows += [[f"(c) 2nd import ({late['people']} people) started at", fmt(late["started_after_s"], " s", 2)],
                     ["(c) exit code / wall", f"{late['rc']} / {fmt(late['wall_s'], ' s')}"],
                     ["(c) outcome", late["outcome"]],
                     ["(c) stderr first line", late["stderr_first"][:110] or "(none)"]]
        print_table(f"concurrency (b, c): CLI import into a copy of the {out['people']} network while searching "
                    f"(section {fmt(out.get('section_s'), 's', 1)})", ["figure", "value"], rows)

    # ---- 3. store_size
    def store_size(self) -> dict:
        co = self.co
        started = time.perf_counter()
        folder = co.root / "store-size"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        home, people = folder / "home", folder / "people.jsonl"
        failed = co.write_people(people, STORE_SIZE_PEOPLE)
        if failed:
            return {"error": "generating people failed", **failed.brief()}

        def sizes() -> dict:
            db = file_bytes(home / DB_FILENAME)
            wal = file_bytes(home / (DB_FILENAME + ".wal"))
            return {"db_bytes": db, "wal_bytes": wal, "store_bytes": db + wal, "home_bytes": dir_bytes(home)}

        imp = co.run(co.semnetz("import", people, "--home", home))
        out: dict = {"people": STORE_SIZE_PEOPLE, "import": imp.brief(), "after_import": sizes(), "reindex": []}
        for _ in range(REINDEX_RUNS):
            run = co.run(co.semnetz("reindex", "--home", home))
            out["reindex"].append({**run.brief(), **sizes()})
        base = out["after_import"]["store_bytes"]
        last = out["reindex"][-1]["store_bytes"] if out["reindex"] else None
        out["ratio_after_5_reindex"] = ratio(last, base)
        out["home_ratio_after_5_reindex"] = ratio(out["reindex"][-1]["home_bytes"], out["after_import"]["home_bytes"])
        out["section_s"] = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)

        mb = lambda b: f"{b / 1e6:.2f} MB"  # noqa: E731
        rows = [["after import", fmt(imp.wall_s, " s", 2) + ("" if imp.ok else f" rc {imp.rc}"),
                 mb(out["after_import"]["db_bytes"]), mb(out["after_import"]["wal_bytes"]),
                 mb(out["after_import"]["store_bytes"]), "1.00", mb(out["after_import"]["home_bytes"])]]
        for i, r in enumerate(out["reindex"], start=1):
            rows.append([f"after reindex {i}", fmt(r["wall_s"], " s", 2) + ("" if r["rc"] == 0 else f" rc {r['rc']}"),
                         mb(r["db_bytes"]), mb(r["wal_bytes"]), mb(r["store_bytes"]),
                         fmt(ratio(r["store_bytes"], base), "x", 2), mb(r["home_bytes"])])
        print_table(f"store_size: {STORE_SIZE_PEOPLE} people (section {fmt(out['section_s'], 's', 1)})",
                    ["state", "command wall", "semnetz.duckdb", ".wal", "store", "x import", "all under HOME"], rows)
        return out

    # ---- 5. import_scaling
    def import_scaling(self) -> dict:
        """The same number of new people (IMPORT_SCALING_PEOPLE) imported through the CLI into each network size:
        the cost should follow the people imported, not the size of the network."""
        co = self.co
        started = time.perf_counter()
        out: dict = {"people": IMPORT_SCALING_PEOPLE}
        rows = []
        for n in self.args.people:
            home, build = co.network(n)
            if home is None:
                out[str(n)] = {"error": build}
                continue
            run_no = co.run_number(n)
            path = co.root / f"scaling-{n}-{run_no}.jsonl"
            failed = co.write_people(path, IMPORT_SCALING_PEOPLE, seed=500 + run_no, prefix=f"scale{os.getpid()}-")
            if failed:
                out[str(n)] = {"error": "generating people failed", **failed.brief()}
                continue
            run = co.run(co.semnetz("import", path, "--home", home))
            out[str(n)] = {**run.brief(), "stdout": last_line(run.stdout)}
            rows.append([f"{n:,}", fmt(run.wall_s, " s", 2) + ("" if run.ok else f" rc {run.rc}"),
                         last_line(run.stdout)[-60:]])
        walls = [out[str(n)].get("wall_s") for n in self.args.people if "wall_s" in out.get(str(n), {})]
        if len(walls) >= 2:
            out["ratio_largest_to_smallest"] = ratio(walls[-1], walls[0])
            rows.append(["ratio", fmt(out["ratio_largest_to_smallest"], "x", 2), "largest network / smallest"])
        out["section_s"] = time.perf_counter() - started
        print_table(f"import_scaling: {IMPORT_SCALING_PEOPLE} new people imported (CLI) into each network "
                    f"(section {fmt(out['section_s'], 's', 1)})", ["network", "import wall", "semnetz said"], rows)
        return out

    # ---- 4. startup
    def startup(self) -> dict:
        co = self.co
        started = time.perf_counter()
        home, info = co.demo_home()
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m semnetz --help": co.semnetz("--help"),
            "import numpy, duckdb, faiss": [sys.executable, "-c", "import numpy, duckdb, faiss"],
        }
        if home is not None:
            commands["cold CLI search (demo)"] = co.semnetz("search", DEMO_QUERY, "--home", home)
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for name, cmd in commands.items():  # one warm-up round, not counted
            co.run(cmd)
        for _ in range(self.args.startup_runs):
            for name, cmd in commands.items():
                runs[name].append(co.run(cmd))
        out: dict = {"runs_each": self.args.startup_runs, "demo_build": info, "commands": {}}
        for name, rs in runs.items():
            out["commands"][name] = {"median_s": median([r.wall_s for r in rs if r.ok]),
                                     "min_s": min((r.wall_s for r in rs if r.ok), default=None),
                                     "failures": sum(1 for r in rs if not r.ok),
                                     "walls_s": [r.wall_s for r in rs], "exit_codes": [r.rc for r in rs],
                                     "stderr_last": sorted({r.stderr_last for r in rs if not r.ok})[:3]}
        med = {name: c["median_s"] for name, c in out["commands"].items()}
        out["ratio_help_over_pass"] = ratio(med.get("python -m semnetz --help"), med.get("python -c pass"))
        out["ratio_cold_search_over_imports"] = ratio(med.get("cold CLI search (demo)"),
                                                      med.get("import numpy, duckdb, faiss"))
        out["section_s"] = time.perf_counter() - started
        rows = [[name, fmt(c["median_s"], " s"), fmt(c["min_s"], " s"), c["failures"]]
                for name, c in out["commands"].items()]
        rows += [["ratio --help / pass", fmt(out["ratio_help_over_pass"], "x", 2), "", ""],
                 ["ratio cold search / imports", fmt(out["ratio_cold_search_over_imports"], "x", 2), "", ""]]
        print_table(f"startup: median of {self.args.startup_runs} alternating runs "
                    f"(section {fmt(out['section_s'], 's', 1)})", ["command", "median", "min", "failures"], rows)
        return out

    # ---- all
    def run(self, only: list[str]) -> dict:
        print(f"semnetz foundation benchmark: src {self.co.src} (commit {str(self.results['meta']['commit'])[:12]}), "
              f"work {self.co.work}, people {self.args.people}, sections {', '.join(only)}", flush=True)
        self.results["prepare"] = self.prepare()
        self.save()
        durations = {}
        for name in only:
            print(f"\n== {name} (load {loadavg()})", flush=True)
            started = time.perf_counter()
            try:
                self.results["sections"][name] = getattr(self, name)()
            except Exception as exc:  # a bug here must not lose the other sections' figures
                import traceback

                traceback.print_exc()
                self.results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            durations[name] = time.perf_counter() - started
            print(f"-- {name} took {durations[name]:.1f} s", flush=True)
            self.results["durations_s"] = durations
            self.save()
        self.results["meta"]["loadavg_end"] = loadavg()
        self.results["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        self.save()
        print("\nsection durations: " + ", ".join(f"{k} {v:.0f} s" for k, v in durations.items()), flush=True)
        return self.results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC,
                        help="Checkout whose code is measured (default: the repository of this script).")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"Comma-separated sections to run (default: all: {','.join(SECTIONS)}).")
    parser.add_argument("--people", default="10000",
                        help="Comma-separated network sizes for after_write (concurrency uses 10000, else the first).")
    parser.add_argument("--work", type=Path, default=None,
                        help="Folder for built networks (reused by later runs) and logs (default: a temp folder).")
    parser.add_argument("--out", help="Write the figures as JSON to this file.")
    parser.add_argument("--in-place", action="store_true",
                        help="Let the checkout write its byte code and model cache into its own tree.")
    parser.add_argument("--timed", type=int, default=20, help="In-process searches timed with nothing changed.")
    parser.add_argument("--cli-runs", type=int, default=5, help="CLI searches timed with nothing changed.")
    parser.add_argument("--burst", type=int, default=30, help="CLI searches started at the same moment.")
    parser.add_argument("--import-people", type=int, default=10_000,
                        help="New people imported while searches run (concurrency b).")
    parser.add_argument("--interval", type=float, default=0.5, help="Seconds between searches during the import.")
    parser.add_argument("--max-live", type=int, default=120,
                        help="During the import, skip a search launch while this many are still running.")
    parser.add_argument("--startup-runs", type=int, default=7, help="Timed runs of each start-up command.")
    parser.add_argument("--timeout", type=float, default=900, help="Seconds before a subprocess is killed.")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.src = args.src.expanduser().resolve()
    if not args.worker:
        args.people = [int(p) for p in str(args.people).replace("_", "").split(",") if p.strip()]
        args.only = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in args.only if s not in SECTIONS]
        if unknown:
            parser.error(f"unknown section(s) {', '.join(unknown)} (choose from {', '.join(SECTIONS)})")
        if not (args.src / "semnetz").is_dir():
            parser.error(f"{args.src} has no semnetz package")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker, json.loads(args.worker_args), Path(args.worker_out), args.src)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="semnetz-foundation-"))
    work = work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    checkout = Checkout(args.src, work, args.in_place, args.timeout)
    Bench(args, checkout).run(args.only)


if __name__ == "__main__":
    main()

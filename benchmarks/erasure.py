"""Erasure (issue 15): `semnetz remove` against `semnetz add` at the same size, and whether any byte of the
removed person is left in the home. Target: remove at 100,000 people <= 3x an add, and no byte left.

    python benchmarks/erasure.py --people 100000 --home /tmp/er-100k [--runs 5] [--model use-m3] [--out [FILE]]

The home is built once (synthetic people, semnetz.synthetic, as benchmarks/backup.py does) and kept if --home is
given; the benchmark works on a copy of it (cp -r into a temporary folder), so the kept home stays as built.

On the copy it first runs `semnetz stats` (untimed; it also migrates a home built by an older store), then adds
one canary person per run through the CLI (untimed): a unique random name and surname, e-mail, phone number, and
a unique word in their text, offer, need and alias. The bytes to look for are those strings, and the first 16
numbers of the embedding of each piece of theirs that holds one (float16, as the store's vector files and the
index keep them; also float32 where the store still keeps float32 vectors in DuckDB). A control grep then shows
where each kind is found before any remove: a kind found nowhere makes its 0 after the remove no evidence.
Then, per run, interleaved:

  * `semnetz --home COPY add NAME --text ... --offer ... --alias ...`: a new ordinary person (synthetic), timed
    (wall time of the command, time.perf_counter around subprocess.run: process start and the model count);
  * `semnetz --home COPY remove ID` of that run's canary, timed the same way;
  * a grep of every file under the copied home (recursively, binary: the DuckDB file, its WAL and temp folder,
    the search index, the vector files, locks and pending lists) and of the commands' TMPDIR (a folder of its
    own) for each canary's bytes, ASCII case-insensitively (lower-cased copies in a full-text index count too);
  * the rows of every VARCHAR column of the DuckDB copy, read read-only, that still hold a canary string (what
    DuckDB's compression may hide from a byte grep);
  * `semnetz search "<canary text>" --json --all -k 50` must not return the canary (neither its id nor any of
    its strings), and `semnetz show ID` must exit 2.

Printed: the people count, median/min/max of add and remove seconds, remove/add (medians) against the target of
3, the copied home's size on disk (before the canaries and after the runs), the grep hits per string and file,
store rows left. With --out the figures are also written as JSON: to benchmarks/results/erasure-<people>.json,
or to FILE if given. A failed command stops the benchmark with one line (the command, its exit code and the
tail of its stderr) and exit code 1; a failed erasure (a grep hit, a row left, a search result, show not
exiting 2) is printed as ERASURE FAILED and gives exit code 3 at the end.

What a grep cannot see: bytes in compressed blocks (FSST in DuckDB), fragments (trigrams, stems) of a string,
the embedding of a piece that others share word for word (not looked for), and blocks of deleted or rewritten
files that the file system or the SSD has not reused yet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 3.0
CHUNK = 8 << 20


class CommandFailed(Exception):
    pass


def dir_bytes(path: Path) -> tuple[int, int]:
    """Sum of the file sizes and of the blocks allocated on disk, under path."""
    size = disk = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            size += st.st_size
            disk += st.st_blocks * 512
    return size, disk


def build(home: Path, n: int, model: str) -> None:
    """Like benchmarks/backup.py's build: n synthetic people, imported once; nothing done if the home exists."""
    if (home / "semnetz.duckdb").exists():
        return
    from semnetz import Network
    from semnetz.synthetic import generate_people

    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="semnetz-erasure-people-") as folder:
        people = Path(folder) / f"people-{n}.jsonl"
        people.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in generate_people(n)),
                          encoding="utf-8")
        started = time.perf_counter()
        with Network(home=home, model=model) as net:
            net.import_file(people)
    print(f"built {home} ({n} people) in {time.perf_counter() - started:.1f} s", flush=True)


def semnetz_command() -> list[str]:
    script = Path(sys.executable).parent / "semnetz"
    return [str(script)] if script.exists() else [sys.executable, "-m", "semnetz"]


class Cli:
    def __init__(self, home: Path, tmpdir: Path):
        self.base = semnetz_command() + ["--home", str(home)]
        self.env = dict(os.environ, TMPDIR=str(tmpdir), TEMP=str(tmpdir), TMP=str(tmpdir))
        self.env.pop("SEMNETZ_HOME", None)

    def run(self, *args: str, expect: tuple[int, ...] = (0,)) -> tuple[subprocess.CompletedProcess, float]:
        started = time.perf_counter()
        done = subprocess.run(self.base + list(args), capture_output=True, text=True, env=self.env)
        took = time.perf_counter() - started
        if done.returncode not in expect:
            tail = " | ".join(line for line in (done.stderr or done.stdout).strip().splitlines()[-3:])
            shown = " ".join(["semnetz"] + list(args))
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            raise CommandFailed(f"`{shown}` exited {done.returncode}: {tail or '(no output)'}")
        return done, took


def rand_token(k: int = 10) -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(k))


def make_canary(i: int) -> dict:
    tag = rand_token()
    digits = "".join(secrets.choice(string.digits) for _ in range(8))
    digits = str(secrets.randbelow(9) + 1) + digits[1:]  # a valid 8-digit subscriber number, no leading 0
    strings = {
        "name": f"Zqx7Name{tag}",
        "surname": f"Zqx7Sur{tag}",
        "email": f"zqx7mail{tag}@example.org",
        "phone digits": digits,
        "text word": f"Zqx7Text{tag}",
        "offer word": f"Zqx7Offer{tag}",
        "need word": f"Zqx7Need{tag}",
        "alias word": f"Zqx7Alias{tag}",
    }
    return {
        "run": i,
        "strings": strings,
        "name": f"{strings['name']} {strings['surname']}",
        "phone": f"0171 {digits}",
        "text": f"Elektrikerin und {strings['text word']} in der Lindenstraße {i + 3}, abends erreichbar.",
        "offer": f"Lampen anschließen {strings['offer word']}",
        "need": f"Babysitter für {strings['need word']}",
        "alias": f"{strings['alias word']}s Mama",
    }


def grep(roots: list[Path], needles: dict[str, bytes]) -> dict[str, dict[str, int]]:
    """Occurrences of each needle per file under roots, ASCII case-insensitive (file and needle lower-cased):
    {label: {file: hits}}."""
    wanted = [(label, b.lower()) for label, b in needles.items()]
    overlap = max(len(b) for _, b in wanted) - 1
    hits: dict[str, dict[str, int]] = {label: {} for label in needles}
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if path.is_symlink() or not path.is_file():
                    continue
                counts = dict.fromkeys(needles, 0)
                try:
                    with open(path, "rb") as f:
                        tail = b""
                        while chunk := f.read(CHUNK):
                            block = tail + chunk.lower()
                            for label, b in wanted:
                                # matches wholly in the overlap were counted with the previous block already
                                counts[label] += block.count(b) - tail.count(b)
                            tail = block[-overlap:] if overlap else b""
                except FileNotFoundError:  # a temporary file that went away while we looked
                    continue
                where = str(path.relative_to(root.parent))
                for label, c in counts.items():
                    if c:
                        hits[label][where] = c
    return hits


def short(where: str) -> str:
    """home/index/delta-00000002-e32187/text_data.npy -> index/text_data.npy"""
    parts = Path(where).parts[1:]
    return "/".join(p for p in parts if not re.fullmatch(r"(base|delta)-[0-9a-f-]+", p))


def canary_needles(c: dict) -> dict[str, bytes]:
    needles = {k: s.encode("utf-8") for k, s in c["strings"].items()}
    needles.update(c.get("vectors", {}))
    return needles


def store_vectors(home: Path, person_id: str, strings: list[str]) -> dict[str, bytes] | None:
    """The first 16 numbers of the embedding of each of the person's pieces whose text holds one of their canary
    strings (a piece like "abends erreichbar" has the same vector as anyone else's), as float32 and float16 bytes:
    {"vector about f16": b"...", ...}. Read from the store's items.vector column, or (the store of issue 15) from
    vectors/<model>.f16 through semnetz.store.vectors; None if neither can be read here (an encrypted network,
    another layout)."""
    import duckdb
    import numpy as np

    try:
        conn = duckdb.connect(str(home / "semnetz.duckdb"), read_only=True)
    except Exception:  # noqa: BLE001 - an encrypted or newer store: no vector check
        return None
    try:
        columns = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_schema = 'main' AND table_name = 'items'").fetchall()}
        vector = "i.vector" if "vector" in columns else "NULL"
        model = "i.model" if "model" in columns else "NULL"
        rows = conn.execute(f"SELECT i.item_id, i.kind, i.pos, {model}, {vector}, i.text FROM items i "
                            "JOIN people p ON p.pk = i.person_pk WHERE p.id = ? ORDER BY i.kind, i.pos",
                            [person_id]).fetchall()
        dims = dict(conn.execute("SELECT substr(key, 12), value FROM meta WHERE key LIKE 'vector_dim:%'").fetchall())
    except Exception:  # noqa: BLE001 - another schema
        return None
    finally:
        conn.close()
    found: dict[str, tuple[np.ndarray, bool]] = {}
    for item_id, kind, pos, item_model, v, text in rows:
        if not any(s.lower() in (text or "").lower() for s in strings):
            continue
        label, half = f"vector {kind}{pos or ''}", v is None  # the vector files keep float16 only
        if v is None and item_model in dims:
            try:
                from semnetz.store.vectors import StoreVectors

                v = StoreVectors(home).read(item_model, int(dims[item_model]), [item_id])[0]
            except Exception:  # noqa: BLE001 - another layout
                v = None
        if v is not None and len(v) >= 16 and np.any(np.asarray(v[:16])):
            found[label] = np.asarray(v[:16], dtype=np.float32), half
    needles = {}
    for label, (v, half) in found.items():
        if not half:
            needles[f"{label} f32"] = v.tobytes()
        needles[f"{label} f16"] = v.astype(np.float16).tobytes()
    return needles or None


def sql_scan(db: Path, strings: dict[str, str]) -> dict[str, list[str]] | None:
    """Rows that still hold a canary string, read through DuckDB (which sees what its compression hides from a
    byte grep): {key: ["table.column (n rows)"]}; None if the store cannot be read here."""
    import duckdb

    try:
        conn = duckdb.connect(str(db), read_only=True)
    except Exception:  # noqa: BLE001
        return None
    found: dict[str, list[str]] = {k: [] for k in strings}
    try:
        columns = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'VARCHAR[]', 'JSON')"
                               ).fetchall()
        keys = list(strings)
        for table, column in columns:
            sums = ", ".join(f"count(*) FILTER (WHERE lower(CAST(\"{column}\" AS VARCHAR)) LIKE ?)" for _ in keys)
            row = conn.execute(f'SELECT {sums} FROM "{table}"', [f"%{strings[k].lower()}%" for k in keys]).fetchone()
            for k, n in zip(keys, row):
                if n:
                    found[k].append(f"{table}.{column} ({n} rows)")
    finally:
        conn.close()
    return found


def people_count(cli: Cli) -> int | None:
    done, _ = cli.run("stats", "--json")
    for line in done.stdout.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            for key in ("people", "persons", "count"):
                if isinstance(row.get(key), int):
                    return row[key]
    return None


def git_state() -> dict:
    def out(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    changed = out("status", "--porcelain", "--", "semnetz")
    return {"commit": out("rev-parse", "HEAD"), "semnetz_files_changed": len(changed.splitlines()) if changed else 0}


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "all": values}


def bench(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="semnetz-erasure-bench-"))
    try:
        home: Path = args.home or work / "kept"  # without --home: built in the temporary folder, removed after
        build(home, args.people, args.model)
        copy, tmpdir = work / "home", work / "tmp"
        tmpdir.mkdir()
        started = time.perf_counter()
        subprocess.run(["cp", "-r", str(home), str(copy)], check=True)
        print(f"copied {home} to {copy} in {time.perf_counter() - started:.1f} s", flush=True)
        cli = Cli(copy, tmpdir)
        count = people_count(cli)
        if count is not None and count != args.people:
            print(f"note: the home has {count} people, not {args.people} (built earlier with another --people?)")
        size_before = dir_bytes(copy)  # after a first command (stats), which also migrates an older store

        # the canaries, one per run, added untimed, and the control: the grep must see each of them
        canaries = [make_canary(i) for i in range(args.runs)]
        for c in canaries:
            done, _ = cli.run("add", c["name"], "--text", c["text"], "--offer", c["offer"], "--need", c["need"],
                              "--alias", c["alias"], "--phone", c["phone"], "--email", c["strings"]["email"])
            found = re.search(r" as (\S+)", done.stdout)
            if not found:
                raise CommandFailed(f"`semnetz add` printed no id: {done.stdout.strip()[:200]}")
            c["id"] = found.group(1)
        db = copy / "semnetz.duckdb"
        for c in canaries:
            c["vectors"] = store_vectors(copy, c["id"], list(c["strings"].values())) or {}
        if not any(c["vectors"] for c in canaries):
            print("note: no embedding read from the store (encrypted, or another schema): vectors not grepped")
        control_hits = grep([copy, tmpdir], {f"{c['run']}:{k}": b for c in canaries
                                             for k, b in canary_needles(c).items()})
        kinds = list(dict.fromkeys(k.split(":", 1)[1] for k in control_hits))
        control = {kind: sorted({short(f) for key, h in control_hits.items() if key.split(":", 1)[1] == kind
                                 for f in h}) for kind in kinds}
        blind = [kind for kind, files in control.items() if not files]
        print(f"control, before removing: the grep sees {len(kinds) - len(blind)} of {len(kinds)} kinds of canary "
              "bytes:")
        for kind, files in control.items():
            print(f"  {kind:17} {', '.join(files) if files else 'NOT FOUND (a grep after removing proves nothing)'}")

        fillers = generate_fillers(args.runs)
        adds, removes, problems, runs = [], [], [], []
        for c, person in zip(canaries, fillers):
            _, took_add = cli.run("add", *person)
            adds.append(took_add)
            _, took_remove = cli.run("remove", c["id"])
            removes.append(took_remove)

            hits = grep([copy, tmpdir], canary_needles(c))
            left = {k: h for k, h in hits.items() if h}
            rows = sql_scan(db, c["strings"])
            rows_left = {k: v for k, v in (rows or {}).items() if v}
            shown, _ = cli.run("show", c["id"], expect=(0, 1, 2))
            found, _ = cli.run("search", "--json", "--all", "-k", "50", c["text"])
            returned = [line for line in found.stdout.splitlines()
                        if f'"{c["id"]}"' in line or any(s.lower() in line.lower() for s in c["strings"].values())]
            run = {"run": c["run"], "id": c["id"], "add_s": took_add, "remove_s": took_remove,
                   "grep_hits": left, "store_rows_left": rows_left if rows is not None else None,
                   "show_exit": shown.returncode, "search_returned": len(returned)}
            runs.append(run)
            n_hits = sum(sum(h.values()) for h in left.values())
            print(f"run {c['run'] + 1}: add {took_add:.2f} s, remove {took_remove:.2f} s ({c['id']}); grep hits "
                  f"{n_hits}, store rows {'not read' if rows is None else sum(len(v) for v in rows_left.values())}, "
                  f"show exit {shown.returncode}, search returned it {len(returned)}x", flush=True)
            for key, files in left.items():
                shown_value = c["strings"].get(key, "its first 16 numbers")
                print(f"  left: {key} {shown_value!r} in " + ", ".join(f"{f} ({n}x)" for f, n in files.items()))
            for key, where in rows_left.items():
                print(f"  left in the store: {key} {c['strings'][key]!r} in {', '.join(where)}")
            if rows_left:
                problems.append(f"run {c['run'] + 1}: store rows still hold {', '.join(rows_left)} of {c['id']}")
            if n_hits:
                problems.append(f"run {c['run'] + 1}: {n_hits} grep hits of {c['id']}'s strings left")
            if shown.returncode != 2:
                problems.append(f"run {c['run'] + 1}: show {c['id']} exited {shown.returncode}, not 2")
            if returned:
                problems.append(f"run {c['run'] + 1}: search still returns {c['id']}")

        size_after = dir_bytes(copy)
        ratio = statistics.median(removes) / statistics.median(adds)
        total_hits = sum(sum(sum(h.values()) for h in r["grep_hits"].values()) for r in runs)
        print()
        print(f"people: {count if count is not None else args.people} (+{args.runs} added, {args.runs} canaries "
              f"added and removed), {args.runs} runs")
        print(f"add:    median {statistics.median(adds):.2f} s, min {min(adds):.2f}, max {max(adds):.2f} "
              f"of {[round(a, 2) for a in adds]}")
        print(f"remove: median {statistics.median(removes):.2f} s, min {min(removes):.2f}, max {max(removes):.2f} "
              f"of {[round(r, 2) for r in removes]}")
        print(f"remove / add (medians): {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x: "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
        print(f"home on disk: {size_before[0] / 1e6:.1f} MB before (allocated {size_before[1] / 1e6:.1f} MB), "
              f"{size_after[0] / 1e6:.1f} MB after (allocated {size_after[1] / 1e6:.1f} MB)")
        print(f"grep hits of removed canaries: {total_hits} (0 expected; blind to: {', '.join(blind) or 'nothing'})"
              f"; store rows left {sum(len(v) for r in runs for v in (r['store_rows_left'] or {}).values())}; "
              f"show exit 2 in "
              f"{sum(r['show_exit'] == 2 for r in runs)}/{len(runs)}; search returned a removed canary "
              f"{sum(r['search_returned'] for r in runs)}x")
        for p in problems:
            print(f"ERASURE FAILED: {p}")

        if args.out is not None:
            out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"erasure-{args.people}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            figures = {
                "people": count, "people_arg": args.people, "runs": args.runs, "model": args.model,
                "date": time.strftime("%Y-%m-%d %H:%M:%S"), "git": git_state(),
                "add_s": summary(adds), "remove_s": summary(removes), "ratio_remove_add": ratio,
                "target_ratio": TARGET_RATIO, "target_met": ratio <= TARGET_RATIO,
                "home_bytes_before": size_before[0], "home_allocated_before": size_before[1],
                "home_bytes_after": size_after[0], "home_allocated_after": size_after[1],
                "control_files_per_kind": control, "control_blind": blind,
                "grep_hits_total": total_hits, "runs_detail": runs, "problems": problems,
            }
            out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {out}")
        return 3 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def generate_fillers(n: int) -> list[list[str]]:
    """Arguments of `semnetz add` for n ordinary new people, like the synthetic ones."""
    from semnetz.synthetic import generate_people

    rng = random.Random()
    out = []
    for p in generate_people(n, seed=rng.randrange(1 << 30)):
        args = [p["name"], "--text", p["text"]]
        for offer in p["offers"]:
            args += ["--offer", offer]
        for alias in p.get("aliases", []):
            args += ["--alias", alias]
        out.append(args)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--home", type=Path, help="where the home is built once and kept (never changed)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="use-m3", help="encoder when the home is built")
    parser.add_argument("--out", nargs="?", const="", default=None,
                        help="write the figures as JSON (default file: benchmarks/results/erasure-<people>.json)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        code = bench(args)
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code)


if __name__ == "__main__":
    main()

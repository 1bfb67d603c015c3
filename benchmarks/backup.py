"""Backups (issue 15, part 3): `semnetz backup` of a synthetic network against copying its home (`cp -r`), the
time the backup holds the write lock, searches meanwhile, the alternative of DuckDB's EXPORT DATABASE, and
`semnetz restore` (checking, unpacking, rebuilding the search index). Prints the figures.

    python benchmarks/backup.py --people 10000 [--home /tmp/bk-10000] [--runs 3] [--model use-m3]

The home is built once (synthetic people, semnetz.synthetic) and kept if --home is given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semnetz import Network, backup
from semnetz.synthetic import generate_people


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(home: Path, n: int, model: str) -> None:
    if (home / "semnetz.duckdb").exists():
        return
    people = home.parent / f"people-{n}.jsonl"
    people.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in generate_people(n)), encoding="utf-8")
    started = time.perf_counter()
    with Network(home=home, model=model) as net:
        net.import_file(people)
    print(f"built {home} ({n} people) in {time.perf_counter() - started:.1f} s")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--restores", type=int, default=1, help="restores to time (each rebuilds the index)")
    parser.add_argument("--model", default="use-m3")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="semnetz-backup-bench-"))
    home = args.home or work / "home"
    build(home, args.people, args.model)
    store_mb, index_mb = (home / "semnetz.duckdb").stat().st_size / 1e6, dir_bytes(home / "index") / 1e6
    vectors_mb = dir_bytes(home / "vectors") / 1e6 if (home / "vectors").exists() else 0.0
    print(f"home: store {store_mb:.1f} MB, its vectors {vectors_mb:.1f} MB, search index {index_mb:.1f} MB, "
          f"all {dir_bytes(home) / 1e6:.1f} MB")

    # the time under the write lock: checkpoint and copy of the store file
    locked: list[float] = []
    copy_store = backup._snapshot_store

    def timed_copy(net, *args):
        started = time.perf_counter()
        try:
            return copy_store(net, *args)
        finally:
            locked.append(time.perf_counter() - started)

    backup._snapshot_store = timed_copy
    searches: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def search_loop():
        with Network(home=home, model=args.model) as reader:
            reader.search("brauche Handwerker")
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    reader.search("brauche Handwerker")
                except Exception as exc:  # noqa: BLE001 - counted
                    failures.append(repr(exc))
                searches.append(time.perf_counter() - started)
                time.sleep(0.05)

    backups, copies = [], []
    with Network(home=home, model=args.model) as net:
        alone = [timed(lambda: net.search("brauche Handwerker")) for _ in range(5)]
        searcher = threading.Thread(target=search_loop)
        searcher.start()
        for run in range(args.runs):  # interleaved, so the machine's load falls on both alike
            backups.append(timed(lambda run=run: net.backup(work / f"b{run}.semnetz-backup")))
            copies.append(timed(lambda run=run: subprocess.run(["cp", "-r", str(home), str(work / f"copy{run}")],
                                                               check=True)))
        stop.set()
        searcher.join()
    size = (work / "b0.semnetz-backup").stat().st_size / 1e6
    print(f"backup:  median {statistics.median(backups):.2f} s of {[round(b, 2) for b in backups]}, "
          f"{size:.1f} MB (store and its vectors {store_mb + vectors_mb:.1f} MB: "
          f"{size / (store_mb + vectors_mb):.2f}x)")
    print(f"  of which under the write lock (checkpoint, the store copied, the vectors written): median {statistics.median(locked):.2f} s")
    print(f"cp -r:   median {statistics.median(copies):.2f} s of {[round(c, 2) for c in copies]}, "
          f"{dir_bytes(home) / 1e6:.1f} MB; backup / cp -r = {statistics.median(backups) / statistics.median(copies):.1f}x")
    print(f"searches during the backups: {len(searches)}, {len(failures)} failed, slowest {max(searches) * 1e3:.0f} ms "
          f"(p50 {statistics.median(searches) * 1e3:.0f} ms; alone p50 {statistics.median(alone) * 1e3:.0f} ms)")

    # the alternative: DuckDB's EXPORT DATABASE (Parquet), from a read-only connection
    import duckdb

    conn = duckdb.connect(str(work / "copy0" / "semnetz.duckdb"), read_only=True)
    took = timed(lambda: conn.execute(f"EXPORT DATABASE '{work / 'exported'}' (FORMAT PARQUET)"))
    conn.close()
    print(f"EXPORT DATABASE (parquet): {took:.2f} s, {dir_bytes(work / 'exported') / 1e6:.1f} MB (before compressing)")

    # what the search index would cost in the archive: its bytes, deflated at level 1

    took = timed(lambda: shutil.make_archive(str(work / "index-only"), "zip", home / "index"))
    print(f"zipping the search index alone: {took:.2f} s, {(work / 'index-only.zip').stat().st_size / 1e6:.1f} MB "
          "(deflate, default level)")

    # restore: check, unpack, rebuild the index
    verify, rebuild, restores = [], [], []
    open_restored = backup._open_restored

    def timed_open(*a):
        started = time.perf_counter()
        try:
            return open_restored(*a)
        finally:
            rebuild.append(time.perf_counter() - started)

    backup._open_restored = timed_open
    for run in range(args.restores):
        verify.append(timed(lambda: backup.verify(work / "b0.semnetz-backup")))
        restores.append(backup.restore(work / "b0.semnetz-backup", work / f"restored{run}")["seconds"])
    print(f"restore: median {statistics.median(restores):.2f} s of {[round(r, 2) for r in restores]}; "
          f"checking the seal and manifest {statistics.median(verify):.2f} s, opening the store, noting the restore "
          f"and rebuilding the search index {statistics.median(rebuild):.2f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

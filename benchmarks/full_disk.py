"""A full disk at every step: run each writing command on a size-limited tmpfs that runs out of space at a varying
point, and check that it fails cleanly and leaves everything as it was.

    python benchmarks/full_disk.py --steps 12 --out benchmarks/results/full-disk-2026-12-07.json
    python benchmarks/full_disk.py --steps 4 --only remove,reindex --src /tmp/semnetz-snapshot

Needs root (it mounts a tmpfs of --disk-mb, and unmounts it at the end, also on an error or Ctrl-C). A small real
network (data/people.jsonl, --people synthetic people and a person to remove, model use-m3) is built once on the
ordinary disk. For each operation

    import FILE, add, edit, remove, link, need add, match, reindex, export FILE, backup FILE,
    restore FILE --home DIR

its peak use of the disk is measured first (the tmpfs polled while it runs with room to spare). Then, for K from 0
to that peak in --steps steps, the home is copied onto the tmpfs (the targets of export, backup and restore are on
it too), a filler file leaves K bytes free, and the command runs. Each step is counted as

- succeeded:  it had room enough (exit 0);
- clean:      exit 2 and one line on stderr that starts with "Error:";
- traceback:  a Python traceback on stderr;
- unclear:    any other failure (another exit code, several lines).

After a failure the filler goes and the step checks that nothing is half-written (`list --json` and `export` of
the home are the bytes they were before, the target file or restored home is not there), that no temporary file
is left (in the home anything but the store with its write-ahead log and vector files, the lock, the published
index and waiting search logs, or a list of vector rows to erase, which the next writer finishes; anything beside a
target), that `semnetz check` then says the index and the store's vectors are intact, what is still left
after it, and that the same command now succeeds. A step that succeeded is checked for leftovers and by `check`
too.

Prints a table per operation, the distinct error lines and every step that left something wrong; --out writes the
figures as JSON and the report as .txt. The network, its inputs and the checks of the home come from
kill_faults.py beside this file; --src runs another semnetz source with this venv, as there.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from kill_faults import (CANARY_ID, ROOT, SOURCE, build_home, check_said, cli, code_digest, home_leftovers,
                         import_input, listed, must, tail, use_source)

OPS = ("import", "add", "edit", "remove", "link", "need add", "match", "reindex", "export", "backup", "restore")
PAGE = 4096
MNT_DETACH = 2
POLL_S = 0.001


# ---------------------------------------------------------------- the disk
def _libc():
    return ctypes.CDLL(None, use_errno=True)


@contextmanager
def tmpfs(path: Path, size_mb: int):
    """A tmpfs of size_mb mounted at path, unmounted when the block ends however it ends."""
    path.mkdir(parents=True, exist_ok=True)
    if _libc().mount(b"tmpfs", os.fsencode(path), b"tmpfs", 0, f"size={size_mb}m,mode=0700".encode()):
        raise OSError(ctypes.get_errno(), f"cannot mount a tmpfs at {path} (needs root)")
    try:
        yield path
    finally:
        unmount(path)


def unmount(path: Path) -> None:
    libc = _libc()
    if libc.umount2(os.fsencode(path), 0) and ctypes.get_errno() == errno.EBUSY:
        libc.umount2(os.fsencode(path), MNT_DETACH)  # still in use: detached now, gone when let go


def used(disk: Path) -> int:
    st = os.statvfs(disk)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def free(disk: Path) -> int:
    st = os.statvfs(disk)
    return st.f_bavail * st.f_frsize


def fill(disk: Path, leave: int) -> int:
    """A filler file that leaves `leave` bytes free (to the page); returns what is free then."""
    size = free(disk) - leave
    if size > 0:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
    return free(disk)


def empty(disk: Path) -> None:
    for entry in disk.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


# ---------------------------------------------------------------- the operations
@dataclass
class Setup:
    pristine: Path
    import_file: Path
    backup: Path
    list_bytes: str
    export_bytes: bytes
    work: Path


def prepare(work: Path, people: int, seed: int) -> Setup:
    """The network on the ordinary disk, the inputs, and what list --json and export say of it."""
    rng = random.Random(seed)
    pristine = build_home(work, people, seed, canary=f"KANARIE{rng.getrandbits(48):012x}")
    reference = work / "reference"
    shutil.copytree(pristine, reference)  # exports and backups log into the home: not into the one copied from
    backup = work / "network.semnetz-backup"
    must(cli("backup", backup, "--home", reference))
    return Setup(pristine=pristine, import_file=import_input(work, listed(pristine), 100, 40, rng)["import_file"],
                 backup=backup, list_bytes=must(cli("list", "--json", "--home", reference)).stdout,
                 export_bytes=export_of(reference, work), work=work)


def export_of(home: Path, work: Path) -> bytes:
    target = work / "export-check.jsonl"
    must(cli("export", target, "--home", home))
    data = target.read_bytes()
    target.unlink()
    return data


def command(op: str, disk: Path, setup: Setup) -> list:
    home = ["--home", disk / "home"]
    return {
        "import": ["import", setup.import_file, *home],
        "add": ["add", "Wunibald Zalmorquen", "--id", "neu", "--text", "Restauriert Holzspielzeug, abends erreichbar",
                "--offer", "Holzspielzeug reparieren", "--offer", "Schaukelpferde lackieren", *home],
        "edit": ["edit", "n05", "--text", "Klempner aus Manchester, repariert tropfende Hähne",
                 "--add-offer", "Boiler warten", *home],
        "remove": ["remove", CANARY_ID, *home],
        "link": ["link", "s0000010", "s0000020", "--relation", "Kollege", "--strength", "0.7", *home],
        "need add": ["need", "add", "--by", "s0000010", "suche", "ein", "Kinderfahrrad", "--when", "bis März", *home],
        "match": ["match", *home],
        "reindex": ["reindex", "--yes", *home],
        "export": ["export", target(op, disk), *home],
        "backup": ["backup", target(op, disk), *home],
        "restore": ["restore", setup.backup, "--home", target(op, disk)],
    }[op]


def target(op: str, disk: Path) -> Path | None:
    """What the command writes outside the home, if anything."""
    return {"export": disk / "out" / "export.jsonl", "backup": disk / "out" / "network.semnetz-backup",
            "restore": disk / "restored"}.get(op)


def place(disk: Path, setup: Setup) -> None:
    empty(disk)
    shutil.copytree(setup.pristine, disk / "home")
    (disk / "out").mkdir()


def peak_use(op: str, disk: Path, setup: Setup) -> int:
    """The most of the disk the command takes at once while it runs (polled), with room to spare."""
    place(disk, setup)
    before, peak = used(disk), [used(disk)]
    done = threading.Event()

    def poll():
        while not done.is_set():
            peak[0] = max(peak[0], used(disk))
            time.sleep(POLL_S)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        must(cli(*command(op, disk, setup)))
    finally:
        done.set()
        poller.join()
    return peak[0] - before


# ---------------------------------------------------------------- one step
@dataclass
class Step:
    op: str
    leave: int
    free_before: int
    outcome: str
    exit_code: int
    stderr: str
    half_written: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    check: str = ""
    left_after_check: list[str] = field(default_factory=list)
    retry: str | None = None


def outcome(result: subprocess.CompletedProcess) -> str:
    if result.returncode == 0:
        return "succeeded"
    if "Traceback" in result.stderr:
        return "traceback"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return "clean" if result.returncode == 2 and len(lines) == 1 and lines[0].startswith("Error:") else "unclear"


def half_written(op: str, disk: Path, setup: Setup) -> list[str]:
    """After a failure: what differs from before the command."""
    found = []
    written = target(op, disk)
    if written is not None and written.exists():
        found.append(f"{written.relative_to(disk)} is there")
    home = disk / "home"
    now = cli("list", "--json", "--home", home)
    if now.returncode:
        return found + [f"list --json fails: {tail(now.stderr)}"]
    if now.stdout != setup.list_bytes:
        found.append("list --json differs from before")
    if export_of(home, setup.work) != setup.export_bytes:
        found.append("the export differs from before")
    return found


def leftovers(op: str, disk: Path, pending_ok: bool = False) -> list[str]:
    """Temporary files: in the home, beside a target, or anything else on the disk (pending_ok: see
    home_leftovers)."""
    expected = {"home", "out"} | ({target(op, disk).name} if op == "restore" else set())
    found = [p.name for p in disk.iterdir() if p.name not in expected]
    written = target(op, disk)
    found += [f"out/{p.name}" for p in (disk / "out").iterdir() if written is None or p != written]
    homes = [disk / "home"] + ([written] if op == "restore" and written.exists() else [])
    return found + [f"{home.name}/{name}" for home in homes for name in home_leftovers(home, pending_ok)]


def checked(op: str, disk: Path) -> str:
    """What `semnetz check` says of the home (and of a restored one)."""
    homes = [disk / "home"] + ([target(op, disk)] if op == "restore" and target(op, disk).exists() else [])
    said = []
    for home in homes:
        result = cli("check", "--home", home)
        said.append(check_said(result.stdout) if result.returncode == 0 else f"failed: {tail(result.stderr)}")
    return " | ".join(said)


def intact(check: str) -> bool:
    """check said of every home that its search index and the store's vectors are all intact."""
    return all("of the search index: all intact" in said and "of the store: all intact" in said
               for said in check.split(" | "))


def step(op: str, leave: int, disk: Path, setup: Setup) -> Step:
    place(disk, setup)
    free_before = fill(disk, leave)
    result = cli(*command(op, disk, setup))
    (disk / "filler").unlink(missing_ok=True)
    record = Step(op, leave, free_before, outcome(result), result.returncode, result.stderr.strip()[-2000:])
    if result.returncode:
        record.half_written = half_written(op, disk, setup)
    record.leftovers = leftovers(op, disk, pending_ok=True)
    record.check = checked(op, disk)
    record.left_after_check = leftovers(op, disk)
    if result.returncode:
        if op == "restore":
            shutil.rmtree(target(op, disk), ignore_errors=True)  # so that a half-written one does not refuse it
        again = cli(*command(op, disk, setup))
        record.retry = "succeeded" if again.returncode == 0 else f"failed: {tail(again.stderr)}"
    return record


def levels(peak: int, steps: int) -> list[int]:
    """Bytes to leave free: from 0 to the peak, `steps` of them, to the page."""
    return sorted({round(peak * i / max(1, steps - 1) / PAGE) * PAGE for i in range(steps)})


# ---------------------------------------------------------------- report
def summary(steps: list[Step]) -> dict[str, dict]:
    rows = {}
    for op in (*[op for op in OPS if any(s.op == op for s in steps)], "all"):
        mine = [s for s in steps if op in (s.op, "all")]
        kinds = Counter(s.outcome for s in mine)
        rows[op] = {"steps": len(mine), "succeeded": kinds["succeeded"], "clean": kinds["clean"],
                    "traceback": kinds["traceback"], "unclear": kinds["unclear"],
                    "half_written": sum(bool(s.half_written) for s in mine),
                    "leftovers": sum(bool(s.leftovers) for s in mine),
                    "left_after_check": sum(bool(s.left_after_check) for s in mine),
                    "check_not_intact": sum(not intact(s.check) for s in mine),
                    "retry_failed": sum(s.retry is not None and s.retry != "succeeded" for s in mine)}
    return rows


def table(rows: dict[str, dict], peaks: dict[str, int]) -> str:
    columns = ("steps", "succeeded", "clean", "traceback", "unclear", "half_written", "leftovers",
               "left_after_check", "check_not_intact", "retry_failed")
    head = f"{'operation':<10}{'peak MB':>8}" + "".join(f"{c.replace('_', ' '):>{max(8, len(c) + 2)}}" for c in columns)
    lines = [head, "-" * len(head)]
    for op, row in rows.items():
        peak = f"{peaks[op] / 1e6:.2f}" if op in peaks else ""
        lines.append(f"{op:<10}{peak:>8}" + "".join(f"{row[c]:>{max(8, len(c) + 2)}}" for c in columns))
    return "\n".join(lines)


def details(steps: list[Step]) -> str:
    lines = ["error lines (how many steps said each):"]
    said = Counter((s.op, tail(s.stderr)) for s in steps if s.outcome != "succeeded")
    lines += [f"  {op}: {n}x {line}" for (op, line), n in sorted(said.items())]
    lines.append("steps that left something wrong:")
    wrong = [s for s in steps if s.outcome in ("traceback", "unclear") or s.half_written or s.leftovers
             or not intact(s.check) or (s.retry is not None and s.retry != "succeeded")]
    lines += [f"  {s.op} leaving {s.leave} B ({s.outcome}, exit {s.exit_code}): "
              + "; ".join(s.half_written + [f"leftover {x}" for x in s.leftovers]
                          + [f"still there after check: {x}" for x in s.left_after_check]
                          + ([f"check: {s.check}"] if not intact(s.check) else [])
                          + ([f"retry {s.retry}"] if s.retry not in (None, "succeeded") else []))
              for s in wrong] or ["  none"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="free-space levels per operation")
    parser.add_argument("--people", type=int, default=200, help="synthetic people beside data/people.jsonl")
    parser.add_argument("--disk-mb", type=int, default=128, help="size of the tmpfs")
    parser.add_argument("--only", default=",".join(OPS), help="these operations (comma-separated)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="folder for the network and the tmpfs (default: a new temporary one)")
    parser.add_argument("--src", type=Path, default=ROOT, help="the semnetz source to run (default: this checkout)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON (and the printed report as .txt)")
    args = parser.parse_args()
    use_source(args.src)
    ops = [op.strip() for op in args.only.split(",") if op.strip()]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the tmpfs is unmounted then too

    started = time.perf_counter()
    digest = code_digest()
    work = args.work or Path(tempfile.mkdtemp(prefix="semnetz-full-disk-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"building the network in {work} …", file=sys.stderr)
    setup = prepare(work, args.people, args.seed)
    steps: list[Step] = []
    peaks: dict[str, int] = {}
    with tmpfs(work / "disk", args.disk_mb) as disk:
        for op in ops:
            peaks[op] = peak_use(op, disk, setup)
            for leave in levels(peaks[op], args.steps):
                steps.append(step(op, leave, disk, setup))
                print(f"  {op:<9} leave {leave:>10} B: {steps[-1].outcome}", file=sys.stderr)
    seconds = time.perf_counter() - started
    text = "\n".join([table(summary(steps), peaks), "", details(steps), "",
                      f"{len(steps)} steps in {seconds / 60:.1f} min"])
    print(text)
    if args.out:
        result = {"date": date.today().isoformat(), "argv": sys.argv[1:], "disk_mb": args.disk_mb,
                  "code": {"src": str(SOURCE[0]), "digest_at_start": digest, "digest_at_end": code_digest()},
                  "store_bytes": (setup.pristine / "semnetz.duckdb").stat().st_size,
                  "vectors_bytes": sum(p.stat().st_size for p in (setup.pristine / "vectors").glob("*.f16")),
                  "peak_bytes": peaks,
                  "per_op": summary(steps), "steps": [asdict(s) for s in steps], "seconds": round(seconds, 1)}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
        args.out.with_suffix(".txt").write_text(text + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

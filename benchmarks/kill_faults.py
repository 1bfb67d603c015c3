"""Kill semnetz (SIGKILL) at random moments of its writes and check that the network survives whole.

    python benchmarks/kill_faults.py --runs 200 --seed 0 --out benchmarks/results/faults-2026-12-07.json
    python benchmarks/kill_faults.py --runs 60 --ops remove,backup --src /tmp/semnetz-snapshot

--src runs another semnetz source with this venv (a checkout, or a commit unpacked from its archive, so that the
code under test does not change during a long run).

A small real network is built once: data/people.jsonl, --people synthetic people (semnetz.synthetic) and one
person whose text and offer hold a unique canary string, with the default model (use-m3). Every run copies it,
starts one operation as a real CLI process and kills it (SIGKILL) after a delay drawn uniformly from 0 to the
operation's typical duration (the median of --calibrate unkilled runs, measured first and checked like the others,
as controls):

- import:  `import FILE`, a file of new people and of changes to people already there
- reindex: `reindex --yes`
- match:   `match` (writes its proposals to the audit log)
- remove:  `remove ID` of the canary person
- backup:  `backup FILE` (beside the home)
- page:    `serve`, then POST /api/people (a new person) and PATCH /api/people/ID (an edit); the server is killed
           (the delay counts from the first request)

After each run `semnetz check` runs, and then:

- the home opens: `list --json` works, and `stats --json` counts as many people;
- the search index agrees with the store: the same people (id and name), each with the same offers;
- every person with a name nobody else has, whom a search for that name found in the untouched network (and every
  new direct contact), is found by a search for it (among the first 5, up to 3 hops);
- import: all people of the file or none, the new and the changed alike;
- reindex: the network keeps its model;
- match: all its proposals are in the audit log (`log --action proposal`), or none;
- remove: the canary person is there as before, or gone with no byte of the canary in any file of the home;
- backup: the file is absent, or `restore FILE --home NEW` makes a network of the same people;
- page: the new person is absent or there as sent; the edit is there whole or not at all;
- an operation that ended without an error has its change there ("applied", counted for every run).

Leftovers are counted apart: files in the home that are neither the store (with its write-ahead log and its
vector files, vectors/*.f16), the lock, the published index nor waiting search logs (temporary files, index
segments no manifest lists, a store copy, a list of vector rows to erase that check did not finish), and temporary
files left beside the backup. A run that fails a check keeps its folder under --work.

Prints a table per operation (runs, killed mid-operation or finished before the kill, runs whose change is there,
inconsistent homes, runs with leftovers) and the problems found; --out writes them as JSON and the report as .txt
beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

OPS = ("import", "reindex", "match", "remove", "backup", "page")
CANARY_ID = "kanarie"
PAGE_NEW_ID = "seite-neu"
PAGE_EDITED_ID = "n05"
BACKUP_NAME = "network.semnetz-backup"
# what a home holds; the store's write-ahead log is part of the store (the next command that opens it takes it in)
HOME_ENTRIES = {"semnetz.duckdb", "semnetz.duckdb.wal", "write.lock", "index", "searches", "vectors"}
# the store's vector files (one per model, store/vectors.py); the list of rows a delete still has to erase (and its
# temporary file) lives there only until the next writer or `semnetz check` finishes it
VECTOR_FILE = re.compile(r"[0-9a-f]{16}\.f16")
ERASE_PENDING = {"erase-pending.json", "erase-pending.tmp"}
SEARCH_K, SEARCH_HOPS = 5, 3
SERVER_READY_S = 180
ENV = {k: v for k, v in os.environ.items() if k not in ("SEMNETZ_HOME", "SEMNETZ_MODEL", "SEMNETZ_TOKEN")}
ENV["PYTHONUNBUFFERED"] = "1"
SOURCE = [ROOT]  # the semnetz source that runs (use_source)
SYLLABLES = ("bra", "kel", "mor", "tis", "vun", "zal", "quen", "dor", "fim", "lak", "nes", "rup")
GIVEN_NAMES = ("Ottilie", "Wendelin", "Jolanda", "Severin", "Radegund", "Kasimir", "Edeltraud", "Pankraz")


# ---------------------------------------------------------------- running semnetz
def use_source(src: Path) -> None:
    """Run the semnetz in src (a checkout or an unpacked snapshot): the CLI processes and what this process reads
    of the search index. Call it before anything of semnetz is imported."""
    SOURCE[0] = src.resolve()
    ENV["PYTHONPATH"] = str(SOURCE[0])
    ENV["PYTHONSAFEPATH"] = "1"  # else `python -m` puts the working directory (maybe another checkout) first
    sys.path.insert(0, str(SOURCE[0]))
    found = subprocess.run([sys.executable, "-c", "import semnetz; print(semnetz.__file__)"], env=ENV,
                           capture_output=True, text=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(SOURCE[0]):
        raise RuntimeError(f"the CLI would run {found}, not the semnetz in {SOURCE[0]}")


def semnetz_command(*args) -> list[str]:
    return [sys.executable, "-m", "semnetz", *map(str, args)]


def cli(*args, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(semnetz_command(*args), capture_output=True, text=True, timeout=timeout, env=ENV)


def must(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    if result.returncode:
        raise RuntimeError(f"{' '.join(result.args[2:])} failed ({result.returncode}): {tail(result.stderr)}")
    return result


def tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def check_said(stdout: str) -> str:
    """What `semnetz check` printed: a line on the search index, then one on the store's vectors (" / " between)."""
    return " / ".join(line.strip() for line in stdout.splitlines() if line.strip())


def kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the process and anything it started
    except ProcessLookupError:  # ended already
        pass
    proc.wait()


def listed(home: Path) -> dict[str, dict] | None:
    """Everyone as `list --json` writes them, by id (None if the home does not open)."""
    result = cli("list", "--json", "--home", home)
    if result.returncode:
        return None
    return {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}


def files_with(folder: Path, needle: str) -> list[str]:
    """The files under folder that hold these bytes."""
    data = needle.encode("utf-8")
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and data in p.read_bytes())


def code_digest() -> str:
    """The semnetz source this run used (another change may land while a long run goes on)."""
    digest = hashlib.sha256()
    for path in sorted((SOURCE[0] / "semnetz").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def write_jsonl(path: Path, people: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in people), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the network and the inputs
@dataclass
class Setup:
    """The untouched network every run starts from, and what the runs feed it."""

    home: Path
    records: dict[str, dict]
    findable: set[str]
    canary: str
    import_file: Path
    import_new: list[str]
    import_changed: list[str]
    import_mark: str
    page_person: dict
    page_edit: dict
    proposals: int


def build_home(folder: Path, people: int, seed: int, canary: str) -> Path:
    """data/people.jsonl, `people` synthetic people and the canary person, imported through the CLI."""
    from semnetz.synthetic import generate_people

    home = folder / "pristine"
    synthetic = write_jsonl(folder / "synthetic.jsonl", generate_people(people, seed=seed))
    for source in (ROOT / "data" / "people.jsonl", synthetic):
        must(cli("import", source, "--home", home))
    must(cli("add", "Kanarie Vogelsang", "--id", CANARY_ID, "--text", f"Repariert alte Uhren, Kennwort {canary}",
             "--offer", f"Uhren reparieren {canary}", "--home", home))
    if not files_with(home, canary):  # else "no byte of the canary left" would prove nothing
        raise RuntimeError("the canary string is not found in the home's files even before the remove")
    return home


def search_names(home: Path, names: list[str]) -> list[list[str]]:
    """For each name, the ids a search for it finds (one batch, one process)."""
    batch = home.parent / "names.txt"
    batch.write_text("".join(name + "\n" for name in names), encoding="utf-8")
    result = must(cli("search", "--batch", batch, "--json", "-k", SEARCH_K, "--hops", SEARCH_HOPS, "--home", home))
    return [[m["id"] for m in json.loads(line)["results"]] for line in result.stdout.splitlines()]


def findable(home: Path, records: dict[str, dict]) -> set[str]:
    """Ids of the people with a name nobody else has whom a search for that name finds."""
    names = Counter(r["name"] for r in records.values())
    unique = [r for r in records.values() if names[r["name"]] == 1]
    return {r["id"] for r, ids in zip(unique, search_names(home, [r["name"] for r in unique])) if r["id"] in ids}


def invented_name(i: int) -> str:
    """A name nobody in the network has (the synthetic and demo names are real ones)."""
    a, b, c = (SYLLABLES[(i // 12 ** n) % 12] for n in range(3))
    return f"{GIVEN_NAMES[i % len(GIVEN_NAMES)]} {(a + b + c).capitalize()}er"


def import_input(folder: Path, records: dict[str, dict], new: int, changed: int, rng: random.Random) -> dict:
    """A people file of `new` new people and `changed` changes (a sentence with a mark added to their text)."""
    from semnetz.synthetic import generate_people

    mark = f"IMPORTMARKE{rng.getrandbits(32):08x}"
    people = []
    for i, person in enumerate(generate_people(new, seed=rng.randrange(1 << 30))):
        people.append({"id": f"imp{i:04d}", "name": invented_name(i), "text": person["text"],
                       "offers": person["offers"]})
    targets = sorted(i for i in records if i.startswith("s"))[:changed]
    people += [{**records[i], "text": f"{records[i]['text']} Neu dabei seit heute ({mark})."} for i in targets]
    path = write_jsonl(folder / "import.jsonl", people)
    return {"import_file": path, "import_new": [p["id"] for p in people[:new]], "import_changed": targets,
            "import_mark": mark}


def page_input(rng: random.Random) -> dict:
    mark = f"SEITENMARKE{rng.getrandbits(32):08x}"
    person = {"id": PAGE_NEW_ID, "name": "Wunibald Zalmorquen", "text": f"Restauriert Holzspielzeug ({mark})",
              "offers": ["Holzspielzeug reparieren", "Schaukelpferde neu lackieren"]}
    edit = {"text": f"Klempner aus Manchester, repariert tropfende Hähne ({mark})",
            "add_offers": [f"Boiler warten {mark}"]}
    return {"page_person": person, "page_edit": edit}


def prepare(work: Path, people: int, seed: int) -> Setup:
    rng = random.Random(seed)
    canary = f"KANARIE{rng.getrandbits(48):012x}"
    home = build_home(work, people, seed, canary)
    records = listed(home)
    return Setup(home=home, records=records, findable=findable(home, records), canary=canary,
                   **import_input(work, records, new=150, changed=60, rng=rng), **page_input(rng),
                   proposals=proposals(home, work))


def proposals(home: Path, work: Path) -> int:
    """How many proposals `match` writes to the audit log (on a copy of the network)."""
    scratch = work / "match-count"
    shutil.copytree(home, scratch)
    count = len(must(cli("match", "--json", "--home", scratch)).stdout.splitlines())
    shutil.rmtree(scratch)
    return count


# ---------------------------------------------------------------- the operations, killed
def run_cli(args: list, delay: float | None, folder: Path) -> tuple[bool, float, str | None]:
    """Run semnetz with args; kill it after `delay` seconds unless it ended first. (killed, seconds, error)."""
    with open(folder / "output.txt", "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(semnetz_command(*args), stdout=out, stderr=subprocess.STDOUT, env=ENV,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill(proc)
            return True, time.perf_counter() - started, None
    took = time.perf_counter() - started
    return False, took, None if code == 0 else f"exit {code}: {tail((folder / 'output.txt').read_text())}"


def start_server(home: Path, errors) -> tuple[subprocess.Popen, str]:
    """`semnetz serve` on a free port; returns it once it has printed the address it serves."""
    proc = subprocess.Popen(semnetz_command("serve", "--port", 0, "--home", home), stdout=subprocess.PIPE,
                            stderr=errors, text=True, env=ENV, start_new_session=True)
    too_slow = threading.Timer(SERVER_READY_S, proc.kill)
    too_slow.start()
    try:
        for line in proc.stdout:
            found = re.search(r"Open (http://\S+)", line)
            if found:
                return proc, found.group(1)
    finally:
        too_slow.cancel()
    kill(proc)
    raise RuntimeError(f"semnetz serve did not start (exit {proc.returncode})")


def send_writes(url: str, setup: Setup, answers: list) -> None:
    """The page's writes: a new person, then an edit. Each answer (status, body) is appended as it comes."""
    address = urlsplit(url)
    for method, path, body in (("POST", "/api/people", setup.page_person),
                               ("PATCH", f"/api/people/{PAGE_EDITED_ID}", setup.page_edit)):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        try:
            connection.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            answers.append((response.status, response.read().decode("utf-8", "replace")))
        except OSError:  # the server was killed meanwhile
            return
        finally:
            connection.close()


def run_page(home: Path, delay: float | None, folder: Path, setup: Setup) -> tuple[bool, float, str | None]:
    with open(folder / "server-errors.txt", "wb") as errors:
        server, url = start_server(home, errors)
        answers: list = []
        writer = threading.Thread(target=send_writes, args=(url, setup, answers))
        started = time.perf_counter()
        writer.start()
        writer.join(delay)
        killed = writer.is_alive()
        took = time.perf_counter() - started
        kill(server)  # mid-write, or idle after both answers
        writer.join()
    refused = [f"{status}: {body[:200]}" for status, body in answers if status >= 300]
    return killed, took, "; ".join(refused) or None


def run_op(op: str, home: Path, delay: float | None, folder: Path, setup: Setup) -> tuple[bool, float, str | None]:
    if op == "page":
        return run_page(home, delay, folder, setup)
    args = {"import": ["import", setup.import_file], "reindex": ["reindex", "--yes"], "match": ["match"],
            "remove": ["remove", CANARY_ID], "backup": ["backup", folder / BACKUP_NAME]}[op]
    return run_cli([*args, "--home", home], delay, folder)


# ---------------------------------------------------------------- the checks
def stats_of(home: Path) -> dict | None:
    result = cli("stats", "--json", "--home", home)
    return json.loads(result.stdout) if result.returncode == 0 else None


def index_disagreement(home: Path, records: dict[str, dict]) -> list[str]:
    """The published search index against the store: the same people, with the same offers."""
    from semnetz.index.view import ViewCache

    view = ViewCache(home / "index").current()
    if view is None:
        return ["no readable search index after check"]
    pks = view.live_pks()
    people = {int(pk): view.id_name(int(pk)) for pk in pks}
    indexed = set(people.values())
    stored = {(r["id"], r["name"]) for r in records.values()}
    problems = []
    if indexed != stored:
        problems.append(f"index and store differ in people: only in the index {sorted(indexed - stored)[:3]}, "
                        f"only in the store {sorted(stored - indexed)[:3]}")
    items, owners = view.items_of(pks)
    texts = view.piece_texts(items)
    offers: dict[str, set[str]] = {person_id: set() for person_id, _ in people.values()}
    for item, owner in zip(items.tolist(), owners.tolist()):
        text, kind = texts[item]
        if kind == "offer":
            offers[people[owner][0]].add(text)
    differ = [i for i, r in records.items() if i in offers and offers[i] != set(r.get("offers", []))]
    if differ:
        problems.append(f"the index holds other offers than the store for {len(differ)} people, e.g. {differ[:3]}")
    return problems


def unfound(home: Path, records: dict[str, dict], setup: Setup) -> list[str]:
    """People a search for their exact name should find (see findable; new direct contacts too) and does not."""
    names = Counter(r["name"] for r in records.values())
    expected = [r for r in records.values() if names[r["name"]] == 1
                and (r["id"] in setup.findable or (r["id"] not in setup.records and not r.get("via")))]
    missing = [r["id"] for r, ids in zip(expected, search_names(home, [r["name"] for r in expected]))
               if r["id"] not in ids]
    return [f"a search for their name does not find {len(missing)} people, e.g. {missing[:3]}"] if missing else []


# Each operation's own check: (is its change there, what is wrong).
def import_outcome(records: dict[str, dict], setup: Setup) -> tuple[bool, list[str]]:
    new = sum(i in records for i in setup.import_new)
    changed = sum(setup.import_mark in records[i]["text"] for i in setup.import_changed)
    whole = (new, changed) == (len(setup.import_new), len(setup.import_changed))
    if whole or (new, changed) == (0, 0):
        return whole, []
    return False, [f"import half done: {new} of {len(setup.import_new)} new people, {changed} of "
                   f"{len(setup.import_changed)} changes"]


def reindex_outcome(stats: dict) -> tuple[bool, list[str]]:
    problems = [] if stats["model"] == "use-m3" else [f"the network's model is now {stats['model']}"]
    return stats["last_reindex"] is not None, problems


def match_outcome(home: Path, setup: Setup) -> tuple[bool, list[str]]:
    """The proposals go into the audit log in one transaction: all of them or none."""
    result = cli("log", "--action", "proposal", "--json", "--home", home)
    if result.returncode:
        return False, [f"log fails: {tail(result.stderr)}"]
    logged = len(result.stdout.splitlines())
    if logged in (0, setup.proposals):
        return logged == setup.proposals, []
    return False, [f"{logged} of {setup.proposals} proposals in the audit log"]


def remove_outcome(home: Path, records: dict[str, dict], setup: Setup) -> tuple[bool, list[str]]:
    if CANARY_ID in records:
        unchanged = records[CANARY_ID] == setup.records[CANARY_ID]
        return False, [] if unchanged else ["the person to remove is there, but changed"]
    hits = files_with(home, setup.canary)
    return True, [f"removed, but their canary is still in {hits}"] if hits else []


def backup_outcome(folder: Path, records: dict[str, dict]) -> tuple[bool, list[str]]:
    backup = folder / BACKUP_NAME
    if not backup.exists():
        return False, []
    restored = folder / "restored"
    result = cli("restore", backup, "--home", restored)
    if result.returncode:
        return True, [f"the backup does not restore: {tail(result.stderr)}"]
    return True, [] if listed(restored) == records else ["the restored network has other people than the network"]


def page_outcome(records: dict[str, dict], setup: Setup) -> tuple[bool, list[str]]:
    """Applied: the new person is there (the edit, sent after it, is checked to be whole or absent)."""
    problems = []
    added = records.get(PAGE_NEW_ID)
    sent = setup.page_person
    if added is not None and (added["name"], added["text"], added.get("offers")) != \
            (sent["name"], sent["text"], sent["offers"]):
        problems.append("the person added through the page is there, but not as sent")
    before, now = setup.records[PAGE_EDITED_ID], records[PAGE_EDITED_ID]
    state = (now["text"], now.get("offers", []))
    edited = (setup.page_edit["text"], before.get("offers", []) + setup.page_edit["add_offers"])
    if state not in (edited, (before["text"], before.get("offers", []))):
        problems.append("the edit through the page is there in part")
    return added is not None, problems


def op_outcome(op: str, home: Path, folder: Path, records: dict[str, dict], stats: dict,
               setup: Setup) -> tuple[bool, list[str]]:
    if op == "import":
        return import_outcome(records, setup)
    if op == "reindex":
        return reindex_outcome(stats)
    if op == "match":
        return match_outcome(home, setup)
    if op == "remove":
        return remove_outcome(home, records, setup)
    if op == "backup":
        return backup_outcome(folder, records)
    return page_outcome(records, setup)


def home_leftovers(home: Path, pending_ok: bool = False) -> list[str]:
    """Files in the home beside the store, its vector files, the lock, the published index and waiting search
    logs. pending_ok: the vectors' erase-pending list is no leftover (before `semnetz check`, which finishes it)."""
    from semnetz.index.view import read_manifest

    found = [p.name for p in home.iterdir() if p.name not in HOME_ENTRIES]
    index = home / "index"
    published = set((read_manifest(index) or {}).get("segments", [])) | {"manifest.json"}
    found += [f"index/{p.name}" for p in index.iterdir() if p.name not in published] if index.is_dir() else []
    spool = home / "searches"
    found += [f"searches/{p.name}" for p in spool.iterdir() if p.suffix != ".jsonl"] if spool.is_dir() else []
    vectors = home / "vectors"
    found += [f"vectors/{p.name}" for p in vectors.iterdir() if not VECTOR_FILE.fullmatch(p.name)
              and not (pending_ok and p.name in ERASE_PENDING)] if vectors.is_dir() else []
    return found


def leftovers(home: Path, folder: Path) -> list[str]:
    """What should not be there: in the home (home_leftovers), and temporary files beside the backup."""
    beside = [f"beside the backup: {p.name}" for p in folder.iterdir() if p.name.startswith(f".{BACKUP_NAME}.")]
    return home_leftovers(home) + beside


def verify(op: str, home: Path, folder: Path, setup: Setup) -> tuple[bool | None, list[str], list[str], str]:
    """(is the operation's change there, problems, leftovers, what check said) for a home after an operation
    ended or was killed."""
    checked = cli("check", "--home", home)
    said = check_said(checked.stdout) if checked.returncode == 0 else f"failed: {tail(checked.stderr)}"
    left = leftovers(home, folder)
    if checked.returncode:
        return None, [f"check {said}"], left, said
    records, stats = listed(home), stats_of(home)
    if records is None or stats is None:
        return None, ["the home does not open (list --json or stats --json fails)"], left, said
    problems = [] if stats["people"] == len(records) else [f"stats counts {stats['people']} people, list "
                                                           f"has {len(records)}"]
    problems += index_disagreement(home, records) + unfound(home, records, setup)
    applied, own = op_outcome(op, home, folder, records, stats, setup)
    return applied, problems + own, left, said


# ---------------------------------------------------------------- runs
@dataclass
class Run:
    name: str
    op: str
    delay_s: float | None
    killed: bool
    seconds: float
    error: str | None
    check: str
    applied: bool | None
    problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    kept: str | None = None


def run_once(name: str, op: str, delay: float | None, work: Path, setup: Setup) -> Run:
    folder = work / f"{name}-{op}"
    home = folder / "home"
    shutil.copytree(setup.home, home)
    killed, took, error = run_op(op, home, delay, folder, setup)
    applied, problems, left, said = verify(op, home, folder, setup)
    if error:
        problems.insert(0, f"failed on its own: {error}")
    elif not killed and applied is False:
        problems.insert(0, "it ended without an error, but its change is not there")
    run = Run(name, op, delay, killed, round(took, 3), error, said, applied, problems, left)
    if problems or left:
        run.kept = str(folder)
    else:
        shutil.rmtree(folder)
    return run


def calibrate(ops: list[str], work: Path, setup: Setup, repeats: int) -> tuple[dict[str, float], list[Run]]:
    """Each operation run to its end `repeats` times (checked as controls): its typical duration, the median."""
    controls = [run_once(f"control-{i + 1}", op, None, work, setup) for op in ops for i in range(repeats)]
    typical = {op: statistics.median(r.seconds for r in controls if r.op == op) for op in ops}
    return typical, controls


def schedule(runs: int, typical: dict[str, float], rng: random.Random) -> list[tuple[str, float]]:
    """Every operation equally often, in a random order, each with a delay uniform in [0, its typical duration]."""
    ops = list(typical)
    order = [ops[i % len(ops)] for i in range(runs)]
    rng.shuffle(order)
    return [(op, rng.uniform(0, typical[op])) for op in order]


# ---------------------------------------------------------------- report
def summary(runs: list[Run]) -> dict[str, dict]:
    rows = {}
    for op in (*[op for op in OPS if any(r.op == op for r in runs)], "all"):
        mine = [r for r in runs if op in (r.op, "all")]
        rows[op] = {"runs": len(mine), "killed_mid_op": sum(r.killed for r in mine),
                    "finished_before_kill": sum(not r.killed for r in mine),
                    "applied": sum(bool(r.applied) for r in mine),
                    "inconsistent": sum(bool(r.problems) for r in mine),
                    "with_leftovers": sum(bool(r.leftovers) for r in mine),
                    "check_rebuilt_index": sum(r.check.startswith("Damaged") for r in mine),
                    "check_erased_vector_rows": sum("; erased " in r.check for r in mine)}
    return rows


def table(rows: dict[str, dict], typical: dict[str, float]) -> str:
    head = f"{'operation':<10}{'typical s':>10}{'runs':>6}{'killed':>8}{'finished':>10}{'applied':>9}" \
           f"{'inconsistent':>14}{'leftovers':>11}{'rebuilt':>9}"
    lines = [head, "-" * len(head)]
    for op, row in rows.items():
        typical_s = f"{typical[op]:.2f}" if op in typical else ""
        lines.append(f"{op:<10}{typical_s:>10}{row['runs']:>6}{row['killed_mid_op']:>8}"
                     f"{row['finished_before_kill']:>10}{row['applied']:>9}{row['inconsistent']:>14}"
                     f"{row['with_leftovers']:>11}{row['check_rebuilt_index']:>9}")
    return "\n".join(lines)


def findings(runs: list[Run], limit: int = 40) -> str:
    failed = [r for r in runs if r.problems or r.leftovers]
    lines = [f"{r.name} {r.op} (delay {'-' if r.delay_s is None else f'{r.delay_s:.2f}'} s, "
             f"{'killed' if r.killed else 'finished'}): "
             + "; ".join(r.problems + [f"leftover {x}" for x in r.leftovers]) for r in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"… and {len(failed) - limit} more (see the JSON)")
    return "\n".join(lines) or "none"


def report(runs: list[Run], controls: list[Run], typical: dict[str, float], seconds: float) -> str:
    control = summary(controls)["all"]
    return "\n".join([
        f"controls (each operation run to its end, checked the same way): {control['runs']} runs, "
        f"{control['inconsistent']} inconsistent, {control['with_leftovers']} with leftovers",
        "",
        table(summary(runs), typical),
        "",
        "killed: SIGKILL while the operation ran; finished: it ended before its delay; applied: its change is "
        "there after check (import: every new person; remove: the person gone; backup: the file there; page: the "
        "new person; reindex: a last reindex recorded; match: its proposals in the audit log); inconsistent: a "
        "check failed; leftovers: files left (listed below); rebuilt: check found the search index damaged.",
        "",
        "problems and leftovers:",
        findings(controls + runs),
        "",
        f"{len(runs)} runs in {seconds / 60:.1f} min",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--people", type=int, default=400, help="synthetic people beside data/people.jsonl")
    parser.add_argument("--ops", default=",".join(OPS), help="these operations (comma-separated)")
    parser.add_argument("--calibrate", type=int, default=3, help="unkilled runs per operation (typical duration)")
    parser.add_argument("--work", type=Path, help="folder for the runs (default: a new temporary one); runs that "
                                                  "fail a check are kept there")
    parser.add_argument("--src", type=Path, default=ROOT, help="the semnetz source to run (default: this checkout)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON (and the printed report as .txt)")
    args = parser.parse_args()
    use_source(args.src)

    started = time.perf_counter()
    digest = code_digest()
    work = args.work or Path(tempfile.mkdtemp(prefix="semnetz-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"building the network in {work} …", file=sys.stderr)
    setup = prepare(work, args.people, args.seed)
    ops = [op.strip() for op in args.ops.split(",") if op.strip()]
    typical, controls = calibrate(ops, work, setup, args.calibrate)
    print("typical durations: " + ", ".join(f"{op} {s:.2f} s" for op, s in typical.items()), file=sys.stderr)
    runs = []
    for number, (op, delay) in enumerate(schedule(args.runs, typical, random.Random(args.seed)), start=1):
        runs.append(run_once(f"run-{number:03d}", op, delay, work, setup))
        last = runs[-1]
        print(f"  {number}/{args.runs} {op:<8} delay {delay:.2f} s {'killed' if last.killed else 'finished'}"
              f"{' PROBLEM' if last.problems else ''}{' LEFTOVER' if last.leftovers else ''}", file=sys.stderr)
    seconds = time.perf_counter() - started
    text = report(runs, controls, typical, seconds)
    print(text)
    if args.out:
        result = {"date": date.today().isoformat(), "argv": sys.argv[1:], "seed": args.seed,
                  "code": {"src": str(SOURCE[0]), "digest_at_start": digest, "digest_at_end": code_digest()},
                  "network": {"people": len(setup.records),
                              "store_bytes": (setup.home / "semnetz.duckdb").stat().st_size,
                              "vectors_bytes": sum(p.stat().st_size for p in (setup.home / "vectors").glob("*.f16"))},
                  "typical_s": typical, "per_op": summary(runs), "controls": [asdict(r) for r in controls],
                  "runs": [asdict(r) for r in runs], "seconds": round(seconds, 1), "work": str(work)}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
        args.out.with_suffix(".txt").write_text(text + "\n")
    if not any(r.kept for r in controls + runs):
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

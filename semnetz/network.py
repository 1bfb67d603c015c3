"""The Python API: a person's network on disk, one object. It opens things and delegates; it holds no SQL.

    from semnetz import Network
    with Network(home="~/semnetz") as net:
        net.import_file("data/people.jsonl")
        for match in net.search("brauche Handwerker").matches:
            print(match.name, match.score, match.why)

How processes share a network (README, "Many processes, one network"): a search reads the published view
(index/view.py) and never opens the store, so it never waits for a writer; every writing command takes the
home's write lock (writers queue) and opens the store only for its reads and its transaction; after each write
the view is brought up to date for just what the write touched (index/publish.py). Searches log through a spool
that the next writer moves into the audit log (store/audit.py).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO

import numpy as np

from . import encoders, encryption
from .config import MODEL_ENVVAR, SPOOL_DIRNAME, VIEW_DIRNAME, resolve_home
from .errors import InputError, SemnetzError, UnknownPersonError
from .index.publish import stage, tidy
from .index.vectors import DATABASE, DEFAULT_INDEX_TYPE
from .index.checksum import DamagedIndex
from .index.view import View, ViewCache, read_manifest
from .index.view import check as check_view
from .ingest import readers, writer
from .limits import DEFAULT_HOPS, DEFAULT_K, DEFAULT_PICTURE_PEOPLE, DEFAULT_PROPOSALS
from .rank import matching
from .rank.search import Searcher
from .records import SELF_ID, PersonEdit, PersonRecord, person_from_dict
from .results import ImportReport, IntroRow, NeedRow, Proposal, SearchResult
from .store import StoreBusyError, open_store
from .store.links import Link
from .store.needs import NEED_STATUSES
from .store import recorded
from .when import not_past, parse_when

ENCODE_BATCH = 4096  # texts per encoder call when importing (the progress bar moves per call) …
PROGRESS_FROM_TEXTS = 256  # … and from this many texts there is a bar (an address book of a few hundred cards)
PROGRESS_STEPS = 20  # … that moves at least this often
REINDEX_CHUNK = 20_000  # pieces re-embedded and committed at a time

__all__ = ["Network", "SearchResult", "ImportReport", "StoreBusyError"]


def _progress(total: int, desc: str, enabled: bool, unit: str = "piece"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None if enabled else True, leave=False)


class Network:
    def __init__(self, home: str | os.PathLike | None = None, model: str | None = None,
                 index_type: str | None = None, progress: bool = False, key: str | None = None,
                 ask: encryption.Ask | None = None, store: str | None = None, network: str | None = None,
                 replica: str | None = None):
        """key: what unlocks an encrypted home (else $SEMNETZ_KEY, the OS keyring, or `ask`, a hidden prompt;
        see encryption.py). store: a PostgreSQL URL (else $SEMNETZ_STORE) to hold the network `network` in a
        database instead of the home's store file; the home then keeps only this machine's search index
        (store/postgres.py); replica: a read replica of that database, which searches read."""
        self.store = open_store(home, store, network, seen=self._seen, replica=replica)
        self.home = self.store.home
        self.keys = encryption.unlock(self.home, key, ask)
        self.store.use_keys(self.keys)
        self.views = ViewCache(self.home / VIEW_DIRNAME, self.keys.sealer, self.store.vector_search())
        self.spool = self.store.search_log(self.home, SPOOL_DIRNAME, self.keys.sealer)
        self.progress = progress
        self._requested_model = model or os.environ.get(MODEL_ENVVAR) or None
        self._index_type = index_type
        self._bridge: tuple[str, object] | None = None
        self.repairs: list[str] = []  # damaged files of the search view found and rebuilt from the store

    @classmethod
    def create(cls, home: str | os.PathLike | None = None, encrypt: bool = False, key: str | None = None,
               model: str | None = None) -> tuple["Network", str | None]:
        """A new network in `home` (missing or empty); with encrypt, nothing in it is readable without `key`
        (else $SEMNETZ_KEY). Returns it and, when encrypted, the recovery key (to show once, never kept)."""
        path = resolve_home(home)
        if any(path.iterdir()):
            raise SemnetzError(f"{path} is not empty (it may hold a network): a new network goes into a new or "
                               "empty folder; nothing was changed")
        recovery = None
        if encrypt:
            key = key or os.environ.get(encryption.KEY_ENVVAR)
            if not key:
                raise SemnetzError("an encrypted network needs a key: set SEMNETZ_KEY, or run the command in a "
                                   "terminal to be asked for it; nothing was changed")
            _, recovery = encryption.create(path, key)
        try:
            net = cls(path, model=model, key=key)
            with net._writing("create the network") as tables:
                with tables.transaction():
                    tables.audit.log("init", {"encrypted": encrypt})
        except BaseException:
            for made in path.iterdir():  # nothing half-made stays: the folder was empty
                shutil.rmtree(made) if made.is_dir() else made.unlink()
            raise
        return net, recovery

    def rekey(self, new_key: str) -> None:
        """An encrypted home opens with `new_key` from now on (its data key and recovery key stay; see
        encryption.py). Under the write lock, so no other command is unlocking it meanwhile."""
        if not self.keys.encrypted:
            raise SemnetzError(f"{self.home}: this network is not encrypted (semnetz init --encrypt makes an "
                               "encrypted one); nothing was changed")
        with self._writing("rekey") as tables:
            encryption.rewrap_keys(self.home, self.keys, new_key)
            with tables.transaction():
                tables.audit.log("rekey", {})

    @property
    def location(self) -> str:
        """Where the network lives, as a sentence's object: "the network in HOME", or in a database."""
        if self.store.shared:
            return f"{self.store} (this machine's search index in {self.home})"
        return f"the network in {self.home}"

    def close(self) -> None:
        self.spool.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- components ----
    @property
    def model_name(self) -> str:
        """--model / $SEMNETZ_MODEL if given, else the model the network was built with, else the default."""
        if self._requested_model:
            return self._requested_model
        view = self.views.current()
        if view is not None:
            return view.model
        return self._stored_model() or encoders.default_model_name()

    def _seen(self) -> int:
        """The generation of the store that this home's search index shows (-1: none built)."""
        return int((read_manifest(self.home / VIEW_DIRNAME) or {}).get("generation", -1))

    def _stored_model(self) -> str | None:
        if not self.store.exists():
            return None
        with self.store.read() as t:
            return t.get_meta("model")

    @property
    def encoder(self) -> encoders.Encoder:
        return encoders.get_encoder(self.model_name)

    @property
    def index_type(self) -> str:
        """The requested index type: "auto" (by size, the default) or a faiss factory string; "database" for a
        store that searches its vectors itself."""
        if self.store.vector_search() is not None:
            return DATABASE
        if self._index_type:
            return self._index_type
        manifest = read_manifest(self.home / VIEW_DIRNAME)
        return (manifest or {}).get("index_type_choice") or DEFAULT_INDEX_TYPE

    def _service_bridge(self):
        """Needs-to-roles background knowledge for the current encoder (None without models/services.jsonl)."""
        from .index.services import ServiceBridge

        if self._bridge is None or self._bridge[0] != self.model_name:
            self._bridge = (self.model_name, ServiceBridge.load(self.encoder))
        return self._bridge[1]

    def _encode(self, texts: list[str], desc: str) -> np.ndarray:
        encoder = self.encoder
        if len(texts) < PROGRESS_FROM_TEXTS:
            return encoder.encode_texts(texts) if texts else np.zeros((0, encoder.dim), np.float32)
        out = np.empty((len(texts), encoder.dim), dtype=np.float32)
        step = min(ENCODE_BATCH, max(PROGRESS_FROM_TEXTS, -(-len(texts) // PROGRESS_STEPS)))
        with _progress(len(texts), desc, self.progress) as bar:
            for start in range(0, len(texts), step):
                chunk = texts[start:start + step]
                out[start:start + len(chunk)] = encoder.encode_texts(chunk)
                bar.update(len(chunk))
        return out

    # ---- sessions ----
    @contextmanager
    def _writing(self, what: str):
        """The write lock and the store, with waiting search log entries taken in and the view caught up with
        anything an interrupted writer left (all before this write's own changes)."""
        self.views.release_retired()
        try:
            with self.store.write(what) as tables:
                if self.store.lock.outermost:  # not inside a write of this process that is building segments
                    tidy(self.home / VIEW_DIRNAME)
                self.spool.flush()
                with tables.transaction():
                    self.spool.move_into(tables.audit)
                self.spool.clear_moved()
                people, edges = tables.journal.pending()
                if len(people) or len(edges):
                    self._publish(tables)
                yield tables
        finally:
            gc.collect()  # the write's garbage, collected here rather than in the middle of the next search

    def _publish(self, tables, rebuild: bool = False) -> None:
        self._staged(tables, rebuild).publish(tables)

    def _staged(self, tables, rebuild: bool = False):
        with _progress(0, "indexing", self.progress and rebuild) as bar:
            staged = stage(tables, self.home / VIEW_DIRNAME, model=self.model_name, dim=lambda: self.encoder.dim,
                           index_type=self.index_type, bridge=self._service_bridge, rebuild=rebuild,
                           progress=bar.update, sealer=self.keys.sealer)
        self.views.adopt(staged.segments)
        return staged

    @contextmanager
    def _changing(self, tables, rebuild: bool = False):
        """A change to the store and the view that shows it, all or nothing: the view's new segments are built
        inside the store's transaction (they see its changes before COMMIT), so a full disk or any other failure
        undoes the whole change; the manifest that publishes them is swapped in after the commit."""
        staged = None
        try:
            with tables.transaction():
                yield
                staged = self._staged(tables, rebuild)
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
        try:
            staged.publish(tables)
        except OSError as exc:  # the change is in the store; the journal still names it for the next writer, and
            # what was built and not published goes with the next writer's tidy()
            raise SemnetzError(f"the change is saved, but the search index could not be updated "
                               f"({exc.strerror or exc}): searches show it after the next change or semnetz check"
                               ) from None

    def view(self) -> View:
        """The current search view (built on first use)."""
        self.store.check_present()  # an index whose store is gone answers for people nobody can change or remove
        view = self.views.current()
        if view is not None and self.store.moved_since(view.generation):  # a write through another server
            with self.store.following("catch up with the network") as tables:
                if tables is not None:  # (else another thread of this process caught up meanwhile)
                    stored = tables.get_meta("model")
                    switched = bool(stored) and stored != view.model  # a reindex --model through another server
                    if switched and not self._requested_model:
                        self._requested_model = stored
                    self._publish(tables, rebuild=switched)
            view = self.views.current()
        if view is None or view.model != self.model_name:
            with self._writing("build the search index") as tables:
                self._ensure_model(tables)
                view = self.views.current()  # another process may have built it meanwhile
                if view is None or view.model != self.model_name:
                    self._publish(tables, rebuild=True)
                    if view is None and self.views.damaged:
                        self.repairs.append(self.views.damaged)
            view = self.views.current()
        return view

    def check(self) -> dict:
        """Check every byte of the search view against its checksums and rebuild it from the store if anything is
        damaged (searches check a sample of big files; this checks all of them); check every vector of the store
        (store/vectors.py) and erase rows no piece names (left by a write killed before it committed)."""
        with self._writing("check") as tables:
            named = tables.people.ids_by_model()
            vectors = self.store.vectors.scrub(named, tables.people.dims())  # RowError: damaged vectors
            self.store.vectors.drop_models(set(named))
            files, size, damaged = check_view(self.home / VIEW_DIRNAME)
            built = tables.get_meta("model")
            indexed = self.views.current().model if damaged is None and files else None
            if built and indexed is not None and indexed != built:
                # an index naming another model than the store's answers no search: made again with the store's
                damaged = f"the search index names the model {indexed}, but the network is built with {built}"
                self._requested_model = self._requested_model or built
            if damaged:
                self._publish(tables, rebuild=True)
        if damaged is None and not files:
            self.view()  # nothing built yet: build it now
        return {"files": files, "bytes": size, "damaged": damaged, "rebuilt": damaged is not None, **vectors}

    def _repaired(self, run):
        """run(), and if the view turns out damaged (a file a sampled checksum passed gives impossible results),
        run it again on a view rebuilt from the store."""
        try:
            return run()
        except DamagedIndex as exc:
            with self._writing("rebuild the search index") as tables:
                self._publish(tables, rebuild=True)
            self.repairs.append(str(exc))
            return run()

    def _ensure_model(self, tables, switching: bool = False) -> dict | None:
        """A network keeps the model it is built with: another model is an error, unless this is the explicit
        switch (reindex --model), which re-embeds everything first. (An interrupted switch, which left two models
        in use, is finished by the next write with the model it was switching to.)"""
        stored = tables.people.models_in_use()
        built = tables.get_meta("model")
        if stored and len(stored) > 1 and built in stored and not switching:  # an interrupted switch: finish it
            self._requested_model = built
            return self._reembed(tables, reason=f"finishing the switch to {built}")
        current = built if built in stored or not stored else next(iter(stored))
        if stored and current != self.model_name:
            if not switching:
                raise SemnetzError(f"this network is built with the model {current}, not {self.model_name}; to switch "
                                   f"it (everything is embedded again): semnetz reindex --model {self.model_name}")
            return self._reembed(tables, reason=f"model changed from {current} to {self.model_name}")
        if built != self.model_name:
            with tables.transaction():
                tables.set_meta("model", self.model_name)
        return None

    # ---- writing people ----
    def import_file(self, path: str | os.PathLike) -> ImportReport:
        """Import (upsert) every person in a people file (JSON Lines, JSON, CSV, a Google or Outlook contacts
        export, vCard); all or nothing. Cards or rows of an address book with neither what someone does nor a
        phone number or e-mail address are skipped (counted in the report)."""
        people = readers.read_file(path)
        report = self.import_records(people.people, source=str(path), action="import")
        report.skipped = people.skipped
        return report

    def import_dicts(self, people: list[dict], source: str = "python") -> ImportReport:
        """Import people given as dicts in the JSON Lines format (validated like a file, line = position)."""
        records = [(n, person_from_dict(d, source, n)) for n, d in enumerate(people, start=1)]
        return self.import_records(records, source=source, action="import")

    def import_records(self, records: list[tuple[int | None, PersonRecord]], source: str = "python",
                       action: str = "import") -> ImportReport:
        """Upsert people; only pieces whose text changed are re-embedded. All or nothing."""
        model = self.model_name
        with self.store.locked(action):
            with self._writing(action) as tables:
                self._ensure_model(tables)
                batch = writer.plan(tables, records, source, model, action)
            # encoding is the slow part: no session is open meanwhile, so other commands can read the store
            vectors = writer.encode_unique(batch.texts_to_encode(), lambda texts: self._encode(texts, "embedding"))
            with self._writing(action) as tables:
                with self._changing(tables):
                    writer.write(tables, batch, vectors, model, action)
            self._give_space_back(batch.stale)
        return batch.report

    def _give_space_back(self, stale: bool) -> None:
        """After updates that left old rows behind: rewrite the store when it is mostly free space. Only
        housekeeping, after the change committed: should it fail (a full disk), the change stands and a later
        write tries again."""
        try:
            if stale and self.store.wasteful():
                self.store.compact()
        except Exception:  # noqa: BLE001 - the disk or DuckDB; nothing of the change depends on it
            pass

    def add(self, record: PersonRecord | dict) -> str:
        """Add one new person (even if someone has the same name; an id someone has is an error); returns the
        new person's id."""
        if isinstance(record, dict):
            record = person_from_dict(record, "add")
        self.import_records([(None, record)], source="add", action="add")
        return record.id

    def get(self, person_id: str) -> PersonRecord:
        with self.store.read() as tables:
            return self._record(tables, person_id)

    def records(self) -> list[PersonRecord]:
        """Everyone as recorded, in the import format's terms (what `semnetz list --json` writes and
        `semnetz import` reads back), ordered by id."""
        return list(self.iter_records())

    def iter_records(self, need_states: bool = False) -> Iterator[PersonRecord]:
        """Everyone as recorded, ordered by id, read a chunk of people at a time in one read session (one
        consistent state; a writer waits until it is done). need_states: every need also carries its status, when
        it was recorded and its introductions."""
        with self.store.read() as tables:
            yield from recorded.iter_records(tables, need_states=need_states)

    def _record(self, tables, person_id: str) -> PersonRecord:
        return recorded.records_of(tables, [self._pk(tables, person_id)])[0]

    def export(self, target: str | os.PathLike | IO[str], format: str = "jsonl") -> dict:
        """Write everyone to `target` (a path, "-" for standard output, or a text stream), a line or card at a
        time: "jsonl" is the import format with what became of every need (status, introductions, outcomes), so
        that `import` gives the same network again; "vcf" is vCards 3.0 for a phone. A path is written whole or
        not at all (a temporary file renamed into place), readable only by you. Returns what was written
        ({"people", "needs", "intros"})."""
        from . import export

        export.check_format(format)
        people = self.iter_records(need_states=format == "jsonl")
        try:
            counts = export.write(target, people, format)
        finally:
            people.close()
        where = target if isinstance(target, (str, os.PathLike)) else getattr(target, "name", "a stream")
        self.spool.add("export", [{"format": format, "file": "<stdout>" if where == "-" else str(where), **counts}])
        return counts

    def backup(self, path: str | os.PathLike) -> dict:
        """Write one consistent, compressed snapshot of the network to `path` (a zip archive: the store,
        checkpointed, and a manifest with the versions, the model, the counts and every member's SHA-256; see
        semnetz/backup.py), whole or not at all, readable only by you. Takes the write lock only to checkpoint and
        copy the store file; searches go on meanwhile. Returns the manifest (with "bytes"). Restore it with
        semnetz.backup.restore(path, home)."""
        from . import backup

        if self.store.shared:
            raise SemnetzError(f"{self.store} is backed up by PostgreSQL's own means (pg_dump, or the database's "
                               "backups), or moved into a home with semnetz copy --from; nothing was written")
        return backup.snapshot(self, path)

    def edit(self, person_id: str, changes: dict | PersonEdit) -> PersonRecord:
        """Change some fields of a person: a dict in the import format (minus the id), or a PersonEdit
        (replace, add to or remove from lists)."""
        current = self.get(person_id)
        if isinstance(changes, PersonEdit):
            changes = changes.changes(current)
        data = {**current.to_dict(), **changes, "id": person_id}
        record = person_from_dict(data, "edit")
        self.import_records([(None, record)], source="edit", action="edit")
        return record

    def remove(self, person_id: str) -> None:
        """Delete a person everywhere: store, view, audit log (entries that quote them keep only a tombstone);
        the store file is then rewritten, so no byte of them stays in the home."""
        with self.store.locked("remove"):
            with self._writing("remove") as tables:
                pk = self._pk(tables, person_id)
                self.store.room_to_compact(f"removing {person_id}")
                record = self._record(tables, person_id)
                texts = tables.people.texts_of(pk)
                known_through = tables.people.known_through(person_id)
                # before the delete commits: should this process die while the file is rewritten, the next
                # writer rewrites it (store/db.py), so no byte of them stays
                self.store.mark_compaction()
                with self._changing(tables):
                    need_ids = [n.need_id for n in tables.needs.rows(person_pk=pk)]
                    item_ids = tables.people.delete(pk)
                    tables.links.remove_person(pk)
                    tables.needs.remove_person(pk, need_ids)
                    tables.people.clear_via(person_id)
                    tables.audit.redact_person(person_id, record.name, record.aliases, record.contact, texts)
                    tables.audit.log("remove", {"removed": 1, "pieces": len(item_ids)})
                    tables.journal.touch(people=[pk, *known_through], edges=[pk, *known_through])
                    tables.bump_generation()
            self.store.compact_after(f"Removed {person_id} ({record.name})",
                                     "bytes of them stay in the store file (not in the search index)")

    def list_people(self) -> list[dict]:
        with self.store.read() as tables:
            return tables.people.rows()

    def _ids(self) -> set[str]:
        with self.store.read() as tables:
            return tables.people.ids()

    def contacts(self, person_ids: list[str]) -> dict[str, dict[str, str]]:
        """id -> how to reach them as recorded (phone, email, …), for these people in one read; ids nobody has
        are left out. (A search never reads the store; a page that shows its results with phone numbers does.)"""
        wanted = list(dict.fromkeys(person_ids))
        if not wanted:
            return {}
        with self.store.read() as tables:
            pks = [pk for pk in (tables.people.pk(i) for i in wanted) if pk is not None]
            return {r["id"]: r["contact"] for r in tables.people.rows(pks)}

    def same_name(self, name: str) -> list[str]:
        """ids of the people called this, oldest first."""
        with self.store.read() as tables:
            return tables.people.with_name(name)

    def namesakes(self, person_id: str) -> list[str]:
        """ids of the others with this person's name, oldest first: what every front door says after adding
        someone ("there is also a Kurt Meier: p0001"), since adding never merges people by name."""
        with self.store.read() as tables:
            name = self._record(tables, person_id).name
            return [i for i in tables.people.with_name(name) if i != person_id]

    def reach(self, found: list) -> list:
        """Fill in how to reach each of these matches or proposals (their .reach: whom to contact, the person or
        the one who introduces them, with that one's phone and e-mail) from the search index; returns them."""
        from .results import Reach

        view = self.view() if found else None
        known = {item.steps[0].id: view.contact(item.steps[0].pk) for item in found
                 if item.steps and item.steps[0].pk >= 0 and view.is_live([item.steps[0].pk])[0]}
        missing = [item.steps[0].id for item in found if item.steps and known.get(item.steps[0].id) is None]
        known.update(self.contacts(missing) if missing else {})  # an index written before it kept them
        for item in found:
            if item.steps:
                item.reach = Reach(item.steps, known.get(item.steps[0].id) or {})
        return found

    # ---- searching ----
    def search(self, query: str, k: int = DEFAULT_K, include_all: bool = False, hops: int = DEFAULT_HOPS,
               when: str | None = None, tags: list[str] | None = None, mode: str = "hybrid") -> SearchResult:
        """People who fit one need, best first (see search_batch)."""
        return self.search_batch([query], k=k, include_all=include_all, hops=hops, when=when, tags=tags,
                                 mode=mode)[0]

    def search_batch(self, queries: list[str], k: int = DEFAULT_K, include_all: bool = False,
                     hops: int = DEFAULT_HOPS, when: str | None = None, tags: list[str] | None = None,
                     mode: str = "hybrid") -> list[SearchResult]:
        """Rank people for many queries at once (one encoder call, one index batch, one log write).

        People more than ``hops`` links away (1 = direct contacts only, at most 3) or without one of ``tags``
        are not searched at all; ``when`` ("Samstagabend") moves people whose stated availability contradicts
        it down. ``mode``: "hybrid" (everything, the default), "dense" (vectors only) or "lexical" (BM25 only),
        for comparisons. See README, "What a score means".
        """
        if when:
            not_past(when)
        results = self._repaired(lambda: self._searcher(mode).search_batch(
            queries, k=k, include_all=include_all, hops=hops, when=when, tags=tags, mode=mode))
        self.spool.add("search", [{"q": r.query, "ids": [m.id for m in r.matches]} for r in results])
        return results

    def warm(self) -> None:
        """Load what a search needs (the view, the encoder, the background knowledge) now instead of in the first
        search: a server calls this before it takes requests."""
        self._searcher()

    def _searcher(self, mode: str = "hybrid") -> Searcher:
        view = self.view()
        return Searcher(view, self.encoder if mode != "lexical" else _NoEncoder(),
                        self._service_bridge() if mode == "hybrid" else None)

    # ---- links ----
    def link(self, a: str, b: str, relation: str | None = None, strength: float | None = None) -> None:
        """Record that a knows b (relation: who b is to a, e.g. "Bruder"; strength 0..1)."""
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise InputError(f"--strength must be from 0 to 1, got {strength}")
        with self._writing("link") as tables:
            pk_a, pk_b = self._pk(tables, a), self._pk(tables, b)
            if pk_a == pk_b:
                raise InputError(f"cannot link {a} to themself")
            with self._changing(tables):
                tables.links.upsert([Link(pk_a, pk_b, relation or None, strength)])
                tables.audit.log("link", {"from": a, "to": b, "relation": relation, "strength": strength})
                tables.journal.touch(edges=[pk_a, pk_b])
                tables.bump_generation()

    def unlink(self, a: str, b: str) -> None:
        with self._writing("unlink") as tables:
            pk_a, pk_b = self._pk(tables, a), self._pk(tables, b)
            with self._changing(tables):
                if not tables.links.remove(pk_a, pk_b):
                    raise InputError(f"{a} and {b} are not linked")
                tables.audit.log("unlink", {"from": a, "to": b})
                tables.journal.touch(edges=[pk_a, pk_b])
                tables.bump_generation()

    # ---- pictures ----
    def neighbourhood(self, around: str = SELF_ID, hops: int = DEFAULT_HOPS,
                      limit: int = DEFAULT_PICTURE_PEOPLE) -> "picture.Neighbourhood":
        """Who knows whom around you (or around the person `around`): the people within `hops`, the nearest
        first and at most `limit` of them, the links between them and what each offers (semnetz/picture.py).
        Reads only those people from the store; loads no model."""
        from . import picture

        picture.check_options(hops, limit)
        with self.store.read() as tables:
            return picture.neighbourhood(tables, around, hops, limit)

    def picture(self, out: str | os.PathLike, around: str = SELF_ID, hops: int = DEFAULT_HOPS,
                limit: int = DEFAULT_PICTURE_PEOPLE) -> "picture.Neighbourhood":
        """Draw neighbourhood(…) to `out`: .html (a self-contained page), .svg or .png, written atomically and
        readable only by you. Returns what was drawn."""
        from . import picture

        picture.check_out(out)
        hood = self.neighbourhood(around, hops, limit)
        picture.write(hood, out)
        return hood

    @staticmethod
    def _pk(tables, person_id: str) -> int:
        pk = tables.people.pk(person_id)
        if pk is None:
            raise UnknownPersonError(person_id)
        return pk

    # ---- needs and introductions ----
    def add_need(self, person_id: str, text: str, when: str | None = None) -> int:
        """Add a need to a person; returns its need id. A when that is over ("gestern") is an error."""
        text = text.strip()
        if not person_id:
            raise InputError("say whose need it is (a person's id, or 'me')", key="need_without_person")
        if not text:
            raise InputError("the need is empty: say what is needed", key="need_empty")
        if when:
            parse_when(when)  # a clear error before anything is written
            not_past(when)
        if person_id == SELF_ID and SELF_ID not in self._ids():
            # the user's own needs belong to a person "me", who offers nothing and so is never found in a search
            self.import_records([(None, PersonRecord(name=SELF_ID, id=SELF_ID))], source="need add", action="add")
        record = self.get(person_id)
        self.edit(person_id, {"needs": [{"text": n.text, "when": n.when} for n in record.needs]
                              + [{"text": text, "when": when}]})
        with self.store.read() as tables:
            rows = tables.needs.rows(person_pk=self._pk(tables, person_id))
        return max(n.need_id for n in rows if n.text == text)

    def needs(self, status: str | None = None, read_only: bool = False) -> list[NeedRow]:
        """Needs, soonest first; past their date they are 'expired' (and recorded so). read_only (a page view, a
        GET): no write lock and nothing written; a need past its date is still shown as expired."""
        if status is not None and status not in NEED_STATUSES:
            raise InputError(f"unknown status '{status}' (one of: {', '.join(NEED_STATUSES)})",
                             key="unknown_status", status=status)
        if read_only:
            with self.store.read() as tables:
                return _expired_as_of(tables.needs.rows(), date.today(), status)
        with self._writing("needs") as tables:
            tables.needs.expire(date.today())
            return tables.needs.rows(status=status)

    def match(self, person_id: str | None = None, k: int = DEFAULT_PROPOSALS,
              include_all: bool = False, read_only: bool = False) -> list[Proposal]:
        """Proposed introductions: for every open need the people who fit it, or for one person the needs their
        offers could meet. Every proposal is written to the audit log, unless read_only (a page view, a GET):
        then nothing is written and no write lock is taken (needs past their date are left out all the same)."""
        return self._repaired(lambda: self._match(person_id, k, include_all, read_only))

    def _match(self, person_id: str | None, k: int, include_all: bool, read_only: bool = False) -> list[Proposal]:
        searcher = self._searcher()
        with (self.store.read() if read_only else self._writing("match")) as tables:
            if read_only:
                needs = _expired_as_of(tables.needs.rows(status="open"), date.today(), "open")
            else:
                tables.needs.expire(date.today())
                needs = tables.needs.rows(status="open")
            vectors = tables.people.vectors_of([n.need_id for n in needs])
            if person_id is None:
                proposals = matching.propose(searcher, needs, vectors, k=k, include_all=include_all)
            else:
                pk = self._pk(tables, person_id)
                proposals = matching.needs_for_person(searcher, pk, needs, vectors, k=k, include_all=include_all)
            if not read_only:
                with tables.transaction():
                    tables.audit.log_many("proposal", [
                        {"need_id": p.need.need_id, "needs": p.need.person_id, "offers": p.person_id,
                         "score": round(p.score, 3)} for p in proposals])
        return proposals

    def intro(self, need_id: int, person_id: str) -> NeedRow:
        """Record that the user introduced person_id to the one with this need; the need becomes 'matched'.
        Returns the need as it is now."""
        with self._writing("intro") as tables:
            need, pk = self._need_and_person(tables, need_id, person_id)
            with tables.transaction():
                tables.needs.intro(need_id, pk)
                if need.status == "open":
                    tables.needs.set_status(need_id, "matched")
                    need = dataclasses.replace(need, status="matched")
                tables.audit.log("intro", {"need_id": need_id, "needs": need.person_id, "introduced": person_id})
        return need

    def intros(self, need_id: int | None = None) -> list[IntroRow]:
        """The introductions recorded (for one need), oldest first, each with how it went."""
        with self.store.read() as tables:
            return tables.needs.intros(None if need_id is None else [need_id])

    def outcome(self, need_id: int, person_id: str, helped: bool) -> NeedRow:
        """How an introduction went; 'helped' fulfils the need and ranks the helper a little higher next time.
        Returns the need as it is now."""
        with self._writing("outcome") as tables:
            need, pk = self._need_and_person(tables, need_id, person_id)
            with self._changing(tables):
                tables.needs.set_outcome(need_id, pk, helped)
                tables.needs.set_status(need_id, "fulfilled" if helped else "open")
                tables.audit.log("outcome", {"need_id": need_id, "needs": need.person_id, "introduced": person_id,
                                             "helped": helped})
                tables.journal.touch(people=[pk])  # how often they helped is part of their ranking
                tables.bump_generation()
        return dataclasses.replace(need, status="fulfilled" if helped else "open")

    def _need_and_person(self, tables, need_id: int, person_id: str) -> tuple[NeedRow, int]:
        rows = tables.needs.rows(need_ids=[need_id])
        if not rows:
            raise InputError(f"no need with id {need_id} (see 'semnetz needs')", key="unknown_need", need_id=need_id)
        pk = self._pk(tables, person_id)
        if pk == rows[0].person_pk:
            raise InputError(f"{person_id} is the one with this need; introduce someone else", key="intro_self",
                             id=person_id)
        return rows[0], pk

    # ---- maintenance ----
    def built_model(self) -> str | None:
        """The model the network is built with (None for a network nobody was imported into)."""
        if not self.store.exists():
            return None
        with self.store.read() as tables:
            return tables.get_meta("model") or next(iter(tables.people.models_in_use()), None)

    def reindex(self, reason: str = "reindex") -> dict:
        """Re-embed every piece with the model asked for (Network(model=…); switching the network to it), rebuild
        the view, and rewrite the store file (space that old vectors took is given back)."""
        with self.store.locked("reindex"):
            with self._writing("reindex") as tables:
                self.store.room_to_compact("reindex")
                self.store.mark_compaction()
                done = self._ensure_model(tables, switching=True) or self._reembed(tables, reason)
            self.store.compact_after("Re-embedded and rebuilt the search index",
                                     "the store file keeps the space the old vectors took")
        return done

    def _reembed(self, tables, reason: str) -> dict:
        """Chunk by chunk, each chunk committed: an interrupted reindex leaves some pieces on the new model,
        which the next write notices (two models in use) and finishes, so vectors of two models never mix."""
        people = tables.people
        ids = people.item_ids()
        model = self.model_name
        with _progress(len(ids), "re-embedding", self.progress) as bar:
            for start in range(0, len(ids), REINDEX_CHUNK):
                chunk = ids[start:start + REINDEX_CHUNK]
                texts = people.texts_between(chunk[0], chunk[-1])
                unique = list(dict.fromkeys(texts[i] for i in chunk))
                vectors_by_text = dict(zip(unique, self.encoder.encode_texts(unique)))
                with tables.transaction():
                    people.replace_vectors(chunk, np.stack([vectors_by_text[texts[i]] for i in chunk]), model)
                bar.update(len(chunk))
        with self._changing(tables, rebuild=True):
            tables.set_meta("model", model)
            tables.set_meta("index_type", self.index_type)
            tables.set_meta("last_reindex", datetime.now().isoformat(timespec="seconds"))
            tables.audit.log("reindex", {"pieces": len(ids), "model": model, "reason": reason})
            tables.bump_generation()
        self.store.vectors.drop_models(people.models_in_use() or {model})  # the old model's file goes whole
        return {"pieces": len(ids), "model": model}

    def log_entries(self, limit: int | None = None, action: str | None = None) -> list[dict]:
        with self._writing("log") as tables:
            return tables.audit.entries(limit, action)

    def stats(self) -> dict:
        view = self.view()
        with self.store.read() as tables:
            counts = tables.people.counts()
            last_reindex = tables.get_meta("last_reindex")
        view_dir = self.home / VIEW_DIRNAME
        return {
            "home": str(self.home),
            **counts,
            "index_vectors": {"offers": view.piece_count},
            "index_type": view.index_type,
            "index_choice": self.index_type,
            "index_segments": len(view.segments),
            "index_bytes": sum(f.stat().st_size for f in view_dir.rglob("*") if f.is_file()),
            "store": str(self.store),
            "store_bytes": self.store.size(),
            "model": view.model,
            "dim": int(view.manifest["dim"]),
            "last_reindex": last_reindex,
        }


def _expired_as_of(rows: list[NeedRow], today: date, status: str | None) -> list[NeedRow]:
    """Needs as a write would leave them today (open or matched needs past their date are expired), with the
    given status only; for a reader, which changes nothing."""
    out = []
    for row in rows:
        if row.status in ("open", "matched") and row.due_until is not None and row.due_until < today:
            row = dataclasses.replace(row, status="expired")
        if status is None or row.status == status:
            out.append(row)
    return out


class _NoEncoder:
    """Lexical search encodes nothing (and loads no model)."""

    min_score = 0.0

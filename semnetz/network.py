"""The Python API: a person's network on disk (DuckDB store + FAISS index + encoder), one object.

    from semnetz import Network
    net = Network(home="~/semnetz")
    net.import_file("data/people.jsonl")
    for match in net.search("brauche Handwerker").matches:
        print(match.name, match.score, match.why)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np

from . import encoders
from .errors import InputError, UnknownPersonError
from .home import DB_FILENAME, INDEX_DIRNAME, MODEL_ENVVAR, resolve_home
from .graph import DEFAULT_HOPS, MAX_HOPS, ME, Reach, compute_reach
from .importer import read_people
from .lexical import LexicalIndex
from .links import Link, LinkTable
from .needs_store import NeedTable
from .names import NameMatcher
from .records import NeedSpec, PersonRecord
from .search import Match, PieceOwners, Scope, Searcher
from .text import query_clauses
from .when import availability_fit, parse_when, read_availability, time_said, without_time
from .store import Store, int_list
from .vector_file import VectorFile
from .vector_index import DEFAULT_INDEX_TYPE, EXACT_INDEX_TYPE, IdFilter, VectorIndex, resolve_index_type

# Vector spaces, each its own FAISS index: what people offer or are, and what they need.
SPACES = {"offers": ("about", "offer", "offer_part"), "needs": ("need",)}
ENCODE_BATCH = 4096  # texts per encoder call when importing (the progress bar moves per call)
TRAINING_SAMPLE = 100_000
TRAINING_POINTS_PER_LIST = 40  # faiss wants at least 39 training vectors per IVF list
REINDEX_CHUNK = 20_000  # vectors an IVF index learns its lists from
# Up to this many pieces their texts are kept in memory (saves a query per search); beyond, fetched per search.
TEXTS_IN_MEMORY_MAX_PIECES = 1_000_000
# Besides the encoder's minimum score, a result whose fit is more than this far below the best fit is not shown.
SCORE_MARGIN = 0.2
SEARCH_MODES = ("hybrid", "dense", "lexical")
# A person who helped after an introduction gets this much added to their score, for up to 3 such outcomes.
HELPED_BONUS = 0.03
HELPED_MAX_COUNTED = 3
# With a wanted time (--when): fit is multiplied by this, by what the person says about their availability.
AVAILABILITY_FACTOR = {"fits": 1.05, "contradicts": 0.75, "unknown": 1.0}
MAX_K = 1000


@dataclass
class ImportReport:
    source: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    embedded: int = 0  # pieces encoded now
    reused: int = 0  # pieces whose vector was kept (content hash unchanged)

    def to_json(self) -> dict:
        return {"source": self.source, "added": len(self.added), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "embedded": self.embedded, "reused": self.reused}


@dataclass
class SearchResult:
    query: str
    matches: list[Match]
    best_below_threshold: Match | None = None  # set when nothing passed the minimum score
    when: str | None = None  # the time availability was weighed for (--when, or said in the query)

    def to_json(self) -> dict:
        out = {"q": self.query, "results": [m.to_json() for m in self.matches]}
        if self.when:
            out["when"] = self.when
        return out


def _progress(total: int, desc: str, enabled: bool | None):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="piece", disable=None if enabled else True, leave=False)


class Network:
    def __init__(self, home: str | os.PathLike | None = None, model: str | None = None,
                 index_type: str | None = None, progress: bool = False):
        self.home = resolve_home(home)
        self.store = Store(self.home / DB_FILENAME)
        self.progress = progress
        self._requested_model = model or os.environ.get(MODEL_ENVVAR) or None
        self._index_type = index_type
        self._encoder: encoders.Encoder | None = None
        self._indexes: dict[str, VectorIndex] = {}
        self._names: tuple[int, NameMatcher] | None = None
        self._lexical: LexicalIndex | None = None
        self._owners: tuple[int, PieceOwners] | None = None
        self._lexical_generation: int | None = None
        self._reach: tuple[tuple[int, int], Reach] | None = None
        self._scopes: dict = {}
        self._availability: tuple[int, dict] | None = None
        self._bridge = None
        self._nominees = None
        self._id_names = None
        self._labels = None
        self.links = LinkTable(self.store.conn)
        self.need_table = NeedTable(self.store.conn)

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- components ----
    @property
    def model_name(self) -> str:
        """--model / $SEMNETZ_MODEL if given, else the model the network was embedded with, else the default."""
        if self._requested_model is None:
            # as good as requested from here on: the store's model (or the default) stays this network's model
            self._requested_model = self.store.get_meta("model") or encoders.default_model_name()
        return self._requested_model

    @property
    def encoder(self) -> encoders.Encoder:
        if self._encoder is None:
            self._encoder = encoders.get_encoder(self.model_name)
        return self._encoder

    @property
    def index_type(self) -> str:
        """The requested index type: "auto" (by size, the default) or a faiss factory string."""
        return self._index_type or self.store.get_meta("index_type") or DEFAULT_INDEX_TYPE

    def _index_path(self, space: str) -> Path:
        return self.home / INDEX_DIRNAME / f"{space}.faiss"

    def _index(self, space: str) -> VectorIndex:
        """The space's FAISS index, loaded if current with the store, else rebuilt from the stored vectors."""
        if space in self._indexes:
            return self._indexes[space]
        self._ensure_model()
        loaded = VectorIndex.load(self._index_path(space))
        if loaded is not None:
            index, meta = loaded
            if (meta.get("generation") == self.store.generation and meta.get("model") == self.model_name
                    and meta.get("requested_type", meta.get("index_type")) == self.index_type
                    and meta.get("vector_file")):
                self._indexes[space] = index
                return index
        return self._rebuild_index(space)

    def _rebuild_index(self, space: str) -> VectorIndex:
        """A new index from the stored vectors (streamed in chunks; a trained type learns from a sample)."""
        kinds = SPACES[space]
        n = self.store.count_items(kinds)
        dim = next((v.shape[1] for _, v in self.store.iter_vectors(kinds, chunk=1, sample=1)), None) or self.encoder.dim
        index = VectorIndex(dim, resolve_index_type(self.index_type, n, dim))
        if index.needs_training:
            lists = index.lists or 1
            wanted = min(n, max(TRAINING_SAMPLE, TRAINING_POINTS_PER_LIST * lists))
            try:
                for _, sample in self.store.iter_vectors(kinds, chunk=wanted, sample=wanted):
                    index.train(sample)
            except RuntimeError:  # too few vectors to train this type (e.g. a handful of needs): exact instead
                index = VectorIndex(dim, EXACT_INDEX_TYPE)
        vector_file = self._vector_file(space, dim)
        vector_file.truncate()
        for ids, vectors in self.store.iter_vectors(kinds):
            index.add(ids, vectors)
            vector_file.write(ids, vectors)
        self._save_index(space, index)
        return index

    def _vector_file(self, space: str, dim: int | None = None) -> VectorFile:
        dim = dim or (self._indexes[space].dim if space in self._indexes else self.encoder.dim)
        return VectorFile(self.home / INDEX_DIRNAME / f"{space}.f16", dim)

    def piece_vectors(self, space: str, item_ids: np.ndarray) -> np.ndarray:
        """Vectors of these pieces for rescoring: from the index, or from the vector file if it is lossy."""
        index = self._index(space)
        if index.lossy:
            return self._vector_file(space, index.dim).read(item_ids)
        return index.reconstruct(item_ids)

    def _save_index(self, space: str, index: VectorIndex) -> None:
        index.save(self._index_path(space), {"generation": self.store.generation, "model": self.model_name,
                                             "requested_type": self.index_type, "vector_file": True})
        self._indexes[space] = index

    def _lexical_index(self) -> LexicalIndex:
        """The BM25 index over people, rebuilt when the store changed since it was built."""
        if self._lexical is None:
            self._lexical = LexicalIndex(self.store.conn)
        if self._lexical_generation != self.store.generation:
            if self.store.get_meta("lexical_generation") != str(self.store.generation):
                self._lexical.rebuild()
                self.store.set_meta("lexical_generation", self.store.generation)
            self._lexical_generation = self.store.generation
        return self._lexical

    def _piece_owners(self) -> PieceOwners:
        if self._owners is None or self._owners[0] != self.store.generation:
            item_ids, person_pks = self.store.piece_owners(SPACES["offers"])
            texts = None
            if len(item_ids) <= TEXTS_IN_MEMORY_MAX_PIECES:
                texts = self.store.piece_texts(item_ids.tolist())
            self._owners = (self.store.generation, PieceOwners(item_ids, person_pks, texts))
        return self._owners[1]

    def _name_matcher(self) -> NameMatcher:
        """Names and aliases for fuzzy lookup: loaded from index/names.npz, or built (and saved) when stale."""
        if self._names is None or self._names[0] != self.store.generation:
            path = self.home / INDEX_DIRNAME / "names.npz"
            matcher = NameMatcher.load(path, self.store.generation)
            if matcher is None:
                matcher = NameMatcher(self.store.name_table())
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    matcher.save(path, self.store.generation)
                except OSError:
                    pass
            self._names = (self.store.generation, matcher)
        return self._names[1]

    def _ensure_model(self) -> None:
        """Vectors of two models never mix: if the model changed, re-embed everything first."""
        stored = self.store.models_in_use()
        if stored and stored != {self.model_name}:
            self.reindex(reason=f"model changed from {', '.join(sorted(stored))} to {self.model_name}")
        elif self.store.get_meta("model") != self.model_name:
            self.store.set_meta("model", self.model_name)

    def _encode(self, texts: list[str], desc: str) -> np.ndarray:
        if len(texts) <= ENCODE_BATCH:
            return self.encoder.encode_texts(texts) if texts else np.zeros((0, self.encoder.dim), np.float32)
        out = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
        with _progress(len(texts), desc, self.progress) as bar:
            for start in range(0, len(texts), ENCODE_BATCH):
                chunk = texts[start:start + ENCODE_BATCH]
                out[start:start + len(chunk)] = self.encoder.encode_texts(chunk)
                bar.update(len(chunk))
        return out

    # ---- writing people ----
    def import_file(self, path: str | os.PathLike) -> ImportReport:
        """Import (upsert) every person in a JSON Lines or CSV file; all or nothing."""
        records = read_people(path)
        return self.import_records(records, source=str(path), action="import")

    def import_dicts(self, people: list[dict], source: str = "python") -> ImportReport:
        """Import people given as dicts in the JSON Lines format (validated like a file, line = position)."""
        from .records import person_from_dict

        records = [(n, person_from_dict(d, source, n)) for n, d in enumerate(people, start=1)]
        return self.import_records(records, source=source, action="import")

    def _bump_graph(self) -> None:
        self.store.bump_graph_generation()
        self._reach = None

    def import_records(self, records: list[tuple[int | None, PersonRecord]], source: str = "python",
                       action: str = "import") -> ImportReport:
        """Upsert people; only pieces whose text changed are re-embedded. All or nothing (see upsert.py)."""
        from .upsert import import_records

        return import_records(self, records, source, action)

    def add(self, record: PersonRecord) -> str:
        """Add one person (or update them, if their id exists); returns their id."""
        self.import_records([(None, record)], source="add", action="add")
        return record.id

    def get(self, person_id: str) -> PersonRecord:
        pk = self.store.person_pk(person_id)
        if pk is None:
            raise UnknownPersonError(person_id)
        row = self.store.person_row(pk)
        items = self.store.items_of([pk])
        whens = self._need_whens([i.item_id for i in items if i.kind == "need"])
        return PersonRecord(
            name=row["name"], id=row["id"], aliases=list(row["aliases"]), text=row["text"],
            offers=[i.text for i in items if i.kind == "offer"],
            needs=[NeedSpec(i.text, whens.get(i.item_id)) for i in items if i.kind == "need"],
            tags=list(row["tags"]), contact=row["contact"], knows=self._knows_of(pk), via=row["via"],
        )

    def _need_whens(self, item_ids: list[int]) -> dict[int, str | None]:
        if not item_ids:
            return {}
        rows = self.store.conn.execute(
            f"SELECT item_id, when_text FROM needs WHERE item_id IN {int_list(item_ids)}"
        ).fetchall()
        return dict(rows)

    def _knows_of(self, pk: int) -> list:
        from .records import KnowsSpec

        links = self.links.outgoing(pk)
        ids = {r["pk"]: r["id"] for r in self.store.people_rows([l.to_pk for l in links])}
        return [KnowsSpec(ids[l.to_pk], l.relation, l.strength) for l in links if l.to_pk in ids]

    def edit(self, person_id: str, changes: dict) -> PersonRecord:
        """Change some fields of a person (a dict in the import format, minus the id)."""
        from .records import person_from_dict

        current = self.get(person_id).to_dict()
        current.update(changes)
        current["id"] = person_id
        record = person_from_dict(current, "edit")
        self.import_records([(None, record)], source="edit", action="edit")
        return record

    def remove(self, person_id: str) -> None:
        """Delete a person everywhere: store, vectors, index, and mentions in the audit log."""
        pk = self.store.person_pk(person_id)
        if pk is None:
            raise UnknownPersonError(person_id)
        indexes = {space: self._index(space) for space in SPACES}
        with self.store.transaction():
            need_ids = [n.need_id for n in self.need_table.rows(person_pk=pk)]
            item_ids = self.store.delete_person(pk)
            self.links.remove_person(pk)
            self.need_table.remove_person(pk, need_ids)
            self.store.conn.execute("UPDATE people SET via = NULL WHERE via = ?", [person_id])
            self._bump_graph()
            self.store.scrub_from_log(person_id)
            self.store.log("remove", {"removed": 1, "pieces": len(item_ids)})
            self.store.bump_generation()
        for space, index in indexes.items():
            index.remove(item_ids)
            self._vector_file(space, index.dim).write(np.asarray(item_ids, dtype=np.int64),
                                                      np.zeros((len(item_ids), index.dim), dtype=np.float32))
            self._save_index(space, index)
        self._forget_derived()
        self.store.conn.execute("CHECKPOINT")

    def _forget_derived(self) -> None:
        """Drop caches derived from people's text (name index, nominations, full-text index) now, not at the
        next search: a removed person must not linger in them."""
        for name in ("names.npz", "service_people.json"):
            (self.home / INDEX_DIRNAME / name).unlink(missing_ok=True)
        self._names = self._nominees = None
        if self._lexical is not None or self.store.get_meta("lexical_generation") is not None:
            self._lexical_index()  # rebuilt for the new generation, without them

    def list_people(self) -> list[dict]:
        return self.store.people_rows()

    # ---- searching ----
    def search(self, query: str, k: int = 5, include_all: bool = False, hops: int = DEFAULT_HOPS,
               when: str | None = None, tags: list[str] | None = None, mode: str = "hybrid") -> SearchResult:
        """People who fit one need, best first (see search_batch)."""
        return self.search_batch([query], k=k, include_all=include_all, hops=hops, when=when, tags=tags,
                                 mode=mode)[0]

    def search_batch(self, queries: list[str], k: int = 5, include_all: bool = False, hops: int = DEFAULT_HOPS,
                     when: str | None = None, tags: list[str] | None = None,
                     mode: str = "hybrid") -> list[SearchResult]:
        """Rank people for many queries at once (one encoder call, one FAISS batch, one log write).

        People more than ``hops`` links away (1 = direct contacts only, at most 3) or without one of ``tags``
        are not searched at all; ``when`` ("Samstagabend") moves people whose stated availability contradicts
        it down. ``mode``: "hybrid" (everything, the default), "dense" (vectors only) or "lexical" (BM25 only),
        for comparisons. See README, "What a score means".
        """
        if mode not in SEARCH_MODES:
            raise InputError(f"unknown mode '{mode}' (one of: {', '.join(SEARCH_MODES)})")
        queries = [q.strip() for q in queries]
        if any(not q for q in queries):
            raise InputError("empty query: say what you need, e.g. semnetz \"brauche Handwerker\"")
        if not 1 <= k <= MAX_K:
            raise InputError(f"-k must be from 1 to {MAX_K}, got {k}")
        if not 1 <= hops <= MAX_HOPS:
            raise InputError(f"--hops must be from 1 to {MAX_HOPS}, got {hops}")
        index = self._index("offers")
        # a time said in the query ("Babysitter am Samstagabend") weighs availability like `when`, which wins
        said = [time_said(q) for q in queries]
        times = [when or t for t in said]
        searcher = self._searcher(index, use_names=mode == "hybrid", mode=mode)
        vectors, parts = self._encode_queries(queries, said, with_parts=mode == "hybrid") if mode != "lexical" \
            else (None, None)
        ranked, verdicts = self._rank_per_time(searcher, queries, vectors, parts, k, times, hops,
                                               tuple(sorted(tags or ())), explicit=when)
        min_score = self.encoder.min_score if mode != "lexical" else 0.0
        results = []
        for query, matches, availability, time in zip(queries, ranked, verdicts, times):
            self._describe(matches, hops, availability)
            time = time if availability else None
            if include_all:
                results.append(SearchResult(query, matches, when=time))
                continue
            floor = max(min_score, max((m.fit for m in matches), default=0) - SCORE_MARGIN)
            kept = [m for m in matches if m.fit >= floor]
            results.append(SearchResult(query, kept, None if kept or not matches else max(matches, key=lambda m: m.fit),
                                        when=time))
        details = [{"q": r.query, "ids": [m.id for m in r.matches]} for r in results]
        if len(details) == 1:
            self.store.log_soon("search", details[0])
        else:
            self.store.log_many("search", details)
        return results

    def _encode_queries(self, queries: list[str], said: list[str | None], with_parts: bool
                        ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """The queries' vectors and (with_parts) per query the vectors of its parts that can name a need by
        themselves: its clauses, and the query without the time it names (said); one encoder call."""
        if not with_parts:
            return self.encoder.encode_texts(queries), None
        texts_of = []
        for q, time in zip(queries, said):
            parts = query_clauses(q)
            rest = without_time(q) if time else ""
            if re.search(r"\w", rest):
                parts.append(rest)
            texts_of.append(parts)
        vectors = self.encoder.encode_texts(list(queries) + [t for texts in texts_of for t in texts])
        bounds = np.cumsum([len(queries)] + [len(texts) for texts in texts_of])
        return vectors[:len(queries)], [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def _rank_per_time(self, searcher: Searcher, texts: list[str], vectors: np.ndarray | None,
                       parts: list[np.ndarray] | None, k: int, times: list[str | None], hops: int,
                       tags: tuple[str, ...] = (), explicit: str | None = None,
                       exclude: list[set[int]] | None = None) -> tuple[list[list[Match]], list[dict[int, str]]]:
        """Rank each text with the availability of its time weighed, one ranking pass per distinct time (usually
        one for the whole batch). explicit: a time the user gave (an error if it names no time); exclude: per
        text, people never to return. Returns the matches and the availability verdicts per text."""
        ranked: list[list[Match]] = [[] for _ in texts]
        verdicts: list[dict[int, str]] = [{} for _ in texts]
        for time in dict.fromkeys(times):
            rows = [i for i, t in enumerate(times) if t == time]
            scope, availability = self._scope(hops, tags, time, strict=time is not None and time == explicit)
            if exclude is not None:
                scope = replace(scope, use_names=False, exclude_pks=[exclude[i] for i in rows], factors={})
            found = searcher.rank([texts[i] for i in rows], None if vectors is None else vectors[rows], k, scope,
                                  None if parts is None else [parts[i] for i in rows])
            for i, matches in zip(rows, found):
                ranked[i], verdicts[i] = matches, availability
        return ranked, verdicts

    def _searcher(self, index: VectorIndex, use_names: bool = True, mode: str = "hybrid") -> Searcher:
        bridge = self._service_bridge() if mode == "hybrid" else None
        return Searcher(self.store, index, self._piece_owners(), self._people_names(),
                        self._name_matcher() if use_names else None,
                        self._lexical_index() if mode != "dense" else None,
                        bridge, self._service_people(bridge, index), lexical_only=mode == "lexical",
                        vectors_of=lambda ids: self.piece_vectors("offers", ids))

    def _people_names(self) -> dict[int, tuple[str, str]]:
        """pk -> (id, name) of everyone (cached)."""
        if self._id_names is None or self._id_names[0] != self.store.generation:
            rows = self.store.conn.execute("SELECT pk, id, name FROM people").fetchall()
            self._id_names = (self.store.generation, {pk: (i, n) for pk, i, n in rows})
        return self._id_names[1]

    def _service_bridge(self):
        """Needs-to-roles background knowledge for the current encoder (None if models/services.jsonl is absent)."""
        from .services import ServiceBridge

        if self._bridge is None or self._bridge[0] != self.model_name:
            cache_dir = encoders.MODELS_DIR / "cache"
            self._bridge = (self.model_name, ServiceBridge.load(self.encoder, encoders.MODELS_DIR, cache_dir))
        return self._bridge[1]

    def _service_people(self, bridge, index: VectorIndex) -> dict[int, dict[int, tuple[float, int]]]:
        """For each service, the people whose pieces best match one of its role names: pk -> (cosine, item id
        of that piece). Found with one FAISS batch over the role names; saved next to the index."""
        from .services import BRIDGE_CANDIDATES, ROLE_AT_HEAD_SIM

        if bridge is None or len(index) == 0:
            return {}
        key = (self.store.generation, self.model_name)
        if self._nominees is not None and self._nominees[0] == key:
            return self._nominees[1]
        path = self.home / INDEX_DIRNAME / "service_people.json"
        try:
            saved = json.loads(path.read_text())
            if (saved["generation"] == key[0] and saved["model"] == key[1] and saved["services"] == len(bridge.services)
                    and saved.get("per_service") == BRIDGE_CANDIDATES and saved.get("format") == 3):
                nominees = {int(j): {int(pk): (score, item) for pk, score, item in people}
                            for j, people in saved["people"].items()}
                self._nominees = (key, nominees)
                return nominees
        except (OSError, ValueError, KeyError):
            pass
        _, ids = index.search(bridge.role_vectors, min(len(index), BRIDGE_CANDIDATES * 4))
        # exact cosines for the nominated pieces (a compressed index only approximates them)
        found = np.unique(ids[ids >= 0])
        vectors = self.piece_vectors("offers", found)
        row = np.searchsorted(found, np.where(ids >= 0, ids, found[0] if len(found) else 0))
        scores = np.zeros(ids.shape, dtype=np.float32)
        for start in range(0, len(ids) if len(found) else 0, 100):  # 100 roles at a time: bounded memory
            part = slice(start, start + 100)
            scores[part] = np.einsum("rkd,rd->rk", vectors[row[part]], bridge.role_vectors[part])
        owners = self._piece_owners().owners_of(ids)
        best: dict[int, dict[int, tuple[float, int]]] = {}
        for role, (row_scores, row_owners, row_ids) in enumerate(zip(scores, owners, ids)):
            per_person = best.setdefault(int(bridge.role_service[role]), {})
            for score, pk, item in zip(row_scores.tolist(), row_owners.tolist(), row_ids.tolist()):
                if pk >= 0 and score > per_person.get(pk, (-1.0, 0))[0]:
                    per_person[pk] = (score, item)
        # a piece that starts with a role's name ("Tischlermeister mit eigener Werkstatt") names that role, however
        # much else the clause says
        heads = bridge.one_word_roles()
        for item, pk, word in self.store.pieces_headed_by(list(heads), SPACES["offers"], BRIDGE_CANDIDATES):
            for j in heads[word]:
                per_person = best.setdefault(j, {})
                if ROLE_AT_HEAD_SIM > per_person.get(pk, (-1.0, 0))[0]:
                    per_person[pk] = (ROLE_AT_HEAD_SIM, item)
        nominees = {j: dict(sorted(people.items(), key=lambda kv: -kv[1][0])[:BRIDGE_CANDIDATES])
                    for j, people in best.items()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generation": key[0], "model": key[1], "services": len(bridge.services),
                                   "per_service": BRIDGE_CANDIDATES, "format": 3,
                                   "people": {j: [[pk, s, i] for pk, (s, i) in people.items()]
                                              for j, people in nominees.items()}}))
        tmp.replace(path)
        self._nominees = (key, nominees)
        return nominees

    # ---- who can reach whom ----
    def reach(self) -> Reach:
        """Paths from the user to everyone (cached until people or links change)."""
        key = (self.store.generation, self.store.graph_generation)
        if self._reach is None or self._reach[0] != key:
            direct = np.array([r[0] for r in self.store.conn.execute("SELECT pk FROM people WHERE via IS NULL").fetchall()],
                              dtype=np.int64)
            n_pks = self.store.conn.execute("SELECT coalesce(max(pk), 0) FROM people").fetchone()[0]
            self._reach = (key, compute_reach(int(n_pks), direct, self.links.arrays()))
            self._labels = None
            self._scopes = {}
        return self._reach[1]

    def _relation_labels(self):
        self.reach()
        if self._labels is None:
            self._labels = self.links.labels()
        return self._labels

    def _scope(self, hops: int, tags: tuple[str, ...], when: str | None, strict: bool = True) -> tuple[Scope, dict[int, str]]:
        """Who may be found (reachable within hops, with a tag) and how their fit is weighted. strict: a `when`
        that names no time is an error (else it is ignored)."""
        reach = self.reach()
        key = (hops, tags)
        if key not in self._scopes:
            allowed = set(reach.reachable(hops).tolist())
            if tags:
                rows = self.store.conn.execute(
                    "SELECT pk FROM people WHERE len(list_intersect(tags, ?)) > 0", [list(tags)]).fetchall()
                allowed &= {r[0] for r in rows}
            everyone = len(allowed) == self.store.count("people")
            owners = self._piece_owners()
            items = None if everyone else IdFilter(owners.items_of(sorted(allowed))[0])
            helped = self.need_table.helped_counts()
            bonus = np.zeros(len(reach.reach[hops]), dtype=np.float32)
            for pk, count in helped.items():
                if pk < len(bonus):
                    bonus[pk] = HELPED_BONUS * min(count, HELPED_MAX_COUNTED)
            self._scopes[key] = Scope(None if everyone else allowed, items, reach.reach[hops].astype(np.float32), bonus)
        scope = self._scopes[key]
        if not when:
            return scope, {}
        wanted = read_availability(when, date.today())
        if not wanted.known:
            if strict:
                parse_when(when)  # raises a clear error if it is no time expression at all
            return scope, {}
        verdicts: dict[int, str] = {}  # filled for the candidates as the ranking asks for them

        def factors(pks: list[int]) -> dict[int, float]:
            for pk, offered in self._availability_of(pks).items():
                verdicts[pk] = availability_fit(wanted, offered)
            return {pk: AVAILABILITY_FACTOR[verdicts[pk]] for pk in pks if pk in verdicts}

        return replace(scope, availability=factors, factors={}), verdicts

    def _availability_of(self, pks: list[int]) -> dict:
        """What these people's text and offers say about when they are available (cached per person)."""
        if self._availability is None or self._availability[0] != self.store.generation:
            self._availability = (self.store.generation, {})
        known = self._availability[1]
        missing = [pk for pk in pks if pk not in known]
        for start in range(0, len(missing), 1000):
            chunk = missing[start:start + 1000]
            rows = self.store.conn.execute(
                "SELECT p.pk, concat_ws(' ', p.text, string_agg(i.text, ' ')) FROM people p "
                "LEFT JOIN items i ON i.person_pk = p.pk AND i.kind = 'offer' "
                f"WHERE p.pk IN {int_list(chunk)} GROUP BY p.pk, p.text"
            ).fetchall()
            known.update({pk: read_availability(text or "") for pk, text in rows})
        return {pk: known[pk] for pk in pks if pk in known}

    def _describe(self, matches: list[Match], hops: int, availability: dict[int, str]) -> None:
        """Fill in each match's path from the user and how to reach them."""
        reach = self.reach()
        paths = {m.person_pk: reach.path(m.person_pk, hops) for m in matches}
        hop_pairs = [(p[i], p[i + 1]) for p in paths.values() for i in range(len(p) - 1)]
        labels = self._relation_labels().get(hop_pairs) if hop_pairs else {}
        names = self._people_names()
        for m in matches:
            path = paths[m.person_pk]
            m.path = [ME] + [names[pk][0] for pk in path]
            if availability:
                m.availability = availability.get(m.person_pk, "unknown")
            if len(path) <= 1:
                m.how = "direct contact"
                continue
            steps = []
            for a, b in zip(path, path[1:]):
                label = labels.get((a, b))
                steps.append(names[b][1] + (f" ({label})" if label else ""))
            m.how = f"ask {names[path[0]][1]} to introduce you to {steps[0]}" + "".join(
                f", who knows {step}" for step in steps[1:])

    # ---- links ----
    def link(self, a: str, b: str, relation: str | None = None, strength: float | None = None) -> None:
        """Record that a knows b (relation: who b is to a, e.g. "Bruder"; strength 0..1)."""
        pk_a, pk_b = self._pk(a), self._pk(b)
        if pk_a == pk_b:
            raise InputError(f"cannot link {a} to themself")
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise InputError(f"--strength must be from 0 to 1, got {strength}")
        with self.store.transaction():
            self.links.upsert([Link(pk_a, pk_b, relation or None, strength)])
            self.store.log("link", {"from": a, "to": b, "relation": relation, "strength": strength})
            self._bump_graph()

    def unlink(self, a: str, b: str) -> None:
        pk_a, pk_b = self._pk(a), self._pk(b)
        with self.store.transaction():
            if not self.links.remove(pk_a, pk_b):
                raise InputError(f"{a} and {b} are not linked")
            self.store.log("unlink", {"from": a, "to": b})
            self._bump_graph()

    def _pk(self, person_id: str) -> int:
        pk = self.store.person_pk(person_id)
        if pk is None:
            raise UnknownPersonError(person_id)
        return pk

    # ---- needs and introductions ----
    def add_need(self, person_id: str, text: str, when: str | None = None) -> int:
        """Add a need to a person; returns its need id."""
        text = text.strip()
        if not text:
            raise InputError("the need is empty: say what is needed")
        record = self.get(person_id)
        if when:
            parse_when(when)  # a clear error before anything is written
        changes = {"needs": [{"text": n.text, "when": n.when} for n in record.needs] + [{"text": text, "when": when}]}
        self.edit(person_id, changes)
        need_ids = [n.need_id for n in self.need_table.rows(person_pk=self._pk(person_id)) if n.text == text]
        return max(need_ids)

    def needs(self, status: str | None = None) -> list:
        """Needs, soonest first; past their date they are 'expired'."""
        from .needs_store import NEED_STATUSES

        if status is not None and status not in NEED_STATUSES:
            raise InputError(f"unknown status '{status}' (one of: {', '.join(NEED_STATUSES)})")
        self.need_table.expire(date.today())
        return self.need_table.rows(status=status)

    def match(self, person_id: str | None = None, k: int = 3, include_all: bool = False) -> list:
        """Proposed introductions: for every open need the people who fit it, or for one person the needs
        their offers could meet."""
        from . import matching

        if person_id is not None:
            return matching.needs_for_person(self, person_id, k=k, include_all=include_all)
        return matching.match_needs(self, k=k, include_all=include_all)

    def intro(self, need_id: int, person_id: str):
        from . import matching

        return matching.introduce(self, need_id, person_id)

    def outcome(self, need_id: int, person_id: str, helped: bool):
        from . import matching

        return matching.record_outcome(self, need_id, person_id, helped)

    # ---- maintenance ----
    def reindex(self, reason: str = "reindex") -> dict:
        """Re-embed every piece with the current model and rebuild the indexes from the store.

        Chunk by chunk, each chunk committed: an interrupted reindex leaves some pieces on the new model, which
        the next open notices (two models in use) and finishes, so vectors of two models are never searched.
        """
        ids = [r[0] for r in self.store.conn.execute("SELECT item_id FROM items ORDER BY item_id").fetchall()]
        model = self.model_name
        with _progress(len(ids), "re-embedding", self.progress) as bar:
            for start in range(0, len(ids), REINDEX_CHUNK):
                chunk = ids[start:start + REINDEX_CHUNK]
                texts = dict(self.store.conn.execute(
                    "SELECT item_id, text FROM items WHERE item_id BETWEEN ? AND ?", [chunk[0], chunk[-1]]
                ).fetchall())
                unique = list(dict.fromkeys(texts[i] for i in chunk))
                vectors_by_text = dict(zip(unique, self.encoder.encode_texts(unique)))
                with self.store.transaction():
                    self.store.replace_vectors(chunk, np.stack([vectors_by_text[texts[i]] for i in chunk]), model)
                bar.update(len(chunk))
        with self.store.transaction():
            self.store.set_meta("model", model)
            self.store.set_meta("index_type", self.index_type)
            self.store.set_meta("last_reindex", datetime.now().isoformat(timespec="seconds"))
            self.store.log("reindex", {"pieces": len(ids), "model": model, "reason": reason})
            self.store.bump_generation()
        self._indexes.clear()
        for space in SPACES:
            self._rebuild_index(space)
        return {"pieces": len(ids), "model": model}

    def log_entries(self, limit: int | None = None, action: str | None = None) -> list[dict]:
        return self.store.log_entries(limit, action)

    def stats(self) -> dict:
        count = self.store.count
        index_files = list((self.home / INDEX_DIRNAME).glob("*.faiss"))
        index_sizes, index_types = {}, {}
        for space in SPACES:  # read from the saved index, without loading the encoder
            loaded = VectorIndex.load(self._index_path(space))
            index_sizes[space] = len(loaded[0]) if loaded else 0
            index_types[space] = loaded[0].index_type if loaded else None
        return {
            "home": str(self.home),
            "people": count("people"),
            "direct_contacts": count("people", "WHERE via IS NULL"),
            "offers": count("items", "WHERE kind = 'offer'"),
            "about_clauses": count("items", "WHERE kind = 'about'"),
            "needs": count("items", "WHERE kind = 'need'"),
            "index_vectors": index_sizes,
            "index_type": index_types["offers"] or resolve_index_type(self.index_type, 0),
            "index_choice": self.index_type,
            "index_bytes": sum(f.stat().st_size for f in index_files),
            "store_bytes": (self.home / DB_FILENAME).stat().st_size,
            "model": self.model_name,
            "dim": encoders.registry()["encoders"].get(self.model_name, {}).get("dim"),
            "last_reindex": self.store.get_meta("last_reindex"),
        }

"""A segment of the search view: what ranking needs to know about some people, derived from the store, written
once to its own folder and never changed in place.

A *base* segment holds everyone (and the vector index itself, a FAISS file opened memory-mapped); a *delta*
segment holds the people one write touched (their vectors as a small array) and names the people whose earlier
versions it replaces (``dropped``: everyone it touched, including people the write removed). The view
(index/view.py) reads a base and its deltas in order; index/publish.py decides when deltas are merged.

Per segment, as plain arrays (one .npy file each, opened memory-mapped, so a search reads only what it uses):
people (pk, id, name, direct contact or not, times helped, what they say about their time, tags); pieces
(item id, owner, kind, text); names for fuzzy lookup; lexical postings; nominations (which people hold the
roles of each service); links (who knows whom, for the people whose links this segment replaces).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import FILE_MODE, HOME_MODE
from ..sealing import PLAIN, Plain, SealError
from .checksum import DamagedIndex, checksums, sampling, verify
from .lexical import MAX_DOC_FREQUENCY, Postings
from .names import NameMatcher
from .services import BRIDGE_CANDIDATES, ROLE_AT_HEAD_SIM
from .strings import StringColumn
from ..vector_file import VectorFile
from .vectors import DATABASE, EXACT_INDEX_TYPE, VectorIndex, exact_top, resolve_index_type
from .vocabulary import WordList, vocabulary_arrays

SEGMENT_FORMAT = 5
PIECE_KINDS = ("about", "offer", "offer_part")  # what people are and offer: the pieces a need is searched in
TRAINING_SAMPLE = 100_000
TRAINING_POINTS_PER_LIST = 40  # faiss wants at least 39 training vectors per IVF list
READ_CHUNK = 50_000  # pieces read from the store at a time
NOMINATION_ROLES_PER_CALL = 100  # roles scored at a time: bounded memory
NOMINATED_PIECES_PER_ROLE = BRIDGE_CANDIDATES * 4  # nearest pieces looked at per role name


# Files smaller than this are read into memory rather than mapped: every map holds a file descriptor open, and a
# long-running process (semnetz serve) would otherwise hold about 60 per segment, near the usual limit of 1,024.
MAP_FROM_BYTES = 1 << 20


class Arrays:
    """A folder of .npy files, each opened when first asked for: memory-mapped if large, else read. In an
    encrypted home every file is sealed (sealing.py) and read whole into memory, unsealed."""

    def __init__(self, path: Path, sealer: Plain = PLAIN):
        self.path = path
        self.sealer = sealer
        self._open: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._open:
            path = self.path / f"{key}.npy"
            if self.sealer.sealed:
                try:
                    array = np.load(io.BytesIO(self.sealer.read(path)), allow_pickle=False)
                except SealError as exc:
                    raise DamagedIndex(f"{self.path.name}: {exc}") from None
                array.flags.writeable = False
            elif path.stat().st_size < MAP_FROM_BYTES:
                array = np.load(path, allow_pickle=False)
                array.flags.writeable = False  # read-only, like a mapped one
            else:  # a plain array over the mapped file: np.memmap's own indexing costs microseconds a call
                array = np.load(path, mmap_mode="r").view(np.ndarray)
            self._open[key] = array
        return self._open[key]

    def __contains__(self, key: str) -> bool:
        return key in self._open or (self.path / f"{key}.npy").exists()

    def open_all(self) -> None:
        """Open every file now: a mapped file stays readable after a writer deletes it, so a reader that opened
        a segment can finish with it even if a newer view replaces it meanwhile."""
        for path in self.path.glob("*.npy"):
            self[path.stem]

    @staticmethod
    def write(path: Path, arrays: dict[str, np.ndarray], sealer: Plain = PLAIN) -> None:
        for key, value in arrays.items():
            with open(os.open(path / f"{key}.npy", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as f:
                if sealer.sealed:
                    buffer = io.BytesIO()
                    np.save(buffer, np.ascontiguousarray(value), allow_pickle=False)
                    f.write(sealer.seal(buffer.getbuffer(), f"{key}.npy"))
                else:
                    np.save(f, np.ascontiguousarray(value), allow_pickle=False)


@dataclass
class Segment:
    """A written segment, opened. What is derived from its files (names, postings, the vector index) is made
    once and kept: a segment never changes, and the next view after a write reuses it."""

    name: str
    path: Path
    meta: dict
    arrays: Arrays
    _made: dict = field(default_factory=dict, repr=False)

    def _once(self, key, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    # ---- opening ----
    @property
    def sealer(self) -> Plain:
        return self.arrays.sealer

    @classmethod
    def open(cls, path: Path, made: dict | None = None, sealer: Plain = PLAIN) -> "Segment":
        """made: what the writer already holds in memory of it (names, postings, the vector index). Raises
        DamagedIndex when a file differs from its checksum (ValueError for a segment of another version)."""
        try:
            meta = json.loads((path / "meta.json").read_text())
        except ValueError:
            raise DamagedIndex(f"{path.name}/meta.json is damaged") from None
        if meta.get("format") != SEGMENT_FORMAT:
            raise ValueError(f"segment format {meta.get('format')}")
        if not made:  # what this process wrote itself is not read back
            verify(path, meta["files"], sampling(meta))
        segment = cls(path.name, path, meta, Arrays(path, sealer), dict(made or {}))
        try:
            segment.arrays.open_all()
        except ValueError as e:  # not a .npy file any more
            raise DamagedIndex(f"{path.name}: {e}") from None
        if meta["kind"] == "base" and meta.get("index_type") != DATABASE and segment.vector_index() is None \
                and int(meta["pieces"]):
            raise DamagedIndex(f"{path.name}/vectors.faiss cannot be read")
        return segment

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def people_count(self) -> int:
        return int(self.meta["people"])

    # people
    @property
    def pk(self) -> np.ndarray:
        return self.arrays["pk"]

    @property
    def dropped(self) -> np.ndarray:
        return self.arrays["dropped"]

    def strings(self, prefix: str) -> StringColumn:
        return self._once(("strings", prefix), lambda: StringColumn.load(self.arrays, prefix))

    def tag_names(self) -> np.ndarray:
        """The tag of each (tag, pk) pair, as an array to compare against."""
        return self._once("tag_names", lambda: np.array(self.strings("tag").all(), dtype=object))

    # pieces
    @property
    def item_id(self) -> np.ndarray:
        return self.arrays["item_id"]

    @property
    def item_owner(self) -> np.ndarray:
        return self.arrays["item_owner"]

    def names(self) -> NameMatcher:
        return self._once("names", lambda: NameMatcher.load(_Prefixed(self.arrays, "names_")))

    def postings(self) -> Postings:
        return self._once("postings", lambda: Postings.load(_Prefixed(self.arrays, "lex_")))

    def vector_index(self) -> VectorIndex | None:
        """The base's FAISS index, memory-mapped (read-only)."""
        def make():
            loaded = VectorIndex.load(self.path / "vectors.faiss", mmap=True, sealer=self.sealer)
            return loaded[0] if loaded else None
        return self._once("vector_index", make)

    def vector_file(self) -> VectorFile | None:
        """Full vectors of a base whose index is lossy (product quantisation), for rescoring."""
        path = self.path / "vectors.f16"
        return self._once("vector_file", lambda: VectorFile(path, int(self.meta["dim"]), self.sealer)
                          if path.exists() else None)

    def delta_vectors(self) -> np.ndarray:
        """A delta's piece vectors (fp16), rows in item order."""
        return self.arrays["vectors"]

    def index(self) -> VectorIndex | None:
        """This segment's vectors, searchable: the base's FAISS file, or for a delta an exact index made from
        its (few) vectors when first asked for."""
        if self.meta.get("index_type") == DATABASE:
            return None  # the store searches the vectors (View.search_vectors)
        if self.kind == "base":
            return self.vector_index()

        def make():
            index = VectorIndex(int(self.meta["dim"]), EXACT_INDEX_TYPE)
            index.add(np.asarray(self.item_id), np.asarray(self.delta_vectors(), dtype=np.float32))
            return index
        return self._once("index", make)

    def vectors_of(self, rows: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """Full vectors of these pieces (rows of this segment, and their ids), for rescoring."""
        if self.kind == "delta":
            return np.asarray(self.delta_vectors()[rows], dtype=np.float32)
        vector_file = self.vector_file()
        return vector_file.read(item_ids) if vector_file is not None else self.vector_index().reconstruct(item_ids)

    def vocabulary(self) -> WordList:
        return self._once("vocabulary", lambda: WordList(self.strings("vocab"), self.arrays["vocab_users"],
                                                         self.strings("vocab_surface")))

    def _vocabulary_without(self, people_rows: np.ndarray) -> dict[str, np.ndarray]:
        """The words of the people who stay (people_rows): each person's words are kept with the segment, so
        those of the people who go are counted out, and a word nobody else uses goes with them."""
        a = self.arrays
        starts, words = np.asarray(a["vocab_person_start"]), np.asarray(a["vocab_person_words"])
        users = np.array(a["vocab_users"], dtype=np.int64)
        gone = np.setdiff1d(np.arange(len(starts) - 1), people_rows)
        np.subtract.at(users, words[_spans(starts, gone)], 1)
        kept_words = np.flatnonzero(users > 0)
        new_row = np.full(len(users), -1, dtype=np.int64)
        new_row[kept_words] = np.arange(len(kept_words))
        lengths = starts[people_rows + 1] - starts[people_rows]
        new_starts = np.zeros(len(people_rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=new_starts[1:])
        return {**self.strings("vocab").take(kept_words).arrays("vocab"),
                "vocab_users": users[kept_words].astype(np.int32),
                **self.strings("vocab_surface").take(kept_words).arrays("vocab_surface"),
                "vocab_person_start": new_starts,
                "vocab_person_words": new_row[words[_spans(starts, people_rows)]].astype(np.int32)}

    def relations(self) -> tuple[list[str], np.ndarray]:
        """The distinct relations of this segment's links and, per link, which one it is."""
        return self._once("relations", lambda: (self.strings("relation").all(), np.asarray(self.arrays["edge_relation"])))

    # ---- removing people from a written segment (privacy: no byte of them stays) ----
    def without(self, pks: np.ndarray, directory: Path, name: str) -> "Segment":
        """A copy of this segment without these people (a new folder; this one is left to be deleted)."""
        pks = np.asarray(pks, dtype=np.int64)
        staging = _staging(directory, name)
        a = self.arrays
        names, postings = self.names().without(pks), self.postings().without(pks)
        keep_people = ~np.isin(a["pk"], pks)
        keep_pieces = ~np.isin(a["item_owner"], pks)
        keep_tags = ~np.isin(a["tag_pk"], pks)
        keep_edges = ~(np.isin(a["edge_from"], pks) | np.isin(a["edge_to"], pks))
        keep_nominees = ~np.isin(a["nom_pk"], pks)
        people_rows, piece_rows = np.flatnonzero(keep_people), np.flatnonzero(keep_pieces)
        arrays = {
            "pk": a["pk"][keep_people], "direct": a["direct"][keep_people], "helped": a["helped"][keep_people],
            **self.strings("id").take(people_rows).arrays("id"),
            **self.strings("name").take(people_rows).arrays("name"),
            **self.strings("availability").take(people_rows).arrays("availability"),
            **(self.strings("reach").take(people_rows).arrays("reach") if "reach_offsets" in a else {}),
            "tag_pk": a["tag_pk"][keep_tags], **self.strings("tag").take(np.flatnonzero(keep_tags)).arrays("tag"),
            "dropped": np.asarray(a["dropped"]),
            "item_id": a["item_id"][keep_pieces], "item_owner": a["item_owner"][keep_pieces],
            "item_kind": a["item_kind"][keep_pieces], **self.strings("text").take(piece_rows).arrays("text"),
            **_by_owner(a["item_owner"][keep_pieces]),
            "nom_service": a["nom_service"][keep_nominees], "nom_pk": a["nom_pk"][keep_nominees],
            "nom_sim": a["nom_sim"][keep_nominees], "nom_item": a["nom_item"][keep_nominees],
            "edge_pks": np.asarray(a["edge_pks"]), "edge_from": a["edge_from"][keep_edges],
            "edge_to": a["edge_to"][keep_edges], "edge_strength": a["edge_strength"][keep_edges],
            **_relations(np.array(self.relations()[0], dtype=object)[a["edge_relation"][keep_edges]]),
            **_prefixed(names.arrays(), "names_"),
            **_prefixed(postings.arrays(), "lex_"),
            **self._vocabulary_without(people_rows),
        }
        removed_items = np.asarray(a["item_id"][~keep_pieces])
        made = {"names": names, "postings": postings}
        if self.meta.get("index_type") == DATABASE:
            pass  # no vectors here: the store's (removed with the person by the store)
        elif self.kind == "delta":
            arrays["vectors"] = a["vectors"][keep_pieces]
        else:
            loaded = VectorIndex.load(self.path / "vectors.faiss", sealer=self.sealer)  # in memory: removing rewrites
            if loaded is not None:
                index, meta = loaded
                index.remove(removed_items)
                index.save(staging / "vectors.faiss", meta, self.sealer)
                made["vector_index"] = index
            vectors = self.vector_file()
            if vectors is not None:
                shutil.copyfile(vectors.path, staging / "vectors.f16")
                os.chmod(staging / "vectors.f16", FILE_MODE)
                VectorFile(staging / "vectors.f16", vectors.dim, self.sealer).write(
                    removed_items, np.zeros((len(removed_items), vectors.dim), dtype=np.float32))
        Arrays.write(staging, arrays, self.sealer)
        meta = {**self.meta, "name": name, "people": int(keep_people.sum()), "pieces": int(keep_pieces.sum())}
        return _finish(staging, directory, name, meta, made, self.sealer)


def _spans(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The positions starts[r] .. starts[r + 1] - 1 of every row r, in order."""
    lengths = starts[rows + 1] - starts[rows]
    if not lengths.sum():
        return np.zeros(0, dtype=np.int64)
    firsts = np.repeat(starts[rows] - np.cumsum(lengths) + lengths, lengths)
    return firsts + np.arange(int(lengths.sum()))


def _texts_by_person(pks: np.ndarray, own_words: dict, owners: np.ndarray, texts: StringColumn):
    """Each person's name, aliases and tags with the texts of their pieces."""
    order = np.argsort(owners, kind="stable")
    sorted_owners = owners[order]
    bounds = np.searchsorted(sorted_owners, pks, side="left"), np.searchsorted(sorted_owners, pks, side="right")
    for p, lo, hi in zip(pks.tolist(), *(b.tolist() for b in bounds)):
        yield [*own_words.get(p, []), *(texts[int(i)] for i in order[lo:hi])]


def _relations(per_link: np.ndarray) -> dict[str, np.ndarray]:
    """Each link's relation as a code into the distinct relations (few: "Bruder", "Kollegin", …)."""
    names, codes = np.unique(per_link.astype(str), return_inverse=True) if len(per_link) else \
        (np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64))
    return {"edge_relation": codes.astype(np.int32), **StringColumn.of([str(n) for n in names]).arrays("relation")}


def _by_owner(owners: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of the pieces ordered by owner, and the owners in that order: a person's pieces by binary search."""
    rows = np.argsort(owners, kind="stable")
    return {"owner_rows": rows.astype(np.int64), "owner_sorted": np.asarray(owners)[rows]}


class _Prefixed:
    """The arrays whose keys start with a prefix, under their names without it."""

    def __init__(self, arrays: Arrays, prefix: str):
        self.arrays, self.prefix = arrays, prefix

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[self.prefix + key]

    def __contains__(self, key: str) -> bool:
        return self.prefix + key in self.arrays


def _contacts(pks, contacts) -> tuple[list[str], list[tuple[str, int]]]:
    """From each person's contact (JSON as stored), read once: what the view keeps of how to reach them (their
    phone and e-mail as recorded, JSON; "" if neither), and (key, pk) of their number and address as a query
    that quotes them is read."""
    import json

    from ..phones import email_key, phone_key

    kept, pairs = [], []
    for pk, raw in zip(pks, contacts):
        contact = json.loads(raw) if raw and raw != "{}" else {}
        reach = {k: contact[k] for k in ("phone", "email") if contact.get(k)}
        kept.append(json.dumps(reach, ensure_ascii=False) if reach else "")
        phone = reach.get("phone")
        # numbers are stored in the international format when valid: their E.164 key is their digits
        phone = "+" + "".join(c for c in phone if c.isdigit()) if phone and phone.startswith("+") \
            else phone_key(phone)
        pairs += [(key, int(pk)) for key in (phone, email_key(reach.get("email"))) if key]
    return kept, pairs


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}


def _staging(directory: Path, name: str) -> Path:
    staging = directory / f".tmp-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, mode=HOME_MODE)
    return staging


def _finish(staging: Path, directory: Path, name: str, meta: dict, made: dict | None = None,
            sealer: Plain = PLAIN) -> Segment:
    meta = {**meta, "format": SEGMENT_FORMAT, "files": checksums(staging), "sampling": sampling()}
    with open(os.open(staging / "meta.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w") as f:
        json.dump(meta, f)
    final = directory / name
    os.replace(staging, final)
    return Segment.open(final, made, sealer)


# ---- building from the store ----
def build_segment(tables, directory: Path, name: str, *, kind: str, people: np.ndarray | None,
                  edges: np.ndarray | None, model: str, dim: int, index_type: str, bridge, generation: int,
                  progress=None, sealer: Plain = PLAIN) -> Segment:
    """Write a segment for these people (None: everyone, a base) and the links of these people (None: all
    links). kind "delta": its vectors are a plain array and it replaces the earlier versions of `people`."""
    staging = _staging(directory, name)
    rows = tables.people.view_rows(None if people is None else people.tolist())
    pk = np.asarray(rows["pk"], dtype=np.int64)
    tag_pairs = sorted((t, p) for p, tags in zip(rows["pk"], rows["tags"]) for t in dict.fromkeys(tags))
    reach, contact_keys = _contacts(rows["pk"], rows["contact"])
    arrays: dict[str, np.ndarray] = {
        "pk": pk, "direct": np.asarray(rows["direct"], dtype=bool), "helped": np.asarray(rows["helped"], np.int32),
        **StringColumn.of(rows["id"]).arrays("id"), **StringColumn.of(rows["name"]).arrays("name"),
        **StringColumn.of([a or "" for a in rows["availability"]]).arrays("availability"),
        **StringColumn.of(reach).arrays("reach"),
        "tag_pk": np.asarray([p for _, p in tag_pairs], dtype=np.int64),
        **StringColumn.of([t for t, _ in tag_pairs]).arrays("tag"),
        "dropped": np.asarray(people if people is not None else [], dtype=np.int64),
    }
    # names: who is called what
    names = NameMatcher(list(zip(rows["pk"], rows["id"], rows["name"], rows["aliases"])), contact_keys)
    arrays.update(_prefixed(names.arrays(), "names_"))
    own_words = {p: [n, *a, *t] for p, n, a, t in zip(rows["pk"], rows["name"], rows["aliases"], rows["tags"])}
    del rows
    # lexical postings, tokenised and stemmed by the store
    lexical = tables.people.lexical_terms(None if people is None else pk.tolist(), MAX_DOC_FREQUENCY)
    postings = Postings.build(lexical)
    arrays.update(_prefixed(postings.arrays(), "lex_"))
    del lexical
    # pieces and their vectors
    pieces = _read_pieces(tables, None if people is None else pk, kind, staging, dim, index_type, progress,
                          bridge.role_vectors if bridge is not None else None, sealer)
    arrays.update({"item_id": pieces.item_id, "item_owner": pieces.owner, "item_kind": pieces.kind,
                   **pieces.texts.arrays("text"), **_by_owner(pieces.owner)})
    if kind == "delta" and pieces.vectors is not None:
        arrays["vectors"] = pieces.vectors
    # the words they use, for forgiving a query's spelling
    arrays.update(vocabulary_arrays(_texts_by_person(pk, own_words, pieces.owner, pieces.texts)))
    # nominations: for each service, the people whose pieces best match one of its role names
    arrays.update(_nominate(tables, bridge, pieces, None if people is None else pk))
    # links
    frm, to, strength, relation = tables.links.edges(None if edges is None else edges.tolist())
    arrays.update({"edge_pks": np.asarray(edges if edges is not None else [], dtype=np.int64),
                   "edge_from": frm, "edge_to": to, "edge_strength": strength,
                   **_relations(np.array(relation, dtype=object))})
    Arrays.write(staging, arrays, sealer)
    meta = {"name": name, "kind": kind, "generation": generation, "model": model, "dim": dim,
            "people": int(len(pk)), "pieces": int(len(pieces.item_id)), "index_type": pieces.index_type}
    made = {"names": names, "postings": postings}
    if pieces.index is not None:
        made["vector_index"] = pieces.index
    return _finish(staging, directory, name, meta, made, sealer)


class _TopPieces:
    """The k pieces closest to each of many queries (the role names), over pieces that come in chunks: all
    queries against a chunk in one BLAS product (an exact fp16 index would score pair by pair, 8x slower), merged
    with the best so far."""

    def __init__(self, queries: np.ndarray, k: int):
        self.queries, self.k = np.ascontiguousarray(queries, dtype=np.float32), k
        self.scores = np.zeros((len(queries), 0), dtype=np.float32)
        self.ids = np.zeros((len(queries), 0), dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids) or not len(self.queries):
            return
        scores, rows = exact_top(self.queries, vectors, min(self.k, len(ids)))
        scores = np.concatenate([self.scores, scores], axis=1)
        found = np.concatenate([self.ids, np.where(rows >= 0, np.asarray(ids)[np.clip(rows, 0, None)], -1)], axis=1)
        if scores.shape[1] > self.k:
            keep = np.argpartition(-scores, self.k - 1, axis=1)[:, :self.k]
            scores, found = np.take_along_axis(scores, keep, 1), np.take_along_axis(found, keep, 1)
        self.scores, self.ids = scores, found


@dataclass
class _Pieces:
    item_id: np.ndarray
    owner: np.ndarray
    kind: np.ndarray
    texts: StringColumn
    vectors: np.ndarray | None  # a delta's (fp16)
    index: VectorIndex | None  # a base's
    vector_file: VectorFile | None
    index_type: str
    role_hits: tuple[np.ndarray, np.ndarray] | None = None  # (scores, item ids) per role, found while reading

    def vectors_of(self, item_ids: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(self.item_id, item_ids)
        if self.vectors is not None:
            return np.asarray(self.vectors[rows], dtype=np.float32)
        if self.vector_file is not None:
            return self.vector_file.read(item_ids)
        return self.index.reconstruct(item_ids)

    @property
    def lossy(self) -> bool:
        return self.index is not None and self.index.lossy

    def role_search(self, roles: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item ids) of the k pieces closest to each role name: found while the pieces were read, or
        (an inverted-file base, whose search looks at a few lists only) asked of the index."""
        if self.role_hits is not None:
            return self.role_hits
        scores, ids = self.index.search(roles, k)
        return np.array(scores, dtype=np.float32), ids


def _read_pieces(tables, pks: np.ndarray | None, kind: str, staging: Path, dim: int, index_type: str,
                 progress, roles: np.ndarray | None = None, sealer: Plain = PLAIN) -> _Pieces:
    """Every piece of these people (None: everyone) from the store: ids, owners, kinds, texts, and their vectors
    as a delta's array or in a new FAISS index for a base (streamed in chunks; a trained type learns from a
    sample)."""
    kind_code = {k: i for i, k in enumerate(PIECE_KINDS)}
    people = tables.people
    pk_list = None if pks is None else pks.tolist()
    index = vector_file = None
    chosen = DATABASE if index_type == DATABASE else EXACT_INDEX_TYPE
    if kind == "base" and chosen != DATABASE:
        n = people.count_items(PIECE_KINDS)
        chosen = resolve_index_type(index_type, n, dim)
        index = VectorIndex(dim, chosen)
        if index.needs_training and n:
            lists = index.lists or 1
            wanted = min(n, max(TRAINING_SAMPLE, TRAINING_POINTS_PER_LIST * lists))
            try:
                for _, _, _, _, sample in people.iter_pieces(PIECE_KINDS, pk_list, chunk=wanted, sample=wanted,
                                                              with_text=False):
                    index.train(sample)
            except RuntimeError:  # too few vectors to train this type: exact instead
                chosen = EXACT_INDEX_TYPE
                index = VectorIndex(dim, chosen)
        if index.lossy:
            vector_file = VectorFile(staging / "vectors.f16", dim, sealer)
    # role names' nearest pieces, while reading (an inverted-file base answers them from its index instead)
    top = _TopPieces(roles, NOMINATED_PIECES_PER_ROLE) if roles is not None and not chosen.startswith("IVF") else None
    ids, owners, kinds, texts, deltas = [], [], [], [], []
    for chunk_ids, chunk_owners, chunk_kinds, chunk_texts, vectors in people.iter_pieces(
            PIECE_KINDS, pk_list, chunk=READ_CHUNK):
        ids.append(chunk_ids)
        owners.append(chunk_owners)
        kinds.append(np.array([kind_code[k] for k in chunk_kinds], dtype=np.int8))
        texts.extend(chunk_texts)
        if index is not None:
            index.add(chunk_ids, vectors)
            if vector_file is not None:
                vector_file.write(chunk_ids, vectors)
        elif chosen != DATABASE:
            deltas.append(vectors.astype(np.float16))
        if top is not None:
            top.add(chunk_ids, vectors)  # the store's own vectors, for a base as for a delta
        if progress:
            progress(len(chunk_ids))
    item_id = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    if index is not None:
        index.save(staging / "vectors.faiss", {}, sealer)
    return _Pieces(item_id, np.concatenate(owners) if owners else np.zeros(0, np.int64),
                   np.concatenate(kinds) if kinds else np.zeros(0, np.int8), StringColumn.of(texts),
                   (np.concatenate(deltas) if deltas else np.zeros((0, dim), np.float16))
                   if index is None and chosen != DATABASE else None,
                   index, vector_file, chosen, (top.scores, top.ids) if top is not None else None)


def _nominate(tables, bridge, pieces: _Pieces, pks: np.ndarray | None) -> dict[str, np.ndarray]:
    """For each service, the people whose pieces best match one of its role names: (service, pk, cosine, item
    id of that piece), at most BRIDGE_CANDIDATES per service, sorted by service. A piece that starts with a
    role's name ("Tischlermeister mit eigener Werkstatt") names that role, however much else it says."""
    if bridge is None or len(pieces.item_id) == 0:
        return _nominees(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))
    scores, ids = pieces.role_search(bridge.role_vectors, NOMINATED_PIECES_PER_ROLE)
    if pieces.lossy:  # exact cosines for the nominated pieces (product quantisation only approximates them)
        found = np.unique(ids[ids >= 0])
        vectors = pieces.vectors_of(found)
        row = np.searchsorted(found, np.where(ids >= 0, ids, found[0] if len(found) else 0))
        for start in range(0, len(ids) if len(found) else 0, NOMINATION_ROLES_PER_CALL):
            part = slice(start, start + NOMINATION_ROLES_PER_CALL)
            scores[part] = np.einsum("rkd,rd->rk", vectors[row[part]], bridge.role_vectors[part])
    owner_rows = np.clip(np.searchsorted(pieces.item_id, np.clip(ids, 0, None)), 0, len(pieces.item_id) - 1)
    owners = np.where((ids >= 0) & (pieces.item_id[owner_rows] == ids), pieces.owner[owner_rows], -1)
    service = np.repeat(bridge.role_service, ids.shape[1])
    valid = owners.reshape(-1) >= 0
    service, pk = service[valid], owners.reshape(-1)[valid]
    sim, item = scores.reshape(-1)[valid].astype(np.float32), ids.reshape(-1)[valid]
    heads = bridge.one_word_roles()
    headed = [(j, p, i) for i, p, word in tables.people.pieces_headed_by(
        list(heads), PIECE_KINDS, BRIDGE_CANDIDATES, None if pks is None else pks.tolist()) for j in heads[word]]
    if headed:
        j, p, i = (np.asarray(c, dtype=np.int64) for c in zip(*headed))
        service, pk, item = np.r_[service, j], np.r_[pk, p], np.r_[item, i]
        sim = np.r_[sim, np.full(len(j), ROLE_AT_HEAD_SIM, np.float32)]
    return _nominees(service, pk, sim, item)


def _nominees(service: np.ndarray, pk: np.ndarray, sim: np.ndarray, item: np.ndarray) -> dict[str, np.ndarray]:
    """From (service, pk, cosine, item) candidates in the order they were found: each person's best for each
    service (the first found among equals), then the BRIDGE_CANDIDATES best people per service (among equals,
    the one found first)."""
    order = np.arange(len(service))
    by_person = np.lexsort((order, -sim, pk, service))
    service, pk, sim, item, order = (a[by_person] for a in (service, pk, sim, item, order))
    starts = np.flatnonzero(np.r_[True, (service[1:] != service[:-1]) | (pk[1:] != pk[:-1])]) if len(pk) else \
        np.zeros(0, np.int64)
    first_seen = np.minimum.reduceat(order, starts) if len(starts) else order[:0]
    service, pk, sim, item = service[starts], pk[starts], sim[starts], item[starts]
    ranked = np.lexsort((first_seen, -sim, service))
    service, pk, sim, item = service[ranked], pk[ranked], sim[ranked], item[ranked]
    group_start = np.flatnonzero(np.r_[True, service[1:] != service[:-1]]) if len(service) else np.zeros(0, np.int64)
    rank = np.arange(len(service)) - np.repeat(group_start, np.diff(np.r_[group_start, len(service)]))
    keep = rank < BRIDGE_CANDIDATES
    return {"nom_service": service[keep].astype(np.int32), "nom_pk": pk[keep].astype(np.int64),
            "nom_sim": sim[keep].astype(np.float32), "nom_item": item[keep].astype(np.int64)}

"""The search view: what ranking reads, as one generation of published segments, folded.

A view is a base segment and the deltas written after it (index/segment.py), listed in ``manifest.json``. A
person's current version is in the last segment that holds them, unless a later segment dropped them; the view
works that out once (vectorised) and answers from the segments' arrays, so a search never opens the store and
never waits for a writer. Like whoosh's Searcher: a writer publishes a new manifest; ``ViewCache.current()``
notices it and builds the next view from the segments it has already opened plus the new ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..config import FILE_MODE
from .lexical import LexicalSearch
from .names import MAX_PEOPLE_SHARING_NAME_WORD, NameHit
from .segment import PIECE_KINDS, Segment
from .services import BRIDGE_CANDIDATES
from .vectors import EXACT_INDEX_TYPE, IdFilter, VectorIndex

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


def read_manifest(directory: Path) -> dict | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("format") == MANIFEST_FORMAT else None


def write_manifest(directory: Path, manifest: dict) -> None:
    """Atomically: a reader sees the old manifest or the new one, never half of one."""
    tmp = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w") as f:
        json.dump({**manifest, "format": MANIFEST_FORMAT}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / MANIFEST)


class ViewCache:
    """The current view of a home, reusing opened segments from one view to the next."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._segments: dict[str, Segment] = {}
        self._view: View | None = None
        self._stamp = None

    def current(self) -> "View | None":
        """The published view (None before anything was published); rebuilt only when the manifest changed."""
        try:
            stat = (self.directory / MANIFEST).stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            return None
        if self._view is not None and stamp == self._stamp:
            return self._view
        for _ in range(5):  # a writer may delete old segments right after we read its manifest: read again
            manifest = read_manifest(self.directory)
            if manifest is None:
                return None
            try:
                segments = [self._open(name) for name in manifest["segments"]]
            except (OSError, ValueError, KeyError):
                continue
            self._segments = {s.name: s for s in segments}
            self._view, self._stamp = View(manifest, segments), stamp
            return self._view
        return None

    def _open(self, name: str) -> Segment:
        if name not in self._segments:
            self._segments[name] = Segment.open(self.directory / name)
        return self._segments[name]


class View:
    def __init__(self, manifest: dict, segments: list[Segment]):
        self.manifest = manifest
        self.generation = int(manifest["generation"])
        self.model = manifest["model"]
        self.segments = segments
        self._memo: dict = {}
        # which version of each person is current: seg_of[pk] (-1: nobody), row_of[pk] within that segment
        self.max_pk = int(max([int(s.pk.max()) if len(s.pk) else 0 for s in segments] +
                              [int(s.dropped.max()) if len(s.dropped) else 0 for s in segments] + [0]))
        self.seg_of = np.full(self.max_pk + 1, -1, dtype=np.int32)
        self.row_of = np.zeros(self.max_pk + 1, dtype=np.int64)
        for s, segment in enumerate(segments):
            self.seg_of[np.asarray(segment.dropped)] = -1
            pk = np.asarray(segment.pk)
            self.seg_of[pk] = s
            self.row_of[pk] = np.arange(len(pk))
        self.live_people = [self.seg_of[np.asarray(seg.pk)] == s for s, seg in enumerate(segments)]
        self.people_count = int(sum(int(m.sum()) for m in self.live_people))

    def memo(self, key, make):
        """Something derived from this view (reach, scopes, …), made once per view."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # ---- people ----
    def is_live(self, pks: np.ndarray) -> np.ndarray:
        pks = np.asarray(pks, dtype=np.int64)
        inside = (pks >= 0) & (pks <= self.max_pk)
        return inside & (self.seg_of[np.where(inside, pks, 0)] >= 0)

    def live_pks(self) -> np.ndarray:
        return np.flatnonzero(self.seg_of >= 0)

    def _field(self, prefix: str, pk: int) -> str:
        return self.segments[int(self.seg_of[pk])].strings(prefix)[int(self.row_of[pk])]

    def id_name(self, pk: int) -> tuple[str, str]:
        return self._field("id", pk), self._field("name", pk)

    def availability_text(self, pk: int) -> str:
        return self._field("availability", pk)

    def by_pk(self, column: str, dtype) -> np.ndarray:
        """A per-person column (e.g. 'direct', 'helped') as an array indexed by pk (0 where nobody)."""
        def make():
            out = np.zeros(self.max_pk + 1, dtype=dtype)
            for seg, live in zip(self.segments, self.live_people):
                out[np.asarray(seg.pk)[live]] = np.asarray(seg.arrays[column])[live]
            return out
        return self.memo(("by_pk", column), make)

    def pks_with_tags(self, tags: tuple[str, ...]) -> np.ndarray:
        """Current people with any of these tags."""
        found = []
        for s, seg in enumerate(self.segments):
            names = seg.tag_names()
            pks = np.asarray(seg.arrays["tag_pk"])[np.isin(names, list(tags))] if len(names) else np.zeros(0, np.int64)
            found.append(pks[self.seg_of[pks] == s])
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)

    # ---- pieces ----
    def items_of(self, pks) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, their owners) of the current pieces of these people."""
        pks = np.asarray(pks, dtype=np.int64)
        if not len(pks):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ids, owners = [], []
        seg_of = self.seg_of[pks]
        for s, seg in enumerate(self.segments):
            mine = pks[seg_of == s]
            if not len(mine):
                continue
            owner_sorted, owner_rows = seg.arrays["owner_sorted"], seg.arrays["owner_rows"]
            lo = np.searchsorted(owner_sorted, mine, side="left")
            hi = np.searchsorted(owner_sorted, mine, side="right")
            rows = np.concatenate([np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist())]) if len(mine) else []
            rows = np.asarray(owner_rows[np.asarray(rows, dtype=np.int64)])
            ids.append(np.asarray(seg.item_id[rows]))
            owners.append(np.asarray(seg.item_owner[rows]))
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(ids).astype(np.int64), np.concatenate(owners).astype(np.int64)

    def _locate(self, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each item id: the segment whose current version holds it (-1: none) and its row there."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        where = np.full(item_ids.shape, -1, dtype=np.int32)
        rows = np.zeros(item_ids.shape, dtype=np.int64)
        for s in range(len(self.segments) - 1, -1, -1):
            seg = self.segments[s]
            ids = seg.item_id
            if not len(ids):
                continue
            at = np.clip(np.searchsorted(ids, item_ids), 0, len(ids) - 1)
            owner = np.asarray(seg.item_owner[at])
            hit = (where < 0) & (np.asarray(ids[at]) == item_ids) & self.is_live(owner)
            hit &= self.seg_of[np.where(hit, owner, 0)] == s
            where[hit], rows[hit] = s, at[hit]
        return where, rows

    def owners_of(self, item_ids: np.ndarray) -> np.ndarray:
        """The current owner of each item id (-1 for ids that are no current piece, e.g. FAISS's -1 padding)."""
        where, rows = self._locate(item_ids)
        out = np.full(np.shape(item_ids), -1, dtype=np.int64)
        for s in np.unique(where[where >= 0]).tolist():
            mask = where == s
            out[mask] = self.segments[s].item_owner[rows[mask]]
        return out

    def piece_texts(self, item_ids) -> dict[int, tuple[str, str]]:
        """item id -> (text, kind) of current pieces."""
        item_ids = np.asarray(list(item_ids), dtype=np.int64)
        where, rows = self._locate(item_ids)
        out = {}
        for item, s, row in zip(item_ids.tolist(), where.tolist(), rows.tolist()):
            if s >= 0:
                seg = self.segments[s]
                out[item] = (seg.strings("text")[row], PIECE_KINDS[int(seg.arrays["item_kind"][row])])
        return out

    # ---- vectors ----
    @property
    def _base(self) -> Segment | None:
        return self.segments[0] if self.segments and self.segments[0].kind == "base" else None

    def _base_index(self) -> VectorIndex | None:
        return self._base.vector_index() if self._base else None

    @property
    def lossy(self) -> bool:
        index = self._base_index()
        return bool(index is not None and index.lossy)

    @property
    def index_type(self) -> str:
        index = self._base_index()
        return index.index_type if index is not None else EXACT_INDEX_TYPE

    @property
    def piece_count(self) -> int:
        base_live = int(self._base_live_items()[1].sum()) if self._base else 0
        return base_live + len(self._delta()[0])

    def _base_live_items(self) -> tuple[IdFilter | None, np.ndarray]:
        """A filter of the base's current pieces (None when all are current) and the mask of them."""
        def make():
            base = self._base
            owners = np.asarray(base.item_owner)
            live = self.seg_of[owners] == 0
            return (None if live.all() else IdFilter(np.asarray(base.item_id)[live])), live
        return self.memo("base_live", make)

    def _delta(self) -> tuple[np.ndarray, np.ndarray, VectorIndex | None]:
        """The current pieces of every delta: (item ids sorted, fp16 vectors, an exact index over them)."""
        def make():
            ids, vectors = [], []
            for s, seg in enumerate(self.segments):
                if seg.kind != "delta" or not len(seg.item_id):
                    continue
                live = self.seg_of[np.asarray(seg.item_owner)] == s
                ids.append(np.asarray(seg.item_id)[live])
                vectors.append(np.asarray(seg.delta_vectors())[live])
            if not ids:
                return np.zeros(0, np.int64), np.zeros((0, 0), np.float16), None
            ids, vectors = np.concatenate(ids), np.concatenate(vectors)
            order = np.argsort(ids)
            ids, vectors = ids[order], vectors[order]
            index = VectorIndex(vectors.shape[1], EXACT_INDEX_TYPE)
            index.add(ids, vectors.astype(np.float32))
            return ids, vectors, index
        return self.memo("delta", make)

    def search_vectors(self, queries: np.ndarray, k: int, allowed: IdFilter | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item ids), best first, over every current piece (or the allowed ones)."""
        parts = []
        base = self._base_index()
        if base is not None and len(base):
            live_filter, _ = self._base_live_items()
            parts.append(base.search(queries, k, allowed_ids=allowed if allowed is not None else live_filter))
        _, _, delta = self._delta()
        if delta is not None and len(delta):
            parts.append(delta.search(queries, k, allowed_ids=allowed))
        n = len(np.atleast_2d(queries))
        if not parts:
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        if len(parts) == 1:
            return parts[0]
        scores = np.concatenate([p[0] for p in parts], axis=1)
        ids = np.concatenate([p[1] for p in parts], axis=1)
        scores = np.where(ids >= 0, scores, -np.inf)
        order = np.argsort(-scores, axis=1, kind="stable")
        scores, ids = np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)
        out_ids = np.full((n, k), -1, dtype=np.int64)
        out_scores = np.full((n, k), -np.inf, dtype=np.float32)
        for q in range(n):  # the same piece may come from the base and a delta (a kept piece): once
            row = ids[q][ids[q] >= 0]
            _, first = np.unique(row, return_index=True)
            keep = np.sort(first)[:k]
            out_ids[q, :len(keep)] = row[keep]
            out_scores[q, :len(keep)] = scores[q][ids[q] >= 0][keep]
        return out_scores, out_ids

    def vectors_of(self, item_ids: np.ndarray) -> np.ndarray:
        """Full vectors of these current pieces, for rescoring."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        delta_ids, delta_vectors, _ = self._delta()
        at = np.clip(np.searchsorted(delta_ids, item_ids), 0, max(0, len(delta_ids) - 1))
        in_delta = (np.asarray(delta_ids[at]) == item_ids) if len(delta_ids) else np.zeros(len(item_ids), bool)
        dim = int(self.manifest["dim"])
        out = np.zeros((len(item_ids), dim), dtype=np.float32)
        if in_delta.any():
            out[in_delta] = delta_vectors[at[in_delta]]
        rest = ~in_delta
        if rest.any():
            vector_file = self._base.vector_file() if self._base else None
            if vector_file is not None:
                out[rest] = vector_file.read(item_ids[rest])
            else:
                out[rest] = self._base_index().reconstruct(item_ids[rest])
        return out

    # ---- names, words, roles ----
    def match_names(self, query: str, limit: int = 10) -> list[NameHit]:
        best: dict[int, NameHit] = {}
        for s, seg in enumerate(self.segments):
            for hit in seg.names().match(query, limit, word_is_rare=self._name_word_is_rare):
                if self.seg_of[hit.person_pk] == s and (hit.person_pk not in best or hit.score > best[hit.person_pk].score):
                    best[hit.person_pk] = hit
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

    def _name_word_is_rare(self, word: str) -> bool:
        """Do at most MAX_PEOPLE_SHARING_NAME_WORD current people have this word in their name?"""
        def count():
            owners = 0
            for s, seg in enumerate(self.segments):
                names = seg.names()
                if names.is_common(word):
                    return MAX_PEOPLE_SHARING_NAME_WORD + 1
                pks = names.word_owners(word)
                owners += int((self.seg_of[pks] == s).sum()) if len(pks) else 0
            return owners
        return self.memo(("name_word", word), count) <= MAX_PEOPLE_SHARING_NAME_WORD

    def lexical(self) -> LexicalSearch:
        def make():
            postings = [seg.postings() for seg in self.segments]
            live = [self.seg_of[np.asarray(p.doc_pk)] == s for s, p in enumerate(postings)]
            return LexicalSearch(postings, live)
        return self.memo("lexical", make)

    def nominations(self) -> dict[int, dict[int, tuple[float, int]]]:
        """For each service, the current people whose pieces best match one of its roles: pk -> (cosine, item)."""
        def make():
            merged: dict[int, dict[int, tuple[float, int]]] = {}
            for s, seg in enumerate(self.segments):
                a = seg.arrays
                pks = np.asarray(a["nom_pk"])
                live = self.seg_of[pks] == s if len(pks) else np.zeros(0, bool)
                for j, pk, sim, item in zip(np.asarray(a["nom_service"])[live].tolist(), pks[live].tolist(),
                                            np.asarray(a["nom_sim"])[live].tolist(),
                                            np.asarray(a["nom_item"])[live].tolist()):
                    merged.setdefault(j, {})[pk] = (sim, item)
            if len(self.segments) > 1:
                merged = {j: dict(sorted(p.items(), key=lambda kv: -kv[1][0])[:BRIDGE_CANDIDATES])
                          for j, p in merged.items()}
            return merged
        return self.memo("nominations", make)

    # ---- who knows whom ----
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """(from, to, strength with NaN where unsaid, relation) of every current link: each segment's links
        replace the earlier links of the people it names in edge_pks (a base names everyone)."""
        def make():
            frm = np.zeros(0, np.int64)
            to = np.zeros(0, np.int64)
            strength = np.zeros(0, np.float64)
            relation: list[str] = []
            for seg in self.segments:
                a = seg.arrays
                replaced = np.asarray(a["edge_pks"])
                if seg.kind == "base":
                    keep = np.zeros(len(frm), bool)
                else:
                    keep = ~(np.isin(frm, replaced) | np.isin(to, replaced))
                relation = [r for r, k in zip(relation, keep.tolist()) if k] + seg.strings("relation").all()
                frm = np.concatenate([frm[keep], np.asarray(a["edge_from"])])
                to = np.concatenate([to[keep], np.asarray(a["edge_to"])])
                strength = np.concatenate([strength[keep], np.asarray(a["edge_strength"])])
            live = self.is_live(frm) & self.is_live(to)
            return frm[live], to[live], strength[live], [r for r, k in zip(relation, live.tolist()) if k]
        return self.memo("edges", make)

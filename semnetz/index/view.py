"""The search view: what ranking reads, as one generation of published segments, folded.

A view is a base segment and the deltas written after it (index/segment.py), listed in ``manifest.json``. A
person's current version is in the last segment that holds them, unless a later segment dropped them; the view
works that out once (vectorised) and answers from the segments' arrays, so a search never opens the store and
never waits for a writer. Like whoosh's Searcher: a writer publishes a new manifest; ``ViewCache.current()``
notices it and makes the next view from the one before, updating only what the new segments touched (who is
current, which pieces are, the links, what was read of people's times), so the first search after a write costs
about what any search costs.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from ..config import FILE_MODE, models_dir
from ..sealing import PLAIN, Plain
from .lexical import LexicalSearch
from .names import MAX_PEOPLE_SHARING_NAME_WORD, NameHit
from .segment import PIECE_KINDS, Segment
from .services import BRIDGE_CANDIDATES
from .checksum import DamagedIndex, sampling, verify
from .filters import ItemFilter
from .vectors import DATABASE, EXACT_INDEX_TYPE
from .vocabulary import WordList, background_words

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
    try:
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w") as f:
            json.dump({**manifest, "format": MANIFEST_FORMAT}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / MANIFEST)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check(directory: Path) -> tuple[int, int, str | None]:
    """Every byte of every file of the published view against its checksum (the caller holds the write lock):
    (files, bytes, what is damaged or None)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return 0, 0, f"{directory.name}/{MANIFEST} is missing or damaged" if (directory / MANIFEST).exists() else None
    files = size = 0
    for name in manifest.get("segments", []):
        try:
            meta = json.loads((directory / name / "meta.json").read_text())
            verify(directory / name, meta["files"], sampling(meta), full=True)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return files, size, str(exc) if isinstance(exc, DamagedIndex) else f"{name} cannot be read"
        files += len(meta["files"])
        size += sum(int(f["size"]) for f in meta["files"].values())
    return files, size, None


class ViewCache:
    """The current view of a home, each new one made from the one before."""

    def __init__(self, directory: Path, sealer: Plain = PLAIN, vectors=None):
        """vectors: the store's own vector search, for views built with the "database" index type (a network
        in PostgreSQL: store/postgres.py PgVectorSearch); None for a home, whose segments hold the vectors."""
        self.directory = directory
        self.sealer = sealer  # an encrypted home's (sealing.py)
        self.vectors = vectors
        self._segments: dict[str, Segment] = {}
        self._view: View | None = None
        self._retired: View | None = None
        self._stamp = None
        self.damaged: str | None = None  # what was found damaged when the view was last read
        self._lock = threading.RLock()  # a server's threads: one makes the next view, the others wait for it
        self._listeners: list = []  # called (cheaply) after each new view is made: see on_change

    def current(self) -> "View | None":
        """The published view (None before anything was published); remade only when the manifest changed."""
        try:
            stat = (self.directory / MANIFEST).stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            return None
        seen, view = self._stamp, self._view  # in this order: _next sets _view before _stamp
        if view is not None and stamp == seen:
            return view
        with self._lock:
            if self._view is not None and stamp == self._stamp:  # another thread made it meanwhile
                return self._view
            return self._next(stamp)

    def _next(self, stamp) -> "View | None":
        self.damaged = None
        for _ in range(5):  # a writer may delete old segments right after we read its manifest: read again
            manifest = read_manifest(self.directory)
            if manifest is None:
                return None
            try:
                segments = [self._open(name) for name in manifest["segments"]]
            except DamagedIndex as exc:
                self.damaged = str(exc)
                return None  # the caller rebuilds the view from the store
            except (OSError, ValueError, KeyError):
                continue
            self._segments = {s.name: s for s in segments}
            # the view before is let go at the next change, not now: freeing a replaced base (its memory maps,
            # its index) would otherwise fall on this search
            self._retired = self._view
            self._view, self._stamp = View(manifest, segments, previous=self._view, vectors=self.vectors), stamp
            for listener in self._listeners:
                listener()
            return self._view
        return None

    def on_change(self, listener) -> None:
        """Call listener() after each new view is made (under this cache's lock: it must be quick; a server pokes
        its memory trimmer here, web/memory.py: making a view lets go of the one two writes back)."""
        self._listeners.append(listener)

    def release_retired(self) -> None:
        """Let go of the view before the current one (a writer calls this, where the cost does not fall on a
        search)."""
        self._retired = None

    def adopt(self, segments: list[Segment]) -> None:
        """Segments this process has just written (and already holds in memory), so they are not opened again."""
        with self._lock:
            for segment in segments:
                self._segments.setdefault(segment.name, segment)
            # let go of segments no view uses and a writer has deleted (deltas merged into a new base), or a
            # process that only writes would keep every segment it ever made open
            in_use = {s.name for view in (self._view, self._retired) if view is not None for s in view.segments}
            self._segments = {name: segment for name, segment in self._segments.items()
                              if name in in_use or (self.directory / name).exists()}

    def _open(self, name: str) -> Segment:
        if name not in self._segments:
            self._segments[name] = Segment.open(self.directory / name, sealer=self.sealer)
        return self._segments[name]


class View:
    def __init__(self, manifest: dict, segments: list[Segment], previous: "View | None" = None, vectors=None):
        self.manifest = manifest
        # the store searches the vectors and hands them out (index type "database"); else the segments do
        self.remote = vectors if segments and all(s.meta.get("index_type") == DATABASE for s in segments) \
            else None
        self.generation = int(manifest["generation"])
        self.model = manifest["model"]
        self.dim = int(manifest["dim"])
        self.segments = segments
        self._memo: dict = {}
        appended = (previous is not None and previous.model == self.model
                    and len(segments) > len(previous.segments)
                    and all(a is b for a, b in zip(previous.segments, segments)))
        self.previous = previous if appended else None  # what a search may carry over (see rank/search.py)
        if self.previous is not None:
            self.previous.previous = None  # keep one view back, not a chain
        new = segments[len(previous.segments):] if appended else segments
        # which version of each person is current: seg_of[pk] (-1: nobody), row_of[pk] within that segment
        self.max_pk = int(max([previous.max_pk if appended else 0] +
                              [int(s.pk.max()) if len(s.pk) else 0 for s in new] +
                              [int(s.dropped.max()) if len(s.dropped) else 0 for s in new]))
        self.seg_of = np.full(self.max_pk + 1, -1, dtype=np.int32)
        self.row_of = np.zeros(self.max_pk + 1, dtype=np.int64)
        if appended:
            self.seg_of[:len(previous.seg_of)] = previous.seg_of
            self.row_of[:len(previous.row_of)] = previous.row_of
        first = len(segments) - len(new)
        for s, segment in enumerate(new, start=first):
            self.seg_of[np.asarray(segment.dropped)] = -1
            pk = np.asarray(segment.pk)
            self.seg_of[pk] = s
            self.row_of[pk] = np.arange(len(pk))
        # people whose current version is not the one before, and people whose links may have changed
        self.touched = np.unique(np.concatenate([np.asarray(s.dropped) for s in new] + [np.zeros(0, np.int64)]))
        self.links_touched = np.unique(np.concatenate(
            [np.asarray(s.arrays["edge_pks"]) for s in new if s.kind == "delta"] + [np.zeros(0, np.int64)]))
        if appended:  # only the touched people's rows of the older segments can have stopped being current
            was_live = self.touched[previous.is_live(self.touched)]
            self.live_people = [m.copy() for m in previous.live_people]
            for s, mask in enumerate(self.live_people):
                mine = was_live[previous.seg_of[was_live] == s]
                mask[previous.row_of[mine]] = False
            self.live_people += [self.seg_of[np.asarray(seg.pk)] == s for s, seg in enumerate(new, start=first)]
            self.people_count = previous.people_count - len(was_live) + int(self.is_live(self.touched).sum())
        else:
            self.live_people = [self.seg_of[np.asarray(seg.pk)] == s for s, seg in enumerate(segments)]
            self.people_count = int(sum(int(m.sum()) for m in self.live_people))
        self.owner_by_item = self._owners(previous if appended else None, new, first)

    def _owners(self, previous: "View | None", new: list[Segment], first: int) -> np.ndarray:
        """The current owner of each piece by item id (-1: no current piece)."""
        top = max([int(s.item_id.max()) if len(s.item_id) else 0 for s in new]
                  + [len(previous.owner_by_item) - 1 if previous is not None else 0])
        owners = np.full(top + 1, -1, dtype=np.int32)
        if previous is not None:
            owners[:len(previous.owner_by_item)] = previous.owner_by_item
            gone, _ = previous.items_of(self.touched[previous.is_live(self.touched)])
            owners[gone] = -1
        for s, segment in enumerate(new, start=first):
            ids, pks = np.asarray(segment.item_id), np.asarray(segment.item_owner)
            live = self.seg_of[pks] == s
            owners[ids[live]] = pks[live]
        return owners

    def memo(self, key, make):
        """Something derived from this view (reach, scopes, …), made once per view."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def previous_memo(self, key):
        """What the view before this one made under key, if this view extends it (else None)."""
        return self.previous._memo.get(key) if self.previous is not None else None

    # ---- people ----
    def is_live(self, pks) -> np.ndarray:
        pks = np.asarray(pks, dtype=np.int64)
        inside = (pks >= 0) & (pks <= self.max_pk)
        return inside & (self.seg_of[np.where(inside, pks, 0)] >= 0)

    def live_pks(self) -> np.ndarray:
        return np.flatnonzero(self.seg_of >= 0)

    def live_mask(self) -> np.ndarray:
        """By pk: is this a current person?"""
        return self.seg_of >= 0

    def _field(self, prefix: str, pk: int) -> str:
        return self.segments[int(self.seg_of[pk])].strings(prefix)[int(self.row_of[pk])]

    def id_name(self, pk: int) -> tuple[str, str]:
        return self._field("id", pk), self._field("name", pk)

    def contact(self, pk: int) -> dict[str, str] | None:
        """Their phone and e-mail as recorded (None: this index was written before it kept them)."""
        import json

        segment = self.segments[int(self.seg_of[pk])]
        if "reach_offsets" not in segment.arrays:
            return None
        raw = segment.strings("reach")[int(self.row_of[pk])]
        return json.loads(raw) if raw else {}

    def availability_text(self, pk: int) -> str:
        return self._field("availability", pk)

    def by_pk(self, column: str, dtype) -> np.ndarray:
        """A per-person column (e.g. 'direct', 'helped') as an array indexed by pk (0 where nobody)."""
        def make():
            out = np.zeros(self.max_pk + 1, dtype=dtype)
            before = self.previous_memo(("by_pk", column))
            if before is not None:  # the view before, with the touched people's values updated
                out[:len(before)] = before
                out[self.touched] = 0
                live = self.touched[self.is_live(self.touched)]
                for s in np.unique(self.seg_of[live]).tolist():
                    mine = live[self.seg_of[live] == s]
                    out[mine] = np.asarray(self.segments[s].arrays[column])[self.row_of[mine]]
                return out
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
        ids, owners = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        seg_of = self.seg_of[pks] if len(pks) else np.zeros(0, np.int32)
        for s, seg in enumerate(self.segments):
            mine = pks[seg_of == s]
            if not len(mine):
                continue
            owner_sorted = seg.arrays["owner_sorted"]
            lo = np.searchsorted(owner_sorted, mine, side="left")
            counts = np.searchsorted(owner_sorted, mine, side="right") - lo
            # the rows lo..hi of every person, without a Python loop
            starts = np.repeat(lo - np.cumsum(np.r_[0, counts[:-1]]), counts)
            rows = np.asarray(seg.arrays["owner_rows"])[starts + np.arange(int(counts.sum()))]
            ids.append(np.asarray(seg.item_id)[rows])
            owners.append(np.asarray(seg.item_owner)[rows])
        return np.concatenate(ids).astype(np.int64), np.concatenate(owners).astype(np.int64)

    def owners_of(self, item_ids: np.ndarray) -> np.ndarray:
        """The current owner of each item id (-1 for ids that are no current piece, e.g. FAISS's -1 padding)."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        inside = (item_ids >= 0) & (item_ids < len(self.owner_by_item))
        return np.where(inside, self.owner_by_item[np.where(inside, item_ids, 0)], -1)

    def _rows(self, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each current piece: the segment that holds its current version, and its row there."""
        owners = self.owners_of(item_ids)
        where = np.where(owners >= 0, self.seg_of[np.where(owners >= 0, owners, 0)], -1)
        rows = np.zeros(len(item_ids), dtype=np.int64)
        for s in np.unique(where[where >= 0]).tolist():
            mask = where == s
            rows[mask] = np.searchsorted(self.segments[s].item_id, item_ids[mask])
        return where, rows

    def piece_texts(self, item_ids) -> dict[int, tuple[str, str]]:
        """item id -> (text, kind) of current pieces."""
        item_ids = np.asarray(list(item_ids), dtype=np.int64)
        where, rows = self._rows(item_ids)
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

    @property
    def lossy(self) -> bool:
        if self.remote is not None:
            return False
        index = self._base.vector_index() if self._base else None
        return bool(index is not None and index.lossy)

    @property
    def index_type(self) -> str:
        if self.remote is not None:
            return self.remote.index_type
        index = self._base.vector_index() if self._base else None
        return index.index_type if index is not None else EXACT_INDEX_TYPE

    @property
    def piece_count(self) -> int:
        return self.memo("piece_count", lambda: int((self.owner_by_item >= 0).sum()))

    def live_items(self) -> ItemFilter | None:
        """The current pieces as a filter, or None when every piece the segments hold is current."""
        def make():
            held = sum(len(s.item_id) for s in self.segments)
            return None if held == self.piece_count else ItemFilter(mask=self.owner_by_item >= 0)
        return self.memo("live_items", make)

    def items_allowed(self, allowed_pks: np.ndarray) -> ItemFilter:
        """The current pieces of the people allowed (a boolean array by pk), as a filter."""
        owners = self.owner_by_item
        return ItemFilter(mask=(owners >= 0) & allowed_pks[np.where(owners >= 0, owners, 0)])

    def search_vectors(self, queries: np.ndarray, k: int, allowed: ItemFilter | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item ids), best first, over every current piece (or the allowed ones): each segment's index
        is searched with the filter, and the results merged."""
        allowed = allowed if allowed is not None else self.live_items()
        if self.remote is not None:
            return self.remote.search(np.atleast_2d(queries), k, allowed, self.model, self.dim)
        parts = []
        for seg in self.segments:
            index = seg.index()
            if index is not None and len(index):
                parts.append(_plausible(index.search(queries, k, allowed_ids=allowed), seg, index.lossy,
                                        len(self.owner_by_item)))
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
            valid = ids[q] >= 0
            row = ids[q][valid]
            _, first = np.unique(row, return_index=True)
            keep = np.sort(first)[:k]
            out_ids[q, :len(keep)] = row[keep]
            out_scores[q, :len(keep)] = scores[q][valid][keep]
        return out_scores, out_ids

    def vectors_of(self, item_ids: np.ndarray) -> np.ndarray:
        """Full vectors of these current pieces, for rescoring."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        if self.remote is not None:
            return self.remote.vectors_of(item_ids, self.model, self.dim)
        where, rows = self._rows(item_ids)
        out = np.zeros((len(item_ids), self.dim), dtype=np.float32)
        for s in np.unique(where[where >= 0]).tolist():
            mask = where == s
            out[mask] = self.segments[s].vectors_of(rows[mask], item_ids[mask])
            _unit(out[mask], self.segments[s])
        return out

    # ---- names, words, roles ----
    def match_names(self, query: str, limit: int = 10) -> list[NameHit]:
        best: dict[int, NameHit] = {}
        for s, seg in enumerate(self.segments):
            for hit in seg.names().match(query, limit, word_is_rare=self._name_word_is_rare):
                if self.seg_of[hit.person_pk] == s and (hit.person_pk not in best or hit.score > best[hit.person_pk].score):
                    best[hit.person_pk] = hit
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

    def people_with_contact(self, key: str) -> list[int]:
        """pks of the current people whose phone number (phone_key) or e-mail address (email_key) this is."""
        found = []
        for s, seg in enumerate(self.segments):
            found += [int(pk) for pk in seg.names().contacts.owners(key) if self.seg_of[pk] == s]
        return found

    def is_given_name(self, word: str) -> bool:
        """Is this folded word a current person's name, one-word alias or the name an alias says they belong to
        ("noahs" of "Noahs Mama")?"""
        return any(bool((self.seg_of[seg.names().given.owners(word)] == s).any())
                   for s, seg in enumerate(self.segments))

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

    def word_lists(self) -> list[WordList]:
        """The words of every segment and of the background knowledge (for forgiving a query's spelling)."""
        def make():
            lists = []
            for seg, live in zip(self.segments, self.live_people):
                a = seg.arrays
                lists.append(seg.vocabulary().without_people(np.flatnonzero(~live), np.asarray(a["vocab_person_start"]),
                                                             np.asarray(a["vocab_person_words"])))
            return lists + [background_words(models_dir())]
        return self.memo("word_lists", make)

    def lexical(self) -> LexicalSearch:
        def make():
            postings = [seg.postings() for seg in self.segments]
            before = self.previous_memo("lexical")
            if before is not None:  # the older segments' documents: only the touched people's can have gone
                live = [m.copy() for m in before.live]
                for p, mask in zip(postings, live):
                    at = np.searchsorted(p.doc_pk, self.touched)
                    hit = at < len(p.doc_pk)
                    hit[hit] &= np.asarray(p.doc_pk)[at[hit]] == self.touched[hit]
                    mask[at[hit]] = False
                live += [self.seg_of[np.asarray(p.doc_pk)] == s
                         for s, p in enumerate(postings[len(live):], start=len(live))]
                return LexicalSearch(postings, live)
            live = [self.seg_of[np.asarray(p.doc_pk)] == s for s, p in enumerate(postings)]
            return LexicalSearch(postings, live)
        return self.memo("lexical", make)

    def nominees(self, service: int) -> dict[int, tuple[float, int]]:
        """The current people whose pieces best match one of this service's roles: pk -> (cosine, item)."""
        def make():
            merged: dict[int, tuple[float, int]] = {}
            for s, seg in enumerate(self.segments):
                a = seg.arrays
                services = a["nom_service"]
                lo, hi = np.searchsorted(services, service, "left"), np.searchsorted(services, service, "right")
                pks = np.asarray(a["nom_pk"][lo:hi])
                live = self.seg_of[pks] == s
                for pk, sim, item in zip(pks[live].tolist(), np.asarray(a["nom_sim"][lo:hi])[live].tolist(),
                                         np.asarray(a["nom_item"][lo:hi])[live].tolist()):
                    merged[pk] = (sim, item)
            if len(self.segments) > 1:
                merged = dict(sorted(merged.items(), key=lambda kv: -kv[1][0])[:BRIDGE_CANDIDATES])
            return merged
        return self.memo(("nominees", service), make)

    # ---- who knows whom ----
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(from, to, strength with NaN where unsaid, relation code) of every current link: each segment's links
        replace the earlier links of the people it names in edge_pks (a base names everyone). relation_names()
        turns a code into the relation."""
        def make():
            previous = self.previous_memo("edges")
            if previous is not None:
                frm, to, strength, code = previous
                if not len(self.links_touched):
                    return previous
                new = self.segments[len(self.previous.segments):]
            else:
                frm, to = np.zeros(0, np.int64), np.zeros(0, np.int64)
                strength, code = np.zeros(0, np.float64), np.zeros(0, np.int64)
                new = self.segments
            names = self.relation_names()
            for seg in new:
                a = seg.arrays
                keep = np.zeros(len(frm), bool) if seg.kind == "base" else \
                    ~(np.isin(frm, a["edge_pks"]) | np.isin(to, a["edge_pks"]))
                local_names, local_codes = seg.relations()
                remap = np.array([names.index(n) for n in local_names], dtype=np.int64)
                frm = np.concatenate([frm[keep], np.asarray(a["edge_from"])])
                to = np.concatenate([to[keep], np.asarray(a["edge_to"])])
                strength = np.concatenate([strength[keep], np.asarray(a["edge_strength"])])
                code = np.concatenate([code[keep], remap[local_codes] if len(remap) else local_codes.astype(np.int64)])
            live = self.is_live(frm) & self.is_live(to)
            return frm[live], to[live], strength[live], code[live]
        return self.memo("edges", make)

    def relation_names(self) -> list[str]:
        """Every relation the segments' links name (the codes of edges() index this list)."""
        def make():
            names = list(self.previous.relation_names()) if self.previous is not None else []
            for seg in self.segments[len(self.previous.segments) if self.previous is not None else 0:]:
                names += [n for n in seg.relations()[0] if n not in names]
            return names
        return self.memo("relation_names", make)

    def relation(self, a: int, b: int) -> str | None:
        """Who b is to a, if a's link to b says so."""
        frm, to, _, code = self.edges()
        at = np.flatnonzero((frm == a) & (to == b))
        return (self.relation_names()[int(code[at[0]])] or None) if len(at) else None


SCORE_LIMIT = 1.01  # cosine of unit vectors, with room for float rounding
LOSSY_SCORE_LIMIT = 1.5  # compressed codes estimate it, a little above 1 at most


def _plausible(result: tuple[np.ndarray, np.ndarray], seg: Segment, lossy: bool, items: int):
    """A search result as it can come from an intact index, or DamagedIndex: damage a sampled checksum missed
    shows as scores no two unit vectors can have, or ids no piece has."""
    scores, ids = result
    found = ids >= 0
    limit = LOSSY_SCORE_LIMIT if lossy else SCORE_LIMIT
    if found.any() and (not np.isfinite(scores[found]).all() or np.abs(scores[found]).max() > limit
                        or ids[found].max() >= items):
        raise DamagedIndex(f"{seg.name}: the vector index gives impossible results")
    return result


def _unit(vectors: np.ndarray, seg: Segment) -> None:
    """Stored vectors are unit length (or zero, for a text without words): anything else is damage."""
    norms = np.linalg.norm(vectors, axis=1) if len(vectors) else np.zeros(0)
    if not (np.isfinite(norms) & ((np.abs(norms - 1) < 0.05) | (norms < 1e-6))).all():
        raise DamagedIndex(f"{seg.name}: the vector index holds vectors that are not unit length")

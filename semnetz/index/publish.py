"""Publishing the search view after a write: the writer's side of index/view.py.

A write records in its own transaction which people and links it touched (the store's journal); publishing
builds a segment for just those people and swaps the manifest, so the cost of a write follows what it touched,
not the size of the network. Deltas pile up until they hold more than DELTA_SHARE of the base (at least
DELTA_MIN_PEOPLE, at most DELTA_MAX_PEOPLE: a search scans deltas exactly), then they are merged into a new
base; or until there are MAX_DELTAS of them, then the newest are merged into one delta (a delta much bigger than
those after it, such as an import of an address book, is kept as it is: see merged_from). A person removed is
also cut out of every segment that held them, so no file of the view keeps a byte of them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import private_dir
from ..sealing import PLAIN, Plain
from .segment import PIECE_KINDS, Segment, build_segment
from .vectors import outgrown, resolve_index_type
from .view import read_manifest, write_manifest

DELTA_MIN_PEOPLE = 5_000
DELTA_SHARE = 0.10
DELTA_MAX_PEOPLE = 20_000
MAX_DELTAS = 8
# A merge of deltas takes a delta in only if it holds at most this many times the people of the deltas after it
# (and of the write): each merge rebuilds at most a few times what was written since the one before, not an
# import of thousands at every MAX_DELTAS-th write (measured with 3,000 people imported into a small network:
# those writes took 2-4.5 s under load, the others about 1 s).
MERGE_GROWTH = 4


def delta_limit(base_people: int) -> int:
    return min(DELTA_MAX_PEOPLE, max(DELTA_MIN_PEOPLE, int(DELTA_SHARE * base_people)))


def merged_from(sizes: list[int], writing: int) -> int:
    """Where the deltas that a merge rebuilds begin, given the people of each delta (oldest first) and of the
    write: the newest ones, back to a delta that holds more than MERGE_GROWTH times all after it; all of them if
    keeping the older ones would leave more than half of MAX_DELTAS."""
    start, total = len(sizes), max(writing, 1)
    while start > 0 and sizes[start - 1] <= MERGE_GROWTH * total:
        start -= 1
        total += sizes[start]
    return start if start + 1 <= MAX_DELTAS // 2 else 0


class Staged:
    """Segments built for a write and the manifest that will publish them, not yet swapped in: the writer
    builds them inside the store's transaction, so that a failure (a full disk) undoes the write as a whole."""

    def __init__(self, directory: Path, manifest: dict | None, segments: list[Segment], new: list[Segment]):
        self.directory, self.manifest, self.segments, self.new = directory, manifest, segments, new

    def publish(self, tables) -> list[Segment]:
        """Swap the manifest in (after the store committed), then forget the journal; returns the segments now
        published. Should this fail, the journal still names the people and the next writer catches up."""
        if self.manifest is None:
            return []
        write_manifest(self.directory, self.manifest)
        with tables.transaction():
            tables.journal.clear()
        _delete_unlisted(self.directory, set(self.manifest["segments"]))
        return self.segments

    def discard(self) -> None:
        for segment in self.new:
            shutil.rmtree(segment.path, ignore_errors=True)


def publish(tables, directory: Path, **how) -> list[Segment]:
    """Bring the view up to date with the store (the caller holds the write lock, no transaction open); returns
    the segments now published, opened (so the writer's own next view need not open them again)."""
    staged = stage(tables, directory, **how)
    try:
        return staged.publish(tables)
    except BaseException:
        staged.discard()
        raise


def stage(tables, directory: Path, *, model: str, dim: Callable[[], int], index_type: str,
          bridge: Callable[[], object], rebuild: bool = False, progress=None, sealer: Plain = PLAIN) -> Staged:
    """Build what publishing the store's current state (as this connection sees it, uncommitted changes
    included) needs; nothing is published yet. On failure, what was built is removed."""
    private_dir(directory)
    generation = tables.generation
    people, edges = tables.journal.pending()
    manifest = read_manifest(directory)
    usable = manifest is not None and manifest.get("model") == model and manifest.get("segments") and \
        manifest.get("index_type_choice") == index_type
    if usable and not rebuild and not len(people) and not len(edges):
        if int(manifest["generation"]) != generation:
            return Staged(directory, {**manifest, "generation": generation}, [], [])
        return Staged(directory, None, [], [])
    segments: list[Segment] = []
    if usable and not rebuild:
        try:
            segments = [Segment.open(directory / name, sealer=sealer) for name in manifest["segments"]]
        except (OSError, ValueError, KeyError):  # damaged, or written by another version: build anew
            segments = []
    base = segments[0] if segments and segments[0].kind == "base" else None
    deltas = segments[1:] if base else segments
    in_deltas = sum(s.people_count for s in deltas) + len(people)
    dim_value = int(manifest["dim"]) if usable else dim()
    new: list[Segment] = []

    def name(kind: str) -> str:
        return f"{kind}-{generation:08d}-{os.urandom(3).hex()}"

    def build(kind: str, who, links) -> Segment:
        new.append(build_segment(tables, directory, name(kind), kind=kind, people=who, edges=links, model=model,
                                 dim=dim_value, index_type=index_type,
                                 bridge=bridge() if _has_pieces(who) else None, generation=generation,
                                 progress=progress, sealer=sealer))
        return new[-1]

    def without(segment: Segment, removed) -> Segment:
        new.append(segment.without(removed, directory, name(segment.kind)))
        return new[-1]

    try:
        if rebuild or base is None or in_deltas > delta_limit(base.people_count) or \
                _outgrown(tables, base, index_type):
            segments = [build("base", None, None)]
        else:
            if len(deltas) >= MAX_DELTAS:  # merge the newest deltas into one, built afresh from the store
                kept = deltas[:merged_from([d.people_count for d in deltas], len(people))]
                merged = deltas[len(kept):]
                people = np.union1d(people, np.concatenate([np.asarray(d.dropped) for d in merged]))
                edges = np.union1d(edges, np.concatenate([np.asarray(d.arrays["edge_pks"]) for d in merged]))
                segments = [base, *kept]
            segments.append(build("delta", people.astype(np.int64), edges.astype(np.int64)))
            removed = np.setdiff1d(people, _existing(tables, people))
            if len(removed):  # cut them out of every earlier segment that still holds them (privacy)
                segments = [without(s, removed) if s is not segments[-1] and _holds(s, removed) else s
                            for s in segments]
    except BaseException:
        for segment in new:
            shutil.rmtree(segment.path, ignore_errors=True)
        for staging in directory.glob(".tmp-*"):
            shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = {"generation": generation, "model": model, "dim": dim_value, "index_type_choice": index_type,
                "segments": [s.name for s in segments]}
    return Staged(directory, manifest, segments, new)


def _outgrown(tables, base: Segment, index_type: str) -> bool:
    """Has the network grown (or shrunk) past what the base's index type is for? Then a new base, of the
    type that fits its size."""
    ideal = resolve_index_type(index_type, tables.people.count_items(PIECE_KINDS), int(base.meta["dim"]))
    return outgrown(base.meta["index_type"], ideal)


def _holds(segment: Segment, pks: np.ndarray) -> bool:
    """Does this segment hold anything of these people (their record, or a link of theirs)?"""
    a = segment.arrays
    return bool(np.isin(pks, segment.pk).any() or np.isin(pks, a["edge_from"]).any() or np.isin(pks, a["edge_to"]).any())


def _has_pieces(who) -> bool:
    return who is None or len(who) > 0


def _existing(tables, pks: np.ndarray) -> np.ndarray:
    return np.asarray(tables.people.view_rows(pks.tolist())["pk"], dtype=np.int64) if len(pks) else pks


def tidy(directory: Path) -> None:
    """What a writer killed mid-way left in the view's folder (a half-built segment, one built but never
    published): deleted by the next writer (who holds the write lock), as they name people too."""
    manifest = read_manifest(directory) if directory.is_dir() else None
    if manifest is not None:
        _delete_unlisted(directory, set(manifest.get("segments", [])))


def _delete_unlisted(directory: Path, keep: set[str]) -> None:
    """Segments no manifest lists any more, and files of older semnetz versions (a reader that still has one
    open keeps reading it: a deleted file lives on until it is closed)."""
    for path in directory.iterdir():
        if path.name == "manifest.json" or path.name in keep:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

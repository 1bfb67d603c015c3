"""Checksums of a segment's files, so that a damaged file is noticed and the view rebuilt from the store.

Every file is summed whole when written. Opening a view checks small files whole and a big file (the vector
index of a large network) by a sample: evenly spaced blocks from its head to its tail, so that opening stays
cheap at any size. Damage a sample misses shows in the scores (index/view.py: no piece can be closer than
identical) or is found by `semnetz check`, which checks every byte.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

WHOLE_UP_TO = 1 << 18  # bytes: files up to this size are summed whole
BLOCK = 4096
SAMPLED_BLOCKS = 64  # blocks summed of a bigger file (256 KB read, whatever its size)


class DamagedIndex(ValueError):
    """A file of the search view is not what was written (the view is rebuilt from the store)."""


def sampling(meta: dict | None = None) -> dict:
    """How samples are taken: as kept in a segment's meta (so that a segment is checked as it was summed), or
    how they are taken now. Segments from before it was kept were summed with 1 MB whole and 256 blocks."""
    if meta is not None:
        return meta.get("sampling") or {"whole_up_to": 1 << 20, "block": BLOCK, "blocks": 256}
    return {"whole_up_to": WHOLE_UP_TO, "block": BLOCK, "blocks": SAMPLED_BLOCKS}


def _blocks(size: int, how: dict) -> list[tuple[int, int]]:
    block = how["block"]
    if size <= max(how["whole_up_to"], block):
        return [(0, size)]
    last = size - block
    return [(last * i // (how["blocks"] - 1), block) for i in range(how["blocks"])]


def _crc(fd, blocks) -> int:
    crc = 0
    for offset, length in blocks:
        while length > 0:
            chunk = os.pread(fd, min(length, 1 << 24), offset)
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
            offset, length = offset + len(chunk), length - len(chunk)
    return crc


def checksum(path: Path, full: bool = True, how: dict | None = None) -> dict:
    """{"size", "sample": crc of the blocks _blocks picks, "crc": crc of the whole file (only if full)}."""
    how = how or sampling()
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        blocks = _blocks(size, how)
        sums = {"size": size, "sample": _crc(fd, blocks)}
        if full:
            sums["crc"] = sums["sample"] if blocks == [(0, size)] else _crc(fd, [(0, size)])
    finally:
        os.close(fd)
    return sums


def checksums(folder: Path) -> dict[str, dict]:
    return {p.name: checksum(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != "meta.json"}


def verify(folder: Path, expected: dict[str, dict], how: dict, full: bool = False) -> None:
    """Raise DamagedIndex naming the first file that differs from its checksum: its sample (opening a view), or
    all of it (full: semnetz check)."""
    for name, want in expected.items():
        got = checksum(folder / name, full, how)  # a missing file is an OSError: a writer may just have deleted it
        if got["size"] != want["size"] or got["sample"] != want["sample"] or (full and got["crc"] != want["crc"]):
            raise DamagedIndex(f"{folder.name}/{name} is damaged")

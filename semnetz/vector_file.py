"""Vectors on disk, one fixed-size row per id (fp16, row = id), read and written row by row.

Two users: the store keeps every piece's vector in such a file (store/vectors.py: the one copy of the vectors,
erased in place when a person is removed), and the search index keeps full-precision copies beside a lossy
(IVF-PQ) index to rescore its candidates (index/segment.py).

Rows are read with pread, not mmap: the page cache serves them, but they do not count towards the process's
resident memory. In an encrypted home each row is sealed on its own (sealing.py: its nonce and tag beside it,
its id authenticated), so rows are still read one run at a time. A `checked` file of a plain home carries a
checksum of each row and its id instead, so a changed byte, a row never written and a row erased (zeros) are
noticed (RowError) rather than read as a vector.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

from .errors import SemnetzError
from .sealing import PLAIN, Plain

CHECK_BYTES = 8
_ID_WEIGHT = np.uint64(0x9E3779B97F4A7C15)


class RowError(SemnetzError):
    """A row that does not pass its check: damaged, never written, or erased."""

    def __init__(self, message: str):
        super().__init__(f"{message}: the network's vectors are damaged; restore a backup (semnetz restore), or "
                         "embed every piece again (semnetz reindex)")


def _weights(words: int) -> np.ndarray:
    # odd weights: a change of any one 16-bit word changes the sum
    return np.random.default_rng(0x5E3).integers(0, 2 ** 63, words, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """All of data at offset, or OSError: a full disk makes pwrite write less without an error."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view, offset = view[written:], offset + written


class VectorFile:
    def __init__(self, path: Path, dim: int, sealer: Plain = PLAIN, checked: bool = False):
        self.path = Path(path)
        self.dim = dim
        self.sealer = sealer
        self.checked = checked and not sealer.sealed  # a sealed row is checked by its tag
        self.row_bytes = dim * 2 + sealer.overhead + (CHECK_BYTES if self.checked else 0)
        self._w = _weights(dim) if self.checked else None

    def write(self, ids: np.ndarray, vectors: np.ndarray, sync: bool = False) -> None:
        """Write rows (any order); runs of consecutive ids go out in one write. ``sync``: on the disk when this
        returns."""
        if len(ids) == 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        order = np.argsort(ids)
        ids = np.asarray(ids, dtype=np.int64)[order]
        rows = np.ascontiguousarray(np.asarray(vectors, dtype=np.float16)[order])
        breaks = np.flatnonzero(np.diff(ids) != 1) + 1
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            for start, end in zip(np.r_[0, breaks], np.r_[breaks, len(ids)]):
                _pwrite_all(fd, self._sealed(ids[start:end], rows[start:end]), int(ids[start]) * self.row_bytes)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def erase(self, ids) -> None:
        """Overwrite these rows with zeros in place, on the disk when this returns (an erased row reads as an
        error, never as a vector)."""
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        if not len(ids) or not self.path.exists():
            return
        size = self.path.stat().st_size
        breaks = np.flatnonzero(np.diff(ids) != 1) + 1
        fd = os.open(self.path, os.O_RDWR)
        try:
            for start, end in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(ids)].tolist()):
                offset = int(ids[start]) * self.row_bytes
                length = min((end - start) * self.row_bytes, size - offset)
                if length > 0:
                    _pwrite_all(fd, bytes(length), offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, ids: np.ndarray) -> np.ndarray:
        """Rows for these ids, in their order. A person's pieces have consecutive ids, so runs of consecutive
        ids are read with one pread each."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty((len(ids), self.dim), dtype=np.float16)
        if len(ids) == 0:
            return out.astype(np.float32)
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        breaks = np.flatnonzero(np.diff(sorted_ids) != 1) + 1
        fd = os.open(self.path, os.O_RDONLY)
        try:
            for start, end in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(ids)].tolist()):
                first, count = int(sorted_ids[start]), end - start
                raw = os.pread(fd, count * self.row_bytes, first * self.row_bytes)
                out[order[start:end]] = self._unsealed(first, count, raw)
        finally:
            os.close(fd)
        return out.astype(np.float32)

    def _check(self, ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (rows.view(np.uint16).astype(np.uint64) * self._w).sum(axis=1, dtype=np.uint64) + \
                ids.astype(np.uint64) * _ID_WEIGHT + np.uint64(1)

    def _sealed(self, ids: np.ndarray, rows: np.ndarray) -> bytes:
        if self.checked:
            framed = np.empty((len(rows), self.row_bytes), dtype=np.uint8)
            framed[:, :self.dim * 2] = rows.view(np.uint8).reshape(len(rows), -1)
            framed[:, self.dim * 2:] = self._check(ids, rows).astype("<u8").view(np.uint8).reshape(len(rows), -1)
            return framed.tobytes()
        if not self.sealer.sealed:
            return rows.tobytes()
        return b"".join(self.sealer.seal_record(row.tobytes(), f"row {i}") for i, row in zip(ids.tolist(), rows))

    def _unsealed(self, first: int, count: int, raw: bytes) -> np.ndarray:
        if len(raw) < count * self.row_bytes:
            raise RowError(f"{self.path}: rows {first}-{first + count - 1} are missing (the file is cut short)")
        if self.checked:
            framed = np.frombuffer(raw, np.uint8).reshape(count, self.row_bytes)
            rows = np.ascontiguousarray(framed[:, :self.dim * 2]).view(np.float16)
            stored = np.ascontiguousarray(framed[:, self.dim * 2:]).view("<u8").reshape(-1)
            bad = np.flatnonzero(stored != self._check(np.arange(first, first + count), rows))
            if len(bad):
                raise RowError(f"{self.path}: row {first + int(bad[0])} is damaged or was erased")
            return rows
        if not self.sealer.sealed:
            return np.frombuffer(raw, np.float16).reshape(count, self.dim)
        step = self.row_bytes
        data = b"".join(self.sealer.unseal_record(raw[i * step:(i + 1) * step], f"row {first + i}")
                        for i in range(count))  # SealError when a row does not open
        return np.frombuffer(data, np.float16).reshape(count, self.dim)

    def truncate(self) -> None:
        self.path.unlink(missing_ok=True)

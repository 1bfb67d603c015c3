"""Full-precision copies of the piece vectors on disk, read row by row (fp16, row = item id).

An approximate index (IVF-PQ) keeps only compressed codes in memory; the candidates it nominates are rescored
from this file. Rows are read with pread, not mmap: the page cache serves them, but they do not count towards
the process's resident memory. A cache of the store like the FAISS index, rewritten on rebuild. In an encrypted
home each row is sealed on its own (sealing.py: its nonce and tag beside it, its id authenticated), so rows are
still read one run at a time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..sealing import PLAIN, Plain


class VectorFile:
    def __init__(self, path: Path, dim: int, sealer: Plain = PLAIN):
        self.path = Path(path)
        self.dim = dim
        self.sealer = sealer
        self.row_bytes = dim * 2 + sealer.overhead

    def write(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Write rows (any order); runs of consecutive ids go out in one write."""
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
                os.pwrite(fd, self._sealed(ids[start:end], rows[start:end]), int(ids[start]) * self.row_bytes)
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
                out[order[start:end]] = np.frombuffer(self._unsealed(first, count, raw), np.float16).reshape(
                    count, self.dim)
        finally:
            os.close(fd)
        return out.astype(np.float32)

    def _sealed(self, ids: np.ndarray, rows: np.ndarray) -> bytes:
        if not self.sealer.sealed:
            return rows.tobytes()
        return b"".join(self.sealer.seal_record(row.tobytes(), f"row {i}") for i, row in zip(ids.tolist(), rows))

    def _unsealed(self, first: int, count: int, raw: bytes) -> bytes:
        if not self.sealer.sealed:
            return raw
        step = self.row_bytes
        return b"".join(self.sealer.unseal_record(raw[i * step:(i + 1) * step], f"row {first + i}")
                        for i in range(count))

    def truncate(self) -> None:
        self.path.unlink(missing_ok=True)

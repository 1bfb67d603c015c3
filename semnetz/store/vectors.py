"""The pieces' vectors: the one copy of them, beside the DuckDB file, in files the store erases in place.

A vector is a piece's text turned into numbers, and it can be turned back into much of that text: removing a
person must leave none of theirs. DuckDB keeps deleted rows in its file until the whole file is rewritten,
which at 100,000 people is a gigabyte of vectors; so the vectors are not in DuckDB. They are in
``vectors/<model>.f16`` in the home (vector_file.py: one fp16 row per item id, with a checksum, or sealed in an
encrypted home), one file per model (a reindex to another model writes a new file and deletes the old one, so
rows of two models never share a file). The DuckDB file keeps the text, which is small, and is rewritten after
a remove as before.

How a write keeps the two in step (no transaction spans them):

- New rows (new item ids, which nobody reads yet) are written and synced before the DuckDB transaction that
  names them commits. A crash in between leaves rows no item names: never read, overwritten by the next write
  of the same ids or erased by `semnetz check`.
- Rows of deleted items are erased after the commit. Before it, their ids are written, synced, to
  ``vectors/erase-pending.json``; whoever finishes (this session, or the next writer after a crash) erases the
  listed rows no item names any more and deletes the list. A delete that rolled back erases nothing.
- A reindex with the same model overwrites rows in place (the same text gives the same vector).

Erasing a row writes zeros over it and syncs the file: the bytes are gone from the file at once, not at a later
rewrite. (As with any file, a copy-on-write file system or an SSD's wear levelling may keep an old block
outside the file until it is reused; an encrypted home is safe from that too, README "Encryption".)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..config import FILE_MODE, make_private
from ..sealing import PLAIN, Plain
from ..vector_file import VectorFile

VECTORS_DIRNAME = "vectors"
ERASE_PENDING = "erase-pending.json"
DIM_KEY = "vector_dim:"  # meta key prefix: the dimension of each model's vectors


def file_name(model: str) -> str:
    """The file of a model's vectors: a hash of its name (a model can be a folder path)."""
    return hashlib.sha256(model.encode()).hexdigest()[:16] + ".f16"


class StoreVectors:
    """The vector files of one home (see the module doc)."""

    def __init__(self, home: Path, sealer: Plain = PLAIN):
        self.folder = Path(home) / VECTORS_DIRNAME
        self.sealer = sealer

    def file(self, model: str, dim: int) -> VectorFile:
        return VectorFile(self.folder / file_name(model), dim, self.sealer, checked=True)

    def _folder(self) -> None:
        if not self.folder.exists():
            old = os.umask(0o077)
            try:
                self.folder.mkdir(exist_ok=True)
            finally:
                os.umask(old)

    def write(self, model: str, ids, vectors: np.ndarray) -> None:
        """Rows for these item ids, on the disk when this returns."""
        self._folder()
        self.file(model, vectors.shape[1]).write(np.asarray(ids, dtype=np.int64), vectors, sync=True)

    def read(self, model: str, dim: int, ids) -> np.ndarray:
        return self.file(model, dim).read(np.asarray(ids, dtype=np.int64))

    # ---- erasure ----
    @property
    def pending_path(self) -> Path:
        return self.folder / ERASE_PENDING

    def pending(self) -> dict[str, list[int]]:
        try:
            return {model: list(ids) for model, ids in json.loads(self.pending_path.read_text()).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):  # a list half-written by a crash: its delete never committed
            return {}

    def to_erase(self, by_model: dict[str, list[int]]) -> None:
        """Before a delete commits: the rows it frees, added to the pending list (synced)."""
        if not any(by_model.values()):
            return
        self._folder()
        listed = self.pending()
        for model, ids in by_model.items():
            listed[model] = sorted(set(listed.get(model, [])) | {int(i) for i in ids})
        tmp = self.pending_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:  # a short write (a full disk) is an error here, not a list cut short
            f.write(json.dumps(listed).encode())
            f.flush()
            os.fsync(fd)
        os.replace(tmp, self.pending_path)
        make_private(self.pending_path)

    def finish(self, named, dims: dict[str, int]) -> None:
        """Erase the pending rows that no item names any more (`named(ids)`: those still named), then drop the
        list. Under the write lock."""
        listed = self.pending()
        for model, ids in listed.items():
            gone = sorted(set(ids) - set(named(ids)))
            if gone and model in dims:
                self.file(model, dims[model]).erase(gone)
        self.pending_path.unlink(missing_ok=True)
        self.pending_path.with_suffix(".tmp").unlink(missing_ok=True)

    def scrub(self, named: dict[str, np.ndarray], dims: dict[str, int], chunk: int = 65_536) -> dict:
        """`semnetz check`: read every row a piece names (RowError if one fails its check) and erase every other
        row that is not zeros yet (what a write killed before its commit left). Under the write lock."""
        read = erased = 0
        for model, ids in named.items():
            vectors = self.file(model, dims[model])
            for start in range(0, len(ids), chunk):
                read += len(vectors.read(ids[start:start + chunk]))
            if not vectors.path.exists():
                continue
            rows = vectors.path.stat().st_size // vectors.row_bytes
            spare = np.setdiff1d(np.arange(rows), ids)
            dirty = [int(i) for i in spare if self._nonzero(vectors, int(i))]
            vectors.erase(dirty)
            erased += len(dirty)
        return {"vector_rows": read, "erased": erased}

    @staticmethod
    def _nonzero(vectors: VectorFile, row: int) -> bool:
        with open(vectors.path, "rb") as f:
            f.seek(row * vectors.row_bytes)
            return any(f.read(vectors.row_bytes))

    def drop_models(self, keep: set[str]) -> None:
        """Delete the files of models no piece uses any more (after a reindex to another model)."""
        if not self.folder.exists():
            return
        wanted = {file_name(model) for model in keep}
        for path in self.folder.glob("*.f16"):
            if path.name not in wanted:
                path.unlink()

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.f16")) if self.folder.exists() else []

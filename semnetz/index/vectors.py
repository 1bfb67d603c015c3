"""The vector index: integer item ids (the store's items.item_id) to unit vectors, searched by inner product.

The one implementation is FAISS; the view (index/view.py) needs only add / remove / search with a filter
(filters.py) / reconstruct / save / load, so another engine could stand in. A saved index is opened memory-mapped, so a
search in a new process reads only the pages it touches and processes share them.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import faiss

from ..limits import inverted_lists
import numpy as np

from ..config import FILE_MODE, usable_cores
from ..sealing import PLAIN, Plain
from .filters import ItemFilter

# Brute-force search over fp16 copies of the vectors: every vector is compared (no approximation in which
# vectors are looked at), at half the memory traffic of "Flat" and with faiss' fp16 SIMD kernels; measured here
# at 10,000 people (37,712 vectors x 512): 1.8 ms per query against 11.9 ms for Flat, same top results.
# Candidates are rescored from these vectors (fp16 rounding, ~1e-3). Any faiss factory string is a choice.
EXACT_INDEX_TYPE = "SQfp16"
# "auto": exact below IVF_MIN_VECTORS, an inverted file (IVF, fp16 codes) from there; chosen when the index
# is built (first import, reindex), so a growing network switches at its next reindex.
AUTO = "auto"
DEFAULT_INDEX_TYPE = AUTO
# The vectors stay in the store's database, which searches them itself (a network in PostgreSQL: pgvector's HNSW,
# store/postgres.py): a segment then holds no vectors and no FAISS index, and the view asks the store.
DATABASE = "database"
IVF_MIN_VECTORS = 200_000
# From here the codes are product-quantised (64 bytes a vector instead of 1 KB in fp16), so a network of a
# million people (~4M pieces) fits in memory; candidates are rescored from the full vectors on disk.
PQ_MIN_VECTORS = 1_000_000
PQ_BYTES = 64
IVF_NPROBE = 32  # lists searched per query
HNSW_EF_SEARCH = 512  # HNSW's search breadth (must exceed the pieces asked for)
# faiss only uses BLAS for batches above this many queries; its default (128000) makes batches of a few
# hundred scan once per query. Measured here: 20 made batches of 100 ~10x faster with identical results.
BLAS_THRESHOLD_QUERIES = 20
faiss.cvar.distance_compute_blas_threshold = BLAS_THRESHOLD_QUERIES
# Below this many queries one thread is faster than two on this class of machine.
MULTITHREAD_MIN_QUERIES = 64


class _Selector:
    """A FAISS ID selector over a filter's mask (a bitmap: bit i of byte i >> 3 is id i, as faiss reads it); it
    keeps the bits it points into."""

    def __init__(self, mask: np.ndarray):
        self.bits = np.packbits(mask, bitorder="little")
        self.selector = faiss.IDSelectorBitmap(len(self.bits), faiss.swig_ptr(self.bits))  # n is in bytes


def exact_top(queries: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows): the k vectors closest to each query by inner product, by exact search (no index)."""
    faiss.omp_set_num_threads(usable_cores())
    return faiss.knn(np.ascontiguousarray(queries, dtype=np.float32), np.ascontiguousarray(vectors, dtype=np.float32),
                     k, metric=faiss.METRIC_INNER_PRODUCT)


def resolve_index_type(index_type: str, n_vectors: int, dim: int = 512) -> str:
    """The concrete faiss type for a requested one ("auto" picks by size; "database": none, see DATABASE)."""
    if index_type != AUTO:
        return index_type
    if n_vectors < IVF_MIN_VECTORS:
        return EXACT_INDEX_TYPE
    nlist = inverted_lists(n_vectors)
    if n_vectors >= PQ_MIN_VECTORS and dim % PQ_BYTES == 0:
        return f"IVF{nlist},PQ{PQ_BYTES}"
    return f"IVF{nlist},SQfp16"


def _nlist(index_type: str) -> int | None:
    return int(index_type.split(",")[0][3:]) if index_type.startswith("IVF") else None


def outgrown(current_type: str, ideal_type: str) -> bool:
    """Should an index of current_type be rebuilt as ideal_type? Yes across kinds (exact <-> IVF), and for an
    IVF index whose lists are four times too few (each list would be scanned in full, growing with it)."""
    if current_type == ideal_type:
        return False
    if DATABASE in (current_type, ideal_type):
        return True
    now, ideal = _nlist(current_type), _nlist(ideal_type)
    if (now is None) != (ideal is None):
        return current_type == EXACT_INDEX_TYPE or ideal_type == EXACT_INDEX_TYPE
    if now is not None and ("PQ" in ideal_type) != ("PQ" in current_type):
        return True  # fp16 codes -> product quantisation (memory) when the network passes PQ_MIN_VECTORS
    return now is not None and ideal >= 4 * now


def _build(dim: int, index_type: str):
    if index_type.startswith(("IVF", "OPQ")):
        # IVF indexes keep ids themselves; a hash-table direct map lets them remove and reconstruct by id
        index = faiss.index_factory(dim, index_type, faiss.METRIC_INNER_PRODUCT)
        faiss.extract_index_ivf(index).set_direct_map_type(faiss.DirectMap.Hashtable)
        return index
    return faiss.index_factory(dim, f"IDMap2,{index_type}", faiss.METRIC_INNER_PRODUCT)


def _tune(index) -> None:
    try:
        faiss.extract_index_ivf(index).nprobe = IVF_NPROBE
    except RuntimeError:  # not an IVF index
        pass
    inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    hnsw = getattr(inner, "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = max(hnsw.efSearch, HNSW_EF_SEARCH)


class VectorIndex:
    def __init__(self, dim: int, index_type: str = EXACT_INDEX_TYPE, index=None):
        self.dim = dim
        self.index_type = index_type
        self.index = index if index is not None else _build(dim, index_type)
        _tune(self.index)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def lossy(self) -> bool:
        """Do the stored codes lose more than fp16 precision (product quantisation)? Then candidates are
        rescored from the vector file and more of them are fetched."""
        return "PQ" in self.index_type

    @property
    def lists(self) -> int | None:
        """Number of IVF lists (None for other types)."""
        return _nlist(self.index_type)

    @property
    def needs_training(self) -> bool:
        return not self.index.is_trained

    def train(self, vectors: np.ndarray) -> None:
        if self.needs_training:
            self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.train(vectors)
        self.index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(list(ids), dtype=np.int64)
        if len(ids) == 0:
            return 0
        if not hasattr(self.index, "id_map"):  # IVF with a hash-table direct map takes only an id array
            return int(self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these ids (exact for Flat, fp16-rounded for SQfp16)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def ids(self) -> np.ndarray:
        if hasattr(self.index, "id_map"):
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        invlists = faiss.extract_index_ivf(self.index).invlists
        return np.concatenate([faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                               for i in range(invlists.nlist)] or [np.zeros(0, np.int64)])

    def search(self, queries: np.ndarray, k: int, allowed_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k); ids are -1 where fewer than k items qualify.

        ``allowed_ids`` (ids or an ItemFilter, which can be reused) restricts the search itself (an ID
        selector), so a filter never hides a match.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            n = len(queries)
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        faiss.omp_set_num_threads(usable_cores() if len(queries) >= MULTITHREAD_MIN_QUERIES else 1)
        if allowed_ids is None:
            return self.index.search(queries, k)
        id_filter = allowed_ids if isinstance(allowed_ids, ItemFilter) else ItemFilter(allowed_ids)
        made = id_filter.made("faiss", _Selector)  # stays referenced until the search returns (it owns the bits)
        selector = made.selector
        if hasattr(self.index, "id_map"):
            params = faiss.SearchParameters(sel=selector)
        else:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=faiss.extract_index_ivf(self.index).nprobe)
        result = self.index.search(queries, k, params=params)
        del made
        return result

    # ---- persistence ----
    def save(self, path: Path, meta: dict, sealer: Plain = PLAIN) -> None:
        """Write atomically: the index file, then its meta file (the meta is what marks it valid). Sealed in an
        encrypted home (sealing.py)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta_path = path.with_suffix(".json")
        meta_path.unlink(missing_ok=True)  # an index without its meta is never trusted
        tmp = path.with_suffix(path.suffix + ".tmp")
        if sealer.sealed:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "wb") as f:
                f.write(sealer.seal(faiss.serialize_index(self.index), path.name))
        else:
            try:
                faiss.write_index(self.index, str(tmp))
            except RuntimeError as exc:  # FAISS says a failed write in its own words
                tmp.unlink(missing_ok=True)
                full = "No space left" in str(exc)
                raise OSError(errno.ENOSPC if full else errno.EIO, "No space left on device" if full else
                              "cannot write the vector index", str(path)) from None
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
        tmp_meta = meta_path.with_suffix(".json.tmp")
        tmp_meta.write_text(json.dumps({**meta, "dim": self.dim, "index_type": self.index_type, "count": len(self)}))
        os.chmod(tmp_meta, FILE_MODE)
        os.replace(tmp_meta, meta_path)

    @classmethod
    def load(cls, path: Path, mmap: bool = False, sealer: Plain = PLAIN) -> tuple["VectorIndex", dict] | None:
        """The saved index and its meta, or None when either file is missing or unreadable (or does not unseal).
        mmap: the codes stay in the file (read-only: search and reconstruct, no add or remove); a sealed index is
        read whole into memory."""
        path = Path(path)
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
            if sealer.sealed:
                index = faiss.deserialize_index(np.frombuffer(sealer.read(path), dtype=np.uint8))
            else:
                index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
        except (OSError, ValueError, RuntimeError):
            return None
        if int(index.ntotal) != meta.get("count"):
            return None
        return cls(int(meta["dim"]), meta.get("index_type", EXACT_INDEX_TYPE), index=index), meta

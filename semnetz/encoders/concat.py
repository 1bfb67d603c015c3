"""Several encoders as one: unit vectors of each part, concatenated and scaled so that the dot product is the
mean of the part cosines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import DEFAULT_MIN_SCORE, Encoder


class ConcatEncoder(Encoder):
    def __init__(self, name: str, parts: Sequence[Encoder], min_score: float = DEFAULT_MIN_SCORE):
        self.name, self.parts, self.min_score = name, list(parts), min_score
        self.dim = sum(p.dim for p in self.parts)
        self._scale = np.float32(1.0 / np.sqrt(len(self.parts)))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        blocks = [part.encode_texts(texts) * self._scale for part in self.parts]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        blocks = [part.encode_queries(texts) * self._scale for part in self.parts]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)

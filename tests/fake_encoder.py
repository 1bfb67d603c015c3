"""A tiny deterministic encoder for fast plumbing tests: hashed character trigrams, 256 dimensions."""

import zlib

import numpy as np

from semnetz.encoders import Encoder
from semnetz.text import fold

FAKE_DIM = 256


class FakeEncoder(Encoder):
    def __init__(self, name="fake", dim=FAKE_DIM, min_score=0.3):
        self.name, self.dim, self.min_score = name, dim, min_score
        self.calls = 0
        self.texts_encoded = 0

    def encode_texts(self, texts):
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {fold(text)}  "
            for i in range(len(padded) - 2):
                out[row, zlib.crc32(padded[i:i + 3].encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

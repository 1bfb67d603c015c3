"""The FAISS wrapper (semnetz/index/vectors.py): add, remove, reconstruct, filtered search, save/load."""

import numpy as np
import pytest

from semnetz.index.vectors import AUTO, IVF_MIN_VECTORS, VectorIndex, resolve_index_type


def unit_vectors(n, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("index_type", ["Flat", "SQfp16", "IVF8,SQfp16", "IVF8,Flat"])
def test_add_search_remove_reconstruct_save_load(index_type, tmp_path):
    vectors = unit_vectors(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = VectorIndex(32, index_type)
    if index_type.startswith("IVF"):
        index.index.nprobe = 8  # all lists: exact, so results are comparable
    index.add(ids, vectors)
    assert len(index) == 500
    scores, found = index.search(vectors[:3], 1)
    assert found[:, 0].tolist() == [1000, 1001, 1002]
    assert np.allclose(index.reconstruct(np.array([1007])), vectors[7:8], atol=2e-3)
    assert index.remove([1000, 1001]) == 2
    _, found = index.search(vectors[:1], 5)
    assert 1000 not in found[0].tolist()
    assert sorted(index.ids().tolist()) == list(range(1002, 1500))
    # a filter is applied inside the search: only allowed ids come back, however far down they are
    _, found = index.search(vectors[10:11], 3, allowed_ids=[1400, 1401])
    assert set(found[0].tolist()) - {-1} == {1400, 1401}
    index.save(tmp_path / "x.faiss", {"generation": 3})
    loaded, meta = VectorIndex.load(tmp_path / "x.faiss")
    assert meta["generation"] == 3 and len(loaded) == 498 and loaded.index_type == index_type
    assert loaded.search(vectors[5:6], 1)[1][0, 0] == 1005


def test_index_file_without_meta_is_not_trusted(tmp_path):
    index = VectorIndex(32, "SQfp16")
    index.add(np.arange(3), unit_vectors(3))
    index.save(tmp_path / "x.faiss", {})
    (tmp_path / "x.json").unlink()
    assert VectorIndex.load(tmp_path / "x.faiss") is None


def test_auto_index_type_by_size():
    assert resolve_index_type(AUTO, 10) == "SQfp16"
    assert resolve_index_type(AUTO, IVF_MIN_VECTORS - 1) == "SQfp16"
    assert resolve_index_type(AUTO, 400_000).startswith("IVF") and resolve_index_type(AUTO, 400_000).endswith("SQfp16")
    assert resolve_index_type("Flat", 10**7) == "Flat"


def test_network_switches_index_type_as_it_grows(run, tmp_path, semnetz_home, monkeypatch):
    from semnetz import Network

    from .conftest import write_jsonl

    from semnetz.index import vectors

    monkeypatch.setattr(vectors, "IVF_MIN_VECTORS", 300)
    first = [{"id": f"a{i}", "name": f"A {i}", "offers": [f"Angebot {i}", f"Hilfe {i}"]} for i in range(50)]
    more = [{"id": f"b{i}", "name": f"B {i}", "offers": [f"Angebot {i} extra", f"Hilfe {i} extra"]} for i in range(400)]
    run("import", write_jsonl(tmp_path / "a.jsonl", first))
    with Network(home=semnetz_home) as net:
        assert net.stats()["index_type"] == "SQfp16"
    run("import", write_jsonl(tmp_path / "b.jsonl", more))
    with Network(home=semnetz_home) as net:
        stats = net.stats()
        assert stats["index_type"].startswith("IVF") and stats["index_choice"] == "auto"
        assert stats["index_vectors"]["offers"] == 900
        assert net.search("Angebot 7 extra", k=1, include_all=True).matches[0].id == "b7"


def test_compressed_index_rescored_from_the_vector_file_gives_exact_results(tmp_path):
    from semnetz import Network
    from semnetz.synthetic import generate_people

    people = generate_people(60, seed=3)
    exact_home, pq_home = tmp_path / "exact", tmp_path / "pq"
    queries = ["Wasserhahn reparieren", "Babysitten abends", "Steuererklärung"]
    with Network(home=exact_home) as net:
        net.import_dicts(people)
        expected = [[(m.id, round(m.fit, 2)) for m in r.matches] for r in net.search_batch(queries, k=3, include_all=True)]
    with Network(home=pq_home, index_type="IVF1,PQ16x4") as net:
        net.import_dicts(people)
        assert net.view().lossy
        got = [[(m.id, round(m.fit, 2)) for m in r.matches] for r in net.search_batch(queries, k=3, include_all=True)]
    assert got == expected
    assert [f.stat().st_size for f in (pq_home / "index").glob("base-*/vectors.f16")][0] > 0


def test_outgrown():
    from semnetz.index.vectors import outgrown

    assert outgrown("SQfp16", "IVF512,SQfp16")
    assert not outgrown("IVF512,SQfp16", "IVF1024,SQfp16")
    assert outgrown("IVF256,SQfp16", "IVF1024,SQfp16")
    assert not outgrown("Flat", "Flat") and not outgrown("HNSW32,Flat", "IVF1024,SQfp16")

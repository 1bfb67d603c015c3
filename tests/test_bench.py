"""The three bench commands on small inputs (the big runs live in benchmarks/)."""

import json

from .conftest import DATA


def test_bench_quality_on_the_demo_set(run, tmp_path, real_model):
    out = tmp_path / "q"
    result = run("bench", "quality", "--people", DATA / "people.jsonl", "--queries", DATA / "queries_heldout.jsonl",
                 "--encoder", "use-m3", "--samples", "200", "--out", out)
    assert result.exit_code == 0, result.output
    assert "hybrid: use-m3" in result.output and "lexical (BM25)" in result.output and "dense: use-m3" in result.output
    report = json.loads((out / "quality.json").read_text())
    by_name = {c["name"]: c for c in report["configs"]}
    hybrid = by_name["hybrid: use-m3"]["metrics"]["ndcg@5"]
    assert hybrid["low"] <= hybrid["mean"] <= hybrid["high"]
    assert hybrid["mean"] > by_name["lexical (BM25)"]["metrics"]["ndcg@5"]["mean"]
    assert (out / "quality.png").stat().st_size > 10_000


def test_bench_quality_bad_queries_file(run, tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"q": "x", "rel": {"n01": 5}}\n', encoding="utf-8")
    result = run("bench", "quality", "--people", DATA / "people.jsonl", "--queries", bad)
    assert (result.exit_code, result.output) == (2, f'Error: {bad}:1: "rel" must map person ids to 2 (fits) or 1 '
                                                    "(partly fits)\n")


def test_bench_speed_small(run, tmp_path, real_model):
    out = tmp_path / "s"
    result = run("bench", "speed", "--size", 300, "--queries", 20, "--index-type", "SQfp16",
                 "--index-type", "IVF16,SQ8", "--out", out)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "speed-300.json").read_text())
    assert report["indexing"]["import_people_per_s"] > 0
    assert report["search"]["p50_ms"] > 0 and report["search"]["peak_rss_mb"] > 0
    types = {t["index_type"]: t for t in report["index_types"]["types"]}
    assert set(types) == {"SQfp16", "IVF16,SQ8"}
    assert types["SQfp16"]["recall@10"] > 0.9
    assert (out / "latency-vs-people.png").exists() and (out / "recall-vs-latency-300.png").exists()
    assert "FAISS index types" in result.output


def test_bench_peers_small(run, tmp_path, real_model):
    result = run("bench", "peers", "--size", 150, "--queries", 20, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    systems = report["systems"]
    assert set(systems) == {"numpy (brute force)", "semnetz", "txtai"}
    for name, figures in systems.items():
        assert figures["p50_ms"] > 0 and figures["first_result_s"] > 0 and figures["peak_rss_mb"] > 0, name
    assert systems["semnetz"]["recall@10"] > 0.9  # candidates are rescored over all their pieces
    assert 0 < systems["txtai"]["recall@10"] <= 1 and systems["numpy (brute force)"]["recall@10"] == 1.0

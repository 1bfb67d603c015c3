"""Label accuracy of what the default answer shows (evaluation.label_figures): a pure function, fake results."""

import json
from types import SimpleNamespace

import pytest

from semnetz.errors import InputError
from semnetz.evaluation import LabelledQuery, label_figures, read_queries


def m(person_id, confidence):
    return SimpleNamespace(id=person_id, confidence=confidence)


def test_label_figures_first_result_and_its_label():
    queries = [
        LabelledQuery("klempner", {"n05": 2, "n65": 2}, "trade"),  # right person, good: label right
        LabelledQuery("frau vogel", {"n21": 2}, "name"),  # right person, but "closest": mislabelled right answer
        LabelledQuery("maler", {"n07": 2}, "trade"),  # wrong person first, though n07 is second
        LabelledQuery("steuer", {"n27": 1}, "trade"),  # nothing shown
        LabelledQuery("geige", {}, "nobody"),  # nothing shown: right
        LabelledQuery("zauberer", {}, "nobody"),  # only the closest: right
        LabelledQuery("bestatter", {}, "nobody"),  # someone said to fit ("maybe"): wrong
    ]
    shown = [
        [m("n05", "good"), m("n43", "maybe")],
        [m("n21", "closest")],
        [m("n06", "maybe"), m("n07", "maybe")],
        [],
        [],
        [m("n12", "closest")],
        [m("n47", "maybe")],
    ]
    f = label_figures(queries, shown)
    assert (f["queries"], f["somebody_fits"], f["nobody_fits"]) == (7, 4, 3)
    assert f["first_relevant"] == 2 / 4
    assert f["label_accuracy"] == 1 / 4
    assert f["closest_on_right"] == 1 / 4
    assert f["nobody_accuracy"] == 2 / 3
    # nDCG@5 of the shown list: 1 (n05 first; ideal has two fits, only one shown), 1, 1/log2(3), 0
    ideal_two = 3 + 3 / 1.5849625007211563
    assert f["ndcg@5_seen"] == pytest.approx((3 / ideal_two + 1 + 1 / 1.5849625007211563 + 0) / 4)
    by_class = f["by_class"]
    assert set(by_class) == {"trade", "name", "nobody"}
    assert by_class["trade"]["label_accuracy"] == 1 / 3 and by_class["trade"]["nobody_accuracy"] is None
    assert by_class["name"]["closest_on_right"] == 1.0
    assert by_class["nobody"]["first_relevant"] is None and by_class["nobody"]["nobody_accuracy"] == 2 / 3


def test_label_figures_without_classes_or_queries_of_a_kind():
    f = label_figures([LabelledQuery("x", {})], [[]])
    assert f["nobody_accuracy"] == 1.0 and f["label_accuracy"] is None and f["ndcg@5_seen"] is None
    assert "by_class" not in f
    with pytest.raises(ValueError):
        label_figures([LabelledQuery("x", {})], [])


def test_read_queries_keeps_class_and_filters_by_split(tmp_path):
    path = tmp_path / "q.jsonl"
    lines = [{"q": "a", "rel": {"n01": 2}, "class": "time", "split": "calibration"},
             {"q": "b", "rel": {}, "class": "time", "split": "heldout"},
             {"q": "c", "rel": {}}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert [(q.q, q.cls, q.split) for q in read_queries(path)] == [
        ("a", "time", "calibration"), ("b", "time", "heldout"), ("c", None, None)]
    assert [q.q for q in read_queries(path, "heldout")] == ["b"]
    with pytest.raises(InputError):
        read_queries(path, "test")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "a", "rel": {}, "split": "train"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=":1:"):
        read_queries(bad)

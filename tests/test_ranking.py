"""The ranking seams (semnetz/rank/) on hand-made numbers, and where the searcher cuts and how it describes
paths, on small networks with the fake encoder."""

import numpy as np
import pytest

from semnetz import Network
from semnetz.rank.ranker import fit_per_person
from semnetz.rank.search import Searcher
from semnetz.rank.weights import WEIGHTS, Weights
from semnetz.results import PathStep

from .conftest import FAKE, write_jsonl
from .fake_encoder import FakeEncoder


# ---------------------------------------------------------------- the formula's parts
def test_fit_counts_the_second_best_piece_a_fifth():
    assert WEIGHTS.fit(np.float64(0.9), np.float64(0.6)) == pytest.approx((0.9 + 0.2 * 0.6) / 1.2)
    np.testing.assert_allclose(WEIGHTS.fit(np.array([1.0, 0.5]), np.array([0.0, 0.5])), [1 / 1.2, 0.5])
    assert Weights(second_piece=0.0).fit(0.9, 0.1) == pytest.approx(0.9)


def test_fit_per_person_takes_best_and_second_best_and_a_single_piece_twice():
    #                     person 7: three pieces     person 3: one piece   person 5: two
    sims = np.array([0.5, 0.9, 0.7, 0.6, 0.4, 0.8], dtype=np.float32)
    pks = np.array([7, 7, 7, 3, 5, 5])
    fits = fit_per_person(sims, pks)
    assert set(fits) == {3, 5, 7}
    assert fits[7][0] == pytest.approx((0.9 + 0.2 * 0.7) / 1.2, abs=1e-6)
    assert fits[3][0] == pytest.approx(0.6, abs=1e-6)  # (0.6 + 0.2 x 0.6) / 1.2: not penalised for one piece
    assert fits[5][0] == pytest.approx((0.8 + 0.2 * 0.4) / 1.2, abs=1e-6)
    assert {pk: index for pk, (_, index) in fits.items()} == {7: 1, 3: 3, 5: 5}  # where each best piece is
    assert fit_per_person(np.zeros(0, np.float32), np.zeros(0, np.int64)) == {}
    heavier = fit_per_person(sims, pks, Weights(second_piece=1.0))
    assert heavier[7][0] == pytest.approx((0.9 + 0.7) / 2, abs=1e-6)


def test_hop_factor_grows_with_tie_strength():
    assert WEIGHTS.hop_factor(0.0) == pytest.approx(0.75)
    assert WEIGHTS.hop_factor(WEIGHTS.default_strength) == pytest.approx(0.85)
    assert WEIGHTS.hop_factor(1.0) == pytest.approx(0.95)
    np.testing.assert_allclose(WEIGHTS.hop_factor(np.array([0.0, 0.5, 1.0])), [0.75, 0.85, 0.95])
    assert WEIGHTS.helped_bonus(np.array([0, 1, 5])).tolist() == pytest.approx([0.0, 0.03, 0.09])


# ---------------------------------------------------------------- where the list is cut
def test_search_shows_good_fits_and_the_maybes_within_the_margin_of_the_best(small_network, semnetz_home):
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        everyone = net.search("reparieren", k=10, include_all=True).matches
        shown = net.search("reparieren", k=10).matches
        good = net._searcher().cut().good_score
    best = max(m.fit for m in everyone)
    floor = max(FAKE.min_score, best - 0.2)
    # whoever fits well is never hidden, however far below the best; a maybe only within the margin
    assert [m.id for m in shown] == [m.id for m in everyone if m.fit >= good or m.fit >= floor]
    assert all(m.fit >= best - 0.2 or m.confidence == "good" for m in shown)
    assert 1 < len(shown) < len(everyone)  # the cut kept more than one and left someone out …
    assert min(m.fit for m in everyone) > FAKE.min_score  # … by the margin, not by the minimum


@pytest.mark.parametrize("min_score,margin", [(0.3, 0.2), (0.2, 0.4), (0.3, 1.0), (0.7, 1.0), (0.95, 0.2)])
def test_searcher_cuts_at_the_larger_of_minimum_and_best_minus_margin(small_network, semnetz_home, min_score,
                                                                      margin):
    with Network(home=semnetz_home) as net:
        net.import_file(small_network)
        view = net.view()
    encoder = FakeEncoder(min_score=min_score)  # the same vectors as the fake model, another minimum
    searcher = Searcher(view, encoder, None, Weights(score_margin=margin))
    good = searcher.cut().good_score
    for query in ("reparieren", "plumbing", "Brillen reparieren", "Tischler Möbel"):
        (everyone,) = searcher.search_batch([query], k=10, include_all=True)
        (shown,) = searcher.search_batch([query], k=10)
        best = max(m.fit for m in everyone.matches)
        floor = max(min_score, best - margin)
        fitting = [m.id for m in shown.matches if m.confidence != "closest"]
        assert fitting == [m.id for m in everyone.matches if m.fit >= floor or m.fit >= max(good, min_score)], query
        if not fitting:  # nothing passed: the best is offered for "Nobody fits … (closest: …)", or is said to be
            assert best < min_score
            assert [m.fit for m in shown.matches] in ([], [pytest.approx(best)])
            assert shown.matches or shown.best_below_threshold.fit == pytest.approx(best)


# ---------------------------------------------------------------- paths as steps
NETWORK = [
    {"id": "a1", "name": "Svetlana Petrova", "text": "Erzieherin in der Kita", "offers": ["Kita-Tipps"],
     "knows": [{"id": "b1", "relation": "Bruder", "strength": 0.9}]},
    {"id": "b1", "name": "Igor Petrov", "text": "Fliesenleger", "offers": ["Fliesen legen im Bad"], "via": "a1"},
    {"id": "c1", "name": "Karl Holz", "text": "Tischler, baut Möbel"},
]


def test_a_path_comes_back_as_steps_with_the_relation(run, tmp_path, semnetz_home):
    run("import", write_jsonl(tmp_path / "net.jsonl", NETWORK))
    with Network(home=semnetz_home) as net:
        igor = net.search("Fliesen legen im Bad", k=1).matches[0]
        svetlana = net.search("Kita-Tipps", k=1).matches[0]
    assert igor.id == "b1"
    assert igor.steps == [PathStep("a1", "Svetlana Petrova", None), PathStep("b1", "Igor Petrov", "Bruder")]
    assert (igor.path, igor.hops, igor.introducer) == (["me", "a1", "b1"], 2, PathStep("a1", "Svetlana Petrova"))
    assert igor.how == "ask Svetlana Petrova to introduce you to Igor Petrov (Bruder)"
    assert igor.score == pytest.approx(igor.fit * WEIGHTS.hop_factor(0.9), abs=1e-6)  # one hop over a 0.9 tie
    assert svetlana.steps == [PathStep("a1", "Svetlana Petrova", None)] and svetlana.how == "direct contact"
    assert svetlana.score == pytest.approx(svetlana.fit, abs=1e-6)

    table = run("Fliesen legen im Bad", "-k", "1").output.splitlines()
    sure = {"good": ["good", "fit"], "maybe": ["maybe"], "closest": ["closest"]}[igor.confidence]
    assert table[2].split() == ["1", "Igor", "Petrov", f"{igor.score:.2f}", *sure, "Fliesen", "legen", "im", "Bad",
                                "via", "Svetlana", "Petrova", "b1"]
    assert table[-1] == "  Igor Petrov: ask Svetlana Petrova to introduce you to Igor Petrov (Bruder)"

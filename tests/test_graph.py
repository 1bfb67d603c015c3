"""Paths from "me" through who-knows-whom (semnetz/graph.py)."""

import numpy as np
import pytest

from semnetz.rank.graph import compute_reach
from semnetz.rank.weights import WEIGHTS

hop_factor = WEIGHTS.hop_factor


def edges(*triples):
    a, b, s = zip(*triples)
    return np.array(a), np.array(b), np.array(s, dtype=float)


def test_direct_contacts_have_reach_one_and_no_path_before_them():
    reach = compute_reach(3, np.array([1, 2]), edges((1, 3, 0.5)))
    assert reach.reach[1][1] == 1.0 and reach.reach[1][3] == 0.0
    assert reach.path(1, 2) == [1]


def test_second_degree_through_the_stronger_tie():
    # me -> 1, 2; 1 -> 3 strong, 2 -> 3 weak
    reach = compute_reach(3, np.array([1, 2]), edges((1, 3, 0.9), (2, 3, 0.1)))
    assert reach.path(3, 2) == [1, 3]
    assert reach.reach[2][3] == pytest.approx(hop_factor(0.9))


def test_hop_limit_keeps_the_best_path_within_the_limit():
    # 4 is two hops away via 2 (weak), three hops via 1 -> 3 (strong ties)
    reach = compute_reach(4, np.array([1, 2]), edges((1, 3, 0.8), (3, 4, 1.0), (2, 4, 0.2)))
    assert reach.path(4, 2) == [2, 4]
    assert reach.reach[2][4] == pytest.approx(hop_factor(0.2))
    assert reach.path(4, 3) == [1, 3, 4]
    assert reach.reach[3][4] == pytest.approx(hop_factor(0.8) * hop_factor(1.0))
    assert 4 not in reach.reachable(1).tolist()


def test_links_work_both_ways_and_unsaid_strength_is_default():
    reach = compute_reach(2, np.array([2]), edges((1, 2, float("nan"))))  # 1 lists 2; I know 2
    assert reach.path(1, 2) == [2, 1]
    assert reach.reach[2][1] == pytest.approx(hop_factor(0.5))


def test_unreachable_and_beyond_three_hops():
    reach = compute_reach(5, np.array([1]), edges((1, 2, 1.0), (2, 3, 1.0), (3, 4, 1.0)))
    assert reach.reach[3][3] > 0 and reach.reach[3][4] == 0  # 4 is four hops away
    assert reach.reach[3][5] == 0  # nobody links 5

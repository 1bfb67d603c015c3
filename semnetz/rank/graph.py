"""Who can reach whom: paths from "me" (the user) through who-knows-whom, up to 3 hops.

Everyone imported without "via" is a direct contact (1 hop). Each further hop multiplies a person's reach by
Weights.hop_factor(strength) (0.75 .. 0.95; strength unsaid: 0.5), and the path kept for a person is the one
with the highest reach within the hop limit. Computed for the whole network at once (a few vectorised passes
over the edge list), once per view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..limits import MAX_HOPS
from ..results import PathStep
from .weights import WEIGHTS, Weights


@dataclass
class Reach:
    """Best reach of every person within 1..MAX_HOPS hops, with the predecessor on that path."""

    direct: np.ndarray  # bool by pk
    reach: list[np.ndarray]  # reach[h][pk]: best reach using at most h hops (0 = unreachable); index 0 unused
    pred: list[np.ndarray]  # pred[h][pk]: previous pk on that path (-1 = me)
    hops: list[np.ndarray]  # hops[h][pk]: length of that path

    def reachable(self, max_hops: int) -> np.ndarray:
        return np.flatnonzero(self.reach[max_hops] > 0)

    def factor(self, pk: int, max_hops: int) -> float:
        return float(self.reach[max_hops][pk]) if pk < len(self.reach[max_hops]) else 0.0

    def path(self, pk: int, max_hops: int) -> list[int]:
        """pks from the first contact to pk (me not included)."""
        out, limit = [pk], max_hops
        while limit >= 1 and self.pred[limit][out[-1]] >= 0:
            current = out[-1]
            # the predecessor's part of the path is its best path of one hop less than this path's length
            out.append(int(self.pred[limit][current]))
            limit = int(self.hops[limit][current]) - 1
        return out[::-1]


def compute_reach(n_pks: int, direct_pks: np.ndarray, edges: tuple[np.ndarray, np.ndarray, np.ndarray],
                  weights: Weights = WEIGHTS) -> Reach:
    """edges: (from_pk, to_pk, strength with NaN for unsaid), used in both directions."""
    src, dst, strength = edges
    strength = np.where(np.isnan(strength), weights.default_strength, strength)
    a = np.concatenate([src, dst]).astype(np.int64)
    b = np.concatenate([dst, src]).astype(np.int64)
    factor = weights.hop_factor(np.concatenate([strength, strength]))
    size = n_pks + 1
    direct = np.zeros(size, dtype=bool)
    direct[direct_pks] = True
    reach1 = np.where(direct, 1.0, 0.0)
    reach, pred, hops = [None, reach1], [None, np.full(size, -1, np.int64)], [None, np.where(direct, 1, 0)]
    for h in range(2, MAX_HOPS + 1):
        prev_reach, prev_hops = reach[h - 1], hops[h - 1]
        current, current_pred, current_hops = prev_reach.copy(), pred[h - 1].copy(), prev_hops.copy()
        candidate = prev_reach[a] * factor
        better = candidate > current[b]
        if better.any():
            # for each target keep the best candidate: sort by (target, -candidate) and take the first
            idx = np.flatnonzero(better)
            order = np.lexsort((-candidate[idx], b[idx]))
            idx = idx[order]
            first = np.r_[True, b[idx][1:] != b[idx][:-1]]
            idx = idx[first]
            current[b[idx]] = candidate[idx]
            current_pred[b[idx]] = a[idx]
            current_hops[b[idx]] = prev_hops[a[idx]] + 1
        reach.append(current)
        pred.append(current_pred)
        hops.append(current_hops)
    return Reach(direct, reach, pred, hops)


def path_steps(pks: list[int], names, relation) -> list[PathStep]:
    """The people on a path (pks from the user's contact to the person) as steps, each with who they are to the
    one before ("Bruder"). names(pk) -> (id, name); relation(a, b) -> who b is to a, or None."""
    return [PathStep(*names(b), relation(a, b) if a is not None else None, pk=b) for a, b in zip([None] + pks[:-1], pks)]

"""The ranking formula of the README ("What a score means"), in one frozen object:

    fit   = (best piece + second × second-best piece) / (1 + second)  +  lexical × words said  +  bridge × bridge
    score = fit × reach × availability + helped × min(times helped, helped_max)
    reach = product over the hops after the first of (hop_base + hop_strength × tie strength)

and where a result is cut: below the encoder's minimum score, or more than score_margin below the best
(rank/showing.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Weights:
    second_piece: float = 0.2  # a second piece that fits counts this much (two fitting pieces beat one lucky phrase)
    # the words: added × how much of what the query says their profile says too (its rare words weigh most, a
    # word nobody here uses the most): the exact trade ("Regenrinne reinigen") beats the topic ("Wohnungsreinigung")
    lexical: float = 0.2
    bridge: float = 0.5  # background knowledge: the need calls for a service whose role they hold
    bridge_role_baseline: float = 0.3  # a piece's cosine to a role counts only above this, rescaled to 0..1
    hop_base: float = 0.75  # per link beyond a direct contact, reach × (hop_base + hop_strength × strength)
    hop_strength: float = 0.2
    default_strength: float = 0.5  # a tie of unsaid strength
    # a time said in a query weighs only here (never in the fit): who says their time fits it rises clearly
    availability: dict = field(default_factory=lambda: {"fits": 1.15, "contradicts": 0.75, "unknown": 1.0})
    helped: float = 0.03  # added per introduction after which they helped …
    helped_max: int = 3  # … for at most this many
    score_margin: float = 0.2  # not shown: more than this below the best fit
    match_offset: float = 0.10  # proposals (need against offer) need a fit this much below the encoder's minimum
    match_margin: float = 0.15  # (or its calibrated match_min_fit), and within this of the best fit for that need

    def fit(self, best: np.ndarray, second: np.ndarray) -> np.ndarray:
        return (best + self.second_piece * second) / (1 + self.second_piece)

    def role_share(self, role_sim: float) -> float:
        """A piece's cosine to a role name, as 0..1 above the baseline any two texts share."""
        return max(0.0, (role_sim - self.bridge_role_baseline) / (1 - self.bridge_role_baseline))

    def hop_factor(self, strength):
        return self.hop_base + self.hop_strength * strength

    def helped_bonus(self, times_helped: np.ndarray) -> np.ndarray:
        return self.helped * np.minimum(times_helped, self.helped_max)


WEIGHTS = Weights()

"""What a user is shown of a ranking, and how sure it is, by the score the list is ordered by.

A person is shown when their score is at least the encoder's minimum and within a margin of the best; each is
marked "good" (a clear fit) or "maybe". When nobody reaches the minimum, the answer is that nobody fits well, and
the best is still shown, marked "closest", unless even they score below a floor (or do not stand out from the next
by a gap, when one is set): the right person is then not hidden, and the answer does not pretend they fit. The
thresholds are calibrated per encoder on labelled queries, many of them ones nobody fits (models/encoders.json,
benchmarks/calibrate.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..results import Match

CONFIDENCES = ("good", "maybe", "closest", "weak")  # weak: below the minimum, shown only with --all
# A person the query names (by name, alias, number or address) is a good fit when named exactly, a maybe when
# only nearly ("Katrin Hofman"): a near miss may be someone else.
LOOKUP_KINDS = ("name", "alias", "phone", "email")
EXACT = 0.999


@dataclass(frozen=True)
class Cut:
    min_score: float  # shown, as "maybe", from here …
    good_score: float  # … as "good" from here
    margin: float  # not shown when more than this below the best score
    standout_gap: float  # nobody reaches min_score: the best is shown ("closest") if this far above the next …
    standout_floor: float  # … and at least this

    @classmethod
    def of(cls, info: dict, min_score: float, margin: float) -> "Cut":
        """The cut for an encoder, from what the registry says of it (encoders.json)."""
        return cls(min_score, float(info.get("good_score", min_score + 0.15)), float(info.get("margin", margin)),
                   float(info.get("standout_gap", 0.0)), float(info.get("standout_floor", min_score - 0.1)))

    def confidence(self, match: Match) -> str:
        score = match.score
        if match.why_kind in LOOKUP_KINDS and match.fit < EXACT:
            return "maybe" if score >= self.min_score else "weak"
        return "good" if score >= self.good_score else "maybe" if score >= self.min_score else "weak"

    def stands_out(self, matches: list[Match]) -> bool:
        best = matches[0].score
        second = matches[1].score if len(matches) > 1 else 0.0
        return best >= self.standout_floor and best - second >= self.standout_gap

    def shown(self, matches: list[Match]) -> list[Match]:
        """The matches (best first) a user sees, each with its confidence: everyone who fits well, and who may
        fit within the margin of the best (whoever fits well is never hidden behind someone who fits better)."""
        if not matches:
            return []
        for m in matches:
            m.confidence = self.confidence(m)
        floor = matches[0].score - self.margin
        shown = [m for m in matches if m.confidence == "good" or (m.confidence == "maybe" and m.score >= floor)]
        if not shown and self.stands_out(matches):
            matches[0].confidence = "closest"
            shown = [matches[0]]
        return shown

    def label_all(self, matches: list[Match]) -> list[Match]:
        """Every match with its confidence (--all)."""
        for m in matches:
            m.confidence = self.confidence(m)
        if matches and matches[0].confidence == "weak" and self.stands_out(matches):
            matches[0].confidence = "closest"
        return matches

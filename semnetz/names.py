"""Finding people by name or alias, forgiving typos ("Svetlana Petrowa", "Noah Mama")."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .text import fold

# rapidfuzz ratio (0-100) from which a name counts as meant; 85 lets one or two typos through in a
# name of ordinary length while "Emma" does not find "Emil".
NAME_MATCH_MIN_RATIO = 85.0
# A single name word (first or last name) is a candidate on its own only if at most this many people share it.
MAX_PEOPLE_SHARING_NAME_WORD = 2
_MIN_NAME_WORD_CHARS = 3
# Titles people write in front of names; "Katrin Hoffmann" should find "Dr. Katrin Hoffmann".
TITLES = {"dr", "prof", "med", "dipl", "ing", "frau", "herr", "mr", "mrs", "ms", "miss"}


def without_titles(folded_name: str) -> str:
    return " ".join(w for w in folded_name.split() if w not in TITLES)


@dataclass
class NameHit:
    person_pk: int
    score: float  # 0..1
    matched: str  # the name or alias as written
    field: str  # 'name' | 'alias'


class NameMatcher:
    def __init__(self, people: list[tuple[int, str, str, list[str]]]):
        """people: (pk, id, name, aliases)."""
        self.id_and_name = {pk: (person_id, name) for pk, person_id, name, _ in people}
        word_owners: Counter = Counter()
        for _, _, name, _ in people:
            word_owners.update(set(without_titles(fold(name)).split()))
        self._keys: list[str] = []
        self._owners: list[tuple[int, str, str]] = []
        for pk, _, name, aliases in people:
            self._add(fold(name), pk, name, "name")
            if without_titles(fold(name)) != fold(name):
                self._add(without_titles(fold(name)), pk, name, "name")
            for alias in aliases or []:
                self._add(fold(alias), pk, alias, "alias")
            for word in set(without_titles(fold(name)).split()):
                if len(word) >= _MIN_NAME_WORD_CHARS and word_owners[word] <= MAX_PEOPLE_SHARING_NAME_WORD:
                    self._add(word, pk, name, "name")

        # Keys sorted by length: fuzz.ratio >= r needs min/max length >= r / (2 - r), so only keys of about
        # the query's length can match, and a binary search finds them.
        order = sorted(range(len(self._keys)), key=lambda i: len(self._keys[i]))
        self._keys = [self._keys[i] for i in order]
        self._owners = [self._owners[i] for i in order]
        self._lengths = [len(k) for k in self._keys]

    def _add(self, key: str, pk: int, written: str, field: str) -> None:
        if key:
            self._keys.append(key)
            self._owners.append((pk, written, field))

    def match(self, query: str, limit: int = 10) -> list[NameHit]:
        """People whose name or alias the query is, best first; at most one hit per person."""
        folded = without_titles(fold(query)) or fold(query)
        if not folded or not self._keys:
            return []
        share = NAME_MATCH_MIN_RATIO / 100
        lo = bisect_left(self._lengths, math.floor(len(folded) * share / (2 - share)))
        hi = bisect_right(self._lengths, math.ceil(len(folded) * (2 - share) / share))
        found = process.extract(
            folded, self._keys[lo:hi], scorer=fuzz.ratio, score_cutoff=NAME_MATCH_MIN_RATIO, limit=limit * 3
        )
        best: dict[int, NameHit] = {}
        for _, ratio, index in found:
            pk, written, field = self._owners[lo + index]
            if pk not in best or ratio / 100.0 > best[pk].score:
                best[pk] = NameHit(pk, ratio / 100.0, written, field)
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

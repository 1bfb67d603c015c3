"""Forgiving a query's spelling against the words the network and the background knowledge use.

A query word of four letters or more that none of them knows is
- a typo of a word they know ("Klemptner", "Hanndwerker", "Kinderärtzin", "Aerztin"): one edit away for words up
  to six letters, two for longer ones (optimal string alignment: a swapped pair is one edit), the same first
  letter; among equals the word more people use. It is searched as the network writes it ("Klempner").
- else a compound of two words they know ("Wasserhahnreparatur" -> "Wasserhahn", "Reparatur"; a linking s, n,
  en, er or e between is allowed): its parts are searched as words too.
Names are matched as typed (index/names.py forgives them on its own), stop words and short words are left alone,
and so are words common in German or English (wordfreq's Zipf frequency of 3 or more: "temperature", "motorbike"),
which nobody here uses but which are no typo either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..index.lexical import stopwords
from ..index.vocabulary import WordList
from ..text import fold

MIN_CORRECTED_CHARS = 4
LONG_WORD_CHARS = 7  # from here two edits are forgiven, below one
MIN_PART_CHARS = 3
COMMON_WORD_ZIPF = 3.0  # about once in a million words of German or English text
LINKS = ("", "s", "n", "en", "er", "e")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass
class Spelled:
    text: str  # the query with corrected words written as the network writes them
    changes: list[tuple[str, str]] = field(default_factory=list)  # (as typed, as searched)
    parts: list[str] = field(default_factory=list)  # parts of compounds nobody uses whole

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def words_text(self) -> str:
        """What lexical search reads: the corrected query and the parts of its compounds."""
        return " ".join([self.text, *self.parts])


class Speller:
    def __init__(self, lists: list[WordList]):
        self.lists = lists
        self.ignored = stopwords()

    def known(self, key: str) -> bool:
        return any(words.find(key) is not None for words in self.lists)

    def respell(self, query: str) -> Spelled:
        out = Spelled(query)
        for match in reversed(list(_WORD.finditer(query))):  # from the end, so positions stay valid
            word = match.group(0)
            key = fold(word)
            if len(key) < MIN_CORRECTED_CHARS or word.lower() in self.ignored or " " in key or self.known(key) \
                    or _common(word):
                continue
            fixed = self.closest(key)
            if fixed is not None:
                written = fixed[0].upper() + fixed[1:] if word[0].isupper() else fixed
                out.text = out.text[:match.start()] + written + out.text[match.end():]
                out.changes.insert(0, (word, written))
                continue
            out.parts = self.split(key) + out.parts
        return out

    def closest(self, key: str) -> str | None:
        """The known word one or two edits away (as the network writes it), or None."""
        most = 1 if len(key) < LONG_WORD_CHARS else 2
        found: dict[str, list] = {}  # key -> [distance, users, surface]
        for words in self.lists:
            lo, hi = words.starting_with(key[0])
            if hi <= lo:
                continue
            lengths = words.lengths()[lo:hi]
            rows = lo + np.flatnonzero(np.abs(lengths - len(key.encode())) <= most)
            if not len(rows):
                continue
            rows = rows[np.asarray(words.users)[rows] > 0]  # words only people no longer here used do not count
            keys = [words.keys[int(r)] for r in rows]
            for candidate, distance, i in process.extract(key, keys, scorer=OSA.distance, score_cutoff=most,
                                                          limit=None):
                row = int(rows[i])
                entry = found.setdefault(candidate, [distance, 0, words.surface[row]])
                entry[1] += int(words.users[row])
        if not found:
            return None
        best = min(found.items(), key=lambda kv: (kv[1][0], -kv[1][1], kv[0]))
        return best[1][2]

    def split(self, key: str) -> list[str]:
        """A compound of two known words, as [first, second] (the longest known second part), or []."""
        for cut in range(MIN_PART_CHARS, len(key) - MIN_PART_CHARS + 1):
            head = key[cut:]
            if not self.known(head):
                continue
            for link in LINKS:
                first = key[:cut - len(link)] if link else key[:cut]
                if key[:cut].endswith(link) and len(first) >= MIN_PART_CHARS and self.known(first):
                    return [self.surface(first), self.surface(head)]
        return []

    def surface(self, key: str) -> str:
        for words in self.lists:
            row = words.find(key)
            if row is not None:
                return words.surface[row]
        return key


def _common(word: str) -> bool:
    """Is this a word German or English texts commonly use (so not a typo)?"""
    from wordfreq import zipf_frequency  # loads its word lists on first use (~0.3 s), only for unknown words

    return max(zipf_frequency(word, "de"), zipf_frequency(word, "en")) >= COMMON_WORD_ZIPF

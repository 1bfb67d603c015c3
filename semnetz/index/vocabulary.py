"""The words the network and semnetz's background knowledge use, for forgiving a query's spelling.

Each segment of the view keeps its people's words (text, offers, tags, names and aliases): folded (lower-case
ASCII, see text.fold), sorted, with how many of its people use each and the form they write it in. The
background knowledge (models/services.jsonl, categories.jsonl) adds the words people use for needs and roles. A
query word that none of them knows is a typo, a compound, or a word nobody here uses (rank/spelling.py).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..text import fold
from .strings import StringColumn

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORD_CHARS = 3


def words_of(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if len(w) >= MIN_WORD_CHARS]


def vocabulary_arrays(texts_by_person) -> dict[str, np.ndarray]:
    """The arrays a segment keeps, from each of its people's texts (in the segment's order of people): the
    sorted words, how many people use each and how they write it, and each person's words (so the view can
    leave out people who are no longer current)."""
    per_person: list[set[str]] = []
    surface: dict[str, str] = {}
    written_forms: dict[str, str] = {}
    for texts in texts_by_person:
        seen = set()
        for text in texts:
            for word in words_of(text):
                key = written_forms.get(word)
                if key is None:
                    key = written_forms[word] = fold(word)
                if key and key not in seen:
                    seen.add(key)
                    surface.setdefault(key, word.lower())
        per_person.append(seen)
    users = Counter(key for seen in per_person for key in seen)
    keys = sorted(users)
    row_of = {k: i for i, k in enumerate(keys)}
    starts = np.zeros(len(per_person) + 1, dtype=np.int64)
    np.cumsum([len(seen) for seen in per_person], out=starts[1:])
    words = np.array([row_of[k] for seen in per_person for k in sorted(seen)], dtype=np.int32)
    return {**StringColumn.of(keys).arrays("vocab"), "vocab_users": np.array([users[k] for k in keys], np.int32),
            **StringColumn.of([surface[k] for k in keys]).arrays("vocab_surface"),
            "vocab_person_start": starts, "vocab_person_words": words}


class WordList:
    """One sorted list of folded words with how many people use each and how they write it."""

    def __init__(self, keys: StringColumn, users: np.ndarray, surface: StringColumn):
        self.keys, self.users, self.surface = keys, users, surface
        self._lengths: np.ndarray | None = None
        self._starts: dict[str, tuple[int, int]] = {}

    @classmethod
    def of(cls, counts: dict[str, int], surface: dict[str, str]) -> "WordList":
        keys = sorted(counts)
        return cls(StringColumn.of(keys), np.array([counts[k] for k in keys], np.int32),
                   StringColumn.of([surface[k] for k in keys]))

    def find(self, key: str) -> int | None:
        """The row of a word someone uses (None: nobody here uses it)."""
        row = self.keys.search_sorted(key)
        return row if row is not None and self.users[row] > 0 else None

    def without_people(self, rows: np.ndarray, starts: np.ndarray, words: np.ndarray) -> "WordList":
        """The same words, not counting these people (rows in the segment's order of people)."""
        if not len(rows):
            return self
        users = np.array(self.users, dtype=np.int32)
        counts = starts[rows + 1] - starts[rows]
        positions = np.repeat(starts[rows] - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(int(counts.sum()))
        np.subtract.at(users, words[positions], 1)
        return WordList(self.keys, users, self.surface)

    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = np.diff(self.keys.offsets).astype(np.int32)
        return self._lengths

    def starting_with(self, letter: str) -> tuple[int, int]:
        """The rows of the words that start with this letter (a run: the list is sorted)."""
        if letter not in self._starts:
            target = letter.encode()
            self._starts[letter] = (self.keys.first_at_least(target), self.keys.first_at_least(bytes([target[0] + 1])))
        return self._starts[letter]


@lru_cache(maxsize=4)
def background_words(models_dir: Path) -> WordList:
    """The words of the needs, roles and categories that semnetz's background knowledge names."""
    counts: Counter = Counter()
    surface: dict[str, str] = {}
    for name in ("services.jsonl", "categories.jsonl"):
        path = models_dir / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            texts = [*row.get("roles", []), *row.get("needs", []), *row.get("names", []), row.get("category", "")]
            for text in texts:
                for word in words_of(text):
                    key = fold(word)
                    counts[key] += 1
                    surface.setdefault(key, word.lower())
    return WordList.of(counts, surface)

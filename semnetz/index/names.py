"""Finding people by name or alias, forgiving typos ("Svetlana Petrowa", "Noah Mama")."""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from ..text import fold

# rapidfuzz ratio (0-100) from which a name counts as meant; 85 lets one or two typos through in a
# name of ordinary length while "Emma" does not find "Emil".
NAME_MATCH_MIN_RATIO = 85.0
# A single name word (first or last name) is a candidate on its own only if at most this many people share it
# (counted over the whole view at query time: a segment may hold one of three Webers) …
MAX_PEOPLE_SHARING_NAME_WORD = 2
# … and a segment keeps a word as a key only if at most this many of its people share it (it lists the others
# as common, so the view never counts them as rare).
WORD_KEY_MAX_OWNERS = 8
_MIN_NAME_WORD_CHARS = 3
PREFIX_CHARS = 3
# A word start shared by more than this share of all keys ("mam" of "Mama") is too common to look up alone.
COMMON_BUCKET_SHARE = 0.02
COMMON_BUCKET_MIN = 200
MAX_NAME_CANDIDATES = 5000
# Titles people write in front of names; "Katrin Hoffmann" should find "Dr. Katrin Hoffmann".
TITLES = {"dr", "prof", "med", "dipl", "ing", "frau", "herr", "mr", "mrs", "ms", "miss"}


def without_titles(folded_name: str) -> str:
    return " ".join(w for w in folded_name.split() if w not in TITLES)


def _blob(strings: list[str]) -> np.ndarray:
    """Strings as one UTF-8 byte array (newline-separated; names never hold a newline after folding)."""
    return np.frombuffer("\n".join(s.replace("\n", " ") for s in strings).encode("utf-8"), dtype=np.uint8)


def _unblob(data: np.ndarray) -> list[str]:
    text = data.tobytes().decode("utf-8")
    return text.split("\n") if text else []


@dataclass
class NameHit:
    person_pk: int
    score: float  # 0..1
    matched: str  # the name or alias as written
    field: str  # 'name' | 'alias'


class NameMatcher:
    def __init__(self, people: list[tuple[int, str, str, list[str]]] | None = None):
        """people: (pk, id, name, aliases). (None: an empty shell that load() fills.)"""
        if people is None:
            return
        word_owners: Counter = Counter()
        for _, _, name, _ in people:
            word_owners.update(set(without_titles(fold(name)).split()))
        self._keys: list[str] = []
        self._written: list[str] = []  # the name or alias as written (references, not copies)
        self._owner_lists: tuple[list[int], list[bool], list[bool]] = ([], [], [])  # owner, is alias, is a name word
        for pk, _, name, aliases in people:
            folded = fold(name)
            plain = without_titles(folded)
            self._add(folded, pk, name, "name")
            if plain != folded:
                self._add(plain, pk, name, "name")
            surname = plain.split()[-1:]
            for alias in aliases or []:
                folded_alias = fold(alias)
                self._add(folded_alias, pk, alias, "alias")
                # a one-word alias is a first name people go by: "Jim" O'Connor for James O'Connor
                if surname and folded_alias and " " not in folded_alias and folded_alias != surname[0]:
                    self._add(f"{folded_alias} {surname[0]}", pk, f"{alias} ({name})", "alias")
            for word in set(plain.split()):
                if len(word) >= _MIN_NAME_WORD_CHARS and word != plain and word_owners[word] <= WORD_KEY_MAX_OWNERS:
                    self._add(word, pk, name, "word")

        self._owner_pk = np.array(self._owner_lists[0], dtype=np.int64)  # arrays: compact for millions of keys
        self._is_alias = np.array(self._owner_lists[1], dtype=bool)
        self._is_word = np.array(self._owner_lists[2], dtype=bool)
        del self._owner_lists
        self._common_words = sorted(w for w, n in word_owners.items()
                                    if n > WORD_KEY_MAX_OWNERS and len(w) >= _MIN_NAME_WORD_CHARS)
        self._index_keys()

    def _index_keys(self) -> None:
        """Index each key under the first letters of each of its words, so a query is compared only with keys
        that share a word start with it (a typo in the first PREFIX_CHARS letters of every word is missed)."""
        prefixes: dict[str, int] = {}
        pairs: list[tuple[int, int]] = []
        for key_index, key in enumerate(self._keys):
            for word in set(key.split()):
                pairs.append((prefixes.setdefault(word[:PREFIX_CHARS], len(prefixes)), key_index))
        pairs_array = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        self._prefix_ids = prefixes
        self._bucket_keys = pairs_array[:, 1]
        self._bucket_bounds = np.searchsorted(pairs_array[:, 0], np.arange(len(prefixes) + 1))
        self._key_lengths = np.array([len(k) for k in self._keys], dtype=np.int32)

    def without(self, pks: np.ndarray) -> "NameMatcher":
        """A matcher without these people's names and aliases."""
        keep = ~np.isin(self._owner_pk, pks)
        if keep.all():
            return self
        rows = np.flatnonzero(keep).tolist()
        matcher = NameMatcher()
        matcher._keys = [self._keys[i] for i in rows]
        matcher._written = [self._written[i] for i in rows]
        matcher._owner_pk, matcher._is_alias = self._owner_pk[keep], self._is_alias[keep]
        matcher._is_word, matcher._common_words = self._is_word[keep], self._common_words
        matcher._index_keys()
        return matcher

    # ---- saved in the view: folding millions of names takes seconds, loading them a fraction ----
    def arrays(self) -> dict[str, np.ndarray]:
        prefixes = sorted(self._prefix_ids, key=self._prefix_ids.get)
        return {"owner_pk": self._owner_pk, "is_alias": self._is_alias, "is_word": self._is_word,
                "common_words": _blob(self._common_words), "bucket_keys": self._bucket_keys,
                "bucket_bounds": self._bucket_bounds, "key_lengths": self._key_lengths, "keys": _blob(self._keys),
                "written": _blob(self._written), "prefixes": _blob(prefixes)}

    @classmethod
    def load(cls, z) -> "NameMatcher":
        matcher = cls()
        matcher._owner_pk, matcher._is_alias, matcher._is_word = z["owner_pk"], z["is_alias"], z["is_word"]
        matcher._common_words = _unblob(z["common_words"])
        matcher._bucket_keys, matcher._bucket_bounds = z["bucket_keys"], z["bucket_bounds"]
        matcher._key_lengths = z["key_lengths"]
        matcher._keys, matcher._written = _unblob(z["keys"]), _unblob(z["written"])
        matcher._prefix_ids = {p: i for i, p in enumerate(_unblob(z["prefixes"]))}
        return matcher

    def _candidates(self, folded: str) -> np.ndarray:
        """Keys sharing a word start with the query; very common starts ("mam" of "Mama") only if nothing else."""
        buckets = []
        for word in set(folded.split()):
            prefix_id = self._prefix_ids.get(word[:PREFIX_CHARS])
            if prefix_id is not None:
                buckets.append(self._bucket_keys[self._bucket_bounds[prefix_id]:self._bucket_bounds[prefix_id + 1]])
        if not buckets:
            return np.zeros(0, dtype=np.int64)
        common = max(COMMON_BUCKET_MIN, int(COMMON_BUCKET_SHARE * len(self._keys)))
        rare = [b for b in buckets if len(b) <= common]
        keys, counts = np.unique(np.concatenate(rare or buckets), return_counts=True)
        if len(keys) > MAX_NAME_CANDIDATES and len(buckets) > 1:
            keys = keys[counts >= 2]  # a big network: keys sharing two word starts with the query
        if len(keys) > MAX_NAME_CANDIDATES:
            return np.zeros(0, dtype=np.int64)  # thousands of "Anna"s: a name this common finds nobody
        return keys

    def _add(self, key: str, pk: int, written: str, field: str) -> None:
        if key:
            self._keys.append(key)
            self._owner_lists[0].append(pk)
            self._written.append(written)
            self._owner_lists[1].append(field == "alias")
            self._owner_lists[2].append(field == "word")

    def word_owners(self, word: str) -> np.ndarray:
        """pks of the people this matcher holds the name word for."""
        prefix_id = self._prefix_ids.get(word[:PREFIX_CHARS])
        if prefix_id is None:
            return np.zeros(0, dtype=np.int64)
        bucket = self._bucket_keys[self._bucket_bounds[prefix_id]:self._bucket_bounds[prefix_id + 1]]
        rows = [int(i) for i in bucket if self._is_word[i] and self._keys[i] == word]
        return self._owner_pk[rows] if rows else np.zeros(0, dtype=np.int64)

    def is_common(self, word: str) -> bool:
        """Do more than WORD_KEY_MAX_OWNERS of this matcher's people share this name word?"""
        at = bisect.bisect_left(self._common_words, word)
        return at < len(self._common_words) and self._common_words[at] == word

    def match(self, query: str, limit: int = 10, word_is_rare=lambda word: True) -> list[NameHit]:
        """People whose name or alias the query is, best first; at most one hit per person. A single name word
        counts only if word_is_rare(word) (few people in the whole network share it)."""
        folded = without_titles(fold(query)) or fold(query)
        if not folded or not len(self._keys):
            return []
        share = NAME_MATCH_MIN_RATIO / 100
        candidates = self._candidates(folded)
        # fuzz.ratio >= r needs min/max length >= r / (2 - r): only keys of about the query's length can match
        lengths = self._key_lengths[candidates]
        candidates = candidates[(lengths >= math.floor(len(folded) * share / (2 - share)))
                                & (lengths <= math.ceil(len(folded) * (2 - share) / share))]
        found = process.extract(
            folded, [self._keys[i] for i in candidates.tolist()], scorer=fuzz.ratio,
            score_cutoff=NAME_MATCH_MIN_RATIO, limit=limit * 3,
        )
        best: dict[int, NameHit] = {}
        for key, ratio, index in found:
            key_index = int(candidates[index])
            if self._is_word[key_index] and not word_is_rare(key):
                continue
            pk, written = int(self._owner_pk[key_index]), self._written[key_index]
            field = "alias" if self._is_alias[key_index] else "name"
            if pk not in best or ratio / 100.0 > best[pk].score:
                best[pk] = NameHit(pk, ratio / 100.0, written, field)
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

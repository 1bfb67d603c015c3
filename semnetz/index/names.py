"""Finding people by name or alias, forgiving typos ("Svetlana Petrowa", "Noah Mama")."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from ..text import fold_name
from .strings import StringColumn

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


# An alias that names someone by whom they belong to ("Noahs Mama", "Svetlanas Bruder", "Lucys Mann"): its first
# word is another person's name, which must be written exactly ("Elias Mama" is not "Elifs Mama").
RELATION_WORDS = frozenset(
    "mama mamma mutti papa pappa vati mutter vater mami papi mum mom mummy dad daddy oma opa tante onkel bruder schwester mann frau "
    "sohn tochter kollegin kollege freundin freund cousin cousine nachbarin nachbar chef chefin wife husband "
    "brother sister mother father aunt uncle son daughter friend colleague neighbour neighbor grandma grandpa "
    "granny nanny".split())


def owner_word(folded_alias: str) -> str | None:
    """The name an alias says someone belongs to ("noahs mama" -> "noahs"), or None."""
    words = folded_alias.split()
    if len(words) == 2 and words[1] in RELATION_WORDS and len(words[0]) >= 3:
        return words[0]
    return None


class OwnedKeys:
    """Sorted string keys, each with the person it belongs to (a key may belong to several): exact look-ups of
    contacts (phone numbers, e-mail addresses) and of the words that are names."""

    def __init__(self, pairs: list[tuple[str, int]] | None = None):
        pairs = sorted(set(pairs or ()))
        self.keys = StringColumn.of([k for k, _ in pairs])
        self.owner = np.array([p for _, p in pairs], dtype=np.int64)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {**self.keys.arrays(prefix), f"{prefix}_owner": self.owner}

    @classmethod
    def load(cls, z, prefix: str) -> "OwnedKeys":
        out = cls()
        if f"{prefix}_owner" in z:  # a search index written before these keys existed has none
            out.keys, out.owner = StringColumn.load(z, prefix), z[f"{prefix}_owner"]
        return out

    def without(self, pks: np.ndarray) -> "OwnedKeys":
        keep = np.flatnonzero(~np.isin(self.owner, pks))
        out = OwnedKeys()
        out.keys, out.owner = self.keys.take(keep), np.asarray(self.owner)[keep]
        return out

    def owners(self, key: str) -> np.ndarray:
        """The people this key belongs to."""
        row = self.keys.first_at_least(key)
        found = []
        while row < len(self.keys) and self.keys[row] == key:
            found.append(int(self.owner[row]))
            row += 1
        return np.asarray(found, dtype=np.int64)


@dataclass
class NameHit:
    person_pk: int
    score: float  # 0..1
    matched: str  # the name or alias as written
    field: str  # 'name' | 'alias'


class NameMatcher:
    def __init__(self, people: list[tuple[int, str, str, list[str]]] | None = None,
                 contacts: list[tuple[int, str]] | None = None):
        """people: (pk, id, name, aliases); contacts: (pk, key) of their phone numbers (phone_key) and e-mail
        addresses (email_key). (None: an empty shell that load() fills.)"""
        if people is None:
            self.contacts, self.given = OwnedKeys(), OwnedKeys()
            return
        self.contacts = OwnedKeys(contacts)
        self.given = OwnedKeys(_given_words(people))
        word_owners: Counter = Counter()
        for _, _, name, _ in people:
            word_owners.update(set(without_titles(fold_name(name)).split()))
        self._keys: list[str] = []
        self._written: list[str] = []  # the name or alias as written (references, not copies)
        self._owner_lists: tuple[list[int], list[bool], list[bool]] = ([], [], [])  # owner, is alias, is a name word
        for pk, _, name, aliases in people:
            folded = fold_name(name)
            plain = without_titles(folded)
            self._add(folded, pk, name, "name")
            if plain != folded:
                self._add(plain, pk, name, "name")
            # a name of three words or more ("Jörg Müller-Lüdenscheidt") is also written with the first name and
            # one of the others ("Jörg Müller")
            words = plain.split()
            for later in words[1:] if len(words) > 2 else []:
                self._add(f"{words[0]} {later}", pk, name, "name")
            surname = plain.split()[-1:]
            for alias in aliases or []:
                folded_alias = fold_name(alias)
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
        self._common_words = StringColumn.of(sorted(w for w, n in word_owners.items()
                                                    if n > WORD_KEY_MAX_OWNERS and len(w) >= _MIN_NAME_WORD_CHARS))
        self._index_keys(self._keys)
        self._keys, self._written = StringColumn.of(self._keys), StringColumn.of(self._written)

    def _index_keys(self, keys: list[str]) -> None:
        """Index each key under the first letters of each of its words, so a query is compared only with keys
        that share a word start with it (a typo in the first PREFIX_CHARS letters of every word is missed)."""
        pairs = sorted((word[:PREFIX_CHARS], key_index) for key_index, key in enumerate(keys)
                       for word in set(key.split()))
        prefixes = list(dict.fromkeys(p for p, _ in pairs))  # sorted, as pairs are
        row_of = {p: i for i, p in enumerate(prefixes)}
        bucket_of = np.array([row_of[p] for p, _ in pairs], dtype=np.int64)
        self._prefixes = StringColumn.of(prefixes)
        self._bucket_keys = np.array([k for _, k in pairs], dtype=np.int64)
        self._bucket_bounds = np.searchsorted(bucket_of, np.arange(len(prefixes) + 1))
        self._key_lengths = np.array([len(k) for k in keys], dtype=np.int32)

    def without(self, pks: np.ndarray) -> "NameMatcher":
        """A matcher without these people's names and aliases."""
        keep = ~np.isin(self._owner_pk, pks)
        if keep.all():
            return self
        rows = np.flatnonzero(keep)
        matcher = NameMatcher()
        keys = self._keys.take(rows)
        matcher._keys, matcher._written = keys, self._written.take(rows)
        matcher._owner_pk, matcher._is_alias = self._owner_pk[keep], self._is_alias[keep]
        matcher._is_word, matcher._common_words = self._is_word[keep], self._common_words
        matcher.contacts, matcher.given = self.contacts.without(pks), self.given.without(pks)
        matcher._index_keys(keys.all())
        return matcher

    # ---- saved in the view as arrays, opened memory-mapped: nothing is decoded until a query needs it ----
    def arrays(self) -> dict[str, np.ndarray]:
        return {"owner_pk": self._owner_pk, "is_alias": self._is_alias, "is_word": self._is_word,
                "bucket_keys": self._bucket_keys, "bucket_bounds": self._bucket_bounds,
                "key_lengths": self._key_lengths, **self._keys.arrays("keys"), **self._written.arrays("written"),
                **self._prefixes.arrays("prefixes"), **self._common_words.arrays("common"),
                **self.contacts.arrays("contact"), **self.given.arrays("given")}

    @classmethod
    def load(cls, z) -> "NameMatcher":
        matcher = cls()
        matcher._owner_pk, matcher._is_alias, matcher._is_word = z["owner_pk"], z["is_alias"], z["is_word"]
        matcher._bucket_keys, matcher._bucket_bounds = z["bucket_keys"], z["bucket_bounds"]
        matcher._key_lengths = z["key_lengths"]
        matcher._keys, matcher._written = StringColumn.load(z, "keys"), StringColumn.load(z, "written")
        matcher._prefixes, matcher._common_words = StringColumn.load(z, "prefixes"), StringColumn.load(z, "common")
        matcher.contacts, matcher.given = OwnedKeys.load(z, "contact"), OwnedKeys.load(z, "given")
        return matcher

    def _bucket(self, word: str) -> np.ndarray:
        """The keys with a word that starts like this word."""
        row = self._prefixes.search_sorted(word[:PREFIX_CHARS])
        if row is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._bucket_keys[self._bucket_bounds[row]:self._bucket_bounds[row + 1]])

    def _candidates(self, folded: str) -> np.ndarray:
        """Keys sharing a word start with the query; very common starts ("mam" of "Mama") only if nothing else."""
        buckets = [b for b in (self._bucket(word) for word in set(folded.split())) if len(b)]
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
        rows = [int(i) for i in self._bucket(word) if self._is_word[i] and self._keys[i] == word]
        return np.asarray(self._owner_pk[rows]) if rows else np.zeros(0, dtype=np.int64)

    def is_common(self, word: str) -> bool:
        """Do more than WORD_KEY_MAX_OWNERS of this matcher's people share this name word?"""
        return self._common_words.search_sorted(word) is not None

    def match(self, query: str, limit: int = 10, word_is_rare=lambda word: True) -> list[NameHit]:
        """People whose name or alias the query is, best first; at most one hit per person. A single name word
        counts only if word_is_rare(word) (few people in the whole network share it)."""
        folded = without_titles(fold_name(query)) or fold_name(query)
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
            owner = owner_word(key) if field == "alias" else None
            if owner is not None and ratio < 100 and not _same_owner(owner, folded.split()[0]) \
                    and _another_name(folded.split()[0]):
                continue  # "Elias Mama" is another child's mother, not a typo of "Elifs Mama" ("Nolahs Mama" is)
            if pk not in best or ratio / 100.0 > best[pk].score:
                best[pk] = NameHit(pk, ratio / 100.0, written, field)
        return sorted(best.values(), key=lambda h: -h.score)[:limit]


GIVEN_NAME_ZIPF = 3.0  # a word German texts use this often ("Elias", "Mia") is a name of its own, not a typo


def _same_owner(owner: str, word: str) -> bool:
    """Does this word name the one an alias says its person belongs to ("leon" or "leons" for "leons mama")?"""
    return word in (owner, owner[:-1] if owner.endswith("s") else owner, owner + "s")


def _another_name(word: str) -> bool:
    """Is this word (or it without a possessive s) a name or word of its own rather than a misspelling?"""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(w, "de") for w in {word, word[:-1] if word.endswith("s") else word}) >= GIVEN_NAME_ZIPF


def _given_words(people) -> list[tuple[str, int]]:
    """(word, pk): the words of everyone's name, their one-word aliases and the names their aliases say they
    belong to ("noahs" and "noah" of "Noahs Mama"): words that name someone rather than say what is needed."""
    pairs = []
    for pk, _, name, aliases in people:
        for word in without_titles(fold_name(name)).split():
            if len(word) >= 2:
                pairs.append((word, int(pk)))
        for alias in aliases or []:
            folded = fold_name(alias)
            owner = owner_word(folded)
            if owner is not None:
                pairs.append((owner, int(pk)))
                if owner.endswith("s") and len(owner) > 3:
                    pairs.append((owner[:-1], int(pk)))
            elif folded and " " not in folded:
                pairs.append((folded, int(pk)))
    return pairs

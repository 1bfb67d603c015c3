"""Lexical search: BM25 over each person's text, offers and tags, German Snowball stems, kept as postings that
a write extends for the people it touched (one postings table per segment of the view, see index/view.py).

DuckDB tokenises and stems when a segment is built (its FTS extension's tokeniser and stem(): lower-case,
accents stripped, anything but a-z separates words); a query is stemmed here with PyStemmer, the Snowball
project's own Python binding of the same German stemmer, so query and postings agree. DuckDB's own full-text index is rebuilt
whole, never per row, so it is not used for the index itself.

Query words that many profiles use ("Kind", "ich", "the") are dropped before BM25, so the bonus comes only from
words that tell people apart; German and English function words are dropped first (the `stop-words` package),
since in a small network the frequency rule alone lets "sehr" or "help" through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .strings import StringColumn

# A query word counts only if at most this share of people use it (and always if only one or two do) …
MAX_DOC_FREQUENCY_SHARE = 0.2
MIN_DOC_FREQUENCY_KEPT = 2
# … and never words more than this many people use: in a big network they tell nobody apart (the vectors rank
# among them); a segment keeps no postings for them, so a query's work and the view's size stay bounded.
MAX_DOC_FREQUENCY = 2000
# a query stem also matches the network's stems it extends or that extend it by this many letters at most (the
# Snowball stemmer leaves verb forms apart: "streicht" / "streich", "repariert" / "repari"), from this length
VARIANT_EXTRA_CHARS = 3
VARIANT_MIN_CHARS = 5
VARIANT_SCAN_ROWS = 200  # the longer forms are looked for among this many terms that start with the stem
K1, B = 1.2, 0.75
_WORD = re.compile(r"\w+", re.UNICODE)


def max_df(n_docs: int) -> int:
    return min(MAX_DOC_FREQUENCY, max(MIN_DOC_FREQUENCY_KEPT, int(MAX_DOC_FREQUENCY_SHARE * n_docs)))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """German and English function words, lower-case; never a reason to rank someone higher."""
    from stop_words import get_stop_words

    return frozenset(w.lower() for lang in ("de", "en") for w in get_stop_words(lang))


@lru_cache(maxsize=1)
def _german_stemmer():
    import Stemmer  # PyStemmer (C): loads in a millisecond, where snowballstemmer's ~30 languages take 30

    return Stemmer.Stemmer("german")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The German Snowball stem of a word, after the lower-casing and accent stripping the postings had."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))
    return _german_stemmer().stemWord(plain)


def content_stems(text: str) -> list[str]:
    """The stems of a text's words, function words left out, each once."""
    ignored = stopwords()
    return list(dict.fromkeys(stem(w) for w in dict.fromkeys(w.lower() for w in _WORD.findall(text)) if w not in ignored))


@dataclass
class Postings:
    """One segment's postings: documents (people) with their length, and per term (sorted) the documents that
    contain it with the term's frequency there. Terms used by more than MAX_DOC_FREQUENCY documents keep their
    document frequency but no postings."""

    doc_pk: np.ndarray  # int64, sorted
    doc_len: np.ndarray  # float32
    terms: StringColumn  # sorted
    term_df: np.ndarray  # int32: documents in this segment that use the term
    term_start: np.ndarray  # int64, len(terms) + 1: the term's postings are rows start..end
    post_doc: np.ndarray  # int32: row into doc_pk
    post_tf: np.ndarray  # float32

    @classmethod
    def build(cls, rows: dict) -> "Postings":
        """From the store's postings of some people (store/people.py lexical_terms)."""
        doc_pk = rows["doc_pk"]
        post_rows = np.searchsorted(doc_pk, rows["post_pk"]).astype(np.int32)
        counts = np.bincount(rows["post_term"], minlength=len(rows["terms"]))
        term_start = np.zeros(len(rows["terms"]) + 1, dtype=np.int64)
        np.cumsum(counts, out=term_start[1:])
        return cls(doc_pk, rows["doc_len"], StringColumn.of(rows["terms"]), rows["df"], term_start, post_rows,
                   rows["post_tf"])

    def arrays(self) -> dict[str, np.ndarray]:
        return {"doc_pk": self.doc_pk, "doc_len": self.doc_len, "term_df": self.term_df,
                "term_start": self.term_start, "post_doc": self.post_doc, "post_tf": self.post_tf,
                **self.terms.arrays("terms")}

    @classmethod
    def load(cls, arrays) -> "Postings":
        return cls(arrays["doc_pk"], arrays["doc_len"], StringColumn.load(arrays, "terms"), arrays["term_df"],
                   arrays["term_start"], arrays["post_doc"], arrays["post_tf"])

    def without(self, pks: np.ndarray) -> "Postings":
        """These postings with the documents of these people taken out (and terms no one else uses)."""
        gone = np.isin(self.doc_pk, pks)
        if not gone.any():
            return self
        new_row = np.cumsum(~gone) - 1
        keep_post = ~gone[self.post_doc]
        post_term = np.repeat(np.arange(len(self.terms)), np.diff(self.term_start))
        # a term without postings (too common) keeps its df minus the documents that went; they are few and it
        # stays too common, so the count is an upper bound that errs towards ignoring it
        dropped_per_term = np.bincount(post_term[~keep_post], minlength=len(self.terms))
        df = self.term_df - dropped_per_term
        kept_terms = np.flatnonzero(df > 0)
        counts = np.bincount(post_term[keep_post], minlength=len(self.terms))[kept_terms]
        term_start = np.zeros(len(kept_terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=term_start[1:])
        return Postings(self.doc_pk[~gone], self.doc_len[~gone], self.terms.take(kept_terms),
                        df[kept_terms].astype(np.int32), term_start, new_row[self.post_doc[keep_post]].astype(np.int32),
                        self.post_tf[keep_post])

    def variants(self, term: str) -> list[str]:
        """The terms of these postings that are this stem in another form: the stem itself, and stems of five
        letters or more that it extends or that extend it by at most VARIANT_EXTRA_CHARS ("streicht" and
        "streich" of "streichen", "repariert" and "repari" of "reparieren"; not "kinderarzt" for "kinder")."""
        found = [term] if self.terms.search_sorted(term) is not None else []
        if len(term) < VARIANT_MIN_CHARS:
            return found
        for n in range(max(VARIANT_MIN_CHARS, len(term) - VARIANT_EXTRA_CHARS), len(term)):
            if self.terms.search_sorted(term[:n]) is not None:
                found.append(term[:n])
        row = self.terms.first_at_least(term)
        for row in range(row, min(row + VARIANT_SCAN_ROWS, len(self.terms))):
            other = self.terms[row]
            if not other.startswith(term):
                break
            if term != other and len(other) - len(term) <= VARIANT_EXTRA_CHARS:
                found.append(other)
        return found

    def lookup(self, term: str) -> tuple[int, np.ndarray, np.ndarray] | None:
        """(document frequency, document rows, term frequencies) of a term, or None if no document uses it."""
        row = self.terms.search_sorted(term)
        if row is None:
            return None
        lo, hi = self.term_start[row], self.term_start[row + 1]
        return int(self.term_df[row]), self.post_doc[lo:hi], self.post_tf[lo:hi]


class LexicalSearch:
    """BM25 (k1 1.2, b 0.75) over the live documents of several segments' postings; live[s] says which of
    segment s's documents are current (a later segment may hold a newer version of a person, or remove them)."""

    def __init__(self, segments: list[Postings], live: list[np.ndarray]):
        self.segments, self.live = segments, live
        self.n_docs = int(sum(int(m.sum()) for m in live))
        total_len = sum(float(p.doc_len[m].sum()) for p, m in zip(segments, live))
        self.avgdl = total_len / self.n_docs if self.n_docs else 1.0

    def search(self, query: str, limit: int = 50) -> dict[int, float]:
        """person_pk -> BM25 score scaled to 0..1 by the best score for this query."""
        return self.search_with_coverage(query, limit)[0]

    def search_with_coverage(self, query: str, limit: int = 50) -> tuple[dict[int, float], dict[int, float]]:
        """person_pk -> BM25 score scaled to 0..1 by the best score for this query; and person_pk -> how much of
        what the query says they say (0..1): the inverse document frequencies of the query's stems they use, over
        those of all its stems that are not too common (a stem nobody uses counts as the rarest: "Latein" in
        "Nachhilfe Latein" is what nobody offers)."""
        stems = content_stems(query)
        if not stems or not self.n_docs:
            return {}, {}
        most = max_df(self.n_docs)
        rarest = float(np.log((self.n_docs + 0.5) / 0.5 + 1.0))
        pk_parts, score_parts, idf_parts = [], [], []
        query_idf = 0.0
        for stem_ in stems:
            # one stem, in whichever of its forms each person writes it (the best form counts, once)
            stem_pks, stem_scores, stem_idf, common = [], [], 0.0, False
            for term in dict.fromkeys(v for p in self.segments for v in p.variants(stem_)):
                found = [(s, hit) for s, p in enumerate(self.segments) if (hit := p.lookup(term)) is not None]
                if not found:
                    continue
                if any(seg_df > MAX_DOC_FREQUENCY for _, (seg_df, _, _) in found):
                    common = True
                    continue  # too common somewhere: too common overall
                rows = [(s, docs[self.live[s][docs]], tf[self.live[s][docs]]) for s, (_, docs, tf) in found]
                df = sum(len(docs) for _, docs, _ in rows)
                if df > most:
                    common = True
                if df == 0 or df > most:
                    continue
                idf = np.log((self.n_docs - df + 0.5) / (df + 0.5) + 1.0)
                stem_idf = max(stem_idf, float(idf))
                for s, docs, tf in rows:
                    norm = K1 * (1 - B + B * self.segments[s].doc_len[docs] / self.avgdl)
                    stem_pks.append(self.segments[s].doc_pk[docs])
                    stem_scores.append(idf * tf * (K1 + 1) / (tf + norm))
            if common and not stem_pks:
                continue  # a word most people use says nothing about anyone
            if len(stem_pks) > 1:
                pks, scores = np.concatenate(stem_pks), np.concatenate(stem_scores)
                unique, inverse = np.unique(pks, return_inverse=True)
                best = np.zeros(len(unique))
                np.maximum.at(best, inverse, scores)
                stem_pks, stem_scores = [unique], [best]
            stem_idf = stem_idf or rarest
            query_idf += stem_idf
            pk_parts += stem_pks
            score_parts += stem_scores
            idf_parts += [np.full(len(p), stem_idf) for p in stem_pks]
        if not pk_parts:
            return {}, {}
        pks = np.concatenate(pk_parts)
        unique, inverse = np.unique(pks, return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(score_parts))
        covered = np.bincount(inverse, weights=np.concatenate(idf_parts)) / query_idf
        hits = np.flatnonzero(scores)
        if len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit)[:limit]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        best = float(scores[hits[0]])
        return ({int(unique[h]): float(scores[h]) / best for h in hits},
                {int(unique[h]): min(1.0, float(covered[h])) for h in hits})

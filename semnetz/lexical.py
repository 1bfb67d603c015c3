"""Lexical search: DuckDB full-text search (BM25, German Snowball stemmer) over each person's text and offers.

DuckDB builds the index (tokenising, German stemming, document frequencies); its postings are then held in
memory, so a query costs well under a millisecond instead of a scan of every posting. Used as a bonus on top of
the vector score, for words the encoder blurs (names of things, trades, brands).
Query words that appear in many profiles ("Kind", "ich", "the") are dropped before BM25, so the bonus comes
only from words that tell people apart. In a small network that rule alone lets "sehr" or "help" through (a
handful of profiles use them), so German and English function words are dropped first (the `stop-words`
package's lists).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

FTS_VERSION = "v1.5.5"
# A query word counts only if at most this share of people use it (and always if only one or two do).
MAX_DOC_FREQUENCY_SHARE = 0.2
MIN_DOC_FREQUENCY_KEPT = 2
# …and never words more than this many people use: in a big network they tell nobody apart (the vectors rank
# among them), and a query's work stays bounded.
MAX_DOC_FREQUENCY = 2000
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_extension_path() -> Path:
    import duckdb_extension_fts

    return Path(duckdb_extension_fts.__file__).parent / "extensions" / FTS_VERSION / "fts.duckdb_extension"


def load_fts(conn) -> None:
    """Load the FTS extension from its PyPI package by path (INSTALL would need the internet)."""
    conn.execute(f"LOAD '{fts_extension_path()}'")


def _max_df(n_docs: int) -> int:
    return min(MAX_DOC_FREQUENCY, max(MIN_DOC_FREQUENCY_KEPT, int(MAX_DOC_FREQUENCY_SHARE * n_docs)))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """German and English function words, lower-case; never a reason to rank someone higher."""
    from stop_words import get_stop_words

    return frozenset(w.lower() for lang in ("de", "en") for w in get_stop_words(lang))


@lru_cache(maxsize=1)
def _german_stemmer():
    from snowballstemmer.german_stemmer import GermanStemmer  # just German: the package imports ~30 languages

    return GermanStemmer()


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The German Snowball stemmer that DuckDB FTS indexes with (snowballstemmer is generated from the same
    Snowball source, so query and index agree), after the same lower-casing and accent stripping."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))
    return _german_stemmer().stemWord(plain)


def content_stems(text: str) -> list[str]:
    """The stems of a text's words, function words left out, each once."""
    ignored = stopwords()
    return list(dict.fromkeys(stem(w) for w in dict.fromkeys(w.lower() for w in _WORD.findall(text)) if w not in ignored))


class LexicalIndex:
    """BM25 over people, built by DuckDB FTS; its postings are loaded into memory for fast queries."""

    TABLE = "lexical_docs"
    K1, B = 1.2, 0.75

    def __init__(self, conn):
        self.conn = conn
        load_fts(conn)
        self._loaded = False

    def rebuild(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        self.conn.execute(
            f"""CREATE TABLE {self.TABLE} AS
                SELECT p.pk AS person_pk,
                       concat_ws(' ', p.text, string_agg(i.text, ' ' ORDER BY i.pos), array_to_string(p.tags, ' ')) AS body
                FROM people p LEFT JOIN items i ON i.person_pk = p.pk AND i.kind = 'offer'
                GROUP BY p.pk, p.text, p.tags"""
        )
        self.conn.execute(
            f"PRAGMA create_fts_index('{self.TABLE}', 'person_pk', 'body', stemmer='german', stopwords='none', "
            "strip_accents=1, lower=1, overwrite=1)"
        )
        self._loaded = False

    def _load(self) -> None:
        """Postings (term -> documents with term frequency) as sorted arrays, from the FTS tables."""
        fts = f"fts_main_{self.TABLE}"
        self._terms = {term: (int(termid), int(df)) for termid, term, df in
                       self.conn.execute(f"SELECT termid, term, df FROM {fts}.dict").fetchall()}
        n_docs = self.conn.execute(f"SELECT count(*) FROM {fts}.docs").fetchone()[0]
        max_df = _max_df(n_docs)
        # only postings of terms rare enough to count are kept: the common ones are most of the postings
        postings = self.conn.execute(
            f"""SELECT t.termid, t.docid, count(*) AS tf FROM {fts}.terms t
                WHERE t.termid IN (SELECT termid FROM {fts}.dict WHERE df <= ?)
                GROUP BY t.termid, t.docid ORDER BY t.termid, t.docid""", [max_df]
        ).fetchnumpy()
        self._posting_term = np.asarray(postings["termid"], dtype=np.int32)
        self._posting_doc = np.asarray(postings["docid"], dtype=np.int32)
        self._posting_tf = np.asarray(postings["tf"], dtype=np.float32)
        docs = self.conn.execute(f"SELECT docid, name, len FROM {fts}.docs ORDER BY docid").fetchnumpy()
        n_docs = int(docs["docid"].max()) + 1 if len(docs["docid"]) else 0
        self._doc_person = np.zeros(n_docs, dtype=np.int64)
        self._doc_len = np.ones(n_docs, dtype=np.float32)
        self._doc_person[docs["docid"]] = docs["name"]
        self._doc_len[docs["docid"]] = docs["len"]
        self._n_docs = len(docs["docid"])
        self._avgdl = float(self._doc_len[docs["docid"]].mean()) if self._n_docs else 1.0
        self._loaded = True

    def search(self, query: str, limit: int = 50) -> dict[int, float]:
        """person_pk -> BM25 score (k1 1.2, b 0.75) scaled to 0..1 by the best score for this query."""
        stems = content_stems(query)
        if not stems:
            return {}
        if not self._loaded:
            self._load()
        max_df = _max_df(self._n_docs)
        doc_parts, score_parts = [], []
        for term in stems:
            termid, df = self._terms.get(term, (None, 0))
            if termid is None or df > max_df:
                continue
            lo, hi = np.searchsorted(self._posting_term, [termid, termid + 1])
            docs, tf = self._posting_doc[lo:hi], self._posting_tf[lo:hi]
            idf = np.log((self._n_docs - df + 0.5) / (df + 0.5) + 1.0)
            norm = self.K1 * (1 - self.B + self.B * self._doc_len[docs] / self._avgdl)
            doc_parts.append(docs)
            score_parts.append(idf * tf * (self.K1 + 1) / (tf + norm))
        if not doc_parts:
            return {}
        scores = np.bincount(np.concatenate(doc_parts), weights=np.concatenate(score_parts),
                             minlength=len(self._doc_person))
        hits = np.flatnonzero(scores)
        if len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit)[:limit]]
        hits = hits[np.argsort(-scores[hits])]
        best = float(scores[hits[0]])
        return {int(self._doc_person[d]): float(scores[d]) / best for d in hits}

"""Lexical search: DuckDB full-text search (BM25, German Snowball stemmer) over each person's text and offers.

Used as a bonus on top of the vector score, for words the encoder blurs (names of things, trades, brands).
Query words that appear in many profiles ("Kind", "ich", "the") are dropped before BM25, so the bonus comes
only from words that tell people apart; this works in any language without a stopword list.
"""

from __future__ import annotations

import re
from pathlib import Path

FTS_VERSION = "v1.5.5"
# A query word counts only if at most this share of people use it (and always if only one or two do).
MAX_DOC_FREQUENCY_SHARE = 0.2
MIN_DOC_FREQUENCY_KEPT = 2
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_extension_path() -> Path:
    import duckdb_extension_fts

    return Path(duckdb_extension_fts.__file__).parent / "extensions" / FTS_VERSION / "fts.duckdb_extension"


def load_fts(conn) -> None:
    """Load the FTS extension from its PyPI package by path (INSTALL would need the internet)."""
    conn.execute(f"LOAD '{fts_extension_path()}'")


class LexicalIndex:
    """BM25 over people; rebuilt from the store when its generation is behind."""

    TABLE = "lexical_docs"

    def __init__(self, conn):
        self.conn = conn
        load_fts(conn)

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

    def distinctive_words(self, query: str) -> list[str]:
        """The query's words whose stems are rare enough among people to tell them apart."""
        words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
        if not words:
            return []
        n_docs = self.conn.execute(f"SELECT count(*) FROM {self.TABLE}").fetchone()[0]
        max_df = max(MIN_DOC_FREQUENCY_KEPT, int(MAX_DOC_FREQUENCY_SHARE * n_docs))
        rows = self.conn.execute(
            f"""SELECT w.word, d.df FROM (SELECT unnest(?) AS word) w
                LEFT JOIN fts_main_{self.TABLE}.dict d ON d.term = stem(lower(strip_accents(w.word)), 'german')""",
            [words],
        ).fetchall()
        return [word for word, df in rows if df is not None and df <= max_df]

    def search(self, query: str, limit: int = 50) -> dict[int, float]:
        """person_pk -> BM25 score scaled to 0..1 by the best score for this query."""
        words = self.distinctive_words(query)
        if not words:
            return {}
        rows = self.conn.execute(
            f"""SELECT person_pk, score FROM (
                    SELECT person_pk, fts_main_{self.TABLE}.match_bm25(person_pk, ?) AS score FROM {self.TABLE})
                WHERE score IS NOT NULL ORDER BY score DESC LIMIT ?""",
            [" ".join(words), limit],
        ).fetchall()
        if not rows:
            return {}
        best = rows[0][1]
        return {pk: score / best for pk, score in rows}

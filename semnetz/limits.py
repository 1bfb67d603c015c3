"""Limits of the options every front door offers (CLI, Python, web): the library enforces them, the CLI shows
the same ranges. Imports nothing."""

DEFAULT_K = 5
MAX_K = 1000
DEFAULT_HOPS = 2
MAX_HOPS = 3
DEFAULT_PROPOSALS = 3
MAX_PROPOSALS = 100
SEARCH_MODES = ("hybrid", "dense", "lexical")
MAX_QUERY_CHARS = 1000  # a longer query is read up to here (and says so)
DEFAULT_PICTURE_PEOPLE = 150  # `semnetz graph`: people drawn at most, the nearest first (a readable picture)
MAX_PICTURE_PEOPLE = 1000
MAX_BODY_BYTES = 512 * 1024  # `semnetz serve`: one request body (one person, one need); a larger one is refused unread


def inverted_lists(n_vectors: int) -> int:
    """Lists of an inverted-file vector index over this many vectors: ~4 sqrt(n), a power of two (FAISS's IVF
    in a home, index/vectors.py; pgvector's IVFFlat in a database, store/postgres.py)."""
    return 1 << int(round(__import__("math").log2(4 * max(n_vectors, 1) ** 0.5)))

"""Small text utilities: splitting profile text into matchable pieces, hashing, folding names."""

import hashlib
import re

# A sentence ends at . ! ? ; or a line break, followed by white space (keeps "z.B." and "3.5" whole).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_MIN_PIECE_CHARS = 3


def split_sentences(text: str) -> list[str]:
    """Split free text into sentences; each becomes one searchable piece with its own "why"."""
    pieces = (p.strip(" \t-–•,") for p in _SENTENCE_END.split(text or ""))
    return [p for p in pieces if len(p) >= _MIN_PIECE_CHARS]


# Clauses: split at ", ", " – ", "(…)", ": " — a short clause ("selbstständiger Elektriker") matches a need far
# better than the long sentence it sits in ("Leons Papa, selbstständiger Elektriker, kommt …").
_CLAUSE_BREAK = re.compile(r",\s+|\s+[–—-]\s+|\s*\(|\)\s*|:\s+|;\s*")


def split_clauses(sentence: str) -> list[str]:
    clauses = (c.strip(" .!?\t") for c in _CLAUSE_BREAK.split(sentence))
    return [c for c in clauses if len(c) >= _MIN_PIECE_CHARS]


def content_hash(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


_ASCII_NON_WORD = re.compile(r"[^a-z0-9_]+")
# German umlauts written out ("Mueller", "Joerg") fold like the umlaut itself ("Müller" -> "muller")
_SPELLED_UMLAUT = re.compile(r"(?<=[a-z])([aou])e|^([aou])e(?=[a-z])")


def fold(text: str) -> str:
    """Lower-case ASCII without punctuation, transliterated by anyascii ('Yılmaz' and 'Yilmaz', 'Łukasz' and
    'Lukasz', 'Straße' and 'Strasse'; 'Noah's Mama' and 'Noahs Mama' compare equal)."""
    if not text.isascii():
        from anyascii import anyascii

        text = anyascii(text)
    return " ".join(_ASCII_NON_WORD.sub(" ", text.lower().replace("'", "").replace("`", "")).split())


def fold_name(text: str) -> str:
    """A name folded for comparing names: as fold(), with umlauts written out folded like the umlaut
    ('Joerg Mueller' and 'Jörg Müller' both 'jorg muller')."""
    return " ".join(_SPELLED_UMLAUT.sub(lambda m: m.group(1) or m.group(2), w) for w in fold(text).split())


def query_clauses(query: str) -> list[str]:
    """The clauses of a query that has more than one ("Kind zieht sich zurück, will nicht in die Schule")."""
    clauses = [c for s in split_sentences(query) for c in split_clauses(s)]
    return clauses if len(clauses) > 1 else []

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


# Clauses: split at ", ", " – ", ": ", "; " — a short clause ("selbstständiger Elektriker") matches a need far
# better than the long sentence it sits in ("Leons Papa, selbstständiger Elektriker, kommt …"). What stands in
# brackets stays with its clause ("Fotografin (Hochzeiten, Familien, Neugeborene)"), which is also a piece without
# them ("Fotografin"): a fragment of a list in brackets ("Familien") says nothing by itself, and is no why to show.
_CLAUSE_BREAK = re.compile(r",\s+|\s+[–—-]\s+|:\s+|;\s*")
_BRACKETED = re.compile(r"\([^()]*\)?")


def split_clauses(sentence: str) -> list[str]:
    clauses, start, depth, at = [], 0, 0, 0
    for match in _CLAUSE_BREAK.finditer(sentence):
        for ch in sentence[at:match.start()]:
            depth += 1 if ch == "(" else -1 if ch == ")" and depth > 0 else 0
        at = match.start()
        if depth == 0:
            clauses.append(sentence[start:match.start()])
            start = match.end()
    clauses.append(sentence[start:])
    out = []
    for clause in clauses:
        bare = " ".join(_BRACKETED.sub(" ", clause).split()) if "(" in clause else None
        out += [bare, clause] if bare and bare != clause.strip() else [clause]
    out = (c.strip(" .!?\t") for c in out)
    return list(dict.fromkeys(c for c in out if len(c) >= _MIN_PIECE_CHARS))


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

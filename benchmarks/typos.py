"""Put exactly one typo into every labelled query of a query set (for robustness checks of the ranking).

    python benchmarks/typos.py IN.jsonl OUT.jsonl [--seed N]

IN is a labelled query set (one JSON object per line: {"q": "…", "rel": {"<id>": 2 or 1}}). OUT gets the same
queries in the same order, each with one typo in its longest content word: German and English stop words (from the
`stop_words` package) and words of fewer than 4 letters are skipped; of equally long words the first counts. The
typo is one of

- deletion:       one letter dropped              ("Wasserhahn" -> "Wasserhan")
- insertion:      a key next to a neighbouring letter on a QWERTZ keyboard typed as well ("Wasserhahn" -> "Wasserhajhn")
- substitution:   one letter replaced by a key next to it on a QWERTZ keyboard ("Wasserhahn" -> "Wasserhshn")
- transposition:  two adjacent (different) letters swapped ("Wasserhahn" -> "Wassrehahn")
- umlaut:         an umlaut or ß spelled out, only if the word has one ("Geräusche" -> "Geraeusche")

chosen uniformly among those that apply, with a random.Random seeded by the seed and the query text, so the output
is the same on every run and a query gets the same typo whichever file it is in. Labels ("rel") are unchanged;
each line gets "typo_of" (the original query) and "typo_kind" (which of the five). A query with no word of 4 or
more letters at all is left out (with a note on stderr). Examples:

    python benchmarks/typos.py data/queries.jsonl data/queries_typo.jsonl
    python benchmarks/typos.py data/queries_check.jsonl /tmp/check_typo.jsonl --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

from stop_words import get_stop_words

MIN_LETTERS = 4
WORD = re.compile(r"[^\W\d_]+")  # runs of letters, umlauts and ß included
STOP_WORDS = {w.lower() for lang in ("german", "english") for w in get_stop_words(lang)}

# German QWERTZ letter rows; row r+1 is shifted right by about half a key, so key (r, c) touches (r-1, c),
# (r-1, c+1), (r+1, c-1) and (r+1, c) besides its left and right neighbours.
QWERTZ_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnm")
UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}


def _neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(QWERTZ_ROWS):
        for c, key in enumerate(row):
            near = []
            for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)):
                if 0 <= rr < len(QWERTZ_ROWS) and 0 <= cc < len(QWERTZ_ROWS[rr]):
                    near.append(QWERTZ_ROWS[rr][cc])
            out[key] = "".join(near)
    return out


NEIGHBOURS = _neighbours()


def _same_case(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter


def target_word(query: str) -> re.Match | None:
    """The longest content word (first of equally long ones); else the longest word of 4+ letters; else None."""
    words = [m for m in WORD.finditer(query) if len(m.group()) >= MIN_LETTERS]
    content = [m for m in words if m.group().lower() not in STOP_WORDS]
    pool = content or words
    if not pool:
        return None
    return max(pool, key=lambda m: (len(m.group()), -m.start()))


def typo_kinds(word: str) -> list[str]:
    kinds = ["deletion"]
    if any(ch.lower() in NEIGHBOURS for ch in word):
        kinds += ["insertion", "substitution"]
    if any(a.lower() != b.lower() for a, b in zip(word, word[1:])):
        kinds.append("transposition")
    if any(ch in UMLAUTS for ch in word):
        kinds.append("umlaut")
    return kinds


def make_typo(word: str, kind: str, rng: random.Random) -> str:
    if kind == "deletion":
        i = rng.randrange(len(word))
        return word[:i] + word[i + 1 :]
    if kind == "insertion":
        # type a key next to the letter before or after the gap
        gaps = [(i, b) for i in range(len(word) + 1) for b in (i - 1, i) if 0 <= b < len(word) and word[b].lower() in NEIGHBOURS]
        i, base = rng.choice(gaps)
        extra = rng.choice(NEIGHBOURS[word[base].lower()])
        return word[:i] + (extra.upper() if word.isupper() else extra) + word[i:]
    if kind == "substitution":
        i = rng.choice([i for i, ch in enumerate(word) if ch.lower() in NEIGHBOURS])
        return word[:i] + _same_case(rng.choice(NEIGHBOURS[word[i].lower()]), word[i]) + word[i + 1 :]
    if kind == "transposition":
        i = rng.choice([i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()])
        a, b = word[i], word[i + 1]
        # swap the letters, keep the case pattern of the positions ("Kita" -> "Ikta", not "iKta")
        return word[:i] + _same_case(b.lower(), a) + _same_case(a.lower(), b) + word[i + 2 :]
    if kind == "umlaut":
        i = rng.choice([i for i, ch in enumerate(word) if ch in UMLAUTS])
        spelled = UMLAUTS[word[i]]
        if word.isupper():
            spelled = spelled.upper()
        return word[:i] + spelled + word[i + 1 :]
    raise ValueError(kind)


def typo_query(query: str, seed: int) -> tuple[str, str] | None:
    """(query with one typo, kind of typo), or None if the query has no word of 4+ letters."""
    match = target_word(query)
    if match is None:
        return None
    rng = random.Random(f"{seed}\x00{query}")
    word = match.group()
    kind = rng.choice(typo_kinds(word))
    return query[: match.start()] + make_typo(word, kind, rng) + query[match.end() :], kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, help="labelled queries, JSON Lines")
    parser.add_argument("output", type=Path, help="where to write the queries with typos")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    out_lines = []
    for number, line in enumerate(args.input.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        made = typo_query(obj["q"], args.seed)
        if made is None:
            print(f"{args.input}:{number}: no word of {MIN_LETTERS}+ letters, left out: {obj['q']!r}", file=sys.stderr)
            continue
        new_q, kind = made
        out_lines.append(json.dumps({**obj, "q": new_q, "typo_of": obj["q"], "typo_kind": kind}, ensure_ascii=False))
    args.output.write_text("".join(l + "\n" for l in out_lines), encoding="utf-8")
    print(f"{len(out_lines)} queries with one typo each -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

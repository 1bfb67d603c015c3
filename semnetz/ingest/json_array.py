"""A JSON file that holds one array of people ("[{"name": …}, {"name": …}]"), pretty-printed or on one line.

Each person is parsed as strictly as a JSON line (no NaN, no key twice, numbers of sane length) and reported at
the line where it begins; one person may take at most as many characters as one JSON line.
"""

from __future__ import annotations

import re

from ..errors import InputError
from ..records import MAX_LINE_CHARS, shown
from .strict_json import decoder as strict_decoder, strictly

_SPACE = re.compile(r"[ \t\n\r]*")


def read_json_array(source: str, text: str) -> list[tuple[int, object]]:
    """(line where it begins, parsed value) for every element of the array the text holds."""
    decoder = strict_decoder()
    lines = _LineCounter(text)
    at = _SPACE.match(text).end()
    if text[at:at + 1] != "[":
        raise InputError("expected a JSON array of people ('[' first)", source, lines.at(at))
    at = _SPACE.match(text, at + 1).end()
    out: list[tuple[int, object]] = []
    if text[at:at + 1] == "]":
        return _end(source, text, at + 1, lines, out)
    while True:
        line = lines.at(at)
        value, end = _value(decoder, source, text, at, line)
        if end - at > MAX_LINE_CHARS:
            raise InputError(f"a person of {end - at:,} characters (at most {MAX_LINE_CHARS:,})", source, line)
        out.append((line, value))
        at = _SPACE.match(text, end).end()
        following = text[at:at + 1]
        if following == "]":
            return _end(source, text, at + 1, lines, out)
        if following != ",":
            found = f"'{shown(following)}'" if following else "the end of the file"
            raise InputError(f"not valid JSON (expected ',' or ']' after a person, found {found})", source,
                             lines.at(at))
        at = _SPACE.match(text, at + 1).end()


def _end(source: str, text: str, at: int, lines, out: list) -> list:
    rest = _SPACE.match(text, at).end()
    if rest != len(text):
        raise InputError("not valid JSON (more after the array's closing ']')", source, lines.at(rest))
    return out


def _value(decoder, source: str, text: str, at: int, line: int):
    return strictly(lambda: decoder.raw_decode(text, at), source, line, decode_line=True)


class _LineCounter:
    """The line of a position in the text, counted forwards only as far as needed (positions only grow)."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        if pos < self.pos:
            return self.text.count("\n", 0, pos) + 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line

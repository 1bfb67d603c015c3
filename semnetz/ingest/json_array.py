"""A JSON file that holds one array of people ("[{"name": …}, {"name": …}]"), pretty-printed or on one line.

Each person is parsed as strictly as a JSON line (no NaN, no key twice, numbers of sane length) and reported at
the line where it begins; one person may take at most as many characters as one JSON line.
"""

from __future__ import annotations

import json
import re

from ..errors import InputError
from ..records import MAX_LINE_CHARS, shown
from .readers import _BadNumber, _DuplicateKey, _object, _parse_constant, _parse_int

_SPACE = re.compile(r"[ \t\n\r]*")


def read_json_array(source: str, text: str) -> list[tuple[int, object]]:
    """(line where it begins, parsed value) for every element of the array the text holds."""
    decoder = json.JSONDecoder(parse_int=_parse_int, parse_constant=_parse_constant, object_pairs_hook=_object)
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
    try:
        return decoder.raw_decode(text, at)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} column {exc.colno}" if exc.msg.endswith(" at") else f"{exc.msg} at column {exc.colno}"
        raise InputError(f"not valid JSON ({where})", source, exc.lineno) from None
    except RecursionError:
        raise InputError("not valid JSON for a person (nested too deeply)", source, line) from None
    except _BadNumber as exc:
        raise InputError(f"not valid JSON for a person ({exc})", source, line) from None
    except _DuplicateKey as exc:
        raise InputError(f"field '{shown(exc.args[0])}' appears twice in one object", source, line) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"not valid JSON ({shown(exc, 120)})", source, line) from None


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

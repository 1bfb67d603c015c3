"""JSON read strictly, for people files (JSON Lines and JSON arrays): no NaN or Infinity, no key twice in one
object, numbers of sane length; every problem one InputError naming the file and line."""

from __future__ import annotations

import json
from typing import Callable

from ..errors import InputError
from ..records import MAX_NUMBER_DIGITS, shown


class _BadNumber(Exception):
    pass


class _DuplicateKey(Exception):
    pass


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _BadNumber(f"a number of {len(digits.lstrip('-')):,} digits (at most {MAX_NUMBER_DIGITS})")
    return int(digits)


def _parse_constant(name: str):
    raise _BadNumber(f"{name} is not a JSON number")


def _object(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


DECODER_OPTIONS = {"parse_int": _parse_int, "parse_constant": _parse_constant, "object_pairs_hook": _object}


def decoder() -> json.JSONDecoder:
    return json.JSONDecoder(**DECODER_OPTIONS)


def strictly(decode: Callable[[], object], source: str, line: int, hint: str = "", decode_line: bool = False):
    """decode() (json.loads or a JSONDecoder's raw_decode with DECODER_OPTIONS), or InputError naming source and
    line; decode_line: a syntax error names the line it is on in the text decoded (a JSON array of many lines)."""
    try:
        return decode()
    except json.JSONDecodeError as exc:
        at = f"{exc.msg} column {exc.colno}" if exc.msg.endswith(" at") else f"{exc.msg} at column {exc.colno}"
        raise InputError(f"not valid JSON ({at}){hint}", source, exc.lineno if decode_line else line) from None
    except RecursionError:
        raise InputError("not valid JSON for a person (nested too deeply)", source, line) from None
    except _BadNumber as exc:
        raise InputError(f"not valid JSON for a person ({exc})", source, line) from None
    except _DuplicateKey as exc:
        raise InputError(f"field '{shown(exc.args[0])}' appears twice in one object", source, line) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"not valid JSON ({shown(exc, 120)})", source, line) from None

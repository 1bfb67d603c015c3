"""Writing the network out: to a file (whole or not at all: a temporary file beside it, renamed into place,
readable only by you), to standard output ("-") or to a stream, a line or card at a time as the people come,
in one of the formats: jsonl.py (the import format with what became of every need) or vcard.py (for a phone).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ..errors import SemnetzError
from ..files import write_private
from ..records import PersonRecord

FORMATS = ("jsonl", "vcf")


def check_format(format: str) -> None:
    if format not in FORMATS:
        raise SemnetzError(f"unknown export format '{format}' (one of: {', '.join(FORMATS)})")


def write(target: str | os.PathLike | IO[str], people: Iterable[PersonRecord], format: str = "jsonl") -> dict:
    """Write these people to a path, "-" (standard output) or a text stream; returns the counts the format
    keeps ({"people", "needs", "intros"})."""
    check_format(format)
    counts = {"people": 0, "needs": 0, "intros": 0}
    if format == "jsonl":
        from .jsonl import lines
    else:
        from .vcard import cards as lines
    if isinstance(target, (str, os.PathLike)) and os.fspath(target) != "-":
        _write_file(Path(target), lines(people, counts))
    else:
        stream = sys.stdout if isinstance(target, (str, os.PathLike)) else target  # "-" or a stream
        for text in lines(people, counts):
            stream.write(text)
        stream.flush()
    return counts


def _write_file(path: Path, texts: Iterator[str]) -> None:
    """Every text into `path`, whole or not at all (see files.write_private)."""
    if path.is_dir():
        raise SemnetzError(f"cannot write {path}: it is a folder; give a file name")
    try:
        write_private(path, texts)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> SemnetzError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SemnetzError(f"cannot write {path}: no space left on the disk; nothing was written")
    return SemnetzError(f"cannot write {path}: {exc.strerror or exc}; nothing was written")

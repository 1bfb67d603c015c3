"""Reading people files into validated records, each with the line it came from: JSON Lines, a JSON array,
CSV (semnetz's columns, or a Google or Outlook contacts export, see contacts_csv.py; separated by ',', ';' or
tabs) and vCard (vcard.py). read_file chooses the reader by the file's suffix, else by what the file holds.

Whatever a file holds, reading it either gives records or raises one InputError naming the file (and the line
where known): never another exception. Lines end at "\\n" only (a trailing "\\r" is dropped), so U+2028, U+2029
and U+0085 inside a JSON string stay text. Files, lines, numbers and nesting are limited (see records.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..records import MAX_FILE_BYTES, MAX_LINE_CHARS, PersonRecord, person_from_dict, shown
from .strict_json import DECODER_OPTIONS, strictly

# CSV columns; list columns hold several values separated by ';'.
CSV_LIST_COLUMNS = ("aliases", "offers", "needs", "tags")
CSV_CONTACT_COLUMNS = ("phone", "email")
CSV_COLUMNS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "phone", "email", "via")


def read_text(path: str | Path) -> tuple[str, str]:
    """(display name, file text), with one clear error for a missing, unreadable, too large or non-UTF-8 file."""
    source, raw = _read_bytes(path)
    return source, _decode(source, raw)


def _read_bytes(path: str | Path) -> tuple[str, bytes]:
    source = str(path)
    try:
        with open(path, "rb") as f:
            too_large = os.fstat(f.fileno()).st_size > MAX_FILE_BYTES  # a regular file: known without reading it
            raw = b"" if too_large else f.read(MAX_FILE_BYTES + 1)  # a pipe: read up to the limit
            too_large = too_large or len(raw) > MAX_FILE_BYTES
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source) from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise InputError(f"cannot read file: {exc}", source) from None
    if too_large:
        raise InputError(f"file is larger than {MAX_FILE_BYTES // 2**20} MB: split it into smaller files", source)
    return source, raw


def _decode(source: str, raw: bytes, vcard_charset: bool = False) -> str:
    """UTF-8 text (a BOM dropped); a vCard file that is not may be in the one character set its cards declare
    (Outlook's CHARSET=Windows-1252)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("UTF-16 text (save the file as UTF-8)", source, 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if vcard_charset:
            from .vcard import declared_charset

            charset = declared_charset(raw)
            if charset:
                try:
                    return raw.decode(charset)
                except (UnicodeDecodeError, LookupError):
                    pass
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (save the file as UTF-8)", source, line) from None


# Formats by suffix; a file with another suffix (or none) is recognised by what it holds.
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv", ".vcf": "vcard",
            ".vcard": "vcard"}
FORMATS_READ = ("vCard (.vcf), CSV (.csv, .tsv: semnetz's columns, or contacts exported from Google or Outlook), "
                "JSON Lines (.jsonl) and JSON (.json: an array of people)")


def file_format(path: str | Path, text: str | None) -> str | None:
    """'jsonl', 'json' (an array), 'csv' or 'vcard': by the suffix, else by what the text holds (None: not a
    format semnetz reads)."""
    known = SUFFIXES.get(Path(path).suffix.lower())
    if known == "json":  # a .json file may hold JSON Lines too
        return "json" if text is not None and text.lstrip().startswith("[") else "jsonl"
    if known or text is None:
        return known
    from .vcard import looks_like_vcard

    start = text.lstrip()
    if looks_like_vcard(start):
        return "vcard"
    if start.startswith("{"):
        return "jsonl"
    if start.startswith("["):
        return "json"
    header = start.split("\n", 1)[0]
    return "csv" if any(sep in header for sep in _CSV_SEPARATORS) else None


def _lines(text: str) -> list[str]:
    """The lines of a text: split at "\\n" only, a trailing "\\r" dropped."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _check_line_lengths(source: str, text: str) -> None:
    if len(text) <= MAX_LINE_CHARS:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"line is too long ({len(line):,} characters; at most {MAX_LINE_CHARS:,})", source, number)


def parse_json_line(source: str, number: int, line: str) -> object:
    """One JSON value, strictly (see strict_json), or InputError naming source and line."""
    hint = " (a lone carriage return \\r ends lines in this file: save it with \\n line ends)" \
        if "\r" in line.rstrip("\r") else ""
    return strictly(lambda: json.loads(line, **DECODER_OPTIONS), source, number, hint)


def read_jsonl_objects(source: str, text: str) -> list[tuple[int, object]]:
    """(line number, parsed value) for every non-blank line of a JSON Lines text."""
    _check_line_lengths(source, text)
    out = []
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        out.append((number, parse_json_line(source, number, line)))
    return out


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _csv_error(exc: csv.Error) -> str:
    message = str(exc)
    if "new-line character seen in unquoted field" in message:
        return "a line break (\\r) inside a cell that is not quoted: put the cell in \"quotes\" or end lines with \\n"
    if "field larger than field limit" in message:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"broken CSV ({shown(message.split(' - ')[0], 120)})"


_CSV_SEPARATORS = (",", ";", "\t")


def csv_separator(text: str) -> str:
    """The separator of a CSV text: whichever of ',', ';' and tab its header line holds most (German Excel
    writes ';'); ',' when it holds none."""
    header = next((line for line in text.split("\n", 100)[:100] if line.strip()), "")
    count, _, separator = max((header.count(sep), -i, sep) for i, sep in enumerate(_CSV_SEPARATORS))
    return separator if count else ","


def _csv_header(source: str, reader, fieldnames: list[str]):
    """The header's column names (lower-cased), and where an address book's export (contacts_csv.py) keeps each
    field if the header is one, else None (semnetz's own columns)."""
    line = reader.line_num
    header = [h.strip().lower() for h in fieldnames]
    for h in header:
        if not h.replace("\t", " ").isprintable():
            raise InputError(f"column name '{shown(h)}' holds a line break or control character", source, line)
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        from . import contacts_csv

        if contacts_csv.recognises(header, CSV_COLUMNS):
            return header, contacts_csv.ContactColumns(header)
        raise InputError(f"unknown column '{shown(unknown[0])}' (allowed: {', '.join(CSV_COLUMNS)})", source, line)
    twice = [h for i, h in enumerate(header) if h in header[:i]]
    if twice:
        raise InputError(f"column '{twice[0]}' appears twice in the header", source, line)
    if "name" not in header:
        raise InputError("the header has no 'name' column", source, line)
    return header, None


def _csv_rows(source: str, text: str) -> tuple[list[tuple[int, dict]], int]:
    """(line, person in the import format) for every row, and how many rows of a contacts export were skipped
    (see contacts_csv.py)."""
    _check_line_lengths(source, text)
    # lines end at "\n" (as counted everywhere); csv drops a "\r" before it
    reader = csv.reader(io.StringIO(text), delimiter=csv_separator(text))
    rows = []
    header = contacts = None
    skipped = 0
    ended = 0  # the line the row before ended on: a row with a line break in a quoted cell is named by its first
    try:
        for cells in reader:
            number, ended = ended + 1, reader.line_num
            if not cells:
                continue
            if header is None:
                header, contacts = _csv_header(source, reader, cells)
                continue
            if len(cells) > len(header):
                raise InputError("more cells than header columns", source, number)
            if sum(len(c) for c in cells) > MAX_LINE_CHARS:
                raise InputError(f"row is too long (at most {MAX_LINE_CHARS:,} characters)", source, number)
            if not any(c.strip() for c in cells):
                continue
            if contacts is not None:
                person = contacts.person(cells)
                if person is None:
                    skipped += 1
                else:
                    rows.append((number, person))
                continue
            data: dict = {}
            contact = {}
            for key, value in zip(header, cells):
                value = value.strip()
                if not value:
                    continue
                if key in CSV_LIST_COLUMNS:
                    data[key] = _split_list(value)
                elif key in CSV_CONTACT_COLUMNS:
                    contact[key] = value
                else:
                    data[key] = value
            if contact:
                data["contact"] = contact
            rows.append((number, data))
    except csv.Error as exc:
        raise InputError(_csv_error(exc), source, reader.line_num) from None
    return rows, skipped


@dataclass
class PeopleFile:
    """What a people file holds: the people, validated, with their lines; how many cards or rows of an
    address book's export were skipped as saying nothing about what someone does; the format read."""

    people: list[tuple[int, PersonRecord]]
    skipped: int = 0
    format: str = "jsonl"


def read_people(path: str | Path) -> list[tuple[int, PersonRecord]]:
    """Every person in a people file (see read_file), validated; the first problem raises InputError(file, line)."""
    return read_file(path).people


def read_file(path: str | Path) -> PeopleFile:
    """Every person in a JSON Lines, JSON, CSV or vCard file, validated; the first problem raises
    InputError(file, line)."""
    source, line = str(path), None
    try:
        source, raw = _read_bytes(path)
        fmt = file_format(path, None)
        try:
            text = _decode(source, raw, vcard_charset=fmt in ("vcard", None))
        except InputError:
            if fmt is None:  # not text at all, and no suffix semnetz reads
                raise InputError(f"not a format semnetz reads: {FORMATS_READ}", source) from None
            raise
        fmt = file_format(path, text)
        if fmt is None:
            raise InputError(f"not a format semnetz reads: {FORMATS_READ}", source)
        skipped = 0
        if fmt == "vcard":
            from .vcard import read_vcards

            _check_line_lengths(source, text)
            rows, skipped = read_vcards(source, text)
        elif fmt == "json":
            from .json_array import read_json_array

            rows = read_json_array(source, text)
        elif fmt == "jsonl":
            rows = read_jsonl_objects(source, text)
        else:
            rows, skipped = _csv_rows(source, text)
        people = []
        for line, data in rows:
            people.append((line, person_from_dict(data, source, line)))
        line = None
        if not people:
            if skipped:
                what = "card" if fmt == "vcard" else "row"
                which = f"none of the {skipped:,} {what}s" if skipped > 1 else f"its one {what}"
                raise InputError(f"{which} has a name and what they do (a job title, organisation or note) or a "
                                 "phone number or e-mail address", source)
            raise InputError("no people in this file", source)
        seen: dict[str, int] = {}
        for line, person in people:
            if person.id is None:
                continue
            if person.id in seen:
                raise InputError(f"id '{shown(person.id)}' appears twice (first on line {seen[person.id]})",
                                 source, line)
            seen[person.id] = line
        return PeopleFile(people, skipped, fmt)
    except InputError:
        raise
    except RecursionError:
        raise InputError("nested too deeply", source, line) from None
    except MemoryError:
        raise InputError("too large to read into memory", source, line) from None
    except Exception as exc:  # whatever slipped through: still one line that says where
        raise InputError(f"cannot read this file ({type(exc).__name__}: {shown(exc, 120)})", source, line) from None

"""Reading people files (JSON Lines, CSV) into validated records, each with the line it came from."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import InputError
from ..records import PersonRecord, person_from_dict

# CSV columns; list columns hold several values separated by ';'.
CSV_LIST_COLUMNS = ("aliases", "offers", "needs", "tags")
CSV_CONTACT_COLUMNS = ("phone", "email")
CSV_COLUMNS = ("id", "name", "aliases", "text", "offers", "needs", "tags", "phone", "email", "via")


def read_text(path: str | Path) -> tuple[str, str]:
    """(display name, file text), with one clear error for a missing, unreadable or non-UTF-8 file."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source) from None
    try:
        return source, raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (save the file as UTF-8)", source, line) from None


def file_format(path: str | Path, text: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_jsonl_objects(source: str, text: str) -> list[tuple[int, object]]:
    """(line number, parsed value) for every non-blank line of a JSON Lines text."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", source, number) from None
    return out


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _csv_rows(source: str, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return []
    header = [h.strip().lower() for h in reader.fieldnames]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"unknown column '{unknown[0]}' (allowed: {', '.join(CSV_COLUMNS)})", source, 1)
    if "name" not in header:
        raise InputError("the header has no 'name' column", source, 1)
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            number = reader.line_num
            if None in row:
                raise InputError("more cells than header columns", source, number)
            if not any((v or "").strip() for v in row.values()):
                continue
            data: dict = {}
            contact = {}
            for key, value in row.items():
                value = (value or "").strip()
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
        raise InputError(f"broken CSV ({exc})", source, reader.line_num) from None
    return rows


def read_people(path: str | Path) -> list[tuple[int, PersonRecord]]:
    """Every person in a JSON Lines or CSV file, validated; the first problem raises InputError(file, line)."""
    source, text = read_text(path)
    rows = read_jsonl_objects(source, text) if file_format(path, text) == "jsonl" else _csv_rows(source, text)
    people = [(number, person_from_dict(data, source, number)) for number, data in rows]
    if not people:
        raise InputError("no people in this file", source)
    seen: dict[str, int] = {}
    for number, person in people:
        if person.id is None:
            continue
        if person.id in seen:
            raise InputError(f"id '{person.id}' appears twice (first on line {seen[person.id]})", source, number)
        seen[person.id] = number
    return people

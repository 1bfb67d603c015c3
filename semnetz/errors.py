"""Errors meant for people: one line, what was wrong, where, what to do."""

from __future__ import annotations


class SemnetzError(Exception):
    """An error the CLI prints as one line and exits with code 2.

    `key` and `values` name what went wrong for a front door that speaks another language than the message's
    English (the page of `semnetz serve` looks the key up in its catalogue, web/messages.py, and falls back to the
    message); None for errors no one sees outside the CLI."""

    exit_code = 2
    key: str | None = None
    values: dict | None = None


class InputError(SemnetzError):
    """Bad input in a file or an argument, located by file and line where known."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None, *,
                 key: str | None = None, **values):
        self.message = message
        self.source = source
        self.line = line
        self.key = key
        self.values = values
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(where + message)


class UnknownPersonError(SemnetzError):
    def __init__(self, person_id: str):
        self.person_id = person_id
        self.key, self.values = "unknown_person", {"id": person_id}
        super().__init__(f"no person with id '{person_id}' (see 'semnetz list')")

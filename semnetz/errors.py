"""Errors meant for people: one line, what was wrong, where, what to do."""


class SemnetzError(Exception):
    """An error the CLI prints as one line and exits with code 2."""

    exit_code = 2


class InputError(SemnetzError):
    """Bad input in a file or an argument, located by file and line where known."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(where + message)


class UnknownPersonError(SemnetzError):
    def __init__(self, person_id: str):
        self.person_id = person_id
        super().__init__(f"no person with id '{person_id}' (see 'semnetz list')")

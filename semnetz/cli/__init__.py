"""The command line: parse, call the library, render.

`semnetz --help` and `--version` are answered without loading Click when they can: importing Click takes twice
as long as starting Python, and these two are what people type first. The root help is the text Click rendered
the last time (kept in the user cache directory, keyed by semnetz's version, the CLI module's mtime and the
terminal width); the first `--help` after an install or a change renders it with Click.
"""

from __future__ import annotations

import sys

PROG = "semnetz"


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from .. import __version__

        print(f"{PROG}, version {__version__}")
        return
    if args in (["--help"], ["-h"]):
        from .help_cache import read

        text = read()
        if text is not None:
            sys.stdout.write(text)
            return
    from .main import cli

    cli(prog_name=PROG)


def __getattr__(name: str):  # `from semnetz.cli import cli` loads Click only when asked for
    if name == "cli":
        from .main import cli

        return cli
    raise AttributeError(name)

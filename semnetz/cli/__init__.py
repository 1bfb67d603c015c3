"""The command line: parse, call the library, render.

`semnetz --help` and `--version` are answered without loading Click when they can: importing Click takes twice
as long as starting Python, and these two are what people type first. The root help is the text Click rendered
the last time (kept in the user cache directory, keyed by semnetz's version, the CLI module's mtime and the
terminal width); the first `--help` after an install or a change renders it with Click.
"""

from __future__ import annotations

import os
import sys

PROG = "semnetz"


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from .. import __version__

        print(f"{PROG}, version {__version__}")
        return
    if args in (["--help"], ["-h"]):
        text = _cached_help()
        if text is not None:
            sys.stdout.write(text)
            return
    from .main import cli

    cli(prog_name=PROG)


def help_cache_path() -> str | None:
    """Where the root help text is kept (None without a cache directory). Plain os.path: pathlib and the
    config module would cost as much as the rest of this fast path."""
    from .. import __version__

    base = os.environ.get("SEMNETZ_CACHE_DIR")  # config.CACHE_ENVVAR
    if not base:
        home = os.path.expanduser("~")
        default = os.path.join(home, "Library", "Caches") if sys.platform == "darwin" else os.path.join(home, ".cache")
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or default, "semnetz")
    try:
        module = os.path.join(os.path.dirname(__file__), "main.py")
        width = min(os.get_terminal_size(sys.stdout.fileno()).columns, 80) if sys.stdout.isatty() else 80
        return os.path.join(base, f"help-{__version__}-{os.stat(module).st_mtime_ns}-{width}.txt")
    except (OSError, ValueError):
        return None


def _cached_help() -> str | None:
    path = help_cache_path()
    try:
        if path is not None:
            with open(path, encoding="utf-8") as f:
                return f.read()
    except OSError:
        pass
    return None


def __getattr__(name: str):  # `from semnetz.cli import cli` loads Click only when asked for
    if name == "cli":
        from .main import cli

        return cli
    raise AttributeError(name)

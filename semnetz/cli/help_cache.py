"""The root help text as Click rendered it last, kept in the user cache directory (keyed by semnetz's version, the
CLI module's mtime and the terminal width), so that `semnetz --help` needs no Click. Plain os.path: pathlib and
the config module would cost as much as the rest of this fast path."""

from __future__ import annotations

import os
import sys


def path() -> str | None:
    """Where the root help text is kept (None without a cache directory)."""
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


def _own(where: str) -> bool:
    """The file and its folder are the user's own and nobody else may write them (as config.trusted): the text goes
    to the terminal as it is."""
    try:
        uid = os.getuid()
    except AttributeError:  # Windows
        return True
    for item in (os.path.dirname(where), where):
        info = os.stat(item, follow_symlinks=item != where)
        if info.st_uid != uid or info.st_mode & 0o022:
            return False
    return True


def read() -> str | None:
    """The kept text, if there is one (and nobody else could have put it there)."""
    where = path()
    try:
        if where is not None and _own(where):
            with open(where, encoding="utf-8") as f:
                return f.read()
    except OSError:
        pass
    return None


def keep(text: str) -> None:
    """Keep the text for the next `semnetz --help` (quietly nothing if the cache cannot be written)."""
    where = path()
    if where is None:
        return
    try:
        os.makedirs(os.path.dirname(where), mode=0o700, exist_ok=True)  # config.cache_dir: private
        tmp = f"{where}.{os.getpid()}.tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(f"{where}.{os.getpid()}.tmp", where)
    except OSError:
        pass

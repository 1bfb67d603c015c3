"""Files that name people, written whole or not at all: a private temporary file beside the target (0600), made
durable, then renamed over it; on any error the temporary file goes and the target is as it was."""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .config import FILE_MODE


def write_private(path: Path, chunks: Iterable[str] | Iterable[bytes], binary: bool = False) -> None:
    """Every chunk into `path`, atomically and readable only by you; OSError as the system raised it."""
    with private_file(path, binary) as f:
        for chunk in chunks:
            f.write(chunk)


@contextmanager
def private_file(path: Path, binary: bool = True) -> Iterator[IO]:
    """A file to write `path` through (seekable: a zip archive can be written into it): it replaces `path` when the
    block ends without an error, made durable and readable only by you; on any error it goes and `path` is as it
    was."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale(folder, f".{path.name}.", ".tmp")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with (os.fdopen(fd, "w+b") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_dir(folder)


def remove_stale(folder: Path, prefix: str, suffix: str) -> None:
    """Temporary files `prefix``pid`.….`suffix` a killed process left in `folder` (its pid no longer runs): a
    half-written export or backup names people too."""
    try:
        names = list(Path(folder).glob(f"{glob.escape(prefix)}*{suffix}"))
    except OSError:
        return
    for path in names:
        pid = path.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def _sync_dir(directory: Path) -> None:
    """The rename itself made durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

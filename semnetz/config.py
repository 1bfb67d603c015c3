"""Where things live and what the environment says: the network's home, the user cache, the package data
(models/ in the source tree, semnetz/models in a wheel), environment variable names and core counts.

Imports nothing heavy: `semnetz --help` reads this.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENVVAR = "SEMNETZ_HOME"
MODEL_ENVVAR = "SEMNETZ_MODEL"
MODELS_DIR_ENVVAR = "SEMNETZ_MODELS_DIR"  # another folder of encoders.json / services.jsonl (tests, experiments)
CACHE_ENVVAR = "SEMNETZ_CACHE_DIR"
STORE_ENVVAR = "SEMNETZ_STORE"  # a PostgreSQL URL: the network lives in that database (store/postgres.py)
NETWORK_ENVVAR = "SEMNETZ_NETWORK"  # … as this network (a schema; default "semnetz")
REPLICA_ENVVAR = "SEMNETZ_REPLICA"  # … whose searches read this replica of the database
TOKEN_ENVVAR = "SEMNETZ_TOKEN"  # the access token of `semnetz serve`
DB_FILENAME = "semnetz.duckdb"
VIEW_DIRNAME = "index"
SPOOL_DIRNAME = "searches"  # search log entries waiting for the next writer (see store/audit.py)
WRITE_LOCK_FILENAME = "write.lock"
# Other people's personal data: only the user may read the home and what is in it.
HOME_MODE = 0o700
FILE_MODE = 0o600


def resolve_home(home: str | os.PathLike | None = None, create: bool = True) -> Path:
    """--home, else $SEMNETZ_HOME, else the platform's user data dir; created private (0700) when missing."""
    if home is None:
        home = os.environ.get(HOME_ENVVAR) or None
    if home is None:
        import platformdirs

        home = platformdirs.user_data_dir("semnetz", appauthor=False)
    path = Path(home).expanduser()
    if create and not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    if create:
        make_private(path)
    return path


def make_private(path: Path) -> None:
    """0700 for a directory, 0600 for a file (best effort: a file system without modes keeps its own)."""
    try:
        os.chmod(path, HOME_MODE if path.is_dir() else FILE_MODE)
    except OSError:
        pass


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    make_private(path)
    return path


def models_dir() -> Path:
    """The package data: encoders.json, services.jsonl, categories.jsonl."""
    override = os.environ.get(MODELS_DIR_ENVVAR)
    if override:
        return Path(override)
    from importlib import resources

    return Path(str(resources.files("semnetz.models")))


def cache_dir() -> Path:
    """Derived files that are not personal data (parsed model weights, encoded background knowledge): the user
    cache directory, never the source tree or site-packages. Private (0700: semnetz loads what is in it at every
    start), tightened if it is not; PermissionError (an OSError: callers go without the cache) if it is someone
    else's or stays writable by others."""
    override = os.environ.get(CACHE_ENVVAR)
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("semnetz", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:  # made by an older semnetz, or under umask 000
            os.chmod(path, HOME_MODE)
    except (OSError, AttributeError):  # AttributeError: no getuid (Windows), which has no such modes either
        pass
    if not trusted(path, follow_symlinks=True):
        raise PermissionError(f"the cache directory {path} may be written by other users: not used")
    return path


def trusted(path: Path, follow_symlinks: bool = False) -> bool:
    """Whether a cached file or folder (not a symbolic link) is the user's own and nobody else may write it: what
    semnetz loads from the cache (model weights, the tokenizer) must not be something another user put there."""
    import stat

    try:
        info = os.stat(path, follow_symlinks=follow_symlinks)
        getuid = os.getuid
    except AttributeError:  # Windows: no owners and modes of this kind
        return True
    except OSError:
        return False
    return (info.st_uid == getuid() and not info.st_mode & 0o022
            and (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)))


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)

"""Backups that restore: one job, a snapshot of a network in one file and a new home made from it.

A backup is a zip archive holding

- ``semnetz.duckdb``: the store, checkpointed (every row of the network, its needs, introductions, links and the
  audit log; the search index is not in it: it is rebuilt from the store on restore), compressed with zstd
  (level 1: a quarter of its size in 0.2 s at 100,000 people, where deflate took seconds),
- ``vectors/*.f16``: the pieces' vectors (store/vectors.py), as they are (zstd takes 10 % off fp16 numbers at
  the cost of most of the backup's time; every row carries its own checksum or seal), and
- ``manifest.json``: the format and its version, the semnetz version, the model, the schema steps (migrations),
  the counts (people, needs, links) and the size of every member, with the SHA-256 of the store and the keys,

and it is sealed: the archive's comment ends in the SHA-256 of every byte before it, so a restore notices any
damaged or missing byte (a flipped bit, a truncated copy) before it writes anything.

How a backup shares the network (README, "Many processes, one network"): it takes the write lock like any writer,
to take in the waiting search log, checkpoint the store, copy its file and write the vectors' files into the
archive (writers wait that long; searches never take the lock and go on; `show`, `list` and the page's reads
wait only for the checkpoint). The store's copy is compressed after the lock is released. The archive is hashed
as it is written (one pass over the bytes), and written whole or not at all (files.private_file), 0600.

Format 1 (deflate, a SHA-256 for every member) is still read.

A backup of an encrypted network holds its store as it is on disk (encrypted with the network's data key) and
``encryption.json`` (that key, wrapped under your key and the recovery key; encryption.py): whoever has the file
but not a key reads nothing of the network; restoring it asks for the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

from . import __version__
from . import encryption
from .config import DB_FILENAME, FILE_MODE, HOME_MODE, make_private
from .encryption import KEY_FILENAME
from .errors import InputError, SemnetzError
from .files import private_file, remove_stale
from .store.vectors import VECTORS_DIRNAME

FORMAT = "semnetz-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
ZSTD_LEVEL = 1  # the store: level 3 takes twice as long for 2 % less
SEAL = b"semnetz-backup sha256:"  # the archive's comment: this and the hex SHA-256 of every byte before the hex
_HEX = 64
_CHUNK = 1 << 20
# the files a backup may hold besides its manifest (no path leaves the new home): the store, the vectors' files,
# and the wrapped keys of an encrypted network (encryption.py; the store in the backup stays encrypted with them)
MEMBERS = (DB_FILENAME, KEY_FILENAME)
VECTOR_MEMBER = re.compile(rf"{VECTORS_DIRNAME}/[0-9a-f]{{16}}\.f16")


def _allowed(name: str) -> bool:
    return name in MEMBERS or bool(VECTOR_MEMBER.fullmatch(name))


class BackupError(SemnetzError):
    key = "backup_damaged"


# ---------------------------------------------------------------- backup
def snapshot(net, path: str | os.PathLike) -> dict:
    """Write a backup of `net` (a Network) to `path`; returns its manifest (with "bytes", the archive's size).
    Network.backup calls this."""
    if os.fspath(path) == "-":
        raise InputError("a backup cannot go to standard output (it is a zip archive, written whole or not at all): "
                         "give a file name, e.g. semnetz backup network.semnetz-backup", key="backup_to_stdout")
    target = Path(os.fspath(path))
    if target.is_dir():
        raise InputError(f"{target} is a folder: give the backup's file name", key="backup_is_dir")
    folder = target.parent if str(target.parent) else Path(".")
    remove_stale(folder, f".{target.name}.", ".duckdb")  # the copy a killed backup left
    fd, copy = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.{os.getpid()}.", suffix=".duckdb")
    os.close(fd)
    try:
        os.chmod(copy, FILE_MODE)
        with private_file(target) as f:
            sink = _Hashing(f)
            with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.comment = SEAL + b"0" * _HEX
                manifest = _snapshot_store(net, Path(copy), archive)
                manifest["members"][DB_FILENAME] = _add(archive, DB_FILENAME, Path(copy), compress=True)
                if net.keys.encrypted:
                    manifest["members"][KEY_FILENAME] = _add(archive, KEY_FILENAME, net.home / KEY_FILENAME)
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
            f.seek(sink.tell() - _HEX)
            f.write(sink.sealed().encode("ascii"))
            size = sink.tell()
    finally:
        Path(copy).unlink(missing_ok=True)
    manifest["bytes"] = size
    net.spool.add("backup", [{"file": str(target), **manifest["counts"], "bytes": size}])
    return manifest


def _snapshot_store(net, copy: Path, archive: zipfile.ZipFile) -> dict:
    """Under the write lock: the waiting search log taken in, the store checkpointed and its file copied whole to
    `copy`, the vectors' files written into the archive (they change only under the lock)."""
    from .store.migrations import applied_migrations

    store = net.store
    with store.locked("backup"):
        with net._writing("backup") as tables:
            counts = tables.summary()
            model = tables.get_meta("model") or next(iter(tables.people.models_in_use()), None)
            migrations = sorted(applied_migrations(tables.conn))
            tables.conn.execute("CHECKPOINT")
        # the session is closed and no writer can open the file: it is whole and not changing
        if store.path.with_name(store.path.name + ".wal").exists():
            raise SemnetzError(f"{store.path}: the store kept a write-ahead log after its checkpoint; no backup was "
                               "written (run it again)")
        try:
            shutil.copyfile(store.path, copy)
        except OSError as exc:  # the copy is written beside the backup: that is where the room is missing
            raise OSError(exc.errno, exc.strerror, str(copy.parent)) from None
        members = {f"{VECTORS_DIRNAME}/{p.name}": _add(archive, f"{VECTORS_DIRNAME}/{p.name}", p, digest=False)
                   for p in store.vectors.files()}
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "semnetz": __version__,
            "created": datetime.now().isoformat(timespec="seconds"), "model": model, "migrations": migrations,
            "counts": counts, "members": members}


def _add(archive: zipfile.ZipFile, name: str, source: Path, compress: bool = False, digest: bool = True) -> dict:
    """A member, stored as it is or compressed with zstd; its manifest entry (its size, and its SHA-256 unless it
    checks itself: a vectors' file, every row with its checksum or seal)."""
    import zstandard

    sha, size = hashlib.sha256() if digest else None, 0
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = FILE_MODE << 16
    with open(source, "rb") as src, archive.open(info, "w", force_zip64=True) as dst:
        out = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(dst, closefd=False) if compress else dst
        while chunk := src.read(_CHUNK):
            if sha is not None:
                sha.update(chunk)
            out.write(chunk)
            size += len(chunk)
        if compress:
            out.close()
    entry = {"bytes": size, **({"sha256": sha.hexdigest()} if sha is not None else {})}
    return {**entry, "compression": "zstd"} if compress else entry


class _Hashing:
    """The archive's file as zipfile writes it, hashed on the way (all but the last _HEX bytes: the placeholder
    of the seal). It cannot seek, so zipfile writes each member once, in order (sizes after the data)."""

    def __init__(self, f):
        self.f, self.position, self.digest, self.held = f, 0, hashlib.sha256(), b""

    def write(self, data) -> int:
        data = bytes(data)
        self.f.write(data)
        self.position += len(data)
        joined = self.held + data
        self.digest.update(joined[:-_HEX])
        self.held = joined[-_HEX:]
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, *args):
        raise OSError("written in one pass")

    def flush(self) -> None:
        self.f.flush()

    def sealed(self) -> str:
        """The hex SHA-256 of every byte before the placeholder (the archive is closed)."""
        return self.digest.hexdigest()


def _hash(f, length: int) -> str:
    digest, left = hashlib.sha256(), length
    while left > 0:
        chunk = f.read(min(_CHUNK, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- restore
def restore(backup: str | os.PathLike, home: str | os.PathLike, model: str | None = None, key: str | None = None,
            ask: encryption.Ask | None = None) -> dict:
    """Make a new network in `home` (missing or an empty folder) from `backup`: the backup is checked whole first
    (the seal over every byte, the manifest, every member's checksum, that the store opens read-only and was
    written by a semnetz that knows no newer schema steps than this one, its counts); a damaged or truncated
    backup is a BackupError and nothing is written. A backup of an encrypted network opens with its key (`key`,
    else $SEMNETZ_KEY, else `ask`; the recovery key too) and gives an encrypted network. Then the store is put in
    a new folder beside `home`, the restore noted in its audit log, the search index rebuilt, and the folder
    renamed to `home` (whole or not at all). Returns the backup's manifest with "seconds" (how long it took). `model` is only a check: restoring a
    backup of another model is an error."""
    started = time.perf_counter()
    source, home = Path(os.fspath(backup)), Path(os.fspath(home)).expanduser()
    _check_home(home)
    manifest = verify(source)  # nothing written so far
    if model and manifest["model"] and model != manifest["model"]:
        raise InputError(f"this backup is of a network built with the model {manifest['model']}, not {model}; "
                         f"restore it without --model (then switch with semnetz reindex --model {model}); "
                         "nothing was written", key="restore_model")
    made = [p for p in [home.parent, *home.parent.parents] if not p.exists()]
    home.parent.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    staging = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.restoring."))
    try:
        os.chmod(staging, HOME_MODE)
        _extract(source, manifest, staging)
        if KEY_FILENAME in manifest["members"]:
            key = key or os.environ.get(encryption.KEY_ENVVAR) or (ask(f"Key of the encrypted backup {source}")
                                                                   if ask else None)
        keys = encryption.unlock(staging, key, where=str(source))
        _check_store(source, staging / DB_FILENAME, manifest, keys.store)
        _open_restored(source, staging, manifest, key)
        if home.exists():
            home.rmdir()  # empty (checked above): the rename needs it gone on some systems
        os.rename(staging, home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # the folders made for it, innermost first, if still empty
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    make_private(home)
    return {**manifest, "home": str(home), "seconds": time.perf_counter() - started}


def _check_home(home: Path) -> None:
    if home.is_dir():
        if any(home.iterdir()):
            raise InputError(f"{home} is not empty (it may hold a network): restore into a new or empty folder; "
                             "nothing was written", key="restore_not_empty", home=str(home))
    elif home.exists() or home.is_symlink():
        raise InputError(f"{home} is not a folder: restore into a new or empty folder; nothing was written",
                         key="restore_not_folder", home=str(home))


def _damaged(source: Path, why: str) -> BackupError:
    error = BackupError(f"{source}: damaged or truncated backup ({why}); nothing was written")
    error.values = {"file": str(source), "why": why}
    return error


def verify(source: Path) -> dict:
    """The backup's manifest, once its seal (every byte), its manifest and its list of members are right; reads
    the file and writes nothing. Member checksums are checked as they are extracted (_extract)."""
    source = Path(os.fspath(source))
    try:
        with open(source, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            if end < len(SEAL) + _HEX:
                raise _damaged(source, "too short to be a semnetz backup")
            f.seek(end - _HEX - len(SEAL))
            tail = f.read()
            if not tail.startswith(SEAL):
                raise _damaged(source, "no seal at its end: not a semnetz backup, or cut short")
            f.seek(0)
            if _hash(f, end - _HEX) != tail[len(SEAL):].decode("ascii", "replace"):
                raise _damaged(source, "its checksum does not match: a byte changed or is missing")
    except OSError as exc:
        raise SemnetzError(f"{source}: cannot read the backup ({exc.strerror or exc}); nothing was written") from None
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(source, f"unreadable archive: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                       ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(source, "its manifest does not name the semnetz backup format")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(f"{source}: written by a newer semnetz (backup format {manifest.get('format_version')}, "
                          f"this semnetz reads up to {FORMAT_VERSION}); upgrade semnetz; nothing was written")
    members = manifest.get("members")
    if not isinstance(members, dict) or DB_FILENAME not in members or not all(map(_allowed, members)) or \
            names != {MANIFEST, *members}:
        expected = [MANIFEST, *(members if isinstance(members, dict) else MEMBERS)]
        raise _damaged(source, f"it holds {sorted(names)}, expected {sorted(expected)}")
    return manifest


def _extract(source: Path, manifest: dict, folder: Path) -> None:
    """Every member into `folder` (0600), its size and SHA-256 checked against the manifest as it is written."""
    import zstandard

    try:
        with zipfile.ZipFile(source) as archive:
            for name in manifest["members"]:
                want = manifest["members"][name]
                digest, size = hashlib.sha256(), 0
                (folder / name).parent.mkdir(mode=HOME_MODE, exist_ok=True)
                fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
                with archive.open(name) as member, os.fdopen(fd, "wb") as dst:
                    src = _decompressed(member) if want.get("compression") == "zstd" else member
                    while chunk := src.read(_CHUNK):
                        size += len(chunk)
                        if size > want["bytes"]:
                            raise _damaged(source, f"{name} is longer than its manifest says")
                        digest.update(chunk)
                        dst.write(chunk)
                    dst.flush()
                    os.fsync(dst.fileno())
                if size != want["bytes"] or ("sha256" in want or manifest["format_version"] < 2) and \
                        digest.hexdigest() != want.get("sha256"):
                    raise _damaged(source, f"the checksum of {name} does not match its manifest")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, KeyError, TypeError,
            zstandard.ZstdError) as exc:
        raise _damaged(source, f"unreadable archive: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                       ) from None


def _decompressed(member):
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(member, closefd=False)


def _check_store(source: Path, path: Path, manifest: dict, store_key: str) -> None:
    """The store opens read-only, knows only schema steps this semnetz knows, and holds what the manifest counts."""
    from .store.db import UnreadableStore, describe_file
    from .store.migrations import MIGRATIONS

    try:
        found = describe_file(path, store_key)
    except UnreadableStore as exc:
        raise _damaged(source, str(exc)) from None
    if found["newer"]:
        raise BackupError(f"{source}: the network was written by a newer semnetz (schema step '{found['newer'][0]}' "
                          f"is unknown here; this semnetz knows up to '{MIGRATIONS[-1].__name__}'); upgrade semnetz; "
                          "nothing was written")
    if found["migrations"] != sorted(manifest.get("migrations") or []):
        raise _damaged(source, "its store's schema steps differ from its manifest")
    if found["counts"] != manifest.get("counts"):
        raise _damaged(source, f"its store holds {found['counts']}, its manifest says {manifest.get('counts')}")


def _open_restored(source: Path, folder: Path, manifest: dict, key: str | None) -> None:
    """In the new home (not yet in place): upgrade the store if an older semnetz wrote it, note the restore in the
    audit log and build the search index from the store."""
    from .network import Network

    with Network(home=folder, model=manifest.get("model") or None, key=key) as net:
        with net.store.locked("restore"), net._writing("restore") as tables:
            net._ensure_model(tables)
            with net._changing(tables, rebuild=True):
                tables.audit.log("restore", {"from": str(source), "created": manifest.get("created"),
                                             "semnetz": manifest.get("semnetz"), **manifest["counts"]})
                tables.bump_generation()

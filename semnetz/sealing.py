"""Sealing the files of an encrypted home: AES-256-GCM (the `cryptography` package), so a file is unreadable
without the key and any changed byte is noticed.

A sealed file is a header and chunks of at most CHUNK bytes, each with its own random nonce and tag; the label
(the file's name) and the chunk's number and whether it is the last are authenticated with it, so a file cannot
be cut short, have its chunks reordered, or pass for another file. ``PLAIN`` is the same interface for a home
that is not encrypted: bytes pass through, and large index files may be memory-mapped.

Everything else (which files, with which key) is decided by the callers: the home's keys in encryption.py, the
search index in index/, the search spool in store/audit.py.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

MAGIC = b"semnetz-sealed-1\n"
CHUNK = 1 << 24  # 16 MiB: AES-GCM's one-shot calls want buffers well below 2 GiB
NONCE = 12
TAG = 16
_HEADER = struct.Struct(">Q?")  # chunk number, last chunk


class SealError(ValueError):
    """A sealed file that does not open with this key: damaged, cut short, swapped, or sealed with another key."""


class Plain:
    """A home that is not encrypted."""

    sealed = False
    overhead = 0

    def seal(self, data: bytes, label: str) -> bytes:
        return bytes(data)

    def unseal(self, data: bytes, label: str) -> bytes:
        return data

    def read(self, path: Path) -> bytes:
        return Path(path).read_bytes()


PLAIN = Plain()


class Sealer(Plain):
    """Seal and unseal with one 256-bit key."""

    sealed = True
    overhead = NONCE + TAG  # per sealed record (a row of a vector file)

    def __init__(self, key: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != 32:
            raise ValueError("a sealing key has 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, data: bytes, label: str) -> bytes:
        view = memoryview(data).cast("B")
        out = io.BytesIO()
        out.write(MAGIC)
        count = max(1, -(-len(view) // CHUNK))
        for i in range(count):
            nonce = os.urandom(NONCE)
            out.write(nonce)
            out.write(self._aead.encrypt(nonce, view[i * CHUNK:(i + 1) * CHUNK],
                                         _associated(label, i, i == count - 1)))
        return out.getvalue()

    def unseal(self, data: bytes, label: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        view = memoryview(data)
        if bytes(view[:len(MAGIC)]) != MAGIC:
            raise SealError(f"{label} is not sealed (or not by semnetz)")
        body = view[len(MAGIC):]
        step = NONCE + CHUNK + TAG
        count = max(1, -(-len(body) // step))
        parts = []
        try:
            for i in range(count):
                record = body[i * step:(i + 1) * step]
                if len(record) < NONCE + TAG:
                    raise InvalidTag
                parts.append(self._aead.decrypt(record[:NONCE], record[NONCE:], _associated(label, i, i == count - 1)))
        except InvalidTag:
            raise SealError(f"{label} does not open with this network's key (damaged, cut short or replaced)") from None
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read(self, path: Path) -> bytes:
        path = Path(path)
        return self.unseal(path.read_bytes(), path.name)

    # ---- records of a fixed size (rows of a vector file, read one by one) ----
    def seal_record(self, data: bytes, label: str) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, data, label.encode())

    def unseal_record(self, data: bytes, label: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(data[:NONCE], data[NONCE:], label.encode())
        except InvalidTag:
            raise SealError(f"{label} does not open with this network's key") from None


def _associated(label: str, number: int, last: bool) -> bytes:
    return label.encode() + _HEADER.pack(number, last)

"""An encrypted home: its data key, the key you give to unlock it, and the recovery key.

A home made with ``semnetz init --encrypt`` holds ``encryption.json`` and nothing readable without the key:

- a random 256-bit *data key* seals everything: the store (DuckDB's own AES-GCM encryption, with a key derived
  for it) and every file of the search index and the search spool (sealing.py, with another derived key);
- the data key is kept only wrapped (AES-256-GCM) in ``encryption.json``, twice: once under *your key* (any
  passphrase, stretched with scrypt) and once under the *recovery key* (random, 128 bits, shown once at init);
- your key comes from ``$SEMNETZ_KEY``, else the OS keyring (service "semnetz", the home's path as the user
  name), else a hidden prompt; it is never written to the home, the cache, a log or the terminal.

``semnetz rekey`` wraps the same data key under a new key (as LUKS changes a passphrase): the old key no longer
opens the home, but a copy of the home (or a backup) taken before opens with the key it had then.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import SemnetzError
from .files import write_private
from .sealing import PLAIN, Plain, Sealer

KEY_FILENAME = "encryption.json"
KEY_ENVVAR = "SEMNETZ_KEY"
NEW_KEY_ENVVAR = "SEMNETZ_NEW_KEY"  # semnetz rekey: the new key, when not asked for
KEYRING_SERVICE = "semnetz"
FORMAT = 1
SCRYPT = {"n": 1 << 15, "r": 8, "p": 1}  # about 90 ms here: paid once per command, within the cold-start budget
RECOVERY_PREFIX = "R-"
_WRAP_LABEL = b"semnetz data key"
_SCRYPT_N = {1 << k for k in range(10, 21)}  # what a key file may ask for: never hours or gigabytes
_BASE32 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


class LockedError(SemnetzError):
    key = "encrypted"


@dataclass(frozen=True)
class Keys:
    """An unlocked home: what DuckDB is given for the store, and the sealer of every other file."""

    store: str
    sealer: Sealer | Plain
    data_key: bytes = field(default=b"", repr=False)  # kept in memory only, to wrap it under a new key

    @property
    def encrypted(self) -> bool:
        return self.sealer.sealed


PLAIN_KEYS = Keys("", PLAIN)


def is_encrypted(home: Path) -> bool:
    return (Path(home) / KEY_FILENAME).exists()


# ---------------------------------------------------------------- keys from a data key
def _derive(data_key: bytes, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"semnetz " + purpose).derive(data_key)


def _keys(data_key: bytes) -> Keys:
    return Keys(_derive(data_key, b"store").hex(), Sealer(_derive(data_key, b"files")), data_key)


# ---------------------------------------------------------------- wrapping
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _kek(secret: str, slot: dict) -> bytes:
    salt = _unb64(slot["salt"])
    if slot["kdf"] == "scrypt":
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=int(slot["n"]), r=int(slot["r"]), p=int(slot["p"])).derive(
            secret.encode("utf-8"))
    if slot["kdf"] == "hkdf":  # the recovery key is random: no stretching needed
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"semnetz recovery").derive(
            _recovery_bytes(secret))
    raise ValueError(f"unknown key derivation {slot['kdf']!r}")


def _wrap(data_key: bytes, secret: str, kdf: str) -> dict:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    slot = {"kdf": kdf, "salt": _b64(os.urandom(16)), **(SCRYPT if kdf == "scrypt" else {})}
    nonce = os.urandom(12)
    slot["wrapped"] = _b64(nonce + AESGCM(_kek(secret, slot)).encrypt(nonce, data_key, _WRAP_LABEL))
    return slot


def _unwrap(slot: dict, secret: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapped = _unb64(slot["wrapped"])
    try:
        return AESGCM(_kek(secret, slot)).decrypt(wrapped[:12], wrapped[12:], _WRAP_LABEL)
    except InvalidTag:
        return None


def new_recovery_key() -> str:
    """128 random bits, written in groups of base32 for a person to copy down."""
    code = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")
    return RECOVERY_PREFIX + "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _recovery_code(secret: str) -> str | None:
    """The recovery key's 26 letters and digits, however it was typed (any case, with or without its dashes or
    spaces), or None if `secret` is not one."""
    code = "".join(c for c in secret.upper() if not c.isspace() and c != "-")
    if len(code) == 27 and code[0] == RECOVERY_PREFIX[0] and all(c in _BASE32 for c in code[1:]):
        return code[1:]
    return None


def _is_recovery_key(secret: str) -> bool:
    return _recovery_code(secret) is not None


def _recovery_bytes(secret: str) -> bytes:
    code = _recovery_code(secret) or ""
    return base64.b32decode(code + "=" * (-len(code) % 8))


# ---------------------------------------------------------------- the key file
def _read(home: Path) -> dict:
    path = Path(home) / KEY_FILENAME
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if info.get("format") != FORMAT or not {"key", "recovery"} <= set(info.get("slots", {})):
            raise ValueError
        for slot in info["slots"].values():
            if len(_unb64(slot["salt"])) != 16 or len(_unb64(slot["wrapped"])) != 12 + 32 + 16 or \
                    slot["kdf"] not in ("scrypt", "hkdf"):
                raise ValueError
            if slot["kdf"] == "scrypt" and not (int(slot["n"]) in _SCRYPT_N and 1 <= int(slot["r"]) <= 32 and
                                                1 <= int(slot["p"]) <= 16):
                raise ValueError
        return info
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        raise SemnetzError(f"{path}: damaged or from a newer semnetz; without it this encrypted network cannot be "
                           "opened (restore it from a backup)") from None


def _write(home: Path, info: dict) -> None:
    write_private(Path(home) / KEY_FILENAME, [json.dumps(info, indent=1)])


def create(home: Path, secret: str) -> tuple[Keys, str]:
    """Make `home` (empty) an encrypted home unlocked by `secret`: (its keys, the recovery key, to show once)."""
    if not secret:
        raise SemnetzError("an empty key encrypts nothing: give a key (SEMNETZ_KEY or the prompt)")
    data_key, recovery = secrets.token_bytes(32), new_recovery_key()
    _write(home, {"format": FORMAT, "cipher": "AES-256-GCM", "data_key_bits": 256,
                  "slots": {"key": _wrap(data_key, secret, "scrypt"), "recovery": _wrap(data_key, recovery, "hkdf")}})
    return _keys(data_key), recovery


def unlock_with(home: Path, secret: str) -> Keys | None:
    """The home's keys if `secret` (your key or the recovery key) opens it, else None."""
    info = _read(home)
    data_key = _unwrap(info["slots"]["recovery" if _is_recovery_key(secret) else "key"], secret)
    return None if data_key is None else _keys(data_key)


def rewrap_keys(home: Path, keys: Keys, new: str) -> None:
    """Your key becomes `new` (the data key of the unlocked `keys` and the recovery key stay)."""
    if not new:
        raise SemnetzError("the new key is empty; nothing was changed")
    info = _read(home)
    info["slots"]["key"] = _wrap(keys.data_key, new, "scrypt")
    _write(home, info)


# ---------------------------------------------------------------- where the key comes from
Ask = Callable[[str], str]


def keyring_key(home: Path) -> str | None:
    """The key kept in the OS keyring for this home, if there is a keyring and it holds one."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, str(Path(home).resolve()))
    except Exception:  # no keyring here (a headless Linux), or a locked or broken one: ask another way
        return None


def keep_in_keyring(home: Path, secret: str) -> bool:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, str(Path(home).resolve()), secret)
        return True
    except Exception:
        return False


def _wrong_key(home: Path) -> SemnetzError:
    error = LockedError(f"{home}: the key does not open this encrypted network (check SEMNETZ_KEY, the keyring's "
                      "entry, or use the recovery key); nothing was changed")
    error.key, error.values = "wrong_key", {"home": str(home)}
    return error


def unlock(home: Path, secret: str | None = None, ask: Ask | None = None, where: str | None = None) -> Keys:
    """The keys of `home`: PLAIN_KEYS for a home that is not encrypted; else unlocked with `secret`, else
    $SEMNETZ_KEY, else the OS keyring, else `ask` (a hidden prompt), else an error naming what to do (and
    `where`, what the user knows the home as: a backup being restored)."""
    home = Path(home)
    if not is_encrypted(home):
        return PLAIN_KEYS
    secret = secret or os.environ.get(KEY_ENVVAR) or keyring_key(home)
    if not secret and ask is not None:
        secret = ask(f"Key for the encrypted network in {where or home}")
    if not secret:
        error = LockedError(f"{where or home}: this network is encrypted: set SEMNETZ_KEY, keep the key in the OS "
                            "keyring, or run the command in a terminal to be asked for it; nothing was changed")
        error.values = {"home": str(where or home)}
        raise error
    keys = unlock_with(home, secret)
    if keys is None:
        raise _wrong_key(where or home)
    return keys


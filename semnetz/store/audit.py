"""The audit log: every change and every search, oldest first, in DuckDB; and the spool where searches leave
their entries, because a search never opens the store (see store/db.py).

A search appends its entries to a new small file in the home's ``searches/`` folder (written whole, then
renamed into place) at once, never held in memory; the next writing command moves every such file into the log.
Removing a person redacts every entry that names them: their id is taken out, and an entry that quotes them (a
search for their name, number, one of their texts, or a word only they wrote) keeps only its action and time; an
entry taken in later whose results list someone no longer in the store is redacted the same way.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import datetime
from pathlib import Path

from ..config import FILE_MODE, private_dir
from ..sealing import PLAIN, Plain
from ..text import fold
from .people import registered, take_ids

REDACTED = {"redacted": "named a removed person"}
SPOOL_LABEL = "searches"
_MIN_NAME_WORD_CHARS = 3
_MIN_DISTINCTIVE_CHARS = 5  # shorter words of a person's texts are not taken as quoting them
_TITLES = {"dr", "prof", "med", "dipl", "ing", "frau", "herr", "mr", "mrs", "ms", "miss"}


class AuditLog:
    def __init__(self, conn, take=take_ids):
        self.conn = conn
        self.take = take  # new sequence numbers (people.take_ids)

    def log(self, action: str, detail: dict) -> None:
        self.log_many(action, [detail])

    def log_many(self, action: str, details: list[dict], times: list[datetime] | None = None) -> None:
        """Many entries in one statement (a batch search logs every query)."""
        if not details:
            return
        if len(details) <= 20:  # a few entries: plain inserts (no pyarrow import for a one-off command)
            seqs = self.take(self.conn, "audit_seq", len(details))
            for seq, at, detail in zip(seqs.tolist(), times or [datetime.now()] * len(details), details):
                self.conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)",
                                  [seq, at, action, json.dumps(detail, ensure_ascii=False)])
            return
        import pyarrow as pa

        with registered(self.conn, "_new_log", {
            "seq": pa.array(self.take(self.conn, "audit_seq", len(details)), pa.int64()),
            "logged_at": pa.array(times or [datetime.now()] * len(details), pa.timestamp("us")),
            "action": pa.array([action] * len(details), pa.string()),
            "detail": pa.array([json.dumps(d, ensure_ascii=False) for d in details], pa.string()),
        }):
            self.conn.execute("INSERT INTO audit_log SELECT * FROM _new_log")

    def entries(self, limit: int | None = None, action: str | None = None) -> list[dict]:
        sql = "SELECT seq, logged_at, action, detail FROM audit_log"
        params: list = []
        if action:
            sql += " WHERE action = ?"
            params.append(action)
        sql += " ORDER BY seq DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [{"seq": s, "logged_at": at, "action": a, "detail": json.loads(d)} for s, at, a, d in reversed(rows)]

    def redact_person(self, person_id: str, name: str, aliases: list[str], contact: dict[str, str],
                      texts: list[str] = ()) -> int:
        """Take a removed person out of every entry; entries that quote them (a search for their name, number,
        one of their texts or a phrase only they wrote) keep only a tombstone. Returns how many entries
        changed."""
        pattern = _pattern(personal_needles(name, aliases, contact))
        quoted = _pattern(personal_needles(name, aliases, contact) + [fold(t) for t in texts]
                          + [fold(w) for w in distinctive_words(self.conn, person_id, texts)])
        rows = self.conn.execute("SELECT seq, detail FROM audit_log").fetchall()
        changed = 0
        for seq, detail in rows:
            value = json.loads(detail)
            cleaned = _without(value, person_id)
            # an entry about them (a link, a proposal, an introduction: their id as a field of its own) or one
            # that quotes them (a search for their name or number, or for what they wrote) keeps only its
            # action and time; an entry about many (an import, a search's results) only loses their id
            about_them = isinstance(value, dict) and person_id in value.values()
            query = value.get("q") if isinstance(value, dict) and isinstance(value.get("q"), str) else None
            if (about_them or (pattern is not None and any(pattern.search(fold(text)) for text in _strings(cleaned)))
                    or (query is not None and quoted is not None and quoted.search(fold(query)))):
                cleaned = dict(REDACTED)
            if cleaned != value:
                self.conn.execute("UPDATE audit_log SET detail = ? WHERE seq = ?",
                                  [json.dumps(cleaned, ensure_ascii=False), seq])
                changed += 1
        return changed


def _pattern(needles: list[str]):
    needles = sorted({n for n in needles if n}, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in needles)) if needles else None


def distinctive_words(conn, person_id: str, texts: list[str]) -> list[str]:
    """Words of a person's texts (of _MIN_DISTINCTIVE_CHARS or more) that no one else's piece contains: a
    search that quotes one quotes them. Call before their pieces are deleted (or after: others are compared)."""
    words = sorted({w for t in texts for w in re.findall(r"\w+", t.lower()) if len(w) >= _MIN_DISTINCTIVE_CHARS})
    if not words:
        return []
    rows = conn.execute(
        "SELECT w FROM unnest(?::VARCHAR[]) AS t(w) WHERE NOT EXISTS (SELECT 1 FROM items i JOIN people p "
        "ON p.pk = i.person_pk WHERE p.id <> ? AND contains(lower(i.text), t.w))", [words, person_id]).fetchall()
    return [r[0] for r in rows]


def _present(conn, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    return {r[0] for r in conn.execute("SELECT id FROM people WHERE list_contains(?::VARCHAR[], id)",
                                       [sorted(ids)]).fetchall()}


def personal_needles(name: str, aliases: list[str], contact: dict[str, str]) -> list[str]:
    """Folded strings that identify a person in free text: their name, its words, aliases, phone, e-mail."""
    folded_name = fold(name)
    words = [w for w in folded_name.split() if len(w) >= _MIN_NAME_WORD_CHARS and w not in _TITLES]
    values = [folded_name, *words, *(fold(a) for a in aliases), *(fold(v) for v in contact.values())]
    if contact.get("phone"):  # stored normalised ("+49 171 1234567"), searched for as people write it
        from ..phones import phone_forms

        values += [fold(form) for form in phone_forms(contact["phone"])]
    return sorted({v for v in values if v}, key=len, reverse=True)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _without(value, person_id: str):
    """The value with every mention of person_id (as a string, or a dict about them) taken out."""
    if isinstance(value, list):
        return [_without(v, person_id) for v in value if v != person_id and not _is_about(v, person_id)]
    if isinstance(value, dict):
        return {k: _without(v, person_id) for k, v in value.items() if not _is_about(v, person_id)}
    return "[removed]" if value == person_id else value


def _is_about(value, person_id: str) -> bool:
    return isinstance(value, dict) and value.get("id") == person_id


class SearchSpool:
    """Search log entries on their way into the audit log, without the store's lock. Each search's entries are
    written to a spool file at once (never held in memory): a person removed afterwards, by this process or
    another, is redacted from them when the remove takes the spool in (see move_into)."""

    def __init__(self, home: Path, directory: str, sealer: Plain = PLAIN):
        self.path = home / directory
        self.sealer = sealer  # an encrypted home's: each file is sealed (sealing.py)

    def add(self, action: str, details: list[dict]) -> None:
        """Write these entries as one new file (complete before it is visible: written, then renamed)."""
        if not details:
            return
        at = datetime.now().isoformat()
        private_dir(self.path)
        name = f"{time.time_ns():020d}-{os.getpid()}-{threading.get_ident() % 10**6:06d}-{os.urandom(3).hex()}"
        tmp = self.path / f".{name}.tmp"
        text = "".join(json.dumps({"at": at, "action": action, "detail": detail}, ensure_ascii=False) + "\n"
                       for detail in details)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(self.sealer.seal(text.encode("utf-8"), SPOOL_LABEL))
        os.replace(tmp, self.path / f"{name}.jsonl")

    def flush(self) -> None:
        """Nothing waits in memory (kept for callers that flush before they take the spool in)."""

    def files(self) -> list[Path]:
        try:
            return sorted(self.path.glob("*.jsonl"))
        except OSError:
            return []

    def move_into(self, audit: AuditLog) -> int:
        """Every waiting entry into the audit log (in the caller's transaction); then the files go. An entry
        whose results list someone no longer in the store (ranked before a remove, spooled after it) keeps only
        its action and time: who it named is gone with them."""
        files = self.files()
        entries = []
        for path in files:
            try:
                lines = self.sealer.unseal(path.read_bytes(), SPOOL_LABEL).decode("utf-8").splitlines()
            except (OSError, ValueError):  # unreadable, or not sealed with this key: dropped, not the whole log
                continue
            for line in lines:
                try:
                    entry = json.loads(line)
                    entries.append((datetime.fromisoformat(entry["at"]), entry["action"], entry["detail"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged line is dropped, not the whole log
        listed = {i for _, _, d in entries if isinstance(d, dict) and isinstance(d.get("ids"), list)
                  for i in d["ids"] if isinstance(i, str)}
        gone = listed - _present(audit.conn, listed)
        if gone:
            entries = [(at, a, dict(REDACTED) if isinstance(d, dict) and isinstance(d.get("ids"), list)
                        and gone.intersection(i for i in d["ids"] if isinstance(i, str)) else d)
                       for at, a, d in entries]
        entries.sort(key=lambda e: e[0])
        for action in dict.fromkeys(a for _, a, _ in entries):
            rows = [(at, d) for at, a, d in entries if a == action]
            audit.log_many(action, [d for _, d in rows], [at for at, _ in rows])
        self._moved = files
        return len(entries)

    def clear_moved(self) -> None:
        """After the transaction that took them in has committed."""
        for path in getattr(self, "_moved", []):
            path.unlink(missing_ok=True)
        self._moved = []

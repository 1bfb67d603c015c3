"""Giving memory the server has freed back to the system, so that `semnetz serve` stays the size its data needs.

Measured (benchmarks/soak.py: 3,000 people, 20 clients searching through the page, one writer adding and editing
every 3 s, removes by the CLI): what the server's objects take stayed flat (malloc's own count of memory in use
~77 MB, Python's small objects ~12 MB, DuckDB's allocator flat), yet its resident size grew by ~8 MB a minute
without end, all of it in glibc malloc's per-thread arenas (89 -> 133 MB in 3 minutes), with searches alone or
writes alone flat. Each write makes a new search view, and its parts (who is current, the lexical postings, the
spelling lists, the reach, the scopes) are made by whichever search thread needs them first and freed a write or
two later, between what other searches hold; glibc returns freed memory to the system only from the top of an
arena (and the server has up to 8 arenas a core), so the holes stay resident, a little higher after each view.
malloc_trim(0) gives back every whole free page of every arena.

So a Trimmer's thread calls malloc_trim(0) when poked (after a new view is made, after a write), a moment later
(the searches that still hold the view before finish first; pokes meanwhile make one trim): 1-40 ms of its own
thread, not of a request. Elsewhere than glibc (macOS, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Callable

TRIM_DELAY_S = 1.0


def malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process runs on
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class Trimmer:
    """A thread that gives freed memory back (trim, default malloc_trim(0)) delay_s after it is poked."""

    def __init__(self, delay_s: float = TRIM_DELAY_S, trim: Callable[[], object] | None = None):
        self.delay_s = delay_s
        self._trim = trim if trim is not None else malloc_trim()
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.trims = 0  # how many times it trimmed

    @property
    def available(self) -> bool:
        return self._trim is not None

    def start(self) -> "Trimmer":
        if self.available and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="semnetz-trim", daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Trim soon (cheap: it only sets an event; may be called holding locks, from any thread)."""
        self._wanted.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping.wait(self.delay_s):
                return
            self._wanted.clear()  # a poke from here on makes another trim
            try:
                self._trim()
            except Exception:  # nothing to give back is no error of a request
                pass
            self.trims += 1

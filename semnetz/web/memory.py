"""Giving memory the server has freed back to the system, so that `semnetz serve` stays the size its data needs.

Measured (benchmarks/soak.py: 3,000 people, 20 clients searching through the page, one writer adding and editing
every 3 s, removes by the CLI): what the server's objects take stayed flat (malloc's own count of memory in use
~77 MB, Python's small objects ~12 MB, DuckDB's allocator flat), yet its resident size grew by ~8 MB a minute
without end, all of it in glibc malloc's per-thread arenas (89 -> 133 MB in 3 minutes), with searches alone or
writes alone flat. Each write makes a new search view, and its parts (who is current, the lexical postings, the
spelling lists, the reach, the scopes) are made by whichever search thread needs them first and freed a write or
two later, between what other searches hold; glibc returns freed memory to the system only from the top of an
arena (and the server has up to 8 arenas a core), so the holes stay resident, a little higher after each view.
The biggest of those parts is a delta's exact vector index, made in memory when a search first needs it: with
the 3,000 people of an import in one delta, 23 MB of float32 (and as much again while it is made), remade after
every remove of one of them. glibc maps a block that big on its own and unmaps it when freed, but a freed mapped
block raises its threshold for mapping to that size (up to 32 MB), so from the second one on these blocks were
carved out of the arenas, and what they left when freed stayed resident.

So (measured with the soak, 5 minutes each, RSS after the first minute):
- map_big_blocks() pins that threshold at BIG_BLOCK_BYTES: a block of 4 MB or more always has its own mapping
  and goes back to the system whole when freed (the arenas: ~100 MB instead of ~200 MB);
- a Trimmer's thread calls malloc_trim(0), which gives back every whole free page of every arena, when poked
  (after a new view is made), a moment later (the searches that still hold the view before finish first; pokes
  meanwhile make one trim): 1-40 ms of its own thread, not of a request.
Elsewhere than glibc (macOS, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Callable

TRIM_DELAY_S = 1.0
# Blocks this big or bigger get a mapping of their own (a search's own arrays are far smaller: it maps none)
BIG_BLOCK_BYTES = 4 << 20
# Pinning the threshold for mapping also pins the one for giving back the free top of an arena at every free(),
# at 128 KB: each search then gave back and faulted in again ~4 MB (1,100 page faults a search instead of ~0,
# ~20% fewer searches a second). glibc's own, once its threshold for mapping has risen: twice that; this is about
# the same. The Trimmer gives back the rest after each view.
KEEP_TOP_BYTES = 32 << 20
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def _libc(name: str):
    """A function of glibc, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name)  # the C library this process runs on
    except (OSError, AttributeError):
        return None


def malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where there is none."""
    trim = _libc("malloc_trim")
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


def map_big_blocks(size: int = BIG_BLOCK_BYTES, keep_top: int = KEEP_TOP_BYTES) -> bool:
    """From now on, malloc gives every block of at least `size` bytes a mapping of its own, given back to the
    system when freed (and never raises that threshold), and an arena keeps up to `keep_top` free bytes at its
    top. False where this is no glibc."""
    mallopt = _libc("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, size) == 1 and mallopt(M_TRIM_THRESHOLD, keep_top) == 1


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

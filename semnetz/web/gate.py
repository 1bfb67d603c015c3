"""Which work of the server runs when: searches in a few lanes, everything else first.

Every request of `semnetz serve` runs in a thread of one process. Left alone, 20 people searching means 20
threads ranking at once on a machine of a few cores, all taking turns with one interpreter lock, and an add is
one more thread among them: it got about a twentieth of the CPU and of the interpreter, so an add that takes
0.7 s alone took 7-20 s (measured: its thread spent that time waiting for a core and for the interpreter lock,
not for any lock of the store). Searches gain nothing from running 20 at once on 2 cores: they only take turns
more finely. So:

- at most `lanes` searches (and other ranking work: match's proposals) run at once, two per core (one runs while
  the other waits for what a search waits for; 20 searching clients got as many answers a second from 4 lanes on
  2 cores as from 20 threads at once, and a few less from 2); the others wait, in arrival order, in the event
  loop (holding no thread of the pool, so other work always finds one);
- what is not a search goes first: while a write (or a page or answer that reads the store: a person, the list)
  is under way, no waiting search starts (the few running finish), so it has the machine nearly to itself and
  takes about what it takes alone; then the searches go on. Searches are the bulk of the work; the rest is one
  person waiting for one answer (a client that asked for pages of the store without pause would hold the
  searches back as long);
- work that goes first never waits for a search.

Work that goes first is let in only once it holds what it may have to wait for (app.py: a write the home's write
lock, a read its session of the store): waiting for another process (a long `semnetz import`) it holds no search
back.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from contextlib import asynccontextmanager, contextmanager

from ..config import usable_cores


LANES_PER_CORE = 2


class Gate:
    """Searches in `lanes` lanes (default: two per usable core); everything else first. Usable from any thread
    and any event loop (a waiting search is woken on its own loop)."""

    def __init__(self, lanes: int | None = None):
        self.lanes = max(1, lanes or LANES_PER_CORE * usable_cores())
        self._lock = threading.Lock()
        self._running = 0  # searches let in (running, or woken and about to run)
        self._first = 0  # work under way that goes first
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = deque()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def first_under_way(self) -> int:
        return self._first

    @asynccontextmanager
    async def search(self):
        """A lane for one search (or other ranking work), waiting in line for it while no lane is free or work
        that goes first is under way."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if not self._waiting and self._open():
                self._running += 1
                turn = None
            else:
                turn = loop.create_future()
                self._waiting.append((loop, turn))
        if turn is not None:
            try:
                await turn
            except BaseException:  # the request was cancelled while it waited (the client went away)
                with self._lock:
                    if (loop, turn) in self._waiting:
                        self._waiting.remove((loop, turn))
                    elif turn.done() and not turn.cancelled():  # it had been let in: give the lane back
                        self._leave()
                    # else: it was let in and cancelled before it heard so; _let_in gives the lane back
                raise
        try:
            yield
        finally:
            with self._lock:
                self._leave()

    @contextmanager
    def first(self):
        """Work that goes first (a write, a read of the store): searches that have not started wait until it is
        done. Never waits itself."""
        with self._lock:
            self._first += 1
        try:
            yield
        finally:
            with self._lock:
                self._first -= 1
                self._wake()

    # ---- under self._lock ----
    def _open(self) -> bool:
        return self._running < self.lanes and not self._first

    def _leave(self) -> None:
        self._running -= 1
        self._wake()

    def _wake(self) -> None:
        """Let waiting searches in, first come first, while lanes are free and nothing that goes first is under
        way; each takes its lane now (so none is taken by a later arrival), and hears so on its own loop."""
        while self._waiting and self._open():
            loop, turn = self._waiting.popleft()
            self._running += 1
            try:
                loop.call_soon_threadsafe(self._let_in, turn)
            except RuntimeError:  # its loop has closed: nobody is waiting on it any more
                self._running -= 1

    def _let_in(self, turn: asyncio.Future) -> None:
        """On the waiting search's loop."""
        if turn.done():  # cancelled meanwhile: its lane goes to the next
            with self._lock:
                self._leave()
        else:
            turn.set_result(None)

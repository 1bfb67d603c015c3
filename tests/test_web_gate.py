"""The gate of `semnetz serve` (web/gate.py), through a real uvicorn server: searches run one per lane and wait in
line for one; a write, or a page that reads the store, goes ahead of the searches that have not started and never
waits for a search; a write that waits for another process's writer holds no search back. Behaviour only: each
test waits for a state (a search started, a search in line), never for a time; WAIT_S only bounds a wait, so
that a broken gate fails instead of hanging."""

import asyncio
import fcntl
import os
import threading
import time
from contextlib import contextmanager

import httpx
import pytest

from semnetz import Network
from semnetz.config import WRITE_LOCK_FILENAME
from semnetz.web.app import create_app
from semnetz.web.gate import Gate

from .conftest import SMALL_NETWORK, write_jsonl

WAIT_S = 60.0


def until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def net(semnetz_home, tmp_path):
    with Network(home=semnetz_home) as net:
        net.import_file(write_jsonl(tmp_path / "people.jsonl", SMALL_NETWORK))
        yield net


@contextmanager
def serving(net, **options):
    """The app in a real uvicorn server (its event loop, its thread pool, real HTTP): (base URL, app)."""
    import uvicorn

    from semnetz.web.server import bind

    sock = bind("127.0.0.1", 0)
    app = create_app(net, **options)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        until(lambda: server.started, "the server to start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def in_line(app) -> int:
    """Searches waiting in the gate (0 for an app without one)."""
    gate = getattr(app.state, "gate", None)
    return gate.waiting if gate is not None else 0


class Held:
    """A Network's searches, and its adds (or its reads of a person: `other`), held where they start until let
    go, and what each search saw: how many ran at once, and whether the other work was under way when it
    started."""

    def __init__(self, net, other: str = "add"):
        self.lock = threading.Lock()
        self.running = self.most = self.started = 0
        self.writing = False
        self.saw_writing: list[bool] = []
        self.searches_go, self.write_go, self.write_started = threading.Event(), threading.Event(), threading.Event()
        search, add = net.search, getattr(net, other)

        def held_search(*args, **kwargs):
            with self.lock:
                self.running += 1
                self.started += 1
                self.most = max(self.most, self.running)
                self.saw_writing.append(self.writing)
            try:
                self.searches_go.wait(WAIT_S)
                return search(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1

        def held_add(*args, **kwargs):
            with self.lock:
                self.writing = True
            self.write_started.set()
            try:
                self.write_go.wait(WAIT_S)
                return add(*args, **kwargs)
            finally:
                with self.lock:
                    self.writing = False

        net.search = held_search
        setattr(net, other, held_add)


def in_thread(work, out: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread


def search(base: str, q: str = "plumbing", page: bool = False) -> int:
    with httpx.Client(base_url=base, timeout=WAIT_S * 2) as http:
        return (http.get("/", params={"q": q}) if page else http.get("/api/search", params={"q": q})).status_code


def add(base: str, n: int) -> int:
    with httpx.Client(base_url=base, timeout=WAIT_S * 2) as http:
        return http.post("/api/people", json={"id": f"g{n}", "name": f"Gisela {n}",
                                              "text": f"Glaserin Nummer {n}, setzt Fenster ein"}).status_code


def person_page(base: str, person_id: str = "e1") -> int:
    with httpx.Client(base_url=base, timeout=WAIT_S * 2) as http:
        return http.get(f"/people/{person_id}").status_code


@pytest.mark.parametrize("first", ["add", "get"])
def test_a_write_or_a_page_of_the_store_goes_ahead_of_the_searches_that_have_not_started(net, first):
    """While an add (or a person's page) is under way, a search that arrives waits until it is done (it would
    otherwise share the machine with it: 20 searches at once starved an add for 8-20 s)."""
    held = Held(net, first)
    held.searches_go.set()
    with serving(net) as (base, app):
        statuses: list[int] = []
        work = in_thread(lambda: add(base, 1) if first == "add" else person_page(base), statuses)
        assert held.write_started.wait(WAIT_S)
        asking = [in_thread(lambda: search(base), statuses), in_thread(lambda: search(base, page=True), statuses)]
        until(lambda: held.started or in_line(app) == 2, "the searches to arrive")
        assert held.started == 0, f"a search started while {first} was under way"
        held.write_go.set()
        for thread in [work, *asking]:
            thread.join(WAIT_S * 2)
        assert sorted(statuses) == [200, 200, 201 if first == "add" else 200]
        assert held.saw_writing == [False, False]
        if first == "add":
            found = httpx.get(f"{base}/api/search", params={"q": "Glaserin Fenster"}).json()["results"]
            assert "g1" in {r["id"] for r in found}


def test_searches_run_one_per_lane_and_the_others_wait_in_line(net):
    held = Held(net)
    with serving(net, lanes=2) as (base, app):
        statuses: list[int] = []
        asking = [in_thread(lambda: search(base), statuses) for _ in range(3)]
        asking.append(in_thread(lambda: search(base, page=True), statuses))
        until(lambda: held.started > 2 or (held.started == 2 and in_line(app) == 2), "two searches running, two "
                                                                                    "in line")
        assert held.started == 2 and held.most == 2
        held.searches_go.set()
        for thread in asking:
            thread.join(WAIT_S * 2)
        assert statuses == [200] * 4 and held.most == 2 and app.state.gate.running == 0


def test_a_write_never_waits_for_searches(net):
    """Every lane taken by a search that does not end, and one more in line: an add is done all the same."""
    held = Held(net)
    held.write_go.set()
    with serving(net, lanes=1) as (base, app):
        statuses: list[int] = []
        asking = [in_thread(lambda: search(base), statuses) for _ in range(2)]
        until(lambda: held.started == 1 and in_line(app) == 1, "one search running, one in line")
        assert add(base, 2) == 201
        assert held.started == 1 and statuses == []  # the searches are still held
        held.searches_go.set()
        for thread in asking:
            thread.join(WAIT_S * 2)
        assert statuses == [200, 200] and held.saw_writing == [False, False]


def test_a_write_waiting_for_another_process_holds_no_search_back(net):
    """Another process's writer (a long import) holds the home's write lock: an add of the server waits for it,
    and meanwhile searches are answered."""
    lock = os.open(net.home / WRITE_LOCK_FILENAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as another process holds it (a lock of another open file)
    waiting = threading.Event()
    acquire = net.store.lock.acquire

    def acquire_noted(*args, **kwargs):
        waiting.set()
        return acquire(*args, **kwargs)

    net.store.lock.acquire = acquire_noted
    try:
        with serving(net) as (base, app):
            statuses: list[int] = []
            write = in_thread(lambda: add(base, 3), statuses)
            assert waiting.wait(WAIT_S)
            assert search(base) == 200 and search(base, page=True) == 200
            assert write.is_alive() and statuses == []  # the add still waits for the lock
            fcntl.flock(lock, fcntl.LOCK_UN)
            write.join(WAIT_S * 2)
            assert statuses == [201]
    finally:
        os.close(lock)


# ---------------------------------------------------------------- the gate alone
async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def _enter(gate: Gate, inside: asyncio.Event | None = None, leave: asyncio.Event | None = None) -> None:
    async with gate.search():
        if inside is not None:
            inside.set()
        if leave is not None:
            await leave.wait()


def test_a_search_that_gives_up_waiting_leaves_its_place_and_its_lane():
    async def main():
        gate = Gate(1)
        inside, leave = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(_enter(gate, inside, leave))
        await inside.wait()
        gone = asyncio.create_task(_enter(gate))
        await _settle()
        assert (gate.running, gate.waiting) == (1, 1)
        gone.cancel()  # the client went away while it waited
        await _settle()
        assert (gate.running, gate.waiting) == (1, 0)
        leave.set()
        await first
        # let in and cancelled before it heard so: the lane it was given is free again
        async with gate.search():
            late = asyncio.create_task(_enter(gate))
            await _settle()
            assert gate.waiting == 1
        late.cancel()
        await _settle()
        assert (gate.running, gate.waiting) == (0, 0)
        await _enter(gate)

    asyncio.run(main())


def test_while_work_that_goes_first_is_under_way_no_search_starts():
    async def main():
        gate = Gate(2)
        with gate.first():  # never waits
            waiting = asyncio.create_task(_enter(gate))
            await _settle()
            assert (gate.running, gate.waiting, gate.first_under_way) == (0, 1, 1)
        await asyncio.wait_for(waiting, WAIT_S)
        assert (gate.running, gate.waiting, gate.first_under_way) == (0, 0, 0)

    asyncio.run(main())

"""`semnetz serve` gives freed memory back (web/memory.py): a ViewCache tells its listeners of each new view, once;
a Trimmer trims after being poked, pokes that come while it trims make one more trim, and it stops. Behaviour
only: each test waits for a state, never for a time (WAIT_S only bounds a wait)."""

import platform
import sys
import threading
import time

import pytest

from semnetz import Network
from semnetz.config import VIEW_DIRNAME
from semnetz.index.view import ViewCache
from semnetz.web import memory
from semnetz.web.memory import Trimmer, malloc_trim, map_big_blocks

from .conftest import SMALL_NETWORK, write_jsonl

WAIT_S = 30.0


def until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def test_a_view_cache_tells_its_listeners_of_each_new_view_once(semnetz_home, tmp_path):
    with Network(home=semnetz_home) as net:
        net.import_file(write_jsonl(tmp_path / "people.jsonl", SMALL_NETWORK))
    cache = ViewCache(semnetz_home / VIEW_DIRNAME)
    told = []
    cache.on_change(lambda: told.append(cache._view))
    first = cache.current()
    assert cache.current() is first and told == [first]  # the same view again: nobody is told
    with Network(home=semnetz_home) as other:  # another writer publishes
        other.add({"id": "e5", "name": "Lena Kraus", "text": "Malerin"})
    second = cache.current()
    assert second is not first and cache.current() is second and told == [first, second]


def test_a_trimmer_trims_after_a_poke_and_once_more_for_pokes_while_it_trims():
    calls, inside, go_on = [], threading.Event(), threading.Event()

    def trim():
        calls.append(1)
        if len(calls) == 1:
            inside.set()
            go_on.wait(WAIT_S)

    trimmer = Trimmer(delay_s=0, trim=trim).start()
    try:
        assert calls == []  # started, not poked: nothing to give back yet
        trimmer.poke()
        until(inside.is_set, "the first trim")
        for _ in range(5):  # while it trims: these make one more trim, not five
            trimmer.poke()
        go_on.set()
        until(lambda: trimmer.trims == 2, "the second trim")
    finally:
        trimmer.stop()
    assert len(calls) == 2 and trimmer.trims == 2


def test_a_trimmer_that_fails_to_trim_goes_on():
    def trim():
        raise OSError("nothing to give back")

    trimmer = Trimmer(delay_s=0, trim=trim).start()
    try:
        trimmer.poke()
        until(lambda: trimmer.trims == 1, "the failed trim")
        trimmer.poke()
        until(lambda: trimmer.trims == 2, "the trim after it")
    finally:
        trimmer.stop()


def test_without_malloc_trim_a_trimmer_starts_no_thread(monkeypatch):
    monkeypatch.setattr(memory, "malloc_trim", lambda: None)  # another C library than glibc
    trimmer = Trimmer(delay_s=0)
    before = threading.active_count()
    trimmer.start().poke()
    assert not trimmer.available and threading.active_count() == before
    trimmer.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="glibc only")
def test_on_glibc_big_blocks_are_mapped_and_free_memory_is_given_back():
    assert map_big_blocks() is True
    trim = malloc_trim()
    assert trim is not None and trim() in (0, 1)

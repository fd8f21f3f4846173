"""The GraphQL threads' sharing rules (``gateway.limits.workers``, docs/security.md, "Parsing
and validation threads"), exactly: one thread per client at a time, the round robin over waiting
clients, the bounded queue that gives way to newcomers, cancelled waits, and the interpreter's
quick thread switches while a gateway runs.

The work is real work in the real threads, held on a ``threading.Event`` so that the test says
when it ends; what runs when is read from the order in which the work started. The same rules
seen through HTTP, under attack, are in ``test_responsiveness.py`` and ``test_server_busy.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Awaitable, Callable

import pytest

from gateway.limits.workers import (
    SWITCH_INTERVAL_SECONDS,
    GraphQLWorkers,
    ServerBusyError,
    quick_thread_switches,
)


class Work:
    """Jobs that note when they start and finish when released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> str:
        with self._lock:
            self.started.append(name)
            gate = self.gates.setdefault(name, threading.Event())
        if not gate.wait(10):
            raise TimeoutError(f"{name} was never released")
        return name

    def release(self, name: str) -> None:
        with self._lock:
            self.gates.setdefault(name, threading.Event()).set()


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.005)


async def settle() -> None:
    """Let the event loop run what is ready (threads hand their completion back to it)."""
    for _ in range(20):
        await asyncio.sleep(0.005)


def run(test: Callable[[GraphQLWorkers, Work], Awaitable[None]], threads: int, queue: int) -> None:
    workers = GraphQLWorkers(threads, queue)
    work = Work()

    async def main() -> None:
        try:
            await test(workers, work)
        finally:
            for name in list(work.gates):
                work.release(name)

    try:
        asyncio.run(main())
    finally:
        workers.close()


def test_one_client_runs_on_one_thread_at_a_time() -> None:
    async def test(workers: GraphQLWorkers, work: Work) -> None:
        attacker = [asyncio.create_task(workers.run("a", work, f"a{n}")) for n in range(5)]
        await until(lambda: len(work.started) == 1)
        await settle()
        assert work.started == ["a0"]
        assert (workers.running, workers.waiting) == (1, 4)
        # Another client finds a thread free at once.
        other = asyncio.create_task(workers.run("b", work, "b0"))
        await until(lambda: "b0" in work.started)
        work.release("b0")
        assert await other == "b0"
        for n in range(5):
            work.release(f"a{n}")
        assert [await task for task in attacker] == [f"a{n}" for n in range(5)]
        assert work.started == ["a0", "b0", "a1", "a2", "a3", "a4"]
        assert (workers.running, workers.waiting) == (0, 0)

    run(test, threads=4, queue=10)


def test_waiting_documents_are_taken_one_client_at_a_time() -> None:
    async def test(workers: GraphQLWorkers, work: Work) -> None:
        first = asyncio.create_task(workers.run("a", work, "a0"))
        await until(lambda: work.started == ["a0"])
        tasks = [first]
        for name in ("a1", "a2", "a3", "b1", "b2", "c1"):
            tasks.append(asyncio.create_task(workers.run(name[0], work, name)))
        await settle()
        assert workers.waiting == 6
        order = ["a0", "a1", "b1", "c1", "a2", "b2", "a3"]
        for done, following in itertools.pairwise(order):
            work.release(done)
            await until(lambda name=following: name in work.started)
        work.release(order[-1])
        await asyncio.gather(*tasks)
        assert work.started == order

    run(test, threads=1, queue=10)


def test_a_full_queue_gives_way_to_other_clients() -> None:
    async def test(workers: GraphQLWorkers, work: Work) -> None:
        running = asyncio.create_task(workers.run("a", work, "a0"))
        await until(lambda: work.started == ["a0"])
        waiting = [asyncio.create_task(workers.run("a", work, f"a{n}")) for n in (1, 2, 3)]
        await settle()
        assert workers.waiting == 3
        # The queue is full and the newcomer's own queue would be the longest: refused.
        with pytest.raises(ServerBusyError):
            await workers.run("a", work, "a4")
        # A newcomer from another client takes the place of the longest queue's newest.
        other = asyncio.create_task(workers.run("b", work, "b1"))
        await settle()
        assert waiting[2].done()
        with pytest.raises(ServerBusyError):
            waiting[2].result()
        assert workers.waiting == 3
        # Now the queues are 2 and 1: the next of the shorter client's would not be shorter.
        with pytest.raises(ServerBusyError):
            await workers.run("b", work, "b2")
        for name in ("a0", "a1", "b1", "a2"):
            work.release(name)
        assert await running == "a0"
        assert [await task for task in waiting[:2]] == ["a1", "a2"]
        assert await other == "b1"
        assert work.started == ["a0", "a1", "b1", "a2"]
        assert (workers.running, workers.waiting) == (0, 0)

    run(test, threads=1, queue=3)


def test_a_cancelled_wait_gives_its_place_back() -> None:
    async def test(workers: GraphQLWorkers, work: Work) -> None:
        running = asyncio.create_task(workers.run("a", work, "a0"))
        await until(lambda: work.started == ["a0"])
        waiting = asyncio.create_task(workers.run("a", work, "a1"))
        await settle()
        assert workers.waiting == 1
        waiting.cancel()  # the client went away
        await settle()
        assert workers.waiting == 0
        # Its place is free: another document waits without refusal, and runs next.
        again = asyncio.create_task(workers.run("a", work, "a2"))
        await settle()
        assert workers.waiting == 1
        work.release("a0")
        work.release("a2")
        assert (await running, await again) == ("a0", "a2")
        assert work.started == ["a0", "a2"]

    run(test, threads=1, queue=1)


def test_a_thread_stays_taken_until_its_work_is_done() -> None:
    """A request cancelled while its document is being validated (a client gone, a timeout)
    cannot cancel the thread's work: the thread counts as taken until the work ends."""

    async def test(workers: GraphQLWorkers, work: Work) -> None:
        running = asyncio.create_task(workers.run("a", work, "a0"))
        await until(lambda: work.started == ["a0"])
        running.cancel()
        await settle()
        assert workers.running == 1
        later = asyncio.create_task(workers.run("b", work, "b0"))
        await settle()
        assert work.started == ["a0"]
        work.release("a0")
        await until(lambda: "b0" in work.started)
        work.release("b0")
        assert await later == "b0"
        assert (workers.running, workers.waiting) == (0, 0)

    run(test, threads=1, queue=5)


def test_threads_switch_quickly_while_a_gateway_runs() -> None:
    python_default = sys.getswitchinterval()
    with quick_thread_switches():
        with quick_thread_switches():  # a second gateway in the same process
            assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)
    assert sys.getswitchinterval() == python_default

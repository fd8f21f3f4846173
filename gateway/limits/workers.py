"""The threads that parse and validate GraphQL documents, shared fairly between clients.

Decoding the request body, parsing and validation are CPU work (a document at the limits takes
a few tenths of a second to validate), so they run off the event loop. They do not use asyncio's
default thread pool: its unbounded queue lets one client address that sends many expensive
documents at once queue work without end, and every thread busy with Python code slows all the
others, the event loop and the database driver's threads included, because they take turns on
the interpreter lock. Instead:

- **Few threads** (``TAVLE_GRAPHQL_THREADS``, default 4). The interpreter lock lets one of them
  run Python at a time anyway; the others are there so that one client's long document does not
  hold up everybody else's short ones.
- **One thread per client.** A client address (the key of the address rate limit: an IPv4
  address, an IPv6 /64) has at most one document in the threads at a time. Its other documents
  wait, so one address never keeps more than one thread busy, whatever it sends.
- **Round robin.** Waiting documents are taken one client at a time, each client's in the order
  they came: a client waits for the clients ahead of it in the round, never for how much another
  client has queued.
- **A bounded queue** (``TAVLE_GRAPHQL_QUEUE``, default 200 documents per process). When it is
  full, the newest document of the client with the most waiting makes room for a newcomer from
  another client (so one address cannot fill the queue for everybody), and a newcomer that
  would itself have the longest queue is refused. Both answers are HTTP 503 with
  ``SERVER_BUSY`` and ``Retry-After``, at once: the client is told to come back instead of being
  kept waiting.
- **Quick turns.** While the gateway runs, threads take turns on the interpreter lock every
  millisecond (:data:`SWITCH_INTERVAL_SECONDS`) instead of Python's five: a request of another
  client, whose database queries hand over between the event loop and the driver's threads a
  few dozen times, then waits a millisecond at each hand-over instead of five.

Everything but the threads' own work runs on the event loop, which is what makes the
bookkeeping safe without locks; a thread's completion is handed back to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from starlette.types import Scope

from gateway.http.rate_limit import client_key
from gateway.limits.refusal import SERVER_BUSY, record

P = ParamSpec("P")
T = TypeVar("T")

#: how often threads take turns on the interpreter lock while a gateway runs (Python: 0.005)
SWITCH_INTERVAL_SECONDS = 0.001
#: whole seconds a refused client is asked to wait (``Retry-After``, ``extensions.retryAfter``)
RETRY_AFTER_SECONDS = 1
BUSY_MESSAGE = (
    "The server is too busy to take this request now (too many documents waiting to be "
    f"checked): try again in {RETRY_AFTER_SECONDS} second"
)


_switching = threading.Lock()
_gateways_running = 0
_previous_interval = 0.0


@contextlib.contextmanager
def quick_thread_switches() -> Iterator[None]:
    """:data:`SWITCH_INTERVAL_SECONDS` while at least one gateway of this process runs (tests
    run several); Python's interval as it was once the last one stops."""
    global _gateways_running, _previous_interval
    with _switching:
        if _gateways_running == 0:
            _previous_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        _gateways_running += 1
    try:
        yield
    finally:
        with _switching:
            _gateways_running -= 1
            if _gateways_running == 0:
                sys.setswitchinterval(_previous_interval)


class ServerBusyError(Exception):
    """No thread free and no room to wait for one."""


def client_of(scope: Scope) -> str:
    """The key a request's documents are queued under: its client address's."""
    return client_key(scope)


def busy_extensions() -> dict[str, object]:
    return {"code": SERVER_BUSY, "retryAfter": RETRY_AFTER_SECONDS}


def record_busy(operation_name: str | None) -> None:
    """Count and log a ``SERVER_BUSY`` refusal (no address: the log never names a client)."""
    record(SERVER_BUSY, operation_name, retryAfter=RETRY_AFTER_SECONDS)


class GraphQLWorkers:
    """See the module's description. One per gateway (``AppState``); its threads start on first
    use and stop with :meth:`close`."""

    def __init__(self, threads: int, queue: int) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("GraphQLWorkers needs at least one thread and a queue of 0 or more")
        self.threads = threads
        self.queue = queue
        #: the most threads one client runs on at once
        self.per_client = 1
        self._executor: ThreadPoolExecutor | None = None
        self._running: dict[str, int] = {}
        self._running_total = 0
        #: each client's waiting documents; the dict's order is the round's
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}
        self._waiting_total = 0

    @property
    def running(self) -> int:
        return self._running_total

    @property
    def waiting(self) -> int:
        return self._waiting_total

    async def run(self, client: str, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(*args, **kwargs)`` in one of the threads, in the request's context (its
        request id and trace reach the log lines written there); :class:`ServerBusyError` when
        there is no room."""
        loop = asyncio.get_running_loop()
        await self._admit(client)
        context = contextvars.copy_context()
        try:
            future: Future[T] = self._pool().submit(lambda: context.run(work, *args, **kwargs))
        except BaseException:
            self._finish(client)
            raise
        try:
            return await asyncio.wrap_future(future)
        finally:
            if future.done():
                self._finish(client)
            else:
                # Cancelled while its thread still works: the thread is taken until it is done.
                future.add_done_callback(lambda _: self._finish_from_thread(loop, client))

    def close(self) -> None:
        """Stop the threads once their current work is done; documents not started are
        dropped. The next :meth:`run` starts new threads."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    # --- bookkeeping, on the event loop -------------------------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="tavle-graphql")
        return self._executor

    def _free_for(self, client: str) -> bool:
        return self._running_total < self.threads and self._running.get(client, 0) < self.per_client

    def _start(self, client: str) -> None:
        self._running_total += 1
        self._running[client] = self._running.get(client, 0) + 1

    async def _admit(self, client: str) -> None:
        if client not in self._waiting and self._free_for(client):
            self._start(client)
            return
        if self._waiting_total >= self.queue:
            self._make_room(client)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(client, deque()).append(waiter)
        self._waiting_total += 1
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._finish(client)  # a thread was handed over just before: give it back
            else:
                self._forget(client, waiter)
            raise

    def _make_room(self, client: str) -> None:
        """Refuse the newest document of the client with the longest queue, or raise
        :class:`ServerBusyError` when that would be ``client``'s own."""
        own = len(self._waiting.get(client, ()))
        longest = max(self._waiting, key=lambda key: len(self._waiting[key]), default=None)
        if longest is None or len(self._waiting[longest]) <= own + 1:
            raise ServerBusyError
        queue = self._waiting[longest]
        waiter = queue.pop()
        self._waiting_total -= 1
        if not queue:
            del self._waiting[longest]
        if not waiter.done():
            waiter.set_exception(ServerBusyError())

    def _forget(self, client: str, waiter: asyncio.Future[None]) -> None:
        queue = self._waiting.get(client)
        if queue is None or waiter not in queue:
            return
        queue.remove(waiter)
        self._waiting_total -= 1
        if not queue:
            del self._waiting[client]

    def _finish(self, client: str) -> None:
        self._running_total -= 1
        left = self._running[client] - 1
        if left:
            self._running[client] = left
        else:
            del self._running[client]
        self._dispatch()

    def _finish_from_thread(self, loop: asyncio.AbstractEventLoop, client: str) -> None:
        # A closed loop: the gateway has stopped, and nothing waits any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._finish, client)

    def _dispatch(self) -> None:
        """Hand free threads to waiting documents, one client at a time."""
        while self._running_total < self.threads:
            client = next((key for key in self._waiting if self._free_for(key)), None)
            if client is None:
                return
            queue = self._waiting.pop(client)
            waiter = queue.popleft()
            self._waiting_total -= 1
            if queue:
                self._waiting[client] = queue  # to the end of the round
            if waiter.done():
                continue  # cancelled while it waited
            self._start(client)
            waiter.set_result(None)

"""The staff access log's writer: entries buffered in memory, written in batches.

Reads note what they delivered (``resolvers.effects``); after each operation
``gateway.read_effects`` adds the entries to this process's buffer (``store.access_log``), and the
download of an export adds its own. A background task started in the lifespan writes the buffer
with one multi-row INSERT (a ``COPY`` on PostgreSQL) every :data:`FLUSH_SECONDS`, or sooner once
:data:`FLUSH_ENTRIES` are waiting, and once more when the gateway stops. A request therefore never
waits for the log.

The trade-off (docs/privacy-actions.md, "Staff access log"): a process killed hard (SIGKILL, a
power cut) loses the entries of at most about the last second. A failed write (the database
away) keeps the entries for the next attempt and is logged by the error's type only; the buffer
is bounded, and entries dropped beyond its bound are counted in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from store import access_log
from store.access_log import AccessLogBuffer

log = logging.getLogger("tavle.access_log")

#: how often the buffer is written
FLUSH_SECONDS = 1.0
#: entries that make the flusher write at once
FLUSH_ENTRIES = 500


class AccessLog:
    """A process's access-log buffer and the task that writes it."""

    def __init__(self, *, interval: float = FLUSH_SECONDS, batch: int = FLUSH_ENTRIES) -> None:
        self.buffer = AccessLogBuffer(wake_at=batch, on_full=self._wake_up)
        self.interval = interval
        self._engine: AsyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        #: counts for the benchmark and the operator: entries written, writes, seconds writing
        self.written = 0
        self.writes = 0
        self.write_seconds = 0.0

    def add(
        self,
        at: datetime,
        staff_id: int,
        accessed: set[tuple[int, int]],
        operation: str | None,
    ) -> None:
        self.buffer.add(at, staff_id, accessed, operation)

    @property
    def engine(self) -> AsyncEngine | None:
        """The engine the entries are written to (the writer's own), None before start."""
        return self._engine

    def _wake_up(self) -> None:
        self._wake.set()

    async def start(self, engine: AsyncEngine) -> None:
        """Write the buffer to ``engine`` from now on (the lifespan's start)."""
        self._engine = engine
        self._loop = asyncio.get_running_loop()
        # made on the running loop (an Event or Lock made elsewhere belongs to no loop yet)
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task = asyncio.create_task(self._run(), name="tavle-access-log")

    async def stop(self) -> None:
        """Stop the task and write what is left (the lifespan's end, before the engine goes)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()
        self._engine = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> int:
        """Write every buffered entry now (``store.access_log.write``); how many were written
        (0 on failure: the entries stay for the next attempt)."""
        engine = self._engine
        if engine is None:
            return 0
        async with self._writing:
            entries = self.buffer.take()
            if not entries:
                return 0
            started = time.perf_counter()
            try:
                async with engine.begin() as conn:
                    await access_log.write(conn, entries)
            except Exception as exc:  # the database is away: try again on the next flush
                self.buffer.put_back(entries)
                log.warning(
                    "access log: writing %d entr(ies) failed (%s); will retry",
                    len(entries),
                    type(exc).__name__,
                )
                return 0
            if self.buffer.dropped:
                log.warning(
                    "access log: %d entr(ies) dropped while the database was unavailable",
                    self.buffer.dropped,
                )
                self.buffer.dropped = 0
            self.written += len(entries)
            self.writes += 1
            self.write_seconds += time.perf_counter() - started
            return len(entries)

    def flush_from_thread(self, timeout: float = 30.0) -> int:
        """:meth:`flush` on the gateway's event loop, called from another thread (tests, whose
        gateway runs under uvicorn in a thread): returns when the entries are written."""
        loop = self._loop
        if loop is None:
            return 0
        return asyncio.run_coroutine_threadsafe(self.flush(), loop).result(timeout)

"""SIGTERM stops ``tavle serve`` gracefully (docs/operations.md, "Shutdown").

A real ``tavle serve`` process on PostgreSQL. Work is held in flight honestly: the test locks a
table the work reads (``LOCK TABLE ... IN ACCESS EXCLUSIVE MODE`` in a transaction of its own)
and waits until PostgreSQL shows the gateway's query waiting for that lock; no test hook slows
anything down. (SQLite readers never wait for a lock, so there is no such handle on SQLite; the
shutdown code is the same for both backends.)

- An HTTP request in flight when SIGTERM arrives completes with its answer, while new
  connections are refused, and the process then exits 0.
- A background job (a real export) still running when the grace period ends is interrupted:
  its lease is released at once (the request is QUEUED again, no worker, no lease), the
  process exits 0 within the grace period, and the next gateway process finishes the export.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import fresh_database
from gateway_support import DEMO_ROSTER, TEST_DEV_SECRET
from serve_support import ServedGateway, tavle_serve
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from config.ids import to_global_id
from config.settings import Settings
from gateway.auth import Authenticator
from gateway.demo import ensure_demo
from store import tables as t
from store.db import make_engine
from store.tables import PrivacyRequestStatus

pytestmark = pytest.mark.postgres

GRACE_SECONDS = 3
#: time the process may take beyond the grace period to close its pools and exit; generous for a
#: loaded machine running tests in parallel. A process that waited for the job would not exit at
#: all: the job waits on a lock the test holds until the end.
EXIT_MARGIN_SECONDS = 30.0


class HeldLock:
    """``LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE`` in an open transaction on a connection
    of its own (an event loop in a thread of its own), until :meth:`release`."""

    def __init__(self, url: str, table: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._engine = create_async_engine(url, poolclass=NullPool)
        self._conn: AsyncConnection | None = None
        self._run(self._take(table))

    def _run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=60)

    async def _take(self, table: str) -> None:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        await self._conn.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))

    async def _give_back(self) -> None:
        if self._conn is not None:
            await self._conn.rollback()
            await self._conn.close()
        await self._engine.dispose()

    def release(self) -> None:
        if not self._thread.is_alive():
            return
        self._run(self._give_back())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def query(url: str, statement: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(statement)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def lock_waiters(url: str) -> int:
    """Queries of this database waiting for a lock (the gateway's, behind a ``HeldLock``)."""
    statement = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return int(query(url, statement)[0][0])


def within(seconds: float, check: Any) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"still not the case after {seconds} s"
        time.sleep(0.05)


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL database with the demo school, and the data folder that goes with it."""
    folder = tmp_path_factory.mktemp("graceful-shutdown")
    with fresh_database("postgresql", folder, prefix="tavle_shutdown") as url:
        settings = Settings(data_dir=folder / "data", database_url=url)
        asyncio.run(ensure_demo(settings, DEMO_ROSTER))
        yield url, folder


def environment(folder: Path, **extra: str) -> dict[str, str]:
    return {
        "TAVLE_DATA_DIR": str(folder / "data"),
        "TAVLE_DEV_SECRET": TEST_DEV_SECRET,
        **extra,
    }


def token(folder: Path, username: str) -> str:
    settings = Settings(data_dir=folder / "data", dev_secret=TEST_DEV_SECRET)
    return Authenticator.from_settings(settings).mint_development_token(username)


def graphql(
    served: ServedGateway, document: str, bearer: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return httpx.post(
        f"{served.url}/graphql",
        json={"query": document, "variables": variables or {}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=120,
    )


def test_a_request_in_flight_completes_and_the_process_exits_0(demo: tuple[str, Path]) -> None:
    url, folder = demo
    teacher = token(folder, "larer.hansen")
    # No job worker: its daily upkeep (archiving ended courses) would wait for the held lock too
    # and could be the waiter the test takes for the request.
    settings = environment(folder, TAVLE_SHUTDOWN_GRACE_SECONDS="60", TAVLE_JOBS_ENABLED="false")
    with tavle_serve(["--database-url", url], folder, settings) as served:
        served.wait_ready()
        answers: list[httpx.Response] = []
        lock = HeldLock(url, "courses")
        try:
            request = threading.Thread(
                target=lambda: answers.append(
                    graphql(served, "{ viewer { courses { totalCount } } }", teacher)
                )
            )
            request.start()
            within(30, lambda: lock_waiters(url) >= 1)  # the request waits for the lock
            served.terminate()
            # The server stops accepting at once, while the request is still in flight.
            within(10, lambda: refuses_connections(served.port))
            assert request.is_alive() and not answers
            assert served.process.poll() is None
        finally:
            lock.release()
        request.join(timeout=60)
        assert len(answers) == 1
        assert answers[0].status_code == 200
        # larer.hansen teaches 8A and Matematikk 8 (gateway/demo_data/roster/README.md).
        assert answers[0].json() == {"data": {"viewer": {"courses": {"totalCount": 2}}}}
        assert served.wait_exit(timeout=60) == 0, served.output()


def test_a_running_job_is_released_at_once_and_taken_by_the_next_process(
    demo: tuple[str, Path],
) -> None:
    url, folder = demo
    admin = token(folder, "admin")
    subject = query(url, select(t.people.c.id).where(t.people.c.username == "elev.ola"))[0][0]
    extra = {
        "TAVLE_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        "TAVLE_JOB_POLL_SECONDS": "0.2",
    }
    requests = t.privacy_requests.c
    with tavle_serve(["--database-url", url], folder, environment(folder, **extra)) as served:
        served.wait_ready()
        lock = HeldLock(url, "messages")  # the export reads messages; queueing it does not
        try:
            mutation = graphql(
                served,
                "mutation($subject: ID!) { requestExport(subjectId: $subject, "
                'justification: "shutdown test") { id status } }',
                admin,
                {"subject": to_global_id("User", subject)},
            )
            assert mutation.status_code == 200
            assert "errors" not in mutation.json(), mutation.json()
            request_id = int(
                query(url, select(requests.id).order_by(requests.id.desc()).limit(1))[0][0]
            )

            def job_state() -> Any:
                statement = select(
                    requests.status, requests.worker, requests.lease_until, requests.attempts
                ).where(requests.id == request_id)
                return query(url, statement)[0]

            # The job runs and waits for the lock, holding its lease.
            within(30, lambda: job_state().status == PrivacyRequestStatus.RUNNING)
            within(30, lambda: lock_waiters(url) >= 1)
            assert job_state().lease_until is not None

            started = time.monotonic()
            served.terminate()
            code = served.wait_exit(timeout=GRACE_SECONDS + 60)
            elapsed = time.monotonic() - started
            assert code == 0, served.output()
            assert elapsed < GRACE_SECONDS + EXIT_MARGIN_SECONDS, served.output()

            state = job_state()
            assert state.status == PrivacyRequestStatus.QUEUED
            assert state.worker is None
            assert state.lease_until is None
            assert state.attempts == 1
        finally:
            lock.release()

    # The job was given back, not left to a lease: the next process runs it to its end.
    with tavle_serve(["--database-url", url], folder, environment(folder, **extra)) as again:
        again.wait_ready()
        within(60, lambda: job_state().status == PrivacyRequestStatus.COMPLETED)
        again.terminate()
        assert again.wait_exit(timeout=60) == 0, again.output()

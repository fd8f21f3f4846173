"""The worker (gateway.jobs): runs each job once, keeps its lease alive, records failures
without personal data, takes over a crashed worker's job, and gives up on a job that keeps
dying."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from jobs_support import clear_requests, hours, insert_request, request_row
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.jobs import MAX_ATTEMPTS, Handler, JobWorker
from store import jobs
from store.db import make_engine
from store.tables import PrivacyAction, PrivacyRequestStatus

T = TypeVar("T")
COMPLETED, FAILED = PrivacyRequestStatus.COMPLETED, PrivacyRequestStatus.FAILED
EXPORT = PrivacyAction.EXPORT


def run(url: str, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(url)
        try:
            await clear_requests(engine)
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def counting_handler(calls: Counter[int], *, delay: float = 0.0) -> Handler:
    async def handle(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        calls[request_id] += 1
        await asyncio.sleep(delay)
        async with engine.begin() as conn:
            await jobs.finish(conn, request_id, worker_id, effects="[]")

    return handle


def worker(engine: AsyncEngine, handler: Handler, tmp_path: Path, **kwargs: float) -> JobWorker:
    return JobWorker(engine, {EXPORT: handler}, export_dir=tmp_path, **kwargs)


def test_a_crashed_workers_job_is_taken_over_and_runs_once(
    database_url: str, tmp_path: Path
) -> None:
    calls: Counter[int] = Counter()

    async def body(engine: AsyncEngine) -> None:
        # left RUNNING by a worker process that was killed: its lease ran out an hour ago
        job = await insert_request(
            engine,
            status=PrivacyRequestStatus.RUNNING,
            worker="old-host:4242:dead",
            lease_until=hours(-1),
            attempts=1,
        )
        w = worker(engine, counting_handler(calls), tmp_path)
        assert await w.run_once()
        assert not await w.run_once()
        row = await request_row(engine, job)
        assert (row.status, row.worker, row.attempts) == (COMPLETED, w.worker_id, 2)

    run(database_url, body)
    assert list(calls.values()) == [1]


def test_a_live_lease_is_not_taken_over(database_url: str, tmp_path: Path) -> None:
    calls: Counter[int] = Counter()

    async def body(engine: AsyncEngine) -> None:
        await insert_request(
            engine, status=PrivacyRequestStatus.RUNNING, worker="busy", lease_until=hours(1)
        )
        assert not await worker(engine, counting_handler(calls), tmp_path).run_once()

    run(database_url, body)
    assert not calls


def test_heartbeat_keeps_a_long_job_ours(database_url: str, tmp_path: Path) -> None:
    """The job outlasts its lease several times over; the heartbeat keeps a second worker off."""
    calls: Counter[int] = Counter()
    rival_claims: list[object] = []

    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        w = worker(engine, counting_handler(calls, delay=1.2), tmp_path, lease_seconds=0.4)
        running = asyncio.create_task(w.run_once())
        for _ in range(10):
            await asyncio.sleep(0.1)
            rival_claims.append(await jobs.claim_next(engine, "rival", 60))
        assert await running
        row = await request_row(engine, job)
        assert (row.status, row.worker, row.attempts) == (COMPLETED, w.worker_id, 1)

    run(database_url, body)
    assert rival_claims == [None] * 10
    assert list(calls.values()) == [1]


def test_a_failing_handler_marks_the_request_failed_without_personal_data(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        raise ValueError("Ola Nordmann, 01010112345")

    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        with caplog.at_level(logging.DEBUG, logger="tavle.jobs"):
            assert await worker(engine, explode, tmp_path).run_once()
        row = await request_row(engine, job)
        assert row.status == FAILED and row.completed_at is not None
        assert "ValueError" in row.error
        assert "Ola" not in row.error and "0101" not in row.error
        assert not await worker(engine, explode, tmp_path).run_once()  # no retry of a failure

    run(database_url, body)
    assert "ValueError" in caplog.text
    assert "Ola" not in caplog.text and "0101" not in caplog.text


def test_a_job_that_keeps_dying_is_given_up(database_url: str, tmp_path: Path) -> None:
    calls: Counter[int] = Counter()

    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(
            engine,
            status=PrivacyRequestStatus.RUNNING,
            worker="dead",
            lease_until=hours(-1),
            attempts=MAX_ATTEMPTS,
        )
        assert await worker(engine, counting_handler(calls), tmp_path).run_once()
        row = await request_row(engine, job)
        assert row.status == FAILED and "gave up" in row.error

    run(database_url, body)
    assert not calls


def test_the_run_loop_works_through_the_queue_and_stops(database_url: str, tmp_path: Path) -> None:
    calls: Counter[int] = Counter()

    async def body(engine: AsyncEngine) -> list[int]:
        stop = asyncio.Event()
        w = worker(engine, counting_handler(calls), tmp_path, poll_seconds=0.02)
        task = asyncio.create_task(w.run(stop))
        ids = [await insert_request(engine) for _ in range(5)]
        for _ in range(200):
            if len(calls) == 5:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert [(await request_row(engine, i)).status for i in ids] == [COMPLETED] * 5
        return ids

    ids = run(database_url, body)
    assert calls == Counter(dict.fromkeys(ids, 1))


def test_the_run_loop_sweeps_expired_exports(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("{}")

    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(
            engine, status=COMPLETED, file_name="old.json", expires_at=hours(-1)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(JobWorker(engine, {}, export_dir=tmp_path).run(stop))
        for _ in range(100):
            if (await request_row(engine, job)).file_name is None:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert (await request_row(engine, job)).file_name is None

    run(database_url, body)
    assert not (tmp_path / "old.json").exists()


def test_shutdown_interrupting_a_job_queues_it_again(database_url: str, tmp_path: Path) -> None:
    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        started = asyncio.Event()

        async def forever(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
            started.set()
            await asyncio.sleep(3600)

        task = asyncio.create_task(worker(engine, forever, tmp_path).run_once())
        await asyncio.wait_for(started.wait(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        row = await request_row(engine, job)
        assert (row.status, row.worker, row.attempts) == (PrivacyRequestStatus.QUEUED, None, 1)

    run(database_url, body)

"""A job left RUNNING by a killed gateway on this host is requeued when a worker starts, and
then runs exactly once; jobs of live processes and of other hosts keep their leases."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

from jobs_support import clear_requests, hours, insert_request, request_row
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.jobs import JobWorker
from store import jobs
from store.db import make_engine
from store.tables import PrivacyAction, PrivacyRequestStatus

RUNNING, COMPLETED = PrivacyRequestStatus.RUNNING, PrivacyRequestStatus.COMPLETED


def _dead_pid() -> int:
    """The pid of a process that has already exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_local_workers_job_is_requeued_at_start_and_runs_once(
    database_url: str, tmp_path: Path
) -> None:
    host = socket.gethostname()[:80]
    calls: Counter[int] = Counter()

    async def handle(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        calls[request_id] += 1
        async with engine.begin() as conn:
            await jobs.finish(conn, request_id, worker_id, effects="[]")

    async def body() -> None:
        engine = make_engine(database_url)
        try:
            await clear_requests(engine)
            far = hours(1)  # the leases would hold these jobs for another hour
            orphan = await insert_request(
                engine, status=RUNNING, worker=f"{host}:{_dead_pid()}:gone", lease_until=far
            )
            alive = await insert_request(
                engine, status=RUNNING, worker=f"{host}:{os.getpid()}:live", lease_until=far
            )
            remote = await insert_request(
                engine, status=RUNNING, worker="other-host:1:away", lease_until=far
            )
            worker = JobWorker(
                engine, {PrivacyAction.EXPORT: handle}, export_dir=tmp_path, poll_seconds=0.05
            )
            assert await worker.recover_orphans() == 1
            assert await worker.run_once() is True
            assert await worker.run_once() is False
            done = await request_row(engine, orphan)
            assert (done.status, done.worker) == (COMPLETED, worker.worker_id)
            for untouched in (alive, remote):
                assert (await request_row(engine, untouched)).status == RUNNING
        finally:
            await engine.dispose()

    asyncio.run(body())
    assert list(calls.values()) == [1]

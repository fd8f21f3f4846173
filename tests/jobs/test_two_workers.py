"""Two gateway processes share one queue: every job runs exactly once.

Each worker runs in its own OS process with its own engine (as two uvicorn workers or two hosts
would), and both start polling at the same moment (a barrier). Every handler invocation is
recorded in its own transaction, and its effect in the transaction that finishes the job.
PostgreSQL is the deployment that runs several processes; SQLite is covered too, since nothing
stops two processes from sharing its file.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS
from jobs_support import RUNS_TABLE, insert_request, migrated_database, worker_process
from sqlalchemy import select, text

from store import tables as t
from store.db import make_engine
from store.tables import PrivacyRequestStatus

JOBS = 40
R = t.privacy_requests.c


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_worker_processes_run_each_job_exactly_once(backend: str, tmp_path: Path) -> None:
    with migrated_database(backend, tmp_path) as url:

        async def prepare() -> list[int]:
            engine = make_engine(url)
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(RUNS_TABLE))
                return [await insert_request(engine) for _ in range(JOBS)]
            finally:
                await engine.dispose()

        ids = asyncio.run(prepare())
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        processes = [context.Process(target=worker_process, args=(url, barrier)) for _ in range(2)]
        try:
            for process in processes:
                process.start()
            for process in processes:
                process.join(timeout=60)
        finally:
            for process in processes:
                if process.is_alive():
                    process.kill()
        assert [p.exitcode for p in processes] == [0, 0]

        async def results() -> tuple[list[Any], list[Any]]:
            engine = make_engine(url)
            try:
                async with engine.connect() as conn:
                    runs = await conn.execute(
                        text("SELECT request_id, worker, committed FROM job_runs")
                    )
                    requests = await conn.execute(select(R.id, R.status, R.attempts).order_by(R.id))
                    return list(runs.all()), list(requests.all())
            finally:
                await engine.dispose()

        runs, requests = asyncio.run(results())

    invoked = Counter(request_id for request_id, _w, committed in runs if not committed)
    effects = Counter(request_id for request_id, _w, committed in runs if committed)
    assert invoked == Counter(dict.fromkeys(ids, 1))
    assert effects == Counter(dict.fromkeys(ids, 1))
    assert requests == [(i, PrivacyRequestStatus.COMPLETED, 1) for i in ids]
    # both processes did part of the work
    workers = Counter(worker for _r, worker, committed in runs if committed)
    assert len(workers) == 2, workers

"""Helpers for the job tests: a migrated database per backend, privacy request rows, and the
worker process used by the two-process test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from db_support import fresh_database
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.jobs import JobWorker
from store import jobs
from store import tables as t
from store.db import make_engine, migrate
from store.tables import PrivacyAction, PrivacyRequestStatus

R = t.privacy_requests.c


@contextmanager
def migrated_database(backend: str, folder: Path) -> Iterator[str]:
    with fresh_database(backend, folder, prefix="tavle_jobs") as url:
        asyncio.run(migrate(url))
        yield url


def hours(n: float) -> datetime:
    """Now plus ``n`` hours (negative: in the past)."""
    return datetime.now(UTC) + timedelta(hours=n)


async def insert_request(
    engine: AsyncEngine,
    action: PrivacyAction = PrivacyAction.EXPORT,
    status: PrivacyRequestStatus = PrivacyRequestStatus.QUEUED,
    **values: Any,
) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            t.privacy_requests.insert()
            .values(
                action=action,
                status=status,
                justification="a test request",
                created_at=datetime.now(UTC),
                **values,
            )
            .returning(R.id)
        )
        return int(result.scalar_one())


async def request_row(engine: AsyncEngine, request_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(t.privacy_requests).where(R.id == request_id))).one()


async def clear_requests(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(t.privacy_requests.delete())


# --- the two-process test ---------------------------------------------------------------------

RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS job_runs (
    request_id INTEGER NOT NULL,
    worker VARCHAR(128) NOT NULL,
    committed BOOLEAN NOT NULL
)
"""


async def _record_run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
    # Every invocation is recorded in its own transaction (a handler that ran twice would show
    # twice, even if its second transaction rolled back) ...
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO job_runs (request_id, worker, committed) VALUES (:r, :w, false)"),
            {"r": request_id, "w": worker_id},
        )
    await asyncio.sleep(0.01)
    # ... and its effect in the handler's transaction, together with ``finish``.
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO job_runs (request_id, worker, committed) VALUES (:r, :w, true)"),
            {"r": request_id, "w": worker_id},
        )
        await jobs.finish(conn, request_id, worker_id)


def worker_process(url: str, barrier: Any) -> None:
    """Run a worker in this OS process until the queue is empty (multiprocessing target)."""

    async def main() -> None:
        engine = make_engine(url)
        worker = JobWorker(
            engine,
            {PrivacyAction.EXPORT: _record_run},
            export_dir=Path(os.devnull),
            lease_seconds=30,
            worker_id=f"proc-{os.getpid()}",
        )
        try:
            await asyncio.to_thread(barrier.wait, 60)
            while await worker.run_once():
                pass
        finally:
            await engine.dispose()

    asyncio.run(main())

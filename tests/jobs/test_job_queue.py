"""The job queue in the database (store.jobs): claim, heartbeat, finish, fail, lost leases and
expired exports, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from jobs_support import clear_requests, hours, insert_request, request_row
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from store import audit, jobs
from store import tables as t
from store.db import make_engine
from store.tables import PrivacyAction, PrivacyRequestStatus

T = TypeVar("T")
R = t.privacy_requests.c
QUEUED, RUNNING = PrivacyRequestStatus.QUEUED, PrivacyRequestStatus.RUNNING
COMPLETED, FAILED = PrivacyRequestStatus.COMPLETED, PrivacyRequestStatus.FAILED


def run(url: str, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``body`` on a fresh engine against an emptied queue."""

    async def main() -> T:
        engine = make_engine(url)
        try:
            await clear_requests(engine)
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def expire_lease(engine: AsyncEngine, request_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(t.privacy_requests).where(R.id == request_id).values(lease_until=hours(-1))
        )


def test_claim_takes_the_oldest_queued_job_and_leases_it(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        first = await insert_request(engine)
        second = await insert_request(engine, PrivacyAction.ERASE)
        before = datetime.now(UTC)

        claim = await jobs.claim_next(engine, "w1", 60)
        assert claim == jobs.Claim(first, PrivacyAction.EXPORT, 1)
        row = await request_row(engine, first)
        assert (row.status, row.worker, row.attempts) == (RUNNING, "w1", 1)
        assert row.lease_until > before

        assert await jobs.claim_next(engine, "w2", 60) == jobs.Claim(second, PrivacyAction.ERASE, 1)
        assert await jobs.claim_next(engine, "w3", 60) is None

    run(database_url, body)


def test_claim_leaves_unclaimable_rows_alone(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        ids = [
            await insert_request(engine, status=PrivacyRequestStatus.AWAITING_CONFIRMATION),
            await insert_request(engine, status=COMPLETED),
            await insert_request(engine, status=FAILED),
            await insert_request(engine, status=PrivacyRequestStatus.CANCELLED),
            await insert_request(engine, status=RUNNING, worker="alive", lease_until=hours(1)),
        ]
        assert await jobs.claim_next(engine, "w1", 60) is None
        assert [(await request_row(engine, i)).attempts for i in ids] == [0] * 5

    run(database_url, body)


def test_claim_only_takes_actions_the_worker_handles(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        await insert_request(engine, PrivacyAction.EXPORT)
        erase = await insert_request(engine, PrivacyAction.ERASE)
        claim = await jobs.claim_next(engine, "w1", 60, actions=[PrivacyAction.ERASE])
        assert claim is not None and claim.request_id == erase
        assert await jobs.claim_next(engine, "w1", 60, actions=[PrivacyAction.ERASE]) is None
        assert await jobs.claim_next(engine, "w1", 60, actions=[]) is None

    run(database_url, body)


def test_an_expired_lease_is_claimed_again(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(
            engine, status=RUNNING, worker="dead", lease_until=hours(-1), attempts=1
        )
        assert await jobs.claim_next(engine, "w2", 60) == jobs.Claim(job, PrivacyAction.EXPORT, 2)
        assert (await request_row(engine, job)).worker == "w2"

    run(database_url, body)


def test_finish_completes_the_job_in_the_handlers_transaction(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        assert await jobs.claim_next(engine, "w1", 60) is not None
        async with engine.begin() as conn:
            await jobs.finish(conn, job, "w1", effects='[{"count": 3}]', file_name="x.xml")
        row = await request_row(engine, job)
        assert (row.status, row.effects, row.file_name) == (COMPLETED, '[{"count": 3}]', "x.xml")
        assert row.completed_at is not None and row.lease_until is None
        assert await jobs.claim_next(engine, "w1", 60) is None

    run(database_url, body)


def test_lost_lease_rolls_the_handlers_work_back(database_url: str) -> None:
    """The first worker stalls past its lease, a second takes over; the first one's finish
    fails and its writes (here an audit entry) roll back: the work is done once."""

    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        assert await jobs.claim_next(engine, "slow", 60) is not None
        await expire_lease(engine, job)
        assert await jobs.claim_next(engine, "fast", 60) is not None
        async with engine.connect() as conn:
            entries_before = await audit.count(conn)

        with pytest.raises(jobs.LostLease):
            async with engine.begin() as conn:
                await audit.append(conn, audit.AuditEvent(actor_id=None, action="SLOW_WORK"))
                await jobs.finish(conn, job, "slow")
        async with engine.connect() as conn:
            assert await audit.count(conn) == entries_before
        assert not await jobs.heartbeat(engine, job, "slow", 60)
        assert not await jobs.fail(engine, job, "slow", "too late")

        async with engine.begin() as conn:
            await jobs.finish(conn, job, "fast")
        row = await request_row(engine, job)
        assert (row.status, row.worker, row.attempts, row.error) == (COMPLETED, "fast", 2, None)

    run(database_url, body)


def test_heartbeat_extends_only_our_own_lease(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        job = await insert_request(engine)
        assert await jobs.claim_next(engine, "w1", 1) is not None
        first_lease = (await request_row(engine, job)).lease_until
        assert await jobs.heartbeat(engine, job, "w1", 3600)
        assert (await request_row(engine, job)).lease_until > hours(0.9) > first_lease
        assert not await jobs.heartbeat(engine, job, "someone-else", 3600)

    run(database_url, body)


def test_fail_and_release(database_url: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        failing = await insert_request(engine)
        released = await insert_request(engine)
        assert await jobs.claim_next(engine, "w1", 60) is not None
        assert await jobs.claim_next(engine, "w1", 60) is not None
        assert await jobs.fail(engine, failing, "w1", "x" * 2000)
        row = await request_row(engine, failing)
        assert row.status == FAILED and len(row.error) == jobs.MAX_ERROR_LENGTH

        assert await jobs.release(engine, released, "w1")
        row = await request_row(engine, released)
        assert (row.status, row.worker, row.lease_until, row.attempts) == (QUEUED, None, None, 1)
        claim = await jobs.claim_next(engine, "w2", 60)
        assert claim == jobs.Claim(released, PrivacyAction.EXPORT, 2)

    run(database_url, body)


def test_expire_exports_deletes_files_and_keeps_the_rows(database_url: str, tmp_path: Path) -> None:
    async def body(engine: AsyncEngine) -> None:
        def export(name: str) -> str:
            (tmp_path / name).write_text("<export/>")
            return name

        expired = await insert_request(
            engine, status=COMPLETED, file_name=export("old.xml"), expires_at=hours(-1)
        )
        fresh = await insert_request(
            engine, status=COMPLETED, file_name=export("new.xml"), expires_at=hours(1)
        )
        # an expired row whose file is already gone is cleared too
        gone = await insert_request(
            engine, status=COMPLETED, file_name="gone.xml", expires_at=hours(-2)
        )
        other = await insert_request(
            engine, status=COMPLETED, file_name=export("kept.xml"), expires_at=hours(-1)
        )

        assert await jobs.expire_exports(engine, tmp_path, datetime.now(UTC), only=other) == 1
        assert not (tmp_path / "kept.xml").exists()
        assert await jobs.expire_exports(engine, tmp_path, datetime.now(UTC)) == 2
        assert await jobs.expire_exports(engine, tmp_path, datetime.now(UTC)) == 0
        assert not (tmp_path / "old.xml").exists()
        assert (tmp_path / "new.xml").exists()
        for request_id in (expired, gone, other):
            row = await request_row(engine, request_id)
            assert (row.status, row.file_name) == (COMPLETED, None)
        assert (await request_row(engine, fresh)).file_name == "new.xml"

    run(database_url, body)


def test_expire_exports_never_leaves_the_export_folder(database_url: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not an export")
    exports = tmp_path / "exports"
    exports.mkdir()

    async def body(engine: AsyncEngine) -> None:
        await insert_request(
            engine, status=COMPLETED, file_name="../outside.txt", expires_at=hours(-1)
        )
        assert await jobs.expire_exports(engine, exports, datetime.now(UTC)) == 1

    run(database_url, body)
    assert outside.exists()

"""Durable background jobs: a job is a ``privacy_requests`` row, claimed through the database.

No broker (docs/operations.md): any gateway process may run a worker, and the
database decides who runs what.

- A worker **claims** the oldest claimable row (``QUEUED``, or ``RUNNING`` with an expired lease:
  its worker died; or ``PREVIEWING`` that no live lease holds: a batch erasure's preview still to
  compute, which keeps that status while leased) in one
  ``UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING``. On PostgreSQL the inner select
  takes the row ``FOR UPDATE SKIP LOCKED``, so concurrent workers pass over each other's
  candidates instead of queueing behind them. On SQLite the ``UPDATE`` is the
  transaction's first statement, so it takes the database's write lock before it reads: two
  processes are serialised by SQLite itself and the second one sees the first one's claim.
- While it works, the worker **heartbeats** (extends ``lease_until``). A worker that dies stops
  heartbeating, and its job becomes claimable again once the lease runs out.
- The handler **finishes** the job inside its own transaction, with a conditional ``UPDATE``
  (``worker`` still us, status still ``RUNNING`` or ``PREVIEWING``); if another worker has
  taken the job over meanwhile, ``finish`` raises ``LostLease`` and the handler's transaction
  rolls back, so the job's effects are committed exactly once.

Lease times use the database's clock on PostgreSQL (several hosts share one database; their
clocks may drift apart), and this process's clock on SQLite (one host by construction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from config import clock
from store import tables as t
from store.tables import PrivacyAction, PrivacyRequestStatus, UTCDateTime

_r = t.privacy_requests.c
#: the statuses a worker holds a job in: RUNNING, or PREVIEWING (a batch or school erasure's
#: preview, computed by the job worker before the request awaits confirmation)
_HELD = (PrivacyRequestStatus.RUNNING, PrivacyRequestStatus.PREVIEWING)

#: Longest error text stored on a failed request; errors are short, fixed, non-personal texts.
MAX_ERROR_LENGTH = 500


class LostLease(Exception):  # noqa: N818 -- a state, not a failure of this code: "lost the lease"
    """The job is no longer ours: its lease ran out and another worker claimed it."""

    def __init__(self, request_id: int, worker_id: str) -> None:
        super().__init__(f"privacy request {request_id} is no longer leased to {worker_id}")
        self.request_id = request_id
        self.worker_id = worker_id


@dataclass(frozen=True)
class Claim:
    request_id: int
    action: PrivacyAction
    #: how many times the job has been claimed, this claim included (1 on the first run)
    attempts: int


def _now(conn: AsyncConnection) -> ColumnElement[datetime]:
    if conn.dialect.name == "postgresql":
        return func.now()
    return literal(datetime.now(UTC), UTCDateTime())


def _now_plus(conn: AsyncConnection, seconds: float) -> ColumnElement[datetime]:
    if conn.dialect.name == "postgresql":
        return func.now() + literal(timedelta(seconds=seconds))
    return literal(datetime.now(UTC) + timedelta(seconds=seconds), UTCDateTime())


def _claimable(now: ColumnElement[datetime]) -> ColumnElement[bool]:
    return or_(
        _r.status == PrivacyRequestStatus.QUEUED,
        and_(_r.status == PrivacyRequestStatus.RUNNING, _r.lease_until < now),
        and_(
            _r.status == PrivacyRequestStatus.PREVIEWING,
            or_(_r.lease_until.is_(None), _r.lease_until < now),
        ),
    )


def _keep_previewing(otherwise: PrivacyRequestStatus) -> ColumnElement[Any]:
    """The status column's new value: PREVIEWING stays PREVIEWING (the preview is a phase of
    its own, before confirmation), anything else becomes ``otherwise``."""
    return case(
        (
            _r.status == PrivacyRequestStatus.PREVIEWING,
            literal(PrivacyRequestStatus.PREVIEWING, _r.status.type),
        ),
        else_=literal(otherwise, _r.status.type),
    )


async def claim_next(
    engine: AsyncEngine,
    worker_id: str,
    lease_seconds: float,
    actions: Collection[PrivacyAction] | None = None,
) -> Claim | None:
    """Atomically take the oldest claimable job, or return None if there is none.

    ``actions`` limits the claim to jobs this worker has handlers for, so a process that cannot
    run a kind of job (an older version during a rolling upgrade) leaves it to one that can.
    """
    if actions is not None and not actions:
        return None
    async with engine.begin() as conn:
        now = _now(conn)
        candidate = select(_r.id).where(_claimable(now)).order_by(_r.id).limit(1)
        if actions is not None:
            candidate = candidate.where(_r.action.in_(sorted(actions)))
        if conn.dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        stmt = (
            t.privacy_requests.update()
            # The claimable test is repeated outside the subquery: under READ COMMITTED a
            # concurrent claim that committed first is then seen on the re-check, not overwritten.
            .where(_r.id == candidate.scalar_subquery(), _claimable(now))
            .values(
                status=_keep_previewing(PrivacyRequestStatus.RUNNING),
                worker=worker_id,
                lease_until=_now_plus(conn, lease_seconds),
                attempts=_r.attempts + 1,
            )
            .returning(_r.id, _r.action, _r.attempts)
        )
        row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return Claim(request_id=row.id, action=PrivacyAction(row.action), attempts=row.attempts)


def _ours(request_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(
        _r.id == request_id,
        _r.worker == worker_id,
        _r.status.in_(_HELD),
    )


async def heartbeat(
    engine: AsyncEngine, request_id: int, worker_id: str, lease_seconds: float
) -> bool:
    """Extend the lease; False if the job is no longer ours (taken over, finished, cancelled)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            t.privacy_requests.update()
            .where(_ours(request_id, worker_id))
            .values(lease_until=_now_plus(conn, lease_seconds))
        )
    return bool(result.rowcount == 1)


async def finish(conn: AsyncConnection, request_id: int, worker_id: str, **values: Any) -> None:
    """Mark the job done inside the handler's own transaction (``conn``).

    ``values`` are further columns to set (``effects``, ``file_name``, ``expires_at`` ...);
    ``status`` defaults to COMPLETED and ``completed_at`` to now. Raises ``LostLease`` when the
    job is no longer ours, which rolls the handler's transaction back: its work is then done by
    the worker that owns the job, not twice.
    """
    values.setdefault("status", PrivacyRequestStatus.COMPLETED)
    values.setdefault("completed_at", clock.now())
    values.setdefault("lease_until", None)
    result = await conn.execute(
        t.privacy_requests.update().where(_ours(request_id, worker_id)).values(**values)
    )
    if result.rowcount != 1:
        raise LostLease(request_id, worker_id)


async def fail(engine: AsyncEngine, request_id: int, worker_id: str, error: str) -> bool:
    """Mark the job FAILED with ``error``: a short, fixed text that names no person.

    Returns False (and changes nothing) when the job is no longer ours.
    """
    async with engine.begin() as conn:
        result = await conn.execute(
            t.privacy_requests.update()
            .where(_ours(request_id, worker_id))
            .values(
                status=PrivacyRequestStatus.FAILED,
                error=error[:MAX_ERROR_LENGTH],
                completed_at=clock.now(),
                lease_until=None,
            )
        )
    return bool(result.rowcount == 1)


async def running_workers(engine: AsyncEngine) -> list[tuple[int, str]]:
    """(request id, worker id) of every job a worker holds (RUNNING, or PREVIEWING leased)."""
    r = t.privacy_requests.c
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(r.id, r.worker).where(r.status.in_(_HELD), r.worker.is_not(None))
        )
        return [(int(request_id), str(worker)) for request_id, worker in rows.all()]


async def release(engine: AsyncEngine, request_id: int, worker_id: str) -> bool:
    """Give an unfinished job back to the queue (the worker is shutting down).

    The handler's transaction has rolled back, so the job starts over on the next claim; the
    attempt still counts. A PREVIEWING job stays PREVIEWING (unleased).
    """
    async with engine.begin() as conn:
        result = await conn.execute(
            t.privacy_requests.update()
            .where(_ours(request_id, worker_id))
            .values(
                status=_keep_previewing(PrivacyRequestStatus.QUEUED),
                worker=None,
                lease_until=None,
            )
        )
    return bool(result.rowcount == 1)


#: the requests that leave a file to download: a person's export and a school's archive
EXPORT_ACTIONS = (PrivacyAction.EXPORT, PrivacyAction.EXPORT_SCHOOL)


def export_path(export_dir: Path, file_name: str) -> Path:
    """Where the export file ``file_name`` lives; only a bare name inside ``export_dir`` counts."""
    return export_dir / Path(file_name).name


async def expire_exports(
    engine: AsyncEngine, export_dir: Path, now: datetime, *, only: int | None = None
) -> int:
    """Delete the files of finished exports whose ``expires_at`` is before ``now``.

    The request row stays (it is the record that the export happened); its ``file_name`` is
    cleared. The file is deleted *before* the row is updated: a crash in between leaves a row
    pointing at a missing file, which the next sweep clears, never an unreferenced file full of
    personal data. ``only`` restricts the sweep to one request (a download that found it
    expired). Returns how many exports were expired by this call.
    """
    stmt = select(_r.id, _r.file_name).where(
        _r.action.in_(EXPORT_ACTIONS),
        _r.status == PrivacyRequestStatus.COMPLETED,
        _r.file_name.is_not(None),
        _r.expires_at < now,
    )
    if only is not None:
        stmt = stmt.where(_r.id == only)
    async with engine.connect() as conn:
        expired = (await conn.execute(stmt.order_by(_r.id))).all()
    done = 0
    for request_id, file_name in expired:
        await asyncio.to_thread(export_path(export_dir, file_name).unlink, missing_ok=True)
        async with engine.begin() as conn:
            result = await conn.execute(
                t.privacy_requests.update()
                .where(_r.id == request_id, _r.file_name == file_name)
                .values(file_name=None)
            )
        done += result.rowcount
    return done

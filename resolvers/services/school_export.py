"""The school export (docs/privacy-actions.md, "School export"): one archive of a whole school.

``request_school_export`` (system administrators, with a justification) records an
``EXPORT_SCHOOL`` request, QUEUED, with its ``PRIVACY_EXPORT_SCHOOL`` audit entry; the job
worker runs ``school_export_handler``, which writes the archive
(``store.privacy.school_export``) to a temporary name in the export folder, ``fsync``\\ s it,
renames it into place and only then completes the request, with a
``PRIVACY_EXPORT_SCHOOL_COMPLETED`` audit entry in the same transaction. A worker that dies
half-way leaves at most a temporary file, which the next attempt removes; the download only
ever serves the renamed, complete archive of a COMPLETED request.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.relations import Facts
from config.settings import Settings
from resolvers.errors import bad_input
from resolvers.services.actor import Actor, inserted_id, now
from resolvers.services.privacy import _justification
from resolvers.services.school_requests import lock_school_without_pending
from store import audit, jobs
from store import tables as t
from store.files import create_private_file, private_folder
from store.filestore import storage_of
from store.privacy.school_export import NotASchoolError, school_row, write_school_export
from store.tables import ExportFormat, PrivacyAction, PrivacyRequestStatus

Status = PrivacyRequestStatus
_r = t.privacy_requests.c
#: a school's export is already under way while one of its requests is in these states
PENDING = (Status.QUEUED, Status.RUNNING)


async def request_school_export(
    actor: Actor, school_id: int, justification: str, fmt: ExportFormat
) -> int:
    """Queue the export of a school; its request id.

    FORBIDDEN for anyone but a system administrator, JUSTIFICATION_REQUIRED without a reason,
    NOT_FOUND for an unknown school, BAD_USER_INPUT for an organisation that is not a school
    (a district), CONFLICT while an export of the same school is still queued or running.
    Nothing is written unless all checks pass.
    """
    actor.require(Facts(), "Mutation.requestSchoolExport", "only a system administrator exports")
    text = _justification(justification)
    async with actor.engine.begin() as conn:
        await lock_school_without_pending(
            conn,
            school_id,
            PrivacyAction.EXPORT_SCHOOL,
            PENDING,
            "An export of this school is already queued or running",
        )
        try:
            await school_row(conn, school_id)
        except NotASchoolError:
            raise bad_input("That organisation is not a school") from None
        result = await conn.execute(
            t.privacy_requests.insert().values(
                action=PrivacyAction.EXPORT_SCHOOL,
                status=Status.QUEUED,
                subject_id=None,
                school_id=school_id,
                requested_by_id=actor.viewer.person_id,
                justification=text,
                created_at=now(),
                effects="[]",
                format=fmt,
                attempts=0,
            )
        )
        request_id = inserted_id(result)
        await actor.audit(conn, "PRIVACY_EXPORT_SCHOOL", "PrivacyRequest", request_id, None, text)
    return request_id


def archive_name(request_id: int) -> str:
    """A name of its own per attempt: an attempt that lost its lease after renaming its archive
    removes that file without touching the archive of the worker that took over."""
    return f"school-export-{request_id}-{secrets.token_hex(6)}.zip"


def _remove_earlier_attempts(folder: Path, request_id: int) -> None:
    """Files of earlier attempts of this request: half-written ones, and complete ones whose
    worker died between the rename and the commit. The job is ours now, so their writers died or
    lost the lease, and the request names none of them (it is not COMPLETED)."""
    for pattern in (f".school-export-{request_id}-*.part", f"school-export-{request_id}-*.zip"):
        for leftover in folder.glob(pattern):
            leftover.unlink(missing_ok=True)


def school_export_handler(settings: Settings) -> Callable[[AsyncEngine, int, str], Awaitable[None]]:
    """The job that writes a school's archive and completes its request, exactly once."""

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(_r.school_id, _r.format).where(_r.id == request_id))
            ).one()
        if row.school_id is None:  # the school row was deleted after the request
            raise LookupError("the school no longer exists")
        fmt = ExportFormat(row.format or ExportFormat.XML)
        file_name = archive_name(request_id)
        target = jobs.export_path(settings.export_dir, file_name)
        folder = private_folder(target.parent)
        _remove_earlier_attempts(folder, request_id)
        partial = target.with_name(f".{file_name}.part")
        generated_at = now()
        try:
            async with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    # One snapshot for the whole archive, as SQLite's read transaction is: every
                    # document, and each page's check of who has rows of each kind
                    # (store.privacy.providers._presence), see the same database.
                    await conn.execution_options(isolation_level="REPEATABLE READ")
                # Owner-only from the start (docs/security.md); the rename keeps the mode.
                with os.fdopen(create_private_file(partial), "w+b") as out:
                    result = await write_school_export(
                        conn,
                        int(row.school_id),
                        "XML" if fmt == ExportFormat.XML else "JSON",
                        out,
                        settings.privacy_notices(),
                        generated_at,
                        request_id,
                        storage=storage_of(settings),
                        spool_dir=folder,
                    )
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(partial, target)
            _fsync_folder(folder)
        finally:
            partial.unlink(missing_ok=True)
        try:
            async with engine.begin() as conn:
                await jobs.finish(
                    conn,
                    request_id,
                    worker_id,
                    file_name=file_name,
                    expires_at=generated_at + timedelta(days=settings.export_ttl_days),
                    effects=json.dumps(result.effects()),
                )
                await audit.append(
                    conn,
                    audit.AuditEvent(
                        actor_id=None,
                        action="PRIVACY_EXPORT_SCHOOL_COMPLETED",
                        target_type="PrivacyRequest",
                        target_id=request_id,
                        detail=(
                            f"people={result.people} courses={result.courses} files={result.files}"
                        ),
                    ),
                )
        except BaseException:
            # Not completed (lease lost, database gone, shutdown): no archive without its request.
            target.unlink(missing_ok=True)
            raise

    return run


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable: a crash after ``finish`` commits must not lose the archive."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

"""Roster upkeep between imports: archiving courses whose terms have ended, and lifting the
erased-identity block for one person (docs/school-year.md rules 4 and 7)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from config import clock
from config import text_limits as limits
from roster.changes import ChangeLog
from roster.dbutil import inserted_id
from roster.errors import RosterError
from store import audit
from store import tables as t
from store.identity import SOURCED_ID, identity_digest
from store.tables import CourseState, ProcessingState

_c, _ct, _s = t.courses.c, t.course_terms.c, t.academic_sessions.c


async def archive_ended(engine: AsyncEngine, as_of: date, actor: str) -> list[str]:
    """Archive every ACTIVE course that has terms, all of which ended before ``as_of``.

    Recorded like an import: a ``roster_imports`` run (source ``archive-ended``) with a
    COURSE_ARCHIVED audit entry per course. Returns the archived courses' sourcedIds.
    """
    has_terms = exists().where(_ct.course_id == _c.id)
    still_running = exists().where(
        and_(_ct.course_id == _c.id, _ct.session_id == _s.id, _s.end_date >= as_of)
    )
    now = clock.now()
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(_c.id, _c.sourced_id)
                .where(_c.state == CourseState.ACTIVE, has_terms, ~still_running)
                .order_by(_c.id)
            )
        ).all()
        if not rows:
            return []
        await conn.execute(
            update(t.courses)
            .where(_c.id.in_([row.id for row in rows]))
            .values(state=CourseState.ARCHIVED, archived_at=now)
        )
        log = ChangeLog()
        for row in rows:
            log.record("COURSE_ARCHIVED", "Course", row.id)
        result = await conn.execute(
            t.roster_imports.insert().values(
                started_at=now,
                finished_at=clock.now(),
                status="COMPLETED",
                source=f"archive-ended as of {as_of.isoformat()}",
                mode="maintenance",
                actor=actor[:255],
                file_digests="{}",
                counts=json.dumps(log.count_list()),
                conflicts="[]",
            )
        )
        await log.write(conn, inserted_id(result))
    return [row.sourced_id for row in rows]


async def allow_recreate(
    engine: AsyncEngine, sourced_id: str, justification: str, identity_key: bytes
) -> bool:
    """Let the next import create the person with ``sourced_id`` although they match an erased
    person. Audited with the justification. Returns whether an erased person has exactly this
    sourcedId (the block may also come from a matching username or national id)."""
    text = justification.strip()
    if not text:
        raise RosterError("allow-recreate", None, "a justification is required")
    for name, value, limit in (
        ("the justification", text, limits.JUSTIFICATION),
        ("the sourcedId", sourced_id, limits.SOURCED_ID),
    ):
        problem = limits.text_problem(value, limit)
        if problem is not None:
            raise RosterError("allow-recreate", None, f"{name} {problem}")
    digest = identity_digest(identity_key, SOURCED_ID, sourced_id)
    p, a = t.people.c, t.recreate_allowances.c
    async with engine.begin() as conn:
        if (await conn.execute(select(p.id).where(p.sourced_id == sourced_id))).first():
            raise RosterError(
                "allow-recreate", None, f"person '{sourced_id}' exists: there is nothing to lift"
            )
        matches = (
            await conn.execute(
                select(func.count()).where(
                    p.processing_state == ProcessingState.ERASED,
                    p.erased_sourced_id_digest == digest,
                )
            )
        ).scalar_one()
        known = (
            await conn.execute(select(a.sourced_id_digest).where(a.sourced_id_digest == digest))
        ).first()
        if known is None:
            await conn.execute(
                t.recreate_allowances.insert().values(
                    sourced_id_digest=digest, allowed_at=clock.now()
                )
            )
        await audit.append(
            conn,
            audit.AuditEvent(
                actor_id=None,
                action="ROSTER_ALLOW_RECREATE",
                justification=text,
                detail="erased person matched" if matches else "no erased person has it",
            ),
        )
    return bool(matches)

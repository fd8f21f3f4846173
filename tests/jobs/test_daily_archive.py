"""The job worker's daily upkeep: when it starts (and every 24 hours after), courses whose terms
have all ended are archived, recorded as a run of actor ``job:archive-ended``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.jobs import JobWorker
from store import tables as t
from store.db import make_engine
from store.tables import AcademicSessionType, CourseState


async def _course_with_term(engine: AsyncEngine, name: str, ends_in_days: int) -> int:
    today = datetime.now(UTC).date()
    async with engine.begin() as conn:
        school = (
            await conn.execute(
                t.schools.insert()
                .values(sourced_id=f"org-{name}", name=name, org_type="school")
                .returning(t.schools.c.id)
            )
        ).scalar_one()
        term = (
            await conn.execute(
                t.academic_sessions.insert()
                .values(
                    sourced_id=f"term-{name}",
                    title=f"Term {name}",
                    type=AcademicSessionType.TERM,
                    start_date=today - timedelta(days=120),
                    end_date=today + timedelta(days=ends_in_days),
                )
                .returning(t.academic_sessions.c.id)
            )
        ).scalar_one()
        course = (
            await conn.execute(
                t.courses.insert()
                .values(sourced_id=f"c-{name}", school_id=school, name=name)
                .returning(t.courses.c.id)
            )
        ).scalar_one()
        await conn.execute(t.course_terms.insert().values(course_id=course, session_id=term))
    return int(course)


def test_worker_archives_courses_whose_terms_ended_when_it_starts(
    database_url: str, tmp_path: Path
) -> None:
    async def main() -> None:
        engine = make_engine(database_url)
        try:
            ended = await _course_with_term(engine, "ended", ends_in_days=-1)
            running = await _course_with_term(engine, "running", ends_in_days=30)
            worker = JobWorker(engine, {}, export_dir=tmp_path, poll_seconds=0.05)
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(stop))
            c = t.courses.c
            for _ in range(200):
                async with engine.connect() as conn:
                    state = (await conn.execute(select(c.state).where(c.id == ended))).scalar()
                if state == CourseState.ARCHIVED:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await task
            async with engine.connect() as conn:
                rows = await conn.execute(select(c.id, c.state).where(c.id.in_([ended, running])))
                states = {course_id: state for course_id, state in rows}
                runs = (
                    await conn.execute(select(t.roster_imports.c.actor, t.roster_imports.c.mode))
                ).all()
            assert states == {ended: CourseState.ARCHIVED, running: CourseState.ACTIVE}
            assert [tuple(r) for r in runs] == [("job:archive-ended", "maintenance")]
            assert await worker.daily() == []  # idempotent: the same day finds nothing more
        finally:
            await engine.dispose()

    asyncio.run(main())

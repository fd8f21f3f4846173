"""``CALENDAR``: calendar events the person owns, personal or shared to a course.

Table: ``calendar_events``.

Exported (art. 15/20)
    * ``calendar_event``: each event the person owns: ``PERSONAL`` (no course) or ``SHARED``
      (a course event, with the course's code and name), title, start and end.

Restriction
    * HIDDEN: personal events (only the person could see them).
    * PSEUDONYMISED: shared events stay in the course calendar, owner shown as a pseudonym.

Erasure
    * Deleted: personal events (``course_id`` NULL): nobody else has a use for them.
    * Kept, pseudonymised: shared events keep ``owner_id`` pointing at the erased tombstone and
      are rendered with a pseudonym; the course's members still rely on the date.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any

PERSONAL = "PERSONAL"
SHARED = "SHARED"


class CalendarProvider:
    category = DataCategory.CALENDAR
    tables = frozenset({"calendar_events"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.CALENDAR):
            return  # a school export found nothing of theirs here
        e, c = t.calendar_events.c, t.courses.c
        events = (
            select(
                e.id,
                e.course_id,
                c.code.label("course_code"),
                c.name.label("course_name"),
                e.title,
                e.starts_at,
                e.ends_at,
                e.source,
            )
            .select_from(t.calendar_events.outerjoin(t.courses, c.id == e.course_id))
            .where(e.owner_id == subject_id)
            .order_by(e.id)
        )
        async for row in stream_rows(conn, events, (Check.CALENDAR, subject_id)):
            yield ExportItem(
                kind="calendar_event",
                fields={
                    "id": row.id,
                    "visibility": PERSONAL if row.course_id is None else SHARED,
                    "course_code": row.course_code,
                    "course_name": row.course_name,
                    "title": row.title,
                    "starts_at": row.starts_at,
                    "ends_at": row.ends_at,
                },
                source=row.source,
            )

    async def _counts(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int]:
        """(personal, shared) events owned by the subject."""
        e = t.calendar_events.c
        return (
            await count(conn, t.calendar_events, e.owner_id == subject_id, e.course_id.is_(None)),
            await count(
                conn, t.calendar_events, e.owner_id == subject_id, e.course_id.is_not(None)
            ),
        )

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        personal, shared = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.HIDDEN, personal), (Outcome.PSEUDONYMISED, shared)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        personal, shared = await self._counts(conn, subject_id)
        return effects(
            self.category, [(Outcome.DELETED, personal), (Outcome.PSEUDONYMISED, shared)]
        )

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        e = t.calendar_events.c
        await conn.execute(
            t.calendar_events.delete().where(e.owner_id == subject_id, e.course_id.is_(None))
        )
        return found

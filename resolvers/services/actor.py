"""Who performs a write, and the checks every write starts with.

The mutations and the demo-data seeder both go through these services, so the demo school is
made by exactly the code (and the write rules) the API uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.call_checks import note_call_check
from authz.policy import Policy
from authz.relations import Facts, relations_of
from authz.viewer import Viewer
from config import clock
from resolvers.errors import bad_input, course_archived, forbidden, not_found
from resolvers.fetch import Row
from resolvers.kinds import Kind
from resolvers.scopes import scoped_select
from resolvers.services.input_limits import check_text
from store import audit
from store import tables as t
from store.tables import CourseState


@dataclass(frozen=True)
class Actor:
    engine: AsyncEngine
    policy: Policy
    viewer: Viewer
    trace_id: str | None = None

    def require(self, facts: Facts, mutation: str, what: str) -> None:
        """FORBIDDEN unless the viewer's relations to the target grant ``mutation``: the
        mutation's ``call`` check, which every mutation must run (``authz.call_checks``)."""
        note_call_check(mutation)
        if not self.allows(facts, mutation):
            raise forbidden(f"Not allowed: {what}")

    def allows(self, facts: Facts, coordinate: str) -> bool:
        """Whether the viewer's relations to an object with ``facts`` grant the ``call`` line
        ``coordinate`` (a decision on the way to the check; ``require`` is the check)."""
        return self.policy.allows(relations_of(self.viewer, facts), coordinate, "call")

    async def visible_row(self, conn: AsyncConnection, kind: Kind, pk: int, label: str) -> Row:
        """The row ``pk`` of ``kind`` if the viewer may see it; NOT_FOUND otherwise."""
        stmt = scoped_select(kind, self).where(kind.key == pk)
        row = (await conn.execute(stmt)).mappings().first()
        if row is None:
            raise not_found(f"No {label} with that id is visible to you")
        return dict(row)

    async def require_active_course(self, conn: AsyncConnection, row: Row) -> None:
        """COURSE_ARCHIVED if the row's course, or the course's school, is archived.

        ``row`` is a COURSE scope row (``state``) or a row of a course's content
        (``course_state``), with its ``school_id``. Called after the visibility and write-rule
        checks, so a non-member still learns nothing about the course. The school is checked
        too although the import archives a school's courses with it: a school archived by hand
        (or a course reactivated in an archived school) must not become writable.
        """
        state = row["course_state"] if "course_state" in row else row["state"]
        if state == CourseState.ARCHIVED:
            raise course_archived("The course is archived: it and its content are read-only")
        sc = t.schools.c
        school_state = (
            await conn.execute(select(sc.state).where(sc.id == row["school_id"]))
        ).scalar()
        if school_state == CourseState.ARCHIVED:
            raise course_archived("The course's school is archived: its courses are read-only")

    async def audit(
        self,
        conn: AsyncConnection,
        action: str,
        target_type: str,
        target_id: int,
        subject_id: int | None = None,
        justification: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append an audit entry in the write's transaction: ids only; ``justification`` is a
        privacy action's (or a withdrawal's) reason, ``detail`` the names of changed fields."""
        await audit.append(
            conn,
            audit.AuditEvent(
                actor_id=self.viewer.person_id,
                action=action,
                target_type=target_type,
                target_id=target_id,
                subject_id=subject_id,
                justification=justification,
                trace_id=self.trace_id,
                detail=detail,
            ),
        )


def now() -> datetime:
    return clock.now()


def require_text(value: str, field: str, max_length: int) -> str:
    """``value`` without surrounding blanks; BAD_USER_INPUT if blank, too long or unstorable."""
    cleaned = check_text(value, field, max_length).strip()
    if not cleaned:
        raise bad_input(f"'{field}' must not be blank")
    return cleaned


def optional_text(value: str | None, field: str, max_length: int) -> str | None:
    """``value`` as given (``None`` stays ``None``); BAD_USER_INPUT if too long or unstorable."""
    return None if value is None else check_text(value, field, max_length)


def inserted_id(result: Any) -> int:
    """The new row's primary key from an INSERT result."""
    return int(result.inserted_primary_key[0])

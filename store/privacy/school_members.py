"""Who belongs to a school, for the school export (docs/privacy-actions.md, "School export").

A person belongs to the school when any of these holds:

* they have a role at the school (``role_assignments.school_id``: student, teacher, school
  leader, superuser, guardian);
* they are or were enrolled in one of the school's courses, as teacher or student (ended
  enrolments count: a person who left is still in the school's records);
* they are a guardian of one of the school's students (a student by role or by enrolment),
  whether or not the roster gave the guardian a role at the school.

System administrators (a global role, no school) belong to no school. Erased people (tombstones)
are left out: nothing of them is left to export; restricted people are included.

Ids are read a page at a time in id order (keyset paging), so a school of any size is walked in
bounded memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import CompoundSelect, Select, func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.tables import CourseRole, ProcessingState, Role

#: People read per round trip.
PAGE = 500


@dataclass(frozen=True)
class Member:
    person_id: int
    processing_state: ProcessingState


def _member_ids(school_id: int) -> CompoundSelect[tuple[int]]:
    r, e, c, g = t.role_assignments.c, t.enrolments.c, t.courses.c, t.guardianships.c
    courses = select(c.id).where(c.school_id == school_id)
    students = union(
        select(r.person_id).where(r.school_id == school_id, r.role == Role.STUDENT),
        select(e.person_id).where(e.course_id.in_(courses), e.role == CourseRole.STUDENT),
    )
    return union(
        select(r.person_id).where(r.school_id == school_id),
        select(e.person_id).where(e.course_id.in_(courses)),
        select(g.guardian_id).where(g.student_id.in_(students)),
    )


def _people(school_id: int) -> Select[tuple[int, str]]:
    p = t.people.c
    return select(p.id, p.processing_state).where(p.id.in_(_member_ids(school_id)))


async def school_member_pages(conn: AsyncConnection, school_id: int) -> AsyncIterator[list[Member]]:
    """The school's people who are not erased, by id, a page (at most :data:`PAGE`) at a time."""
    p = t.people.c
    after = 0
    while True:
        rows = (
            await conn.execute(
                _people(school_id)
                .where(p.id > after, p.processing_state != ProcessingState.ERASED)
                .order_by(p.id)
                .limit(PAGE)
            )
        ).all()
        if rows:
            yield [Member(int(row.id), ProcessingState(row.processing_state)) for row in rows]
        if len(rows) < PAGE:
            return
        after = int(rows[-1].id)


async def erased_members(conn: AsyncConnection, school_id: int) -> int:
    """How many of the school's people are tombstones (left out of the export)."""
    p = t.people.c
    stmt = _people(school_id).where(p.processing_state == ProcessingState.ERASED).subquery()
    return int((await conn.execute(select(func.count()).select_from(stmt))).scalar_one())

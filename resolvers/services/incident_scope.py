"""An incident's scope, and the people it resolves to (docs/incidents.md, "Scope").

An incident names its affected people in exactly one way:

* ``SCHOOL``: everyone holding a role at the school (students, teachers, leaders, superusers,
  guardians with a guardian role there) and the guardians of its students wherever their own
  role is: a school's data holds its students' guardians' names and contact data;
* ``COURSES``: everyone ever enrolled in the courses, ended enrolments included (the course's
  data still holds what they did there);
* ``PERSONS``: those people;
* ``READ_BY``: everyone whose data a staff member read in a period, from the staff access log
  (``store.access_log.people_read_by``).

Erased people have no roles or enrolments left, so the first two never reach them; naming an
erased person is a CONFLICT (nothing of theirs is left to be breached).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from config import clock
from config.ids import to_global_id
from resolvers.errors import bad_input, conflict, not_found
from store import tables as t
from store.access_log import people_read_by
from store.idlists import in_ids
from store.tables import IncidentScopeKind, ProcessingState, Role


class AffectedReason(enum.StrEnum):
    """Why a person is among an incident's affected people (``incident_people.reason``)."""

    #: holds a role at the scope's school
    SCHOOL_MEMBER = "SCHOOL_MEMBER"
    #: a guardian of a student of the scope's school
    GUARDIAN_OF_STUDENT = "GUARDIAN_OF_STUDENT"
    #: enrolled (now or before) in one of the scope's courses
    ENROLLED = "ENROLLED"
    #: named in the scope
    NAMED = "NAMED"
    #: the scope's staff member read their data in the scope's period
    READ_BY_STAFF = "READ_BY_STAFF"


SCHOOL_MEMBER = AffectedReason.SCHOOL_MEMBER
GUARDIAN_OF_STUDENT = AffectedReason.GUARDIAN_OF_STUDENT
ENROLLED = AffectedReason.ENROLLED
NAMED = AffectedReason.NAMED
READ_BY_STAFF = AffectedReason.READ_BY_STAFF

_p, _ra, _g, _e = t.people.c, t.role_assignments.c, t.guardianships.c, t.enrolments.c


@dataclass(frozen=True)
class Scope:
    """A validated scope, by internal ids."""

    kind: IncidentScopeKind
    school_id: int | None = None
    course_ids: tuple[int, ...] = ()
    person_ids: tuple[int, ...] = ()
    staff_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


def scope_of(
    school_id: int | None,
    course_ids: Sequence[int] | None,
    person_ids: Sequence[int] | None,
    read_by: tuple[int, datetime, datetime] | None,
) -> Scope:
    """The one scope given; BAD_USER_INPUT for none, several, an empty list or a bad period."""
    given = [
        name
        for name, value in (
            ("schoolId", school_id),
            ("courseIds", course_ids),
            ("personIds", person_ids),
            ("readBy", read_by),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise bad_input(
            "Give exactly one of scope.schoolId, scope.courseIds, scope.personIds, scope.readBy"
            + (f" (given: {', '.join(given)})" if given else "")
        )
    if school_id is not None:
        return Scope(IncidentScopeKind.SCHOOL, school_id=school_id)
    if course_ids is not None:
        if not course_ids:
            raise bad_input("'scope.courseIds' must name at least one course")
        return Scope(IncidentScopeKind.COURSES, course_ids=tuple(dict.fromkeys(course_ids)))
    if person_ids is not None:
        if not person_ids:
            raise bad_input("'scope.personIds' must name at least one person")
        return Scope(IncidentScopeKind.PERSONS, person_ids=tuple(dict.fromkeys(person_ids)))
    assert read_by is not None
    staff_id, start, end = read_by
    if start >= end:
        raise bad_input("'scope.readBy.from' must be before 'scope.readBy.to'")
    if start > clock.now():
        raise bad_input("'scope.readBy.from' is in the future")
    return Scope(IncidentScopeKind.READ_BY, staff_id=staff_id, start=start, end=end)


async def affected_people(conn: AsyncConnection, scope: Scope) -> dict[int, AffectedReason]:
    """Person id -> reason, for the scope as the database is now; NOT_FOUND for an unknown
    school, course, person or staff member (nothing is written before this has run)."""
    if scope.kind is IncidentScopeKind.SCHOOL:
        assert scope.school_id is not None
        return await _school(conn, scope.school_id)
    if scope.kind is IncidentScopeKind.COURSES:
        return await _courses(conn, scope.course_ids)
    if scope.kind is IncidentScopeKind.PERSONS:
        return await _persons(conn, scope.person_ids)
    assert scope.staff_id is not None and scope.start is not None and scope.end is not None
    return await _read_by(conn, scope.staff_id, scope.start, scope.end)


async def _school(conn: AsyncConnection, school_id: int) -> dict[int, AffectedReason]:
    sc = t.schools.c
    if (await conn.execute(select(sc.id).where(sc.id == school_id))).first() is None:
        raise not_found(f"No school with id '{to_global_id('School', school_id)}'")
    not_erased = _p.processing_state != ProcessingState.ERASED
    members = await conn.execute(
        select(_ra.person_id)
        .join(t.people, _p.id == _ra.person_id)
        .where(_ra.school_id == school_id, not_erased)
        .distinct()
    )
    found = {pk: SCHOOL_MEMBER for pk in members.scalars()}
    students = select(_ra.person_id).where(_ra.school_id == school_id, _ra.role == Role.STUDENT)
    guardians = await conn.execute(
        select(_g.guardian_id)
        .join(t.people, _p.id == _g.guardian_id)
        .where(_g.student_id.in_(students), not_erased)
        .distinct()
    )
    for pk in guardians.scalars():
        found.setdefault(pk, GUARDIAN_OF_STUDENT)
    return found


async def _courses(conn: AsyncConnection, course_ids: Sequence[int]) -> dict[int, AffectedReason]:
    c = t.courses.c
    known = set((await conn.execute(select(c.id).where(in_ids(c.id, course_ids)))).scalars())
    _require_all(course_ids, known, "Course")
    enrolled = await conn.execute(
        select(_e.person_id)
        .join(t.people, _p.id == _e.person_id)
        .where(in_ids(_e.course_id, course_ids), _p.processing_state != ProcessingState.ERASED)
        .distinct()
    )
    return {pk: ENROLLED for pk in enrolled.scalars()}


async def _persons(conn: AsyncConnection, person_ids: Sequence[int]) -> dict[int, AffectedReason]:
    rows = await conn.execute(select(_p.id, _p.processing_state).where(in_ids(_p.id, person_ids)))
    states = {row.id: row.processing_state for row in rows}
    _require_all(person_ids, set(states), "User")
    erased = [pk for pk in person_ids if states[pk] == ProcessingState.ERASED]
    if erased:
        raise conflict(
            f"The person '{to_global_id('User', erased[0])}' has been erased: nothing of "
            "theirs is left"
        )
    return dict.fromkeys(person_ids, NAMED)


async def _read_by(
    conn: AsyncConnection, staff_id: int, start: datetime, end: datetime
) -> dict[int, AffectedReason]:
    if (await conn.execute(select(_p.id).where(_p.id == staff_id))).first() is None:
        raise not_found(f"No person with id '{to_global_id('User', staff_id)}'")
    read = await people_read_by(conn, staff_id, start, end)
    if not read:
        return {}
    # the log has no foreign keys: only people who still have a row
    existing = await conn.execute(select(_p.id).where(in_ids(_p.id, sorted(read))))
    return {pk: READ_BY_STAFF for pk in existing.scalars()}


def _require_all(wanted: Sequence[int], known: set[int], type_name: str) -> None:
    missing = [pk for pk in wanted if pk not in known]
    if missing:
        label = "course" if type_name == "Course" else "person"
        raise not_found(f"No {label} with id '{to_global_id(type_name, missing[0])}'")

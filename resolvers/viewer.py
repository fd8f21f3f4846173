"""Loading the viewer: the caller's roles, courses, homerooms and family, once per request."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.viewer import Viewer
from store import tables as t
from store.tables import CourseRole, CourseState, ProcessingState, Role

_ra, _e, _g, _c, _p = (
    t.role_assignments.c,
    t.enrolments.c,
    t.guardianships.c,
    t.courses.c,
    t.people.c,
)
#: Only current memberships grant anything (school-year.md rule 3): an ended enrolment is kept
#: for the record, not for access.
_current = _e.ended_at.is_(None)


async def find_person_id(engine: AsyncEngine, subject: str) -> int | None:
    """The ACTIVE person whose roster ``sourcedId`` or ``username`` is ``subject``."""
    stmt = select(_p.id).where(
        or_(_p.sourced_id == subject, _p.username == subject),
        _p.processing_state == ProcessingState.ACTIVE,
        _p.enabled.is_(True),
    )
    async with engine.connect() as conn:
        found = (await conn.execute(stmt)).scalars().all()
    return found[0] if len(found) == 1 else None


async def _ids(conn: AsyncConnection, stmt: object) -> frozenset[int]:
    return frozenset((await conn.execute(stmt)).scalars().all())  # type: ignore[call-overload]


async def load_viewer(engine: AsyncEngine, person_id: int) -> Viewer:
    async with engine.connect() as conn:
        roles = (
            await conn.execute(select(_ra.role, _ra.school_id).where(_ra.person_id == person_id))
        ).all()
        enrolled = (
            await conn.execute(
                select(_e.course_id, _e.role, _c.school_id, _c.is_homeroom, _c.state)
                .join(t.courses, _c.id == _e.course_id)
                .where(_e.person_id == person_id, _current)
            )
        ).all()
        # A restricted (or erased) child's guardianship and enrolments are out of use
        # (privacy-actions.md §2): they give the guardian no access to the child's courses,
        # teachers or registrations until the restriction is lifted.
        active = select(_p.id).where(_p.processing_state == ProcessingState.ACTIVE)
        children = await _ids(
            conn,
            select(_g.student_id).where(_g.guardian_id == person_id, _g.student_id.in_(active)),
        )
        guardians = await _ids(conn, select(_g.guardian_id).where(_g.student_id == person_id))

        taught = frozenset(c for c, role, *_rest in enrolled if role == CourseRole.TEACHER)
        studied = frozenset(c for c, role, *_rest in enrolled if role == CourseRole.STUDENT)
        # An archived homeroom keeps its enrolments open (read access to last year's work), but
        # its contact teacher is no longer the student's contact teacher: contact_teacher
        # reaches the student's new work too, so it comes from ACTIVE homerooms only.
        homerooms = frozenset(
            c
            for c, role, _s, h, state in enrolled
            if role == CourseRole.TEACHER and h and state == CourseState.ACTIVE
        )
        enrolled_ids = taught | studied

        def students_of(courses: frozenset[int]) -> object:
            return select(_e.person_id).where(
                _e.course_id.in_(sorted(courses)), _e.role == CourseRole.STUDENT, _current
            )

        contact_students = await _ids(conn, students_of(homerooms)) if homerooms else frozenset()
        taught_students = await _ids(conn, students_of(taught)) if taught else frozenset()
        course_peers = (
            await _ids(
                conn,
                select(_e.person_id).where(_e.course_id.in_(sorted(enrolled_ids)), _current),
            )
            if enrolled_ids
            else frozenset()
        )
        children_courses: frozenset[int] = frozenset()
        children_teachers: frozenset[int] = frozenset()
        if children:
            children_courses = await _ids(
                conn,
                select(_e.course_id).where(
                    _e.person_id.in_(sorted(children)), _e.role == CourseRole.STUDENT, _current
                ),
            )
            if children_courses:
                children_teachers = await _ids(
                    conn,
                    select(_e.person_id).where(
                        _e.course_id.in_(sorted(children_courses)),
                        _e.role == CourseRole.TEACHER,
                        _current,
                    ),
                )
        guardians_of_taught: frozenset[int] = frozenset()
        if taught_students:
            guardians_of_taught = await _ids(
                conn,
                select(_g.guardian_id).where(_g.student_id.in_(sorted(taught_students))),
            )

    def schools_with(role: Role) -> frozenset[int]:
        return frozenset(s for r, s in roles if r == role and s is not None)

    member_schools = frozenset(s for _r, s in roles if s is not None) | frozenset(
        s for _c_, _role, s, *_rest in enrolled
    )
    return Viewer(
        person_id=person_id,
        is_sysadmin=any(r == Role.SYSTEM_ADMINISTRATOR for r, _s in roles),
        leader_schools=schools_with(Role.SCHOOL_LEADER),
        superuser_schools=schools_with(Role.SUPERUSER),
        teacher_schools=schools_with(Role.TEACHER),
        member_schools=member_schools,
        taught_courses=taught,
        student_courses=studied,
        enrolled_courses=enrolled_ids,
        homerooms_taught=homerooms,
        contact_students=contact_students,
        taught_students=taught_students | contact_students,
        children=children,
        guardians=guardians,
        children_courses=children_courses,
        children_teachers=children_teachers,
        guardians_of_taught=guardians_of_taught,
        course_peers=course_peers,
        role_names=frozenset(str(r) for r, _s in roles),
    )

"""Loading the viewer: the caller's roles, courses, homerooms and family, once per request."""

from __future__ import annotations

from sqlalchemy import CompoundSelect, Integer, Label, literal_column, or_, select, union_all
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
#: Only current memberships grant anything (docs/school-year.md rule 3): an ended enrolment is kept
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


#: What each row of ``_links`` is: a link kind, then the id it links the viewer to.
_CHILD, _GUARDIAN, _CONVERSATION, _FELLOW = _LINK_KINDS = (1, 2, 3, 4)


def _links(person_id: int) -> CompoundSelect[int, int]:
    """The viewer's family and conversation links, one statement: ``(kind, id)`` rows.

    A restricted (or erased) child's guardianship and enrolments are out of use
    (docs/privacy-actions.md §2): they give the guardian no access to the child's courses,
    teachers or registrations until the restriction is lifted. Conversation fellows are everyone
    taking part in a conversation the viewer takes part in, the viewer included.
    """

    def kind(number: int) -> Label[int]:
        return literal_column(str(number), Integer).label("kind")

    active = select(_p.id).where(_p.processing_state == ProcessingState.ACTIVE)
    mine = t.conversation_participants.alias("mine")
    fellow = t.conversation_participants.alias("fellow")
    return union_all(
        select(kind(_CHILD), _g.student_id.label("id")).where(
            _g.guardian_id == person_id, _g.student_id.in_(active)
        ),
        select(kind(_GUARDIAN), _g.guardian_id.label("id")).where(_g.student_id == person_id),
        select(kind(_CONVERSATION), mine.c.conversation_id.label("id")).where(
            mine.c.person_id == person_id
        ),
        select(kind(_FELLOW), fellow.c.person_id.label("id"))
        .select_from(mine.join(fellow, fellow.c.conversation_id == mine.c.conversation_id))
        .where(mine.c.person_id == person_id),
    )


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
        linked: dict[int, set[int]] = {
            k: set() for k in (_CHILD, _GUARDIAN, _CONVERSATION, _FELLOW)
        }
        for link, linked_id in (await conn.execute(_links(person_id))).all():
            linked[link].add(linked_id)
        children, guardians = frozenset(linked[_CHILD]), frozenset(linked[_GUARDIAN])

        taught = frozenset(c for c, role, *_rest in enrolled if role == CourseRole.TEACHER)
        studied = frozenset(c for c, role, *_rest in enrolled if role == CourseRole.STUDENT)
        enrolled_ids = taught | studied
        # An archived course keeps its final memberships: they still grant the course's own
        # content (taught_courses, student_courses, children_courses). Relations to *people*,
        # which reach their profiles and their new work, come from ACTIVE courses only; people
        # met in archived courses stay visible by name only ("former_course_member").
        live = frozenset(c for c, _r, _s, _h, state in enrolled if state == CourseState.ACTIVE)
        homerooms = (
            frozenset(c for c, role, _s, h, _state in enrolled if role == CourseRole.TEACHER and h)
            & live
        )

        def people_in(courses: frozenset[int], role: CourseRole | None = None) -> object:
            stmt = select(_e.person_id).where(_e.course_id.in_(sorted(courses)), _current)
            return stmt if role is None else stmt.where(_e.role == role)

        async def ids_in(courses: frozenset[int], role: CourseRole | None = None) -> frozenset[int]:
            return await _ids(conn, people_in(courses, role)) if courses else frozenset()

        contact_students = await ids_in(homerooms, CourseRole.STUDENT)
        taught_students = await ids_in(taught & live, CourseRole.STUDENT)
        course_peers = await ids_in(enrolled_ids & live)
        former = await ids_in(enrolled_ids - live)
        children_courses: frozenset[int] = frozenset()
        children_teachers: frozenset[int] = frozenset()
        if children:
            child_courses = (
                await conn.execute(
                    select(_e.course_id, _c.state)
                    .join(t.courses, _c.id == _e.course_id)
                    .where(
                        _e.person_id.in_(sorted(children)),
                        _e.role == CourseRole.STUDENT,
                        _current,
                    )
                )
            ).all()
            children_courses = frozenset(course for course, _state in child_courses)
            children_live = frozenset(
                course for course, state in child_courses if state == CourseState.ACTIVE
            )
            children_teachers = await ids_in(children_live, CourseRole.TEACHER)
            former |= await ids_in(children_courses - children_live, CourseRole.TEACHER)
        guardians_of_taught: frozenset[int] = frozenset()
        if taught_students:
            guardians_of_taught = await _ids(
                conn,
                select(_g.guardian_id).where(_g.student_id.in_(sorted(taught_students))),
            )

    def schools_with(role: Role) -> frozenset[int]:
        return frozenset(s for r, s in roles if r == role and s is not None)

    member_schools = frozenset(s for _r, s in roles if s is not None) | frozenset(
        s for c, _role, s, *_rest in enrolled if c in live
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
        former_course_people=former - {person_id},
        role_names=frozenset(str(r) for r, _s in roles),
        conversations=frozenset(linked[_CONVERSATION]),
        conversation_fellows=frozenset(linked[_FELLOW]),
    )

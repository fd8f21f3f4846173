"""Relations between the viewer and an object, in Python and as SQL.

Each object carries ``Facts``: the ids that relations are about (its owner, course, school,
student concerned, ...). The same definitions are written twice, side by side, on purpose:
``relations_of`` evaluates them on a loaded object (for field decisions), ``relation_clause``
compiles them into a WHERE clause (for row rules, so invisible rows never leave the database and
``totalCount`` stays right). The authorisation tests exercise both paths for every relation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true

from authz.viewer import Viewer
from store import tables as t
from store.tables import CourseState

#: Relations computed from an object's facts. "row" and the entry relations are added elsewhere.
BASE_RELATIONS: tuple[str, ...] = (
    #: every caller with a valid token: calendar data (``AcademicSession``) holds no personal data
    "authenticated",
    "self",
    "course_teacher",
    "course_student",
    "course_peer",
    "former_course_member",
    "contact_teacher",
    "teaches",
    "guardian",
    "child",
    "teaches_child",
    "guardian_of_taught",
    "school_leader",
    "superuser",
    "school_teacher",
    "school_member",
    "participant",
    "self_if_published",
    "guardian_if_published",
    "sysadmin",
)

#: Held by every authenticated caller on the Query/Mutation roots; "anyone" by everybody.
ROOT_ANONYMOUS: frozenset[str] = frozenset({"anyone", "row"})
ROOT_AUTHENTICATED: frozenset[str] = frozenset({"anyone", "authenticated", "row"})
#: Objects that only ever appear under an authorised parent field (connections, attachments...).
ROW_ONLY: frozenset[str] = frozenset({"row", "anyone"})


@dataclass(frozen=True, slots=True)
class Facts:
    """What relations of one object depend on. ``None`` means the object has no such link."""

    owner: int | None = None
    course: int | None = None
    school: int | None = None
    student: int | None = None
    published: bool = True
    conversation_participants: frozenset[int] | None = None
    #: for a User: the person, and the schools where they hold a role or an enrolment
    person: int | None = None
    schools: frozenset[int] | None = None


def relations_of(viewer: Viewer, facts: Facts) -> frozenset[str]:
    """The base relations ``viewer`` holds to an object with ``facts`` (plus "row" for visible)."""
    rels: set[str] = {"row", "anyone", "authenticated"}
    if viewer.is_sysadmin:
        rels.add("sysadmin")
    me = viewer.person_id
    if facts.owner is not None and facts.owner == me:
        rels.add("self")
    course = facts.course
    if course is not None:
        if course in viewer.taught_courses:
            rels.add("course_teacher")
        if course in viewer.student_courses:
            rels.add("course_student")
        if facts.student is None and facts.person is None and course in viewer.children_courses:
            rels.add("guardian")
    student = facts.student
    if student is not None:
        if student in viewer.contact_students:
            rels.add("contact_teacher")
        if student in viewer.children:
            rels.add("guardian")
            if facts.published:
                rels.add("guardian_if_published")
        if student == me and facts.published:
            rels.add("self_if_published")
    person = facts.person
    if person is not None:
        if person == me:
            rels.add("self")
        if person in viewer.course_peers:
            rels.add("course_peer")
        if person in viewer.former_course_people:
            rels.add("former_course_member")
        if person in viewer.taught_students:
            rels.add("teaches")
        if person in viewer.children:
            rels.add("guardian")
        if person in viewer.guardians:
            rels.add("child")
        if person in viewer.children_teachers:
            rels.add("teaches_child")
        if person in viewer.guardians_of_taught:
            rels.add("guardian_of_taught")
    schools = (
        facts.schools
        if facts.schools is not None
        else (frozenset((facts.school,)) if facts.school is not None else frozenset())
    )
    if schools:
        if not schools.isdisjoint(viewer.leader_schools):
            rels.add("school_leader")
        if not schools.isdisjoint(viewer.superuser_schools):
            rels.add("superuser")
        if not schools.isdisjoint(viewer.teacher_schools):
            rels.add("school_teacher")
        if not schools.isdisjoint(viewer.member_schools):
            rels.add("school_member")
    participants = facts.conversation_participants
    if participants is not None and me in participants:
        rels.add("participant")
    return frozenset(rels)


@dataclass(frozen=True, slots=True)
class FactColumns:
    """The SQL expressions behind an object's ``Facts``, for compiling row rules."""

    owner: ColumnElement[int] | None = None
    course: ColumnElement[int] | None = None
    school: ColumnElement[int] | None = None
    student: ColumnElement[int] | None = None
    published: ColumnElement[bool] | None = None
    conversation: ColumnElement[int] | None = None
    person: ColumnElement[int] | None = None


def _people_at_schools(schools: frozenset[int]) -> object:
    roles = select(t.role_assignments.c.person_id).where(
        t.role_assignments.c.school_id.in_(schools)
    )
    enrolled = (
        select(t.enrolments.c.person_id)
        .join(t.courses, t.courses.c.id == t.enrolments.c.course_id)
        .where(
            t.courses.c.school_id.in_(schools),
            t.courses.c.state == CourseState.ACTIVE,
            t.enrolments.c.ended_at.is_(None),
        )
    )
    return roles.union(enrolled)


ClauseBuilder = Callable[[Viewer, FactColumns], "ColumnElement[bool] | None"]


def _in(column: ColumnElement[int] | None, ids: frozenset[int]) -> ColumnElement[bool] | None:
    if column is None:
        return None
    if not ids:
        return false()
    return column.in_(sorted(ids))


def _school_clause(ids_of: Callable[[Viewer], frozenset[int]]) -> ClauseBuilder:
    def build(viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
        schools = ids_of(viewer)
        if cols.person is not None:
            if not schools:
                return false()
            return cols.person.in_(_people_at_schools(schools))  # type: ignore[arg-type]
        return _in(cols.school, schools)

    return build


def _self(viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
    column = cols.person if cols.person is not None else cols.owner
    return None if column is None else column == viewer.person_id


def _guardian(viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
    if cols.person is not None:
        return _in(cols.person, viewer.children)
    if cols.student is not None:
        return _in(cols.student, viewer.children)
    return _in(cols.course, viewer.children_courses)


def _published_and(
    clause: ColumnElement[bool] | None, cols: FactColumns
) -> ColumnElement[bool] | None:
    if clause is None or cols.published is None:
        return clause
    return clause & cols.published


def _participant(viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
    if cols.conversation is None:
        return None
    mine = select(t.conversation_participants.c.conversation_id).where(
        t.conversation_participants.c.person_id == viewer.person_id
    )
    return cols.conversation.in_(mine)


def _on_person(ids_of: Callable[[Viewer], frozenset[int]]) -> ClauseBuilder:
    return lambda viewer, cols: _in(cols.person, ids_of(viewer))


CLAUSES: dict[str, ClauseBuilder] = {
    "self": _self,
    "course_teacher": lambda v, c: (
        None if c.person is not None else _in(c.course, v.taught_courses)
    ),
    "course_student": lambda v, c: (
        None if c.person is not None else _in(c.course, v.student_courses)
    ),
    "course_peer": _on_person(lambda v: v.course_peers),
    "former_course_member": _on_person(lambda v: v.former_course_people),
    "contact_teacher": lambda v, c: _in(c.student, v.contact_students),
    "teaches": _on_person(lambda v: v.taught_students),
    "guardian": _guardian,
    "child": _on_person(lambda v: v.guardians),
    "teaches_child": _on_person(lambda v: v.children_teachers),
    "guardian_of_taught": _on_person(lambda v: v.guardians_of_taught),
    "school_leader": _school_clause(lambda v: v.leader_schools),
    "superuser": _school_clause(lambda v: v.superuser_schools),
    "school_teacher": _school_clause(lambda v: v.teacher_schools),
    "school_member": _school_clause(lambda v: v.member_schools),
    "participant": _participant,
    "self_if_published": lambda v, c: _published_and(
        None if c.student is None else c.student == v.person_id, c
    ),
    "guardian_if_published": lambda v, c: _published_and(_in(c.student, v.children), c),
    "sysadmin": lambda v, c: true() if v.is_sysadmin else false(),
    # ``visible()`` answers false for an anonymous caller before any relation is compiled.
    "authenticated": lambda v, c: true(),
}


def relation_clause(relation: str, viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
    """SQL for "``viewer`` holds ``relation`` to the row", or None if the relation cannot hold."""
    return CLAUSES[relation](viewer, cols)

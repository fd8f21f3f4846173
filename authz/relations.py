"""Relations between the viewer and an object, in Python and as SQL.

Each object carries ``Facts``: the ids that relations are about (its owner, course, school,
student concerned, conversation, ...). The same definitions are written twice, side by side, on
purpose: ``relations_of`` evaluates them on a loaded object (for field decisions),
``relation_clause`` compiles them into a WHERE clause (for row rules, so invisible rows never
leave the database and ``totalCount`` stays right). The authorisation tests exercise both paths
for every relation.

Both forms read the same facts: a type's ``FactColumns`` are selected with every row under the
labels ``tavle_fact_<fact>`` (``FactColumns.labelled``), and ``FactColumns.facts_of`` builds the
row's ``Facts`` from exactly those labels, so the Python form cannot read a different column than
the SQL form. The one fact not in the row, a person's schools, is defined once
(``school_memberships``) and used by both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Label, false, select, true, union

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
    #: the person takes part in a conversation with the viewer; granted only where the policy
    #: says so for a path (``see`` on ``Message.author``, ``Conversation.participants``)
    "conversation_fellow",
    "self_if_published",
    "guardian_if_published",
    "sysadmin",
)

#: Held by every authenticated caller on the Query/Mutation roots; "anyone" by everybody.
ROOT_ANONYMOUS: frozenset[str] = frozenset({"anyone", "row"})
ROOT_AUTHENTICATED: frozenset[str] = frozenset({"anyone", "authenticated", "row"})
#: Objects that only ever appear under an authorised parent field (connections, attachments...).
ROW_ONLY: frozenset[str] = frozenset({"row", "anyone"})
#: An object without relations to the viewer: every field denied.
NO_RELATIONS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Facts:
    """What relations of one object depend on. ``None`` means the object has no such link."""

    owner: int | None = None
    course: int | None = None
    school: int | None = None
    student: int | None = None
    published: bool = True
    #: the conversation a conversation is, or a message belongs to
    conversation: int | None = None
    #: for a User: the person, and the schools where they hold a role or an enrolment
    #: (``school_memberships``)
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
        if person in viewer.conversation_fellows:
            rels.add("conversation_fellow")
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
    conversation = facts.conversation
    if conversation is not None and conversation in viewer.conversations:
        rels.add("participant")
    return frozenset(rels)


#: The label a fact column is selected under: ``tavle_fact_owner``, ``tavle_fact_course`` ...
FACT_LABEL = "tavle_fact_{}"


@dataclass(frozen=True, slots=True)
class FactColumns:
    """The SQL expressions behind an object's ``Facts``: compiled into row rules, and selected
    (labelled) with every row so the Python form reads the very same values."""

    owner: ColumnElement[int] | None = None
    course: ColumnElement[int] | None = None
    school: ColumnElement[int] | None = None
    student: ColumnElement[int] | None = None
    published: ColumnElement[bool] | None = None
    conversation: ColumnElement[int] | None = None
    person: ColumnElement[int] | None = None
    #: (fact, label) of every fact declared here, worked out once
    declared: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        declared = tuple(
            (f.name, FACT_LABEL.format(f.name))
            for f in fields(self)
            if f.name != "declared" and getattr(self, f.name) is not None
        )
        object.__setattr__(self, "declared", declared)

    def labelled(self) -> tuple[Label[Any], ...]:
        """The declared fact columns, labelled for selecting with a row."""
        return tuple(getattr(self, name).label(label) for name, label in self.declared)

    def facts_of(self, row: Mapping[str, Any], schools: frozenset[int] | None = None) -> Facts:
        """The row's ``Facts``, read from the labelled fact columns (``labelled``) and nothing
        else; ``schools`` is a person's ``school_memberships`` (None for other types)."""
        values = {name: row[label] for name, label in self.declared}
        if "published" in values:
            values["published"] = bool(values["published"])
        return Facts(**values, schools=schools)


def school_memberships(
    *, people: Iterable[int] | None = None, schools: Iterable[int] | None = None
) -> CompoundSelect[int, int]:
    """``(person_id, school_id)``: a role at the school, or a current enrolment in one of its
    ACTIVE courses. A person's "schools" fact in both forms: the Python form loads it for the
    people at hand (``people``), the SQL form asks who is at the viewer's schools (``schools``).
    A person who left a school is not its member through old classes."""
    ra, e, c = t.role_assignments.c, t.enrolments.c, t.courses.c
    roles = select(ra.person_id.label("person_id"), ra.school_id.label("school_id")).where(
        ra.school_id.is_not(None)
    )
    enrolled = (
        select(e.person_id.label("person_id"), c.school_id.label("school_id"))
        .join(t.courses, c.id == e.course_id)
        .where(e.ended_at.is_(None), c.state == CourseState.ACTIVE)
    )
    if people is not None:
        wanted = sorted(set(people))
        roles = roles.where(ra.person_id.in_(wanted))
        enrolled = enrolled.where(e.person_id.in_(wanted))
    if schools is not None:
        at = sorted(set(schools))
        roles = roles.where(ra.school_id.in_(at))
        enrolled = enrolled.where(c.school_id.in_(at))
    return union(roles, enrolled)


def _people_at_schools(schools: frozenset[int]) -> object:
    members = school_memberships(schools=schools).subquery()
    return select(members.c.person_id)


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
    "participant": lambda v, c: _in(c.conversation, v.conversations),
    "conversation_fellow": _on_person(lambda v: v.conversation_fellows),
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

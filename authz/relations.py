"""Relations between the viewer and an object, in Python and as SQL.

Each object carries ``Facts``: the ids that relations are about (its owner, course, school,
student concerned, conversation, ...). The same definitions are written twice, side by side, on
purpose: ``relations_of`` evaluates them on a loaded object (for field decisions),
``relation_clause`` compiles them into a WHERE clause (for row rules, so invisible rows never
leave the database and ``totalCount`` stays right). The authorisation tests exercise both paths
for every relation. The SQL form is written once, as ``relation_template``: it reads the viewer
through their ``ViewerShape`` and names their ids as parameters (one parameter per id set,
``store.idlists``), so a row rule is built once per shape; ``relation_clause`` is the template
with the viewer's values bound.

Both forms read the same facts: a type's ``FactColumns`` are selected with every row under the
labels ``tavle_fact_<fact>`` (``FactColumns.labelled``), and ``FactColumns.facts_of`` builds the
row's ``Facts`` from exactly those labels, so the Python form cannot read a different column than
the SQL form. The one fact not in the row, a person's schools, is defined once
(``school_memberships``) and used by both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Label,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.sql import visitors

from authz.viewer import Viewer
from store import tables as t
from store.idlists import IdsArg, ids_param, in_ids, with_values
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
        return self.facts_from(tuple(row[label] for _, label in self.declared), schools)

    def facts_from(self, values: Sequence[Any], schools: frozenset[int] | None = None) -> Facts:
        """The ``Facts`` of the values of the labelled fact columns, in the order of
        ``declared`` (a row read by position, ``resolvers.kinds.Layout``)."""
        found = {name: value for (name, _), value in zip(self.declared, values, strict=True)}
        if "published" in found:
            found["published"] = bool(found["published"])
        return Facts(**found, schools=schools)


def school_memberships(
    *, people: IdsArg | None = None, schools: IdsArg | None = None
) -> CompoundSelect[int, int]:
    """``(person_id, school_id)``: a role at the school, or a current enrolment in one of its
    ACTIVE courses. A person's "schools" fact in both forms: the Python form loads it for the
    people at hand (``people``), the SQL form asks who is at the viewer's schools (``schools``).
    A person who left a school is not its member through old classes. Either list is the ids
    or a parameter holding them (``store.idlists``)."""
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
        roles = roles.where(in_ids(ra.person_id, people))
        enrolled = enrolled.where(in_ids(e.person_id, people))
    if schools is not None:
        roles = roles.where(in_ids(ra.school_id, schools))
        enrolled = enrolled.where(in_ids(c.school_id, schools))
    return union(roles, enrolled)


# --- The SQL forms ------------------------------------------------------------------------------

#: The viewer's id sets the SQL forms read (attributes of ``Viewer``).
IdSet = Literal[
    "leader_schools",
    "superuser_schools",
    "teacher_schools",
    "member_schools",
    "taught_courses",
    "student_courses",
    "contact_students",
    "taught_students",
    "children",
    "guardians",
    "children_courses",
    "children_teachers",
    "guardians_of_taught",
    "course_peers",
    "former_course_people",
    "conversations",
    "conversation_fellows",
]
ID_SETS: tuple[IdSet, ...] = get_args(IdSet)
#: the parameter holding the viewer's id set ``<set>``, and the one holding their person id
VIEWER_IDS = "viewer_{}"
VIEWER_PERSON = "viewer_person_id"
_ID_PARAMS: dict[IdSet, BindParameter[Any]] = {
    name: ids_param(VIEWER_IDS.format(name)) for name in ID_SETS
}
_PERSON_PARAM: BindParameter[int] = bindparam(VIEWER_PERSON, type_=Integer, required=True)


@dataclass(frozen=True, slots=True)
class ViewerShape:
    """What the SQL form of a relation depends on besides the viewer's ids: whether the viewer
    is a system administrator, and which of their id sets hold ids (an empty one compiles to a
    constant false, reading no column).

    The SQL forms read the viewer only through this, and name the ids as parameters
    (``VIEWER_IDS``, ``VIEWER_PERSON``) whose values ``viewer_params`` gives: so a row rule is
    built once per shape and policy (``resolvers.scopes``) and serves every viewer of that shape.
    """

    is_sysadmin: bool
    filled: frozenset[IdSet]

    @classmethod
    def of(cls, viewer: Viewer) -> ViewerShape:
        return cls(viewer.is_sysadmin, frozenset(n for n in ID_SETS if getattr(viewer, n)))

    def within(self, read: frozenset[IdSet], sysadmin: bool) -> ViewerShape:
        """The shape as far as SQL forms that read only the id sets ``read`` (``ids_read``)
        and, unless ``sysadmin``, not "sysadmin" see it: they come out the same for both, and
        viewers who differ elsewhere share them."""
        return ViewerShape(self.is_sysadmin and sysadmin, self.filled & read)

    def ids(self, name: IdSet) -> BindParameter[Any] | None:
        """The parameter holding the id set ``name``; None when the viewer's is empty."""
        return _ID_PARAMS[name] if name in self.filled else None

    @property
    def person(self) -> BindParameter[int]:
        return _PERSON_PARAM


#: a viewer with ids in every set: the SQL forms built for it read every set they can read
_EVERY_SET = ViewerShape(False, frozenset(ID_SETS))
_SET_OF_PARAM: dict[str, IdSet] = {VIEWER_IDS.format(name): name for name in ID_SETS}


def viewer_params(viewer: Viewer) -> dict[str, Any]:
    """The values of the parameters the SQL forms name, for ``viewer``."""
    params: dict[str, Any] = {
        VIEWER_IDS.format(name): ids for name in ID_SETS if (ids := getattr(viewer, name))
    }
    params[VIEWER_PERSON] = viewer.person_id
    return params


def _people_at_schools(schools: BindParameter[Any]) -> object:
    members = school_memberships(schools=schools).subquery()
    return select(members.c.person_id)


ClauseBuilder = Callable[[ViewerShape, FactColumns], "ColumnElement[bool] | None"]


def _in(
    column: ColumnElement[int] | None, ids: BindParameter[Any] | None
) -> ColumnElement[bool] | None:
    if column is None:
        return None
    if ids is None:
        return false()
    return in_ids(column, ids)


def _school_clause(name: IdSet) -> ClauseBuilder:
    def build(viewer: ViewerShape, cols: FactColumns) -> ColumnElement[bool] | None:
        schools = viewer.ids(name)
        if cols.person is not None:
            if schools is None:
                return false()
            return cols.person.in_(_people_at_schools(schools))  # type: ignore[arg-type]
        return _in(cols.school, schools)

    return build


def _self(viewer: ViewerShape, cols: FactColumns) -> ColumnElement[bool] | None:
    column = cols.person if cols.person is not None else cols.owner
    return None if column is None else column == viewer.person


def _guardian(viewer: ViewerShape, cols: FactColumns) -> ColumnElement[bool] | None:
    if cols.person is not None:
        return _in(cols.person, viewer.ids("children"))
    if cols.student is not None:
        by_student = _in(cols.student, viewer.ids("children"))
        by_course = _in(cols.course, viewer.ids("children_courses"))
        if by_student is None or by_course is None:
            return by_student
        # as ``relations_of``: the course counts for a row whose student is NULL (an uploaded
        # file carried by a course document rather than by an answer)
        return or_(by_student, and_(cols.student.is_(None), by_course))
    return _in(cols.course, viewer.ids("children_courses"))


def _published_and(
    clause: ColumnElement[bool] | None, cols: FactColumns
) -> ColumnElement[bool] | None:
    if clause is None or cols.published is None:
        return clause
    return clause & cols.published


def _on_person(name: IdSet) -> ClauseBuilder:
    return lambda viewer, cols: _in(cols.person, viewer.ids(name))


CLAUSES: dict[str, ClauseBuilder] = {
    "self": _self,
    "course_teacher": lambda v, c: (
        None if c.person is not None else _in(c.course, v.ids("taught_courses"))
    ),
    "course_student": lambda v, c: (
        None if c.person is not None else _in(c.course, v.ids("student_courses"))
    ),
    "course_peer": _on_person("course_peers"),
    "former_course_member": _on_person("former_course_people"),
    "contact_teacher": lambda v, c: _in(c.student, v.ids("contact_students")),
    "teaches": _on_person("taught_students"),
    "guardian": _guardian,
    "child": _on_person("guardians"),
    "teaches_child": _on_person("children_teachers"),
    "guardian_of_taught": _on_person("guardians_of_taught"),
    "school_leader": _school_clause("leader_schools"),
    "superuser": _school_clause("superuser_schools"),
    "school_teacher": _school_clause("teacher_schools"),
    "school_member": _school_clause("member_schools"),
    "participant": lambda v, c: _in(c.conversation, v.ids("conversations")),
    "conversation_fellow": _on_person("conversation_fellows"),
    "self_if_published": lambda v, c: _published_and(
        None if c.student is None else c.student == v.person, c
    ),
    "guardian_if_published": lambda v, c: _published_and(_in(c.student, v.ids("children")), c),
    "sysadmin": lambda v, c: true() if v.is_sysadmin else false(),
    # ``visible()`` answers false for an anonymous caller before any relation is compiled.
    "authenticated": lambda v, c: true(),
}


def ids_read(relations: Iterable[str], cols: FactColumns) -> frozenset[IdSet]:
    """The viewer's id sets the SQL forms of ``relations`` read on rows with ``cols``.

    Worked out from the forms themselves, built for a viewer with ids in every set: a form
    reads a set through ``ViewerShape.ids`` whatever the other sets hold (a constant false for
    an empty one), so that is every set it can read.
    """
    read: set[IdSet] = set()
    for relation in relations:
        clause = CLAUSES[relation](_EVERY_SET, cols)
        if clause is not None:
            read.update(
                _SET_OF_PARAM[element.key]
                for element in visitors.iterate(clause)
                if isinstance(element, BindParameter) and element.key in _SET_OF_PARAM
            )
    return frozenset(read)


def relation_template(
    relation: str, viewer: ViewerShape, cols: FactColumns
) -> ColumnElement[bool] | None:
    """SQL for "the viewer holds ``relation`` to the row" for every viewer of the shape
    ``viewer``, naming their ids as parameters (``viewer_params``); None if the relation cannot
    hold."""
    return CLAUSES[relation](viewer, cols)


def relation_clause(relation: str, viewer: Viewer, cols: FactColumns) -> ColumnElement[bool] | None:
    """SQL for "``viewer`` holds ``relation`` to the row", or None if the relation cannot hold:
    ``relation_template`` with the viewer's values bound, for a statement of its own."""
    clause = relation_template(relation, ViewerShape.of(viewer), cols)
    return None if clause is None else with_values(clause, viewer_params(viewer))

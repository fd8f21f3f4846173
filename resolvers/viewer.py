"""Loading the viewer: the caller's roles, courses, homerooms, family and conversations, in one
statement.

The statements are built once, with the person (or the token's subject) as a bound parameter:
SQLAlchemy then finds their compiled form in its cache without walking them again.
``resolvers.viewer_cache`` keeps loaded viewers between requests; what it checks them against
(:class:`Freshness`) is read in the same statement as what it checks.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Label,
    ScalarSelect,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.viewer import Viewer
from config.oidc import IdentifierKind
from store import tables as t
from store.db import reader
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

_PERSON = bindparam("person_id", type_=Integer)


@dataclass(frozen=True, slots=True)
class Freshness:
    """What a viewer loaded from the database was current for.

    ``epoch``: the ``viewer_epoch`` counter, which every change to roles, enrolments, courses,
    guardianships, people's sign-in facts and removed conversation participants raises in its
    own transaction (migration 0005); ``None`` on a database without the counter's row (one made
    from the table definitions, not the migrations), where nothing may be cached.
    ``conversation_links``: the pairs (a conversation of the person, someone in it), which every
    participant added to one of their conversations raises; adding participants raises no epoch,
    so starting a conversation does not make every gateway forget every viewer.
    """

    epoch: int | None
    conversation_links: int

    @property
    def cacheable(self) -> bool:
        return self.epoch is not None


def _conversation_links(person: ColumnElement[int]) -> ScalarSelect[int]:
    mine = t.conversation_participants.alias("links_mine")
    fellow = t.conversation_participants.alias("links_fellow")
    return (
        select(func.count())
        .select_from(mine.join(fellow, fellow.c.conversation_id == mine.c.conversation_id))
        .where(mine.c.person_id == person)
        .scalar_subquery()
    )


_EPOCH = select(t.viewer_epoch.c.epoch).where(t.viewer_epoch.c.id == 1).scalar_subquery()

#: How each kind of roster identifier a token may carry is compared (config.oidc). Every one of
#: these columns is unique or indexed.
_IDENTIFIER_CLAUSES: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "sourced_id": lambda value: _p.sourced_id == value,
    "username": lambda value: _p.username == value,
    "feide_id": lambda value: _p.feide_id == value,
    "national_id": lambda value: _p.national_id == value,
    "sourced_id_or_username": lambda value: or_(_p.sourced_id == value, _p.username == value),
}

#: More matches than this for one identifier are not told apart: two already mean "ambiguous".
_MATCHES_LOOKED_AT = 2


@lru_cache(maxsize=256)
def _find_caller_statement(kinds: tuple[IdentifierKind, ...]) -> Select[Any]:
    """For each identifier (``:value_0``, ``:value_1`` ... of the given kinds, in order) the
    ACTIVE, enabled people it names (at most two), with the :class:`Freshness` of each one's
    cached viewer, as of the same moment: one statement, each branch an indexed lookup.

    Built once per sequence of kinds (a handful per configuration): SQLAlchemy then finds its
    compiled form in its cache.
    """
    branches = []
    for rank, kind in enumerate(kinds):
        value = bindparam(f"value_{rank}", type_=String)
        found = (
            select(
                literal_column(str(rank), Integer).label("rank"),
                _p.id.label("person_id"),
                _p.preferred_language.label("preferred_language"),
            )
            .where(
                _IDENTIFIER_CLAUSES[kind](value),
                _p.processing_state == ProcessingState.ACTIVE,
                _p.enabled.is_(True),
            )
            .limit(_MATCHES_LOOKED_AT)
            .subquery(f"match_{rank}")
        )
        branches.append(select(found.c.rank, found.c.person_id, found.c.preferred_language))
    matches = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("matches")
    return select(
        matches.c.rank,
        matches.c.person_id,
        _EPOCH.label("epoch"),
        _conversation_links(matches.c.person_id).label("conversation_links"),
        matches.c.preferred_language,
    ).order_by(matches.c.rank, matches.c.person_id)


@dataclass(frozen=True, slots=True)
class CallerMatch:
    """Who a token's identifiers name.

    ``counts``: for each identifier, in order, how many ACTIVE, enabled people it names (2 means
    two or more). ``chosen``: the first identifier naming exactly one person, whose id and
    viewer freshness are ``person_id`` and ``freshness``; all three are None when none does.
    """

    counts: tuple[int, ...]
    chosen: int | None = None
    person_id: int | None = None
    freshness: Freshness | None = None
    #: the chosen person's stored language (``config.language``), read fresh with every request
    #: in the same statement (the viewer cache does not hold it: changing it raises no epoch)
    preferred_language: str | None = None


async def find_caller_by(
    engine: AsyncEngine, identifiers: Sequence[tuple[IdentifierKind, str]]
) -> CallerMatch:
    """The person the first of ``identifiers`` (kind, value) that names exactly one ACTIVE,
    enabled person names, in one statement (``_find_caller_statement``)."""
    if not identifiers:
        return CallerMatch(counts=())
    statement = _find_caller_statement(tuple(kind for kind, _value in identifiers))
    values = {f"value_{rank}": value for rank, (_kind, value) in enumerate(identifiers)}
    async with reader(engine).connect() as conn:
        rows = (await conn.execute(statement, values)).all()
    people: defaultdict[int, list[tuple[int, int | None, int, str | None]]] = defaultdict(list)
    for rank, person_id, epoch, links, language in rows:
        people[rank].append((person_id, epoch, links, language))
    counts = tuple(min(len(people[rank]), _MATCHES_LOOKED_AT) for rank in range(len(identifiers)))
    for rank, count in enumerate(counts):
        if count == 1:
            person_id, epoch, links, language = people[rank][0]
            return CallerMatch(counts, rank, person_id, Freshness(epoch, links), language)
    return CallerMatch(counts)


async def find_caller(engine: AsyncEngine, subject: str) -> tuple[int, Freshness] | None:
    """The ACTIVE, enabled person whose roster ``sourcedId`` or ``username`` is ``subject``,
    and the freshness of their viewer; ``None`` when no one or more than one person matches."""
    found = await find_caller_by(engine, [("sourced_id_or_username", subject)])
    if found.person_id is None or found.freshness is None:
        return None
    return found.person_id, found.freshness


async def find_person_id(engine: AsyncEngine, subject: str) -> int | None:
    """The ACTIVE person whose roster ``sourcedId`` or ``username`` is ``subject``."""
    found = await find_caller(engine, subject)
    return None if found is None else found[0]


class _Fact(enum.IntEnum):
    """What one row of the viewer's statement holds: its kind, then an id."""

    TAUGHT_COURSE = 10
    STUDIED_COURSE = 11
    LIVE_COURSE = 12
    HOMEROOM = 13
    LIVE_COURSE_SCHOOL = 14
    CHILD = 20
    GUARDIAN = 21
    CONVERSATION = 30
    FELLOW = 31
    CONTACT_STUDENT = 40
    TAUGHT_STUDENT = 41
    COURSE_PEER = 42
    FORMER_COURSE_PERSON = 43
    CHILD_COURSE = 50
    CHILD_TEACHER = 51
    GUARDIAN_OF_TAUGHT = 52
    EPOCH = 90
    CONVERSATION_LINKS = 91


#: A role assignment's row: one kind per role, then its school (NULL for a global role).
_ROLE_FACT: dict[Role, int] = {role: 1 + n for n, role in enumerate(Role)}
_FACT_ROLE: dict[int, Role] = {kind: role for role, kind in _ROLE_FACT.items()}


def _row(kind: int, value: ColumnElement[Any] | ScalarSelect[Any]) -> Select[Any]:
    fact: Label[int] = literal_column(str(int(kind)), Integer).label("kind")
    return select(fact, value.label("id"))


def _viewer_facts() -> CompoundSelect[Any]:
    """Everything :class:`Viewer` holds about the person ``:person_id``, as ``(kind, id)`` rows.

    A restricted (or erased) child's guardianship and enrolments are out of use
    (docs/privacy-actions.md §2): they give the guardian no access to the child's courses,
    teachers or registrations until the restriction is lifted. An archived course keeps its
    final memberships: they still grant the course's own content (taught, studied and children's
    courses). Relations to *people*, which reach their profiles and their new work, come from
    ACTIVE courses only; people met in archived courses stay visible by name only
    ("former_course_member"). Conversation fellows are everyone taking part in a conversation
    the viewer takes part in, the viewer included.
    """
    mine = (
        select(_e.course_id, _e.role, _c.school_id, _c.is_homeroom, _c.state)
        .join(t.courses, _c.id == _e.course_id)
        .where(_e.person_id == _PERSON, _current)
        .cte("viewer_courses")
    )
    live = mine.c.state == CourseState.ACTIVE
    teaching = mine.c.role == CourseRole.TEACHER
    active_people = select(_p.id).where(_p.processing_state == ProcessingState.ACTIVE)
    children = (
        select(_g.student_id.label("id"))
        .where(_g.guardian_id == _PERSON, _g.student_id.in_(active_people))
        .cte("viewer_children")
    )
    child_courses = (
        select(_e.course_id, _c.state)
        .join(t.courses, _c.id == _e.course_id)
        .where(
            _e.person_id.in_(select(children.c.id)),
            _e.role == CourseRole.STUDENT,
            _current,
        )
        .cte("viewer_child_courses")
    )

    def members(courses: Select[Any], role: CourseRole | None = None) -> Select[Any]:
        """The people currently enrolled in ``courses`` (as ``role``)."""
        found = select(_e.person_id).where(_e.course_id.in_(courses), _current)
        return found if role is None else found.where(_e.role == role)

    def people(kind: _Fact, courses: Select[Any], role: CourseRole | None = None) -> Select[Any]:
        found = _row(kind, _e.person_id).where(_e.course_id.in_(courses), _current)
        return found if role is None else found.where(_e.role == role)

    def courses(*where: ColumnElement[bool]) -> Select[Any]:
        return select(mine.c.course_id).where(*where)

    def child_courses_where(where: ColumnElement[bool]) -> Select[Any]:
        return select(child_courses.c.course_id).where(where)

    taught_live = courses(teaching, live)
    homerooms = courses(teaching, live, mine.c.is_homeroom.is_(True))
    child_live = child_courses.c.state == CourseState.ACTIVE
    mine_cp = t.conversation_participants.alias("viewer_conversations")
    fellow = t.conversation_participants.alias("viewer_fellows")
    role_fact = case(
        {role.value: kind for role, kind in _ROLE_FACT.items()}, value=_ra.role, else_=0
    )
    return union(
        select(role_fact.label("kind"), _ra.school_id.label("id")).where(_ra.person_id == _PERSON),
        _row(_Fact.TAUGHT_COURSE, mine.c.course_id).where(teaching),
        _row(_Fact.STUDIED_COURSE, mine.c.course_id).where(mine.c.role == CourseRole.STUDENT),
        _row(_Fact.LIVE_COURSE, mine.c.course_id).where(live),
        _row(_Fact.HOMEROOM, mine.c.course_id).where(teaching, live, mine.c.is_homeroom.is_(True)),
        _row(_Fact.LIVE_COURSE_SCHOOL, mine.c.school_id).where(live),
        _row(_Fact.CHILD, children.c.id),
        _row(_Fact.GUARDIAN, _g.guardian_id).where(_g.student_id == _PERSON),
        _row(_Fact.CONVERSATION, mine_cp.c.conversation_id).where(mine_cp.c.person_id == _PERSON),
        _row(_Fact.FELLOW, fellow.c.person_id)
        .select_from(mine_cp.join(fellow, fellow.c.conversation_id == mine_cp.c.conversation_id))
        .where(mine_cp.c.person_id == _PERSON),
        people(_Fact.CONTACT_STUDENT, homerooms, CourseRole.STUDENT),
        people(_Fact.TAUGHT_STUDENT, taught_live, CourseRole.STUDENT),
        people(_Fact.COURSE_PEER, courses(live)),
        people(_Fact.FORMER_COURSE_PERSON, courses(~live)),
        _row(_Fact.CHILD_COURSE, child_courses.c.course_id),
        people(_Fact.CHILD_TEACHER, child_courses_where(child_live), CourseRole.TEACHER),
        people(_Fact.FORMER_COURSE_PERSON, child_courses_where(~child_live), CourseRole.TEACHER),
        _row(_Fact.GUARDIAN_OF_TAUGHT, _g.guardian_id).where(
            _g.student_id.in_(members(taught_live, CourseRole.STUDENT))
        ),
        _row(_Fact.EPOCH, t.viewer_epoch.c.epoch).where(t.viewer_epoch.c.id == 1),
        _row(_Fact.CONVERSATION_LINKS, _conversation_links(_PERSON)),
    )


_VIEWER_FACTS = _viewer_facts()


async def load_viewer(engine: AsyncEngine, person_id: int) -> Viewer:
    """The viewer of ``person_id`` as the database holds it now (never a cached one)."""
    viewer, _freshness = await load_viewer_facts(engine, person_id)
    return viewer


async def load_viewer_facts(engine: AsyncEngine, person_id: int) -> tuple[Viewer, Freshness]:
    """The viewer of ``person_id`` and what it is current for, read in one statement."""
    async with reader(engine).connect() as conn:
        rows = (await conn.execute(_VIEWER_FACTS, {"person_id": person_id})).all()
    return _assemble(person_id, rows)


def _assemble(person_id: int, rows: Iterable[Sequence[Any]]) -> tuple[Viewer, Freshness]:
    facts: defaultdict[int, set[int]] = defaultdict(set)
    roles: list[tuple[Role, int | None]] = []
    epoch: int | None = None
    links = 0
    for kind, value in rows:
        if kind in _FACT_ROLE:
            roles.append((_FACT_ROLE[kind], value))
        elif kind == _Fact.EPOCH:
            epoch = value
        elif kind == _Fact.CONVERSATION_LINKS:
            links = value
        else:
            facts[kind].add(value)

    def of(kind: _Fact) -> frozenset[int]:
        return frozenset(facts.get(kind, ()))

    def schools_with(role: Role) -> frozenset[int]:
        return frozenset(s for r, s in roles if r == role and s is not None)

    taught, studied = of(_Fact.TAUGHT_COURSE), of(_Fact.STUDIED_COURSE)
    contact_students = of(_Fact.CONTACT_STUDENT)
    viewer = Viewer(
        person_id=person_id,
        is_sysadmin=any(r == Role.SYSTEM_ADMINISTRATOR for r, _s in roles),
        leader_schools=schools_with(Role.SCHOOL_LEADER),
        superuser_schools=schools_with(Role.SUPERUSER),
        teacher_schools=schools_with(Role.TEACHER),
        member_schools=frozenset(s for _r, s in roles if s is not None)
        | of(_Fact.LIVE_COURSE_SCHOOL),
        taught_courses=taught,
        student_courses=studied,
        enrolled_courses=taught | studied,
        homerooms_taught=of(_Fact.HOMEROOM),
        contact_students=contact_students,
        taught_students=of(_Fact.TAUGHT_STUDENT) | contact_students,
        children=of(_Fact.CHILD),
        guardians=of(_Fact.GUARDIAN),
        children_courses=of(_Fact.CHILD_COURSE),
        children_teachers=of(_Fact.CHILD_TEACHER),
        guardians_of_taught=of(_Fact.GUARDIAN_OF_TAUGHT),
        course_peers=of(_Fact.COURSE_PEER),
        former_course_people=of(_Fact.FORMER_COURSE_PERSON) - {person_id},
        role_names=frozenset(str(r) for r, _s in roles),
        conversations=of(_Fact.CONVERSATION),
        conversation_fellows=of(_Fact.FELLOW),
    )
    return viewer, Freshness(epoch, links)

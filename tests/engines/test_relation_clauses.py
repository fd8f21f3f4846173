"""The SQL form of each relation (``authz.relations.relation_clause``) on hand-made cases.

Each case is a few rows of a stand-in table with the fact columns an object can have (owner,
course, school, student, published, conversation, person), NULLs included, and whether the
viewer below holds the relation to each row; the clause runs as a WHERE condition on SQLite and
PostgreSQL. Two structural rules besides: a viewer with no ids for a relation gets a constant
false (no IN list, no subquery), and an object without the relation's fact columns gets None
("cannot hold", left out of the row rule's OR).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from engine_datasets import T0, refill
from engine_support import EngineDatabase
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from authz.relations import BASE_RELATIONS, FactColumns, relation_clause
from authz.viewer import Viewer
from store import tables as t
from store.tables import CourseRole, CourseState, Role

#: A stand-in object: every fact column an object type can have, all nullable.
things = Table(
    "engine_test_things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("owner", Integer),
    Column("course", Integer),
    Column("school", Integer),
    Column("student", Integer),
    Column("published", Boolean),
    Column("conversation", Integer),
    Column("person", Integer),
)
FACT_NAMES = ("owner", "course", "school", "student", "published", "conversation", "person")

ME = 1
#: The viewer of every case: each id set holds different ids, so a clause reading the wrong set
#: matches the wrong rows.
VIEWER = Viewer(
    person_id=ME,
    leader_schools=frozenset({101}),
    superuser_schools=frozenset({102}),
    teacher_schools=frozenset({103}),
    member_schools=frozenset({101, 104}),
    taught_courses=frozenset({201}),
    student_courses=frozenset({202}),
    enrolled_courses=frozenset({201, 202}),
    homerooms_taught=frozenset({201}),
    contact_students=frozenset({5}),
    taught_students=frozenset({5, 6}),
    children=frozenset({7}),
    guardians=frozenset({8}),
    children_courses=frozenset({203}),
    children_teachers=frozenset({9}),
    guardians_of_taught=frozenset({10}),
    course_peers=frozenset({11}),
    former_course_people=frozenset({12}),
    conversations=frozenset({901}),
    conversation_fellows=frozenset({13}),
)
SYSADMIN = Viewer(person_id=2, is_sysadmin=True)
NOBODY = Viewer(person_id=ME)

#: People 20-27 and their links to schools, for the school relations on a person: a role at
#: 101 (20), a current enrolment in an ACTIVE course of 101 (21), an ended one (22), a current
#: one in an ARCHIVED course of 101 (23), a role at 105 only (24); 25 has a role at 104, 26 at
#: 102, and 27 a current enrolment in an ACTIVE course of 103.
AT_SCHOOLS = [20, 21, 22, 23, 24, 25, 26, 27]


def _roster() -> dict[Table, list[dict[str, Any]]]:
    schools = [
        {"id": s, "sourced_id": f"org-{s}", "name": f"S{s}", "org_type": "school"}
        for s in (101, 102, 103, 104, 105)
    ]
    people = [
        {"id": p, "sourced_id": f"p-{p}", "created_at": T0, "updated_at": T0} for p in AT_SCHOOLS
    ]
    roles = [
        {"id": 1, "person_id": 20, "role": Role.TEACHER, "school_id": 101},
        {"id": 2, "person_id": 24, "role": Role.SCHOOL_LEADER, "school_id": 105},
        {"id": 3, "person_id": 25, "role": Role.STUDENT, "school_id": 104},
        {"id": 4, "person_id": 26, "role": Role.GUARDIAN, "school_id": 102},
    ]
    courses = [
        {
            "id": 204,
            "sourced_id": "c-204",
            "school_id": 101,
            "name": "Live",
            "state": CourseState.ACTIVE,
        },
        {
            "id": 205,
            "sourced_id": "c-205",
            "school_id": 101,
            "name": "Archived",
            "state": CourseState.ARCHIVED,
        },
        {
            "id": 206,
            "sourced_id": "c-206",
            "school_id": 103,
            "name": "Live at 103",
            "state": CourseState.ACTIVE,
        },
    ]
    enrolments = [
        {"id": 1, "course_id": 204, "person_id": 21, "role": CourseRole.STUDENT, "ended_at": None},
        {"id": 2, "course_id": 204, "person_id": 22, "role": CourseRole.STUDENT, "ended_at": T0},
        {"id": 3, "course_id": 205, "person_id": 23, "role": CourseRole.TEACHER, "ended_at": None},
        {"id": 4, "course_id": 206, "person_id": 27, "role": CourseRole.STUDENT, "ended_at": None},
    ]
    return {
        t.schools: schools,
        t.people: people,
        t.role_assignments: roles,
        t.courses: courses,
        t.enrolments: enrolments,
    }


#: (fact values of one row, whether the viewer holds the relation to it), per row
Rows = tuple[tuple[dict[str, Any], bool], ...]


@dataclass(frozen=True)
class Case:
    relation: str
    #: the fact columns the object has
    facts: tuple[str, ...]
    rows: Rows
    viewer: Viewer = field(default=VIEWER)

    @property
    def name(self) -> str:
        return f"{self.relation}-on-{'+'.join(self.facts) or 'nothing'}"


def _rows(fact: str, holds: list[Any], misses: list[Any]) -> Rows:
    return tuple([({fact: v}, True) for v in holds] + [({fact: v}, False) for v in misses])


CASES = [
    Case("self", ("owner",), _rows("owner", [ME], [2, None])),
    Case(
        "self",
        ("person", "owner"),
        (({"person": ME, "owner": 2}, True), ({"person": 2, "owner": ME}, False)),
    ),
    Case("course_teacher", ("course",), _rows("course", [201], [202, None])),
    Case("course_student", ("course",), _rows("course", [202], [201, None])),
    Case("course_peer", ("person",), _rows("person", [11], [12, None])),
    Case("former_course_member", ("person",), _rows("person", [12], [11, None])),
    Case("contact_teacher", ("student",), _rows("student", [5], [6, None])),
    Case("teaches", ("person",), _rows("person", [5, 6], [7, None])),
    Case("guardian", ("person",), _rows("person", [7], [8, None])),
    # On an object about one student, the student decides, not a course the child is in; a row
    # about no student (a file carried by a course document, not an answer) goes by its course.
    Case(
        "guardian",
        ("student", "course"),
        (
            ({"student": 7, "course": 201}, True),
            ({"student": 5, "course": 203}, False),
            ({"student": None, "course": 203}, True),
            ({"student": None, "course": 201}, False),
        ),
    ),
    Case("guardian", ("course",), _rows("course", [203], [201, None])),
    Case("child", ("person",), _rows("person", [8], [7, None])),
    Case("teaches_child", ("person",), _rows("person", [9], [10, None])),
    Case("guardian_of_taught", ("person",), _rows("person", [10], [9, None])),
    Case("school_leader", ("school",), _rows("school", [101], [102, 104, None])),
    Case("school_leader", ("person",), _rows("person", [20, 21], [22, 23, 24, 25, None])),
    Case("superuser", ("school",), _rows("school", [102], [101, None])),
    Case("superuser", ("person",), _rows("person", [26], [20, 21, 24, 27, None])),
    Case("school_teacher", ("school",), _rows("school", [103], [101, None])),
    Case("school_teacher", ("person",), _rows("person", [27], [20, 21, 26, None])),
    Case("school_member", ("school",), _rows("school", [101, 104], [102, None])),
    Case("school_member", ("person",), _rows("person", [20, 21, 25], [22, 23, 24, None])),
    Case("participant", ("conversation",), _rows("conversation", [901], [902, None])),
    Case("conversation_fellow", ("person",), _rows("person", [13], [ME, 11, None])),
    Case(
        "self_if_published",
        ("student", "published"),
        (
            ({"student": ME, "published": True}, True),
            ({"student": ME, "published": False}, False),
            ({"student": 2, "published": True}, False),
            ({"student": None, "published": True}, False),
        ),
    ),
    # Without a published column (a submission) the relation is just "the student".
    Case("self_if_published", ("student",), _rows("student", [ME], [2, None])),
    Case(
        "guardian_if_published",
        ("student", "published"),
        (
            ({"student": 7, "published": True}, True),
            ({"student": 7, "published": False}, False),
            ({"student": 5, "published": True}, False),
        ),
    ),
    Case("sysadmin", ("owner",), _rows("owner", [], [ME, None])),
    Case("sysadmin", ("owner",), _rows("owner", [ME, None], []), viewer=SYSADMIN),
    Case("authenticated", (), (({}, True), ({"owner": None}, True))),
]
#: Relations whose clause does not depend on a set of ids in the viewer.
NOT_FROM_ID_SETS = {"self", "self_if_published", "authenticated"}
#: Relations that hold whatever the object (checked per viewer, not per row).
ROW_INDEPENDENT = {"sysadmin", "authenticated"}


def _fact_columns(names: tuple[str, ...] | set[str]) -> FactColumns:
    return FactColumns(**{name: things.c[name] for name in names})


@dataclass(frozen=True)
class Loaded:
    """The stand-in rows of every case, by case name: (row id, whether the relation holds)."""

    rows: dict[str, list[tuple[int, bool]]]


async def _load(db: EngineDatabase) -> Loaded:
    loaded: dict[str, list[tuple[int, bool]]] = {}
    inserted: list[dict[str, Any]] = []
    for case in CASES:
        key = f"{case.name}-{case.viewer.person_id}"
        loaded[key] = []
        for values, holds in case.rows:
            row_id = len(inserted) + 1
            inserted.append({name: values.get(name) for name in FACT_NAMES} | {"id": row_id})
            loaded[key].append((row_id, holds))
    async with db.engine.begin() as conn:
        await conn.run_sync(things.metadata.drop_all)
        await conn.run_sync(things.metadata.create_all)
        await refill(conn, _roster())
        await conn.execute(things.insert(), inserted)
    return Loaded(loaded)


@pytest.fixture(scope="module")
def loaded(engine_db: EngineDatabase) -> Iterator[Loaded]:
    yield engine_db.run(_load(engine_db))


def test_every_relation_has_a_case() -> None:
    assert {case.relation for case in CASES} == set(BASE_RELATIONS)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}-viewer{c.viewer.person_id}" for c in CASES])
def test_clause_holds_exactly_on_the_rows_of_the_case(
    engine_db: EngineDatabase, loaded: Loaded, case: Case
) -> None:
    clause = relation_clause(case.relation, case.viewer, _fact_columns(case.facts))
    assert clause is not None
    rows = loaded.rows[f"{case.name}-{case.viewer.person_id}"]
    stmt = select(things.c.id).where(things.c.id.in_([i for i, _ in rows]), clause)

    async def matching() -> set[int]:
        async with engine_db.engine.connect() as conn:
            return set((await conn.execute(stmt)).scalars().all())

    assert engine_db.run(matching()) == {i for i, holds in rows if holds}


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.relation not in NOT_FROM_ID_SETS and c.viewer is VIEWER],
    ids=lambda c: c.name,
)
def test_no_ids_give_a_constant_false(
    engine_db: EngineDatabase, loaded: Loaded, case: Case
) -> None:
    """A viewer with empty id sets: a constant false, reading no column, matching no row."""
    clause = relation_clause(case.relation, NOBODY, _fact_columns(case.facts))
    assert clause is not None
    read = [e for e in visitors.iterate(clause) if isinstance(e, ColumnClause)]
    assert not read, f"{case.relation} still reads {read}"

    async def count() -> int:
        async with engine_db.engine.connect() as conn:
            return len((await conn.execute(select(things.c.id).where(clause))).all())

    assert engine_db.run(count()) == 0


@pytest.mark.parametrize("relation", sorted(set(BASE_RELATIONS) - ROW_INDEPENDENT))
def test_missing_fact_columns_give_none(relation: str) -> None:
    """Without the columns the relation is about, the clause is None ("cannot hold")."""
    used = {name for case in CASES if case.relation == relation for name in case.facts}
    assert relation_clause(relation, VIEWER, FactColumns()) is None
    assert relation_clause(relation, VIEWER, _fact_columns(set(FACT_NAMES) - used)) is None


@pytest.mark.parametrize("relation", ["course_teacher", "course_student"])
def test_course_relations_do_not_hold_on_a_person(relation: str) -> None:
    """A person has no course: ``course_*`` on a User is None even beside a course column."""
    assert relation_clause(relation, VIEWER, _fact_columns({"person", "course"})) is None


@pytest.mark.parametrize("relation", sorted(ROW_INDEPENDENT))
def test_row_independent_relations_need_no_fact_column(relation: str) -> None:
    assert relation_clause(relation, VIEWER, FactColumns()) is not None

"""Archived courses are read-only (docs/school-year.md rule 2), over HTTP, on SQLite and PostgreSQL.

Every mutation on an ARCHIVED course or its content answers COURSE_ARCHIVED and writes nothing
(row counts and the audit log unchanged), while the members still read it. A course whose
*school* is archived counts as archived. The check comes after visibility and the write rule, so
someone outside the course still gets NOT_FOUND or FORBIDDEN and learns nothing about its state.

Archiving rewrites the demo's courses, so this module has gateways of its own (a fresh demo
database per backend), and each test restores what it archived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway, own_gateway
from mutation_support import (
    assess,
    comment,
    count,
    create_assignment,
    create_document,
    create_event,
    create_post,
    ok,
    publish,
    refused,
    submit_answer,
)
from sqlalchemy import select, update

from config.ids import to_global_id
from store import tables as t

MAT8 = "c-bjs-mat8"  # larer.hansen teaches it; elev.ola is a student
NOR8 = (
    "c-bjs-nor8"  # larer.dahl teaches it; elev.ola is a student, larer.hansen her contact teacher
)
BJS = "org-bjs"

#: every table a learning mutation writes to, and the audit log
WRITTEN = [
    t.assignments,
    t.submissions,
    t.attachments,
    t.assessments,
    t.posts,
    t.comments,
    t.documents,
    t.calendar_events,
    t.audit_entries,
]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "archived") as gateway:
        yield gateway


def set_course_state(live: LiveGateway, sourced_id: str, state: str) -> None:
    c = t.courses.c
    archived_at = datetime.now(UTC) if state == "ARCHIVED" else None
    live.execute(
        update(t.courses)
        .where(c.sourced_id == sourced_id)
        .values(state=state, archived_at=archived_at),
    )


def set_school_state(live: LiveGateway, sourced_id: str, state: str) -> None:
    sc = t.schools.c
    archived_at = datetime.now(UTC) if state == "ARCHIVED" else None
    live.execute(
        update(t.schools)
        .where(sc.sourced_id == sourced_id)
        .values(state=state, archived_at=archived_at),
    )


def counts(live: LiveGateway) -> list[int]:
    return [count(live, table) for table in WRITTEN]


def first_id(live: LiveGateway, type_name: str, stmt: Any) -> str:
    return to_global_id(type_name, live.scalar(stmt.order_by(stmt.selected_columns[0]).limit(1)))


def mat8_assignment(live: LiveGateway) -> str:
    a = t.assignments.c
    return first_id(live, "Assignment", select(a.id).where(a.course_id == live.course_pk(MAT8)))


def mat8_post(live: LiveGateway) -> str:
    p = t.posts.c
    return first_id(live, "Post", select(p.id).where(p.course_id == live.course_pk(MAT8)))


def archived_refusals(live: LiveGateway) -> dict[str, Callable[[], GraphQLResult]]:
    """Every mutation on MAT8 (or NOR8, the contact teacher's path), by someone allowed to."""
    mat8, nor8 = live.course_id(MAT8), live.course_id(NOR8)
    ola = live.person_id("elev.ola")
    assignment, post = mat8_assignment(live), mat8_post(live)
    return {
        "createAssignment": lambda: create_assignment(live, "larer.hansen", mat8, "Ny oppgave"),
        "submitAnswer": lambda: submit_answer(live, "elev.ola", assignment, "Mitt svar"),
        "assess (course teacher)": lambda: assess(
            live, "larer.hansen", ola, mat8, "FEEDBACK", grade="5"
        ),
        "assess (teacher, HALF_YEAR)": lambda: assess(live, "larer.dahl", ola, nor8, "HALF_YEAR"),
        "assess (contact teacher)": lambda: assess(live, "larer.hansen", ola, nor8, "REMARK"),
        "publishAssessments": lambda: publish(live, "rektor.bjolsen", mat8, "HALF_YEAR"),
        "createPost (teacher)": lambda: create_post(live, "larer.hansen", mat8, "Husk prøven"),
        "createPost (student)": lambda: create_post(live, "elev.ola", mat8, "Hei alle"),
        "commentOnPost": lambda: comment(live, "elev.ola", post, "Takk!"),
        "createDocument": lambda: create_document(live, "elev.ola", "Notater", mat8),
        "createCalendarEvent": lambda: create_event(live, "larer.hansen", "Prøve", mat8),
    }


def assert_all_refused(live: LiveGateway) -> None:
    for name, action in archived_refusals(live).items():
        before = counts(live)
        result = action()
        assert result.codes() == {"COURSE_ARCHIVED"}, (name, result.errors)
        refused(result, "COURSE_ARCHIVED")
        assert counts(live) == before, name


COURSE_READ = """
query($id: ID!) { course(id: $id) {
  id name
  assignments(first: 50) { totalCount edges { node { id title } } }
  posts(first: 50) { totalCount edges { node { id body comments { id } } } }
} }"""


def test_an_archived_course_refuses_every_mutation(live: LiveGateway) -> None:
    set_course_state(live, MAT8, "ARCHIVED")
    set_course_state(live, NOR8, "ARCHIVED")
    try:
        assert_all_refused(live)
    finally:
        set_course_state(live, MAT8, "ACTIVE")
        set_course_state(live, NOR8, "ACTIVE")


def test_the_members_still_read_an_archived_course(live: LiveGateway) -> None:
    set_course_state(live, MAT8, "ARCHIVED")
    try:
        for who in ("larer.hansen", "elev.ola", "rektor.bjolsen"):
            result = live.gql(COURSE_READ, {"id": live.course_id(MAT8)}, as_user=who)
            course = ok(result, "course")
            assert course["assignments"]["totalCount"] > 0, who
            assert course["posts"]["totalCount"] > 0, who
        mine = live.gql("{ viewer { submissions(first: 50) { totalCount } } }", as_user="elev.ola")
        assert mine.errors == [], mine.errors
        assert mine.data["viewer"]["submissions"]["totalCount"] > 0
    finally:
        set_course_state(live, MAT8, "ACTIVE")


def test_outsiders_still_get_not_found_or_forbidden(live: LiveGateway) -> None:
    """No COURSE_ARCHIVED for people outside the course: it would tell them about it."""
    set_course_state(live, MAT8, "ARCHIVED")
    try:
        mat8, ola = live.course_id(MAT8), live.person_id("elev.ola")
        assignment, post = mat8_assignment(live), mat8_post(live)
        cases: list[tuple[str, Callable[[], GraphQLResult]]] = [
            ("NOT_FOUND", lambda: create_assignment(live, "larer.berg", mat8, "x")),
            ("FORBIDDEN", lambda: create_assignment(live, "elev.ola", mat8, "x")),
            ("FORBIDDEN", lambda: create_assignment(live, "rektor.bjolsen", mat8, "x")),
            ("NOT_FOUND", lambda: submit_answer(live, "elev.emma", assignment, "x")),
            ("FORBIDDEN", lambda: submit_answer(live, "larer.hansen", assignment, "x")),
            ("NOT_FOUND", lambda: assess(live, "larer.berg", ola, mat8, "FEEDBACK")),
            ("FORBIDDEN", lambda: assess(live, "rektor.bjolsen", ola, mat8, "FEEDBACK")),
            ("NOT_FOUND", lambda: publish(live, "rektor.sagene", mat8, "HALF_YEAR")),
            ("FORBIDDEN", lambda: publish(live, "larer.hansen", mat8, "HALF_YEAR")),
            ("NOT_FOUND", lambda: create_post(live, "larer.nilsen", mat8, "x")),
            ("FORBIDDEN", lambda: create_post(live, "foresatt.kari", mat8, "x")),
            ("NOT_FOUND", lambda: comment(live, "elev.emma", post, "x")),
            ("FORBIDDEN", lambda: comment(live, "superuser.bjolsen", post, "x")),
            ("NOT_FOUND", lambda: create_document(live, "elev.emma", "x", mat8)),
            ("FORBIDDEN", lambda: create_event(live, "elev.ola", "x", mat8)),
        ]
        for code, action in cases:
            before = counts(live)
            refused(action(), code)
            assert counts(live) == before
    finally:
        set_course_state(live, MAT8, "ACTIVE")


def test_a_course_of_an_archived_school_is_archived(live: LiveGateway) -> None:
    """The school archived, its courses (by hand) still ACTIVE: they are read-only too."""
    set_school_state(live, BJS, "ARCHIVED")
    try:
        assert_all_refused(live)
        result = live.gql(COURSE_READ, {"id": live.course_id(MAT8)}, as_user="larer.hansen")
        assert ok(result, "course")["posts"]["totalCount"] > 0
    finally:
        set_school_state(live, BJS, "ACTIVE")


def test_a_reactivated_course_is_writable_again(live: LiveGateway) -> None:
    set_course_state(live, MAT8, "ARCHIVED")
    refused(create_post(live, "larer.hansen", live.course_id(MAT8), "x"), "COURSE_ARCHIVED")
    set_course_state(live, MAT8, "ACTIVE")
    ok(create_post(live, "larer.hansen", live.course_id(MAT8), "Tilbake!"), "createPost")
    ok(create_document(live, "elev.ola", "Notater", live.course_id(MAT8)), "createDocument")

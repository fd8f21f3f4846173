"""``lastOpenedAt``/``lastOpenedBy``: a teacher of the course opening the answer is recorded."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from gateway_support import LiveGateway
from mutation_support import create_assignment, ok, submit_answer
from sqlalchemy.engine import make_url

OPENED = "query($id: ID!) { submission(id: $id) { body lastOpenedAt lastOpenedBy { id } } }"
STATUS_ONLY = "query($id: ID!) { submission(id: $id) { status lastOpenedAt lastOpenedBy { id } } }"


@pytest.fixture(scope="module")
def answer(live: LiveGateway) -> str:
    course = live.course_id("c-bjs-mat8")
    made = create_assignment(live, "larer.hansen", course, "Brøk, oppgave 7")
    assignment = ok(made, "createAssignment")["id"]
    answered = submit_answer(live, "elev.ola", assignment, "3/4 + 1/8 = 7/8")
    return str(ok(answered, "submitAnswer")["id"])


def test_the_student_reading_their_own_answer_records_nothing(
    live: LiveGateway, answer: str
) -> None:
    seen = live.gql(OPENED, {"id": answer}, as_user="elev.ola").data["submission"]
    assert seen["body"] == "3/4 + 1/8 = 7/8"
    assert seen["lastOpenedAt"] is None
    assert seen["lastOpenedBy"] is None


def test_a_teacher_reading_the_answer_is_recorded_for_the_student(
    live: LiveGateway, answer: str
) -> None:
    before = datetime.now(UTC)
    live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    seen = live.gql(STATUS_ONLY, {"id": answer}, as_user="elev.ola").data["submission"]
    assert seen["lastOpenedBy"] == {"id": live.person_id("larer.hansen")}
    assert datetime.fromisoformat(seen["lastOpenedAt"]) >= before.replace(microsecond=0)


def test_reading_without_the_body_or_by_the_school_leader_records_nothing(
    live: LiveGateway, answer: str
) -> None:
    first = live.gql(STATUS_ONLY, {"id": answer}, as_user="elev.ola").data["submission"]
    live.gql(STATUS_ONLY, {"id": answer}, as_user="larer.hansen")
    live.gql(OPENED, {"id": answer}, as_user="rektor.bjolsen")
    again = live.gql(STATUS_ONLY, {"id": answer}, as_user="elev.ola").data["submission"]
    assert again == first


def test_re_reading_an_answer_just_stamped_writes_nothing(live: LiveGateway, answer: str) -> None:
    live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    first = live.gql(STATUS_ONLY, {"id": answer}, as_user="elev.ola").data["submission"]
    with live.count_sql() as executed:
        again = live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    statements = list(executed)
    assert again.errors == [], again.errors
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")], statements
    assert live.gql(STATUS_ONLY, {"id": answer}, as_user="elev.ola").data["submission"] == first


# SQLite only: PostgreSQL has no database-wide write lock to hold (the test before this one
# shows, on both backends, that the re-read sends no UPDATE at all).
@pytest.mark.parametrize("live", ["sqlite"], indirect=True)
def test_re_reading_an_answer_just_stamped_needs_no_write_lock(
    live: LiveGateway, answer: str
) -> None:
    """While another process holds SQLite's write lock (``BEGIN IMMEDIATE``), a teacher re-reads
    an answer they opened a moment ago: answered at once, as nothing is to be written. Were a
    write transaction begun, the request would wait for the lock until SQLite's busy timeout and
    then fail."""
    live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    path = make_url(live.database_url).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        again = live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert again.errors == [], again.errors
    assert again.data["submission"]["lastOpenedBy"] == {"id": live.person_id("larer.hansen")}


def test_re_reading_an_answer_just_stamped_costs_no_statement_more(
    live: LiveGateway, answer: str
) -> None:
    """The request's own read of the answer shows the teacher's fresh stamp: nothing is looked
    up again after the operation, so reading the body costs what reading the status costs."""
    live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    with live.count_sql() as with_body:
        again = live.gql(OPENED, {"id": answer}, as_user="larer.hansen")
    with live.count_sql() as without_body:
        status = live.gql(STATUS_ONLY, {"id": answer}, as_user="larer.hansen")
    assert again.errors == [] and status.errors == [], (again.errors, status.errors)
    assert len(list(with_body)) == len(list(without_body)), (list(with_body), list(without_body))

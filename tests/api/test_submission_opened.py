"""``lastOpenedAt``/``lastOpenedBy``: a teacher of the course opening the answer is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from gateway_support import LiveGateway
from mutation_support import create_assignment, ok, submit_answer

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

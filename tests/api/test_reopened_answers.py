"""When an assessed answer opens again (docs/access-policy.md, write rule of ``submitAnswer``):
withdrawing the last assessment of an answer lets the student replace it; returning an answer
with a comment registers the return and its feedback in one transaction.

Over HTTP on both backends, on a gateway of its own (a student's enrolment is ended here). The
demo cast: larer.hansen teaches MAT8; elev.ola and elev.jakob are students in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway, own_gateway
from mutation_support import assess, count, create_assignment, ok, pk, refused, submit_answer
from sqlalchemy import func, select, update
from subscription_support import NOTIFICATION_ADDED, Subscriber, wait_registered

from config.ids import to_global_id
from resolvers.events import Topic
from store import tables as t

MAT8 = "c-bjs-mat8"
TEACHER = "larer.hansen"
WITHDRAW = """
mutation($id: ID!, $reason: String!) { withdrawAssessment(id: $id, reason: $reason) { id } }"""
RETURN = """
mutation($id: ID!, $comment: String) { returnSubmission(id: $id, comment: $comment) { id status } }
"""
S, X, N, A = t.submissions.c, t.assessments.c, t.notifications.c, t.audit_entries.c


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "reopened") as gateway:
        yield gateway


def new_answer(live: LiveGateway, student: str, body: str) -> tuple[str, str]:
    created = create_assignment(live, TEACHER, live.course_id(MAT8), f"Oppgave {body}")
    assignment = str(ok(created, "createAssignment")["id"])
    answer = str(ok(submit_answer(live, student, assignment, body), "submitAnswer")["id"])
    return assignment, answer


def graded(live: LiveGateway, student: str, answer: str, kind: str = "GOAL_ACHIEVEMENT") -> str:
    result = assess(
        live,
        TEACHER,
        live.person_id(student),
        live.course_id(MAT8),
        kind,
        submission=answer,
        grade="4",
    )
    return str(ok(result, "assess")["id"])


def withdraw(live: LiveGateway, assessment: str) -> None:
    result = live.gql(WITHDRAW, {"id": assessment, "reason": "Feil svar"}, as_user=TEACHER)
    assert ok(result, "withdrawAssessment") == {"id": assessment}


def assessed_at(live: LiveGateway, answer: str) -> Any:
    return live.scalar(select(S.assessed_at).where(S.id == pk(answer)))


def state(live: LiveGateway, student: str) -> tuple[Any, ...]:
    """Everything a return with feedback writes: assessments, notifications, audit entries."""
    return (
        count(live, t.assessments),
        count(live, t.notifications, N.person_id == live.person_pk(student)),
        live.scalar(select(func.coalesce(func.max(A.id), 0))),
    )


def test_withdrawing_the_only_assessment_lets_the_student_submit_again(live: LiveGateway) -> None:
    assignment, answer = new_answer(live, "elev.ola", "Vurdert tekst")
    assessment = graded(live, "elev.ola", answer)
    assert assessed_at(live, answer) is not None
    refused(submit_answer(live, "elev.ola", assignment, "For sent"), "CONFLICT")

    withdraw(live, assessment)
    assert assessed_at(live, answer) is None
    again = ok(submit_answer(live, "elev.ola", assignment, "Ny tekst"), "submitAnswer")
    assert again["id"] == answer
    assert live.scalar(select(S.body).where(S.id == pk(answer))) == "Ny tekst"
    # Nothing assessed was replaced, so no version of it is kept.
    v = t.submission_versions.c
    assert count(live, t.submission_versions, v.submission_id == pk(answer)) == 0
    # Assessed again, it is locked again.
    graded(live, "elev.ola", answer)
    refused(submit_answer(live, "elev.ola", assignment, "Igjen"), "CONFLICT")


def test_withdrawing_one_of_two_assessments_keeps_the_answer_locked(live: LiveGateway) -> None:
    assignment, answer = new_answer(live, "elev.ola", "To vurderinger")
    first = graded(live, "elev.ola", answer)
    second = graded(live, "elev.ola", answer, kind="FEEDBACK")
    marked = assessed_at(live, answer)

    withdraw(live, first)
    assert assessed_at(live, answer) == marked
    refused(submit_answer(live, "elev.ola", assignment, "Byttet"), "CONFLICT")
    assert live.scalar(select(S.body).where(S.id == pk(answer))) == "To vurderinger"

    withdraw(live, second)
    assert assessed_at(live, answer) is None
    ok(submit_answer(live, "elev.ola", assignment, "Byttet"), "submitAnswer")


def test_a_withdrawn_assessment_without_an_answer_touches_no_answer(live: LiveGateway) -> None:
    assignment, answer = new_answer(live, "elev.ola", "Urørt")
    graded(live, "elev.ola", answer)
    loose = assess(
        live, TEACHER, live.person_id("elev.ola"), live.course_id(MAT8), "FEEDBACK", grade="3"
    )
    withdraw(live, str(ok(loose, "assess")["id"]))
    assert assessed_at(live, answer) is not None
    refused(submit_answer(live, "elev.ola", assignment, "Nei"), "CONFLICT")


def test_a_return_whose_feedback_fails_returns_nothing_and_tells_nobody(
    live: LiveGateway,
) -> None:
    """The student's enrolment ended after they answered: a teacher of the course may still
    return the answer, but not register feedback on it (``assess`` refuses a student who is not
    enrolled), so a return with a comment is refused whole."""
    student = "elev.jakob"
    _, answer = new_answer(live, student, "Levert før utmelding")
    e = t.enrolments.c
    enrolment = (
        e.person_id == live.person_pk(student),
        e.course_id == live.course_pk(MAT8),
        e.role == "STUDENT",
    )
    with Subscriber.of(live.url, live.token(student)) as subscriber:
        base = live.state.events.registered(Topic.NOTIFICATION)
        subscriber.subscribe("n", NOTIFICATION_ADDED)
        wait_registered(live.state.events, Topic.NOTIFICATION, base + 1)
        live.execute(update(t.enrolments).where(*enrolment).values(ended_at=datetime.now(UTC)))
        try:
            before = state(live, student)
            result: GraphQLResult = live.gql(
                RETURN, {"id": answer, "comment": "Se på oppgave 2"}, as_user=TEACHER
            )
            refused(result, "BAD_USER_INPUT")
            status = live.scalar(select(S.status).where(S.id == pk(answer)))
            assert status == "SUBMITTED"
            assert state(live, student) == before
            assert count(live, t.assessments, X.submission_id == pk(answer)) == 0

            # Without the comment the same return goes through: the feedback was what failed.
            plain = live.gql(RETURN, {"id": answer}, as_user=TEACHER)
            assert ok(plain, "returnSubmission")["status"] == "RETURNED"
        finally:
            live.execute(update(t.enrolments).where(*enrolment).values(ended_at=None))
        # The first notification the student hears of is the plain return's.
        newest = live.scalar(
            select(func.max(N.id)).where(
                N.person_id == live.person_pk(student), N.kind == "SUBMISSION_RETURNED"
            )
        )
        payload = subscriber.next_payload("n")
        assert payload["data"]["notificationAdded"]["id"] == to_global_id("Notification", newest)
        assert subscriber.nothing_within(0.5)
        assert state(live, student)[1] == before[1] + 1


def test_a_return_with_a_comment_writes_the_return_and_the_feedback(live: LiveGateway) -> None:
    student = "elev.ola"
    _, answer = new_answer(live, student, "Første utkast")
    before = state(live, student)
    with Subscriber.of(live.url, live.token(student)) as subscriber:
        base = live.state.events.registered(Topic.NOTIFICATION)
        subscriber.subscribe("n", NOTIFICATION_ADDED)
        wait_registered(live.state.events, Topic.NOTIFICATION, base + 1)
        result = live.gql(RETURN, {"id": answer, "comment": "Mer forklaring"}, as_user=TEACHER)
        assert ok(result, "returnSubmission") == {"id": answer, "status": "RETURNED"}
        payload = subscriber.next_payload("n")
        assert payload["data"]["notificationAdded"]["kind"] == "SUBMISSION_RETURNED"
        assert subscriber.nothing_within(0.5)
    feedback = live.rows(
        select(X.kind, X.comment, X.grade, X.published, X.assessor_id).where(
            X.submission_id == pk(answer)
        )
    )
    assert [tuple(row) for row in feedback] == [
        ("FEEDBACK", "Mer forklaring", None, True, live.person_pk(TEACHER))
    ]
    assert live.scalar(select(S.status).where(S.id == pk(answer))) == "RETURNED"
    assert assessed_at(live, answer) is not None
    entries = live.rows(select(t.audit_entries).where(A.id > before[2]).order_by(A.id))
    assert [(e.action, e.target_type) for e in entries] == [
        ("RETURN_SUBMISSION", "Submission"),
        ("ASSESS", "Assessment"),
    ]
    assert {e.subject_id for e in entries} == {live.person_pk(student)}
    assert state(live, student)[:2] == (before[0] + 1, before[1] + 1)

"""A student cannot replace an answer that has been assessed: ``CONFLICT``, and the assessed text
stays, unless a teacher returned it (docs/access-policy.md, write rule of ``submitAnswer``).

Through HTTP on both backends, on a gateway of its own. The race test sends a student's
resubmission and the teacher's assessment of the same answer at the same moment, many times:
whichever commits first, the assessed text is never overwritten. The audit log is written in
commit order (one appender at a time), so it tells which of the two came first. Last, the
upgrade that brings the rule to answers assessed before it (migration 0004).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from db_support import BACKENDS, fresh_database
from gateway_support import DEMO_ROSTER, TEST_DEV_SECRET, GraphQLResult, LiveGateway, own_gateway
from mutation_support import (
    ASSESS,
    SUBMIT_ANSWER,
    assess,
    count,
    create_assignment,
    created_pk,
    ok,
    pk,
    refused,
    submit_answer,
)
from race_support import Call, at_once
from sqlalchemy import func, select, update

from config.ids import to_global_id
from config.settings import Settings
from gateway.demo import ensure_demo
from store import tables as t
from store.db import alembic_config, make_engine
from store.tables import SubmissionStatus

MAT8 = "c-bjs-mat8"
STUDENT = "elev.ola"
TEACHER = "larer.hansen"
ROUNDS = 24
#: the student's request leaves this much later in successive rounds (seconds), so that it
#: meets the teacher's transaction at every step: before it, inside it, after it
STAGGER = 0.0015


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "assessed-answer") as gateway:
        yield gateway


def new_assignment(live: LiveGateway, title: str) -> str:
    result = create_assignment(live, TEACHER, live.course_id(MAT8), title)
    return str(ok(result, "createAssignment")["id"])


def submit(live: LiveGateway, assignment: str, body: str, **extra: Any) -> GraphQLResult:
    data = {"assignmentId": assignment, "body": body, **extra}
    return live.gql(SUBMIT_ANSWER, {"input": data}, as_user=STUDENT)


def feedback_on(live: LiveGateway, submission: str) -> GraphQLResult:
    return assess(
        live,
        TEACHER,
        live.person_id(STUDENT),
        live.course_id(MAT8),
        "FEEDBACK",
        submission=submission,
        grade="5",
    )


def stored_body(live: LiveGateway, submission_pk: int) -> str:
    s = t.submissions.c
    return str(live.scalar(select(s.body).where(s.id == submission_pk)))


def test_an_unassessed_answer_can_be_replaced(live: LiveGateway) -> None:
    assignment = new_assignment(live, "Utkast")
    first = created_pk(submit_answer(live, STUDENT, assignment, "Utkast 1"), "submitAnswer")
    again = created_pk(submit_answer(live, STUDENT, assignment, "Utkast 2"), "submitAnswer")
    assert again == first
    assert stored_body(live, first) == "Utkast 2"


def test_an_assessed_answer_is_not_replaced(live: LiveGateway) -> None:
    assignment = new_assignment(live, "Essay")
    first = submit(live, assignment, "Mitt essay", attachments=[{"filename": "essay.pdf"}])
    submission = ok(first, "submitAnswer")["id"]
    ok(feedback_on(live, submission), "assess")
    attachments = count(live, t.attachments, t.attachments.c.submission_id == pk(submission))
    audit = count(live, t.audit_entries)

    result = submit(live, assignment, "Et helt nytt essay", attachments=[])
    refused(result, "CONFLICT")
    assert "has been assessed" in result.errors[0]["message"]
    assert "return" in result.errors[0]["message"]
    assert stored_body(live, pk(submission)) == "Mitt essay"
    assert count(live, t.attachments, t.attachments.c.submission_id == pk(submission)) == (
        attachments
    )
    assert count(live, t.audit_entries) == audit


def test_an_assessment_without_the_answer_does_not_lock_it(live: LiveGateway) -> None:
    """Only an assessment that refers to the answer (``submissionId``) locks it."""
    assignment = new_assignment(live, "Prosjekt")
    submission = created_pk(submit_answer(live, STUDENT, assignment, "Del 1"), "submitAnswer")
    ok(
        assess(live, TEACHER, live.person_id(STUDENT), live.course_id(MAT8), "GOAL_ACHIEVEMENT"),
        "assess",
    )
    ok(submit_answer(live, STUDENT, assignment, "Del 1 og 2"), "submitAnswer")
    assert stored_body(live, submission) == "Del 1 og 2"


def test_a_returned_answer_can_be_replaced_and_is_locked_again_when_assessed(
    live: LiveGateway,
) -> None:
    """RETURNED lifts the lock (a teacher's return sets it); the new answer is open until it is
    assessed in turn."""
    assignment = new_assignment(live, "Rapport")
    submission = ok(submit_answer(live, STUDENT, assignment, "Rapport v1"), "submitAnswer")["id"]
    ok(feedback_on(live, submission), "assess")
    refused(submit_answer(live, STUDENT, assignment, "Rapport v2"), "CONFLICT")

    s = t.submissions.c
    live.execute(
        update(t.submissions).where(s.id == pk(submission)).values(status=SubmissionStatus.RETURNED)
    )
    replaced = ok(submit_answer(live, STUDENT, assignment, "Rapport v2"), "submitAnswer")
    assert replaced["status"] in ("SUBMITTED", "LATE")
    assert stored_body(live, pk(submission)) == "Rapport v2"
    assert live.scalar(select(s.assessed_at).where(s.id == pk(submission))) is None

    ok(feedback_on(live, submission), "assess")
    refused(submit_answer(live, STUDENT, assignment, "Rapport v3"), "CONFLICT")
    assert stored_body(live, pk(submission)) == "Rapport v2"


# --- the race ------------------------------------------------------------------------------


def audit_id(live: LiveGateway, action: str, target_type: str, target: int) -> int:
    a = t.audit_entries.c
    return int(
        live.scalar(
            select(a.id)
            .where(a.action == action, a.target_type == target_type, a.target_id == target)
            .order_by(a.id.desc())
            .limit(1)
        )
    )


def test_a_resubmission_racing_the_assessment_never_overwrites_assessed_text(
    live: LiveGateway,
) -> None:
    student, teacher = live.token(STUDENT), live.token(TEACHER)
    for round_ in range(ROUNDS):
        assignment = new_assignment(live, f"Kappløp {round_}")
        old, new = f"Svar {round_}", f"Nytt svar {round_}"
        submission = ok(submit_answer(live, STUDENT, assignment, old), "submitAnswer")["id"]
        resubmit = {"input": {"assignmentId": assignment, "body": new}}
        assessment = {
            "input": {
                "studentId": live.person_id(STUDENT),
                "courseId": live.course_id(MAT8),
                "kind": "FEEDBACK",
                "submissionId": submission,
                "grade": "4",
            }
        }
        replaced, assessed = at_once(
            live.url,
            Call(student, SUBMIT_ANSWER, resubmit, delay=round_ * STAGGER),
            Call(teacher, ASSESS, assessment),
        )
        assessment_pk = pk(ok(assessed, "assess")["id"])
        assess_entry = audit_id(live, "ASSESS", "Assessment", assessment_pk)
        if replaced.errors:
            # The assessment came first: the resubmission was refused, the text kept.
            refused(replaced, "CONFLICT")
            assert stored_body(live, pk(submission)) == old
        else:
            # The resubmission came first: it committed before the assessment was written, so
            # the teacher assessed the new text, which nothing replaced afterwards.
            assert stored_body(live, pk(submission)) == new
            submit_entry = audit_id(live, "SUBMIT_ANSWER", "Submission", pk(submission))
            assert submit_entry < assess_entry
        # Either way the answer is now assessed and locked.
        refused(submit_answer(live, STUDENT, assignment, "For sent"), "CONFLICT")


def test_the_lock_is_on_the_answer_not_on_the_student(live: LiveGateway) -> None:
    """Another answer of the same student stays open while one is assessed."""
    locked = new_assignment(live, "Låst")
    open_ = new_assignment(live, "Åpen")
    submission = ok(submit_answer(live, STUDENT, locked, "Ferdig"), "submitAnswer")["id"]
    ok(submit_answer(live, STUDENT, open_, "Utkast"), "submitAnswer")
    ok(feedback_on(live, submission), "assess")
    ok(submit_answer(live, STUDENT, open_, "Bedre utkast"), "submitAnswer")
    node = live.gql(
        "query($id: ID!) { submission(id: $id) { body } }",
        {"id": to_global_id("Submission", pk(submission))},
        as_user=STUDENT,
    )
    assert node.data["submission"]["body"] == "Ferdig"


def test_simultaneous_first_answers_make_one_submission(live: LiveGateway) -> None:
    """Two first submissions of the same answer at the same moment (a double click, two tabs):
    one submission row, holding the text that committed last."""
    student = live.token(STUDENT)
    s = t.submissions.c
    for round_ in range(8):
        assignment = new_assignment(live, f"Dobbeltklikk {round_}")
        first, second = at_once(
            live.url,
            Call(student, SUBMIT_ANSWER, {"input": {"assignmentId": assignment, "body": "A"}}),
            Call(student, SUBMIT_ANSWER, {"input": {"assignmentId": assignment, "body": "B"}}),
        )
        ids = {ok(first, "submitAnswer")["id"], ok(second, "submitAnswer")["id"]}
        assert len(ids) == 1
        rows = live.rows(
            select(s.id).where(
                s.assignment_id == pk(assignment), s.student_id == live.person_pk(STUDENT)
            )
        )
        assert len(rows) == 1


# --- the migration ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_locks_the_answers_assessed_before_it(backend: str, tmp_path: Path) -> None:
    """Migration 0004 on the demo school, from 0003: every answer an assessment refers to gets
    the time of the earliest such assessment; the others stay open."""
    with fresh_database(backend, tmp_path, prefix="tavle_assessed_at") as url:
        settings = Settings(data_dir=tmp_path, database_url=url, dev_secret=TEST_DEV_SECRET)
        asyncio.run(ensure_demo(settings, DEMO_ROSTER))
        command.downgrade(alembic_config(url), "0003")
        command.upgrade(alembic_config(url), "head")

        s, a = t.submissions.c, t.assessments.c
        earliest = select(func.min(a.created_at)).where(a.submission_id == s.id).scalar_subquery()

        async def read() -> list[Any]:
            engine = make_engine(url)
            try:
                async with engine.connect() as conn:
                    rows = await conn.execute(select(s.id, s.assessed_at, earliest))
                    return list(rows.all())
            finally:
                await engine.dispose()

        rows = asyncio.run(read())
        assert any(first is not None for _, _, first in rows), "the demo assesses answers"
        assert any(first is None for _, _, first in rows), "the demo has open answers"
        assert [(sid, assessed) for sid, assessed, _ in rows] == [
            (sid, first) for sid, _, first in rows
        ]

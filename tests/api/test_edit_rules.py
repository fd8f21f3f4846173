"""Editing and deleting (docs/access-policy.md, "Editing and deleting"), over HTTP, role by role.

For every edit and delete mutation: each allowed actor succeeds (and the change and its audit
entry are there), every denied actor gets FORBIDDEN when the target is visible to them or
NOT_FOUND when it is not, and a denied write changes nothing and audits nothing. The six roles
(student, teacher, guardian, school leader, superuser, system administrator) appear with their
relation variants: the author and another student of the course, the course's teacher and a
teacher of the same school who does not teach it, the school's and the other school's leaders.

The demo cast (gateway/demo_data/roster): MAT8 is taught by larer.hansen (the 8A contact
teacher); elev.ola and elev.jakob are students in it; foresatt.kari is elev.ola's guardian;
larer.berg teaches ENG9 and is the 9A contact teacher (elev.emma); rektor.bjolsen and
superuser.bjolsen run Bjølsen skole, rektor.sagene Sagene skole; admin is a system
administrator. These tests unpublish and mark notifications read, so they run on a gateway of
their own (a fresh demo database per backend).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
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
    created_pk,
    ok,
    pk,
    publish,
    refused,
    send_message,
    submit_answer,
)
from sqlalchemy import func, select, update

from config.ids import to_global_id
from store import tables as t

MAT8 = "c-bjs-mat8"
ENG9 = "c-bjs-eng9"
A = t.audit_entries.c

#: every table these mutations write to, and the audit log
WRITTEN = [
    t.posts,
    t.comments,
    t.documents,
    t.calendar_events,
    t.assignments,
    t.submissions,
    t.submission_versions,
    t.messages,
    t.assessments,
    t.assessment_revisions,
    t.notifications,
    t.audit_entries,
]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "edits") as gateway:
        yield gateway


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def snapshot(live: LiveGateway) -> list[int]:
    """Row counts of every written table, and the newest audit entry's id."""
    return [count(live, table) for table in WRITTEN] + [
        int(live.scalar(select(func.coalesce(func.max(A.id), 0))))
    ]


def last_entry_id(live: LiveGateway) -> int:
    return int(live.scalar(select(func.coalesce(func.max(A.id), 0))))


def entries_after(live: LiveGateway, entry_id: int) -> list[Any]:
    return live.rows(select(t.audit_entries).where(A.id > entry_id).order_by(A.id))


def expect(result: GraphQLResult, field: str, outcome: str) -> Any:
    """``outcome`` "OK": the payload; otherwise the error code it was refused with."""
    if outcome == "OK":
        return ok(result, field)
    refused(result, outcome)
    return None


def audited_once(
    live: LiveGateway, before: int, who: str, action: str, target_type: str, target_id: int
) -> Any:
    entries = entries_after(live, before)
    assert [(e.action, e.target_type, e.target_id) for e in entries] == [
        (action, target_type, target_id)
    ]
    assert entries[0].actor_id == live.person_pk(who)
    return entries[0]


def check_matrix(
    live: LiveGateway,
    who: str,
    outcome: str,
    run: Callable[[], GraphQLResult],
    field: str,
    action: str,
    target_type: str,
    target_id: int,
) -> Any:
    """Run a mutation as ``who``: on success exactly one audit entry; refused, nothing written."""
    before = snapshot(live)
    first_entry = last_entry_id(live)
    result = run()
    payload = expect(result, field, outcome)
    if outcome == "OK":
        audited_once(live, first_entry, who, action, target_type, target_id)
    else:
        assert snapshot(live) == before, result
    return payload


# --- the matrices ---------------------------------------------------------------------------------

#: content in MAT8 written by a student (elev.ola): posts, comments, a document shared to MAT8
STUDENT_CONTENT = [
    ("elev.ola", "OK"),  # the author
    ("elev.jakob", "FORBIDDEN"),  # another student of the course
    ("larer.hansen", "OK"),  # teacher of the course
    ("larer.berg", "NOT_FOUND"),  # teacher at the school, not of the course
    ("foresatt.kari", "NOT_FOUND"),  # the author's guardian: posts are for the course's members
    ("rektor.bjolsen", "OK"),  # the school's leader
    ("superuser.bjolsen", "OK"),  # the school's superuser
    ("admin", "FORBIDDEN"),  # the system administrator sees it, but uses the privacy tool
    ("rektor.sagene", "NOT_FOUND"),  # the other school's leader
    ("elev.emma", "NOT_FOUND"),  # a student at the school outside the course
]
#: content in MAT8 written by its teacher (larer.hansen): assignments and course events, which
#: guardians see
TEACHER_CONTENT = [
    ("larer.hansen", "OK"),  # the author, teacher of the course
    ("elev.ola", "FORBIDDEN"),  # a student of the course
    ("foresatt.kari", "FORBIDDEN"),  # a student's guardian, who sees it
    ("larer.berg", "NOT_FOUND"),
    ("rektor.bjolsen", "OK"),
    ("superuser.bjolsen", "OK"),
    ("admin", "FORBIDDEN"),
    ("rektor.sagene", "NOT_FOUND"),
    ("larer.nilsen", "NOT_FOUND"),  # a teacher at the other school
]
#: a personal document or event of elev.ola's
PERSONAL = [
    ("elev.ola", "OK"),
    ("larer.hansen", "NOT_FOUND"),
    ("foresatt.kari", "NOT_FOUND"),
    ("rektor.bjolsen", "NOT_FOUND"),
    ("superuser.bjolsen", "NOT_FOUND"),
    ("admin", "FORBIDDEN"),
]


def cases(matrix: list[tuple[str, str]]) -> list[Any]:
    return [pytest.param(who, outcome, id=f"{who}-{outcome}") for who, outcome in matrix]


UPDATE_POST = "mutation($id: ID!, $body: String!) { updatePost(id: $id, body: $body) { id body } }"
DELETE_POST = "mutation($id: ID!) { deletePost(id: $id) { id } }"
UPDATE_COMMENT = """
mutation($id: ID!, $body: String!) { updateComment(id: $id, body: $body) { id body } }"""
DELETE_COMMENT = "mutation($id: ID!) { deleteComment(id: $id) { id } }"
UPDATE_DOCUMENT = """
mutation($id: ID!, $title: String, $body: String) {
  updateDocument(id: $id, title: $title, body: $body) { id title body }
}"""
UPDATE_DOCUMENT_TITLE = """
mutation($id: ID!, $title: String) { updateDocument(id: $id, title: $title) { id title body } }"""
DELETE_DOCUMENT = "mutation($id: ID!) { deleteDocument(id: $id) { id } }"
UPDATE_EVENT = """
mutation($id: ID!, $title: String, $startsAt: DateTime, $endsAt: DateTime) {
  updateCalendarEvent(id: $id, title: $title, startsAt: $startsAt, endsAt: $endsAt) {
    id title startsAt endsAt
  }
}"""
UPDATE_EVENT_TITLE = """
mutation($id: ID!, $title: String) { updateCalendarEvent(id: $id, title: $title) { id title } }"""
DELETE_EVENT = "mutation($id: ID!) { deleteCalendarEvent(id: $id) { id } }"
UPDATE_ASSIGNMENT = """
mutation($id: ID!, $title: String, $dueAt: DateTime) {
  updateAssignment(id: $id, title: $title, dueAt: $dueAt) { id title dueAt }
}"""
DELETE_ASSIGNMENT = "mutation($id: ID!) { deleteAssignment(id: $id) { id } }"
DELETE_MESSAGE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
UPDATE_ASSESSMENT = """
mutation($id: ID!, $input: AssessmentUpdateInput!) {
  updateAssessment(id: $id, input: $input) { id grade comment }
}"""
WITHDRAW = """
mutation($id: ID!, $reason: String!) { withdrawAssessment(id: $id, reason: $reason) { id } }"""
UNPUBLISH = """
mutation($courseId: ID!, $kind: AssessmentKind!) {
  unpublishAssessments(courseId: $courseId, kind: $kind) { id published }
}"""
RETURN = """
mutation($id: ID!, $comment: String) { returnSubmission(id: $id, comment: $comment) { id status } }
"""
MARK_READ = """
mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { id readAt } }"""
ASSESSMENT = "query($id: ID!) { assessment(id: $id) { id grade } }"


def new_post(live: LiveGateway) -> str:
    result = create_post(live, "elev.ola", live.course_id(MAT8), unique("Innlegg"))
    return str(ok(result, "createPost")["id"])


def new_comment(live: LiveGateway) -> str:
    result = comment(live, "elev.ola", new_post(live), unique("Kommentar"))
    return str(ok(result, "commentOnPost")["id"])


def new_document(live: LiveGateway, course: str | None) -> str:
    result = create_document(live, "elev.ola", unique("Notat"), course)
    return str(ok(result, "createDocument")["id"])


def new_event(live: LiveGateway, who: str, course: str | None) -> str:
    return str(ok(create_event(live, who, unique("Prøve"), course), "createCalendarEvent")["id"])


def new_assignment(live: LiveGateway) -> str:
    result = create_assignment(live, "larer.hansen", live.course_id(MAT8), unique("Oppgave"))
    return str(ok(result, "createAssignment")["id"])


def exists(live: LiveGateway, table: Any, global_id: str) -> bool:
    return count(live, table, table.c.id == pk(global_id)) == 1


# --- posts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "outcome"), cases(STUDENT_CONTENT))
def test_update_post(live: LiveGateway, who: str, outcome: str) -> None:
    post = new_post(live)
    body = unique("Rettet")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(UPDATE_POST, {"id": post, "body": body}, as_user=who),
        "updatePost",
        "UPDATE_POST",
        "Post",
        pk(post),
    )
    stored = live.scalar(select(t.posts.c.body).where(t.posts.c.id == pk(post)))
    if payload is not None:
        assert payload["body"] == body == stored
    else:
        assert stored != body


@pytest.mark.parametrize(("who", "outcome"), cases(STUDENT_CONTENT))
def test_delete_post_deletes_its_comments(live: LiveGateway, who: str, outcome: str) -> None:
    post = new_post(live)
    reply = created_pk(comment(live, "elev.jakob", post, "Svar"), "commentOnPost")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_POST, {"id": post}, as_user=who),
        "deletePost",
        "DELETE_POST",
        "Post",
        pk(post),
    )
    if payload is not None:
        assert payload == {"id": post}
        assert not exists(live, t.posts, post)
        assert count(live, t.comments, t.comments.c.id == reply) == 0
    else:
        assert exists(live, t.posts, post)


# --- comments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "outcome"), cases(STUDENT_CONTENT))
def test_update_comment(live: LiveGateway, who: str, outcome: str) -> None:
    reply = new_comment(live)
    body = unique("Rettet")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(UPDATE_COMMENT, {"id": reply, "body": body}, as_user=who),
        "updateComment",
        "UPDATE_COMMENT",
        "Comment",
        pk(reply),
    )
    if payload is not None:
        assert payload["body"] == body


@pytest.mark.parametrize(("who", "outcome"), cases(STUDENT_CONTENT))
def test_delete_comment(live: LiveGateway, who: str, outcome: str) -> None:
    reply = new_comment(live)
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_COMMENT, {"id": reply}, as_user=who),
        "deleteComment",
        "DELETE_COMMENT",
        "Comment",
        pk(reply),
    )
    assert exists(live, t.comments, reply) == (outcome != "OK")


# --- documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "outcome", "shared"),
    [pytest.param(w, o, True, id=f"course-{w}-{o}") for w, o in STUDENT_CONTENT]
    + [pytest.param(w, o, False, id=f"personal-{w}-{o}") for w, o in PERSONAL],
)
def test_update_document(live: LiveGateway, who: str, outcome: str, shared: bool) -> None:
    document = new_document(live, live.course_id(MAT8) if shared else None)
    title = unique("Ny tittel")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(UPDATE_DOCUMENT_TITLE, {"id": document, "title": title}, as_user=who),
        "updateDocument",
        "UPDATE_DOCUMENT",
        "Document",
        pk(document),
    )
    if payload is not None:
        # Only the title changed; the body left out stays.
        assert (payload["title"], payload["body"]) == (title, "text")


@pytest.mark.parametrize(
    ("who", "outcome", "shared"),
    [pytest.param(w, o, True, id=f"course-{w}-{o}") for w, o in STUDENT_CONTENT]
    + [pytest.param(w, o, False, id=f"personal-{w}-{o}") for w, o in PERSONAL],
)
def test_delete_document(live: LiveGateway, who: str, outcome: str, shared: bool) -> None:
    document = new_document(live, live.course_id(MAT8) if shared else None)
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_DOCUMENT, {"id": document}, as_user=who),
        "deleteDocument",
        "DELETE_DOCUMENT",
        "Document",
        pk(document),
    )
    assert exists(live, t.documents, document) == (outcome != "OK")


def test_update_document_clears_the_body_with_null_and_refuses_a_blank_title(
    live: LiveGateway,
) -> None:
    document = new_document(live, None)
    cleared = live.gql(UPDATE_DOCUMENT, {"id": document, "body": None}, as_user="elev.ola")
    assert ok(cleared, "updateDocument")["body"] is None
    blank = live.gql(UPDATE_DOCUMENT, {"id": document, "title": "  "}, as_user="elev.ola")
    refused(blank, "BAD_USER_INPUT")
    too_long = live.gql(
        UPDATE_DOCUMENT, {"id": document, "body": "x" * 100_001}, as_user="elev.ola"
    )
    refused(too_long, "BAD_USER_INPUT")


# --- calendar events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "outcome", "shared"),
    [pytest.param(w, o, True, id=f"course-{w}-{o}") for w, o in TEACHER_CONTENT]
    + [pytest.param(w, o, False, id=f"personal-{w}-{o}") for w, o in PERSONAL],
)
def test_update_calendar_event(live: LiveGateway, who: str, outcome: str, shared: bool) -> None:
    event = (
        new_event(live, "larer.hansen", live.course_id(MAT8))
        if shared
        else new_event(live, "elev.ola", None)
    )
    title = unique("Flyttet")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(UPDATE_EVENT_TITLE, {"id": event, "title": title}, as_user=who),
        "updateCalendarEvent",
        "UPDATE_CALENDAR_EVENT",
        "CalendarEvent",
        pk(event),
    )
    if payload is not None:
        assert payload["title"] == title


@pytest.mark.parametrize(
    ("who", "outcome", "shared"),
    [pytest.param(w, o, True, id=f"course-{w}-{o}") for w, o in TEACHER_CONTENT]
    + [pytest.param(w, o, False, id=f"personal-{w}-{o}") for w, o in PERSONAL],
)
def test_delete_calendar_event(live: LiveGateway, who: str, outcome: str, shared: bool) -> None:
    event = (
        new_event(live, "larer.hansen", live.course_id(MAT8))
        if shared
        else new_event(live, "elev.ola", None)
    )
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_EVENT, {"id": event}, as_user=who),
        "deleteCalendarEvent",
        "DELETE_CALENDAR_EVENT",
        "CalendarEvent",
        pk(event),
    )
    assert exists(live, t.calendar_events, event) == (outcome != "OK")


def test_an_event_may_not_end_before_it_starts(live: LiveGateway) -> None:
    event = new_event(live, "elev.ola", None)
    moved = live.gql(
        UPDATE_EVENT, {"id": event, "endsAt": "2031-02-01T08:00:00+00:00"}, as_user="elev.ola"
    )
    refused(moved, "BAD_USER_INPUT")
    both = live.gql(
        UPDATE_EVENT,
        {"id": event, "startsAt": "2031-04-01T08:00:00+00:00", "endsAt": "2031-04-01T10:00:00Z"},
        as_user="elev.ola",
    )
    assert ok(both, "updateCalendarEvent")["startsAt"].startswith("2031-04-01T08:00:00")


# --- assignments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "outcome"), cases(TEACHER_CONTENT))
def test_update_assignment(live: LiveGateway, who: str, outcome: str) -> None:
    assignment = new_assignment(live)
    title = unique("Endret")
    variables = {"id": assignment, "title": title, "dueAt": "2031-05-01T12:00:00+00:00"}
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(UPDATE_ASSIGNMENT, variables, as_user=who),
        "updateAssignment",
        "UPDATE_ASSIGNMENT",
        "Assignment",
        pk(assignment),
    )
    if payload is not None:
        assert payload["title"] == title
        entry = entries_after(live, 0)[-1]
        assert entry.detail == "due_at,title"  # the changed fields' names, never their values


@pytest.mark.parametrize(("who", "outcome"), cases(TEACHER_CONTENT))
def test_delete_assignment(live: LiveGateway, who: str, outcome: str) -> None:
    assignment = new_assignment(live)
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_ASSIGNMENT, {"id": assignment}, as_user=who),
        "deleteAssignment",
        "DELETE_ASSIGNMENT",
        "Assignment",
        pk(assignment),
    )
    assert exists(live, t.assignments, assignment) == (outcome != "OK")


def test_an_answered_assignment_is_not_deleted(live: LiveGateway) -> None:
    assignment = new_assignment(live)
    ok(submit_answer(live, "elev.ola", assignment, "Mitt svar"), "submitAnswer")
    before = snapshot(live)
    result = live.gql(DELETE_ASSIGNMENT, {"id": assignment}, as_user="larer.hansen")
    refused(result, "CONFLICT")
    assert snapshot(live) == before
    assert exists(live, t.assignments, assignment)


# --- direct messages ------------------------------------------------------------------------------


def new_message(live: LiveGateway) -> str:
    result = send_message(live, "elev.ola", unique("Hei"), to=[live.person_id("larer.hansen")])
    return str(ok(result, "sendMessage")["id"])


@pytest.mark.parametrize(
    ("who", "outcome"),
    cases(
        [
            ("elev.ola", "OK"),  # the author
            ("larer.hansen", "FORBIDDEN"),  # the other participant
            ("admin", "FORBIDDEN"),  # the system administrator sees every message
            ("foresatt.kari", "NOT_FOUND"),  # the author's guardian takes no part
            ("rektor.bjolsen", "NOT_FOUND"),
            ("superuser.bjolsen", "NOT_FOUND"),
            ("elev.jakob", "NOT_FOUND"),
        ]
    ),
)
def test_delete_message(live: LiveGateway, who: str, outcome: str) -> None:
    message = new_message(live)
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(DELETE_MESSAGE, {"id": message}, as_user=who),
        "deleteMessage",
        "DELETE_MESSAGE",
        "Message",
        pk(message),
    )
    assert exists(live, t.messages, message) == (outcome != "OK")


def test_a_message_is_deleted_only_within_the_window(live: LiveGateway) -> None:
    message = new_message(live)
    m = t.messages.c
    live.execute(
        update(t.messages)
        .where(m.id == pk(message))
        .values(sent_at=datetime.now(UTC) - timedelta(minutes=16))
    )
    before = snapshot(live)
    result = live.gql(DELETE_MESSAGE, {"id": message}, as_user="elev.ola")
    refused(result, "FORBIDDEN")
    assert "15 minutes" in result.errors[0]["message"]
    assert snapshot(live) == before


# --- wrong and invisible ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (UPDATE_POST, {"body": "x"}, "updatePost"),
        (DELETE_POST, {}, "deletePost"),
        (UPDATE_COMMENT, {"body": "x"}, "updateComment"),
        (DELETE_COMMENT, {}, "deleteComment"),
        (DELETE_DOCUMENT, {}, "deleteDocument"),
        (DELETE_EVENT, {}, "deleteCalendarEvent"),
        (DELETE_ASSIGNMENT, {}, "deleteAssignment"),
        (DELETE_MESSAGE, {}, "deleteMessage"),
        (UPDATE_ASSESSMENT, {"input": {"grade": "3"}}, "updateAssessment"),
        (WITHDRAW, {"reason": "feil"}, "withdrawAssessment"),
        (RETURN, {}, "returnSubmission"),
    ],
)
@pytest.mark.parametrize(
    ("target", "code"),
    [
        pytest.param(lambda: to_global_id("Course", 1), "NOT_FOUND", id="another-type"),
        pytest.param(lambda: to_global_id("Post", 999_999_999), "NOT_FOUND", id="missing"),
        pytest.param(lambda: "not-an-id", "BAD_USER_INPUT", id="malformed"),
    ],
)
def test_wrong_and_missing_ids(
    live: LiveGateway,
    document: str,
    variables: dict[str, Any],
    field: str,
    target: Callable[[], str],
    code: str,
) -> None:
    """An id of another type or of nothing answers NOT_FOUND, like an invisible one; an id
    that is not one of ours answers BAD_USER_INPUT, as everywhere (docs/interfaces.md)."""
    before = snapshot(live)
    result = live.gql(document, {"id": target(), **variables}, as_user="larer.hansen")
    refused(result, code)
    assert snapshot(live) == before


# --- assessments: correct, withdraw, unpublish ----------------------------------------------------


def new_feedback(live: LiveGateway, grade: str = "4") -> str:
    result = assess(
        live,
        "larer.hansen",
        live.person_id("elev.ola"),
        live.course_id(MAT8),
        "FEEDBACK",
        grade=grade,
    )
    return str(ok(result, "assess")["id"])


def new_remark(live: LiveGateway) -> str:
    """A remark on elev.emma in ENG9 by her contact teacher, larer.berg."""
    result = assess(live, "larer.berg", live.person_id("elev.emma"), live.course_id(ENG9), "REMARK")
    return str(ok(result, "assess")["id"])


#: a published FEEDBACK on elev.ola in MAT8, by larer.hansen
FEEDBACK_MATRIX = [
    ("larer.hansen", "OK"),  # teacher of the course (who registered it)
    ("elev.ola", "FORBIDDEN"),  # the student sees it (published)
    ("foresatt.kari", "FORBIDDEN"),  # the guardian sees it (published)
    ("rektor.bjolsen", "FORBIDDEN"),  # the leader sees it but does not register
    ("admin", "FORBIDDEN"),
    ("superuser.bjolsen", "NOT_FOUND"),
    ("larer.berg", "NOT_FOUND"),  # not the course's teacher nor elev.ola's contact teacher
    ("elev.jakob", "NOT_FOUND"),
    ("rektor.sagene", "NOT_FOUND"),
]


def notifications_of(live: LiveGateway, who: str, kind: str) -> int:
    n = t.notifications.c
    return count(live, t.notifications, n.person_id == live.person_pk(who), n.kind == kind)


@pytest.mark.parametrize(("who", "outcome"), cases(FEEDBACK_MATRIX))
def test_update_assessment(live: LiveGateway, who: str, outcome: str) -> None:
    assessment = new_feedback(live, grade="4")
    notified = notifications_of(live, "elev.ola", "ASSESSMENT_CORRECTED")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(
            UPDATE_ASSESSMENT,
            {"id": assessment, "input": {"grade": "5", "comment": "Rettet"}},
            as_user=who,
        ),
        "updateAssessment",
        "UPDATE_ASSESSMENT",
        "Assessment",
        pk(assessment),
    )
    if payload is None:
        return
    assert (payload["grade"], payload["comment"]) == ("5", "Rettet")
    r = t.assessment_revisions.c
    revisions = live.rows(select(t.assessment_revisions).where(r.assessment_id == pk(assessment)))
    assert [(row.grade, row.comment) for row in revisions] == [("4", None)]
    entry = entries_after(live, 0)[-1]
    # The audit entry names the student, the changed fields and the revision: never a grade.
    assert entry.subject_id == live.person_pk("elev.ola")
    assert entry.detail == f"comment,grade;revision={revisions[0].id}"
    assert entry.justification is None
    # The student is told, since the feedback was published.
    assert notifications_of(live, "elev.ola", "ASSESSMENT_CORRECTED") == notified + 1


def test_update_assessment_keeps_what_is_left_out(live: LiveGateway) -> None:
    assessment = new_feedback(live, grade="3")
    first = live.gql(
        UPDATE_ASSESSMENT, {"id": assessment, "input": {"comment": "Bra"}}, as_user="larer.hansen"
    )
    assert ok(first, "updateAssessment") == {"id": assessment, "grade": "3", "comment": "Bra"}
    cleared = live.gql(
        UPDATE_ASSESSMENT, {"id": assessment, "input": {"grade": None}}, as_user="larer.hansen"
    )
    assert ok(cleared, "updateAssessment")["grade"] is None
    r = t.assessment_revisions.c
    kept = live.rows(
        select(r.grade, r.comment).where(r.assessment_id == pk(assessment)).order_by(r.id)
    )
    assert [tuple(row) for row in kept] == [("3", None), ("3", "Bra")]
    too_long = live.gql(
        UPDATE_ASSESSMENT, {"id": assessment, "input": {"grade": "x" * 65}}, as_user="larer.hansen"
    )
    refused(too_long, "BAD_USER_INPUT")


def test_contact_teacher_corrects_and_withdraws_a_remark(live: LiveGateway) -> None:
    remark = new_remark(live)
    corrected = live.gql(
        UPDATE_ASSESSMENT, {"id": remark, "input": {"comment": "Glemte bok"}}, as_user="larer.berg"
    )
    assert ok(corrected, "updateAssessment")["comment"] == "Glemte bok"
    withdrawn = live.gql(WITHDRAW, {"id": remark, "reason": "Feil elev"}, as_user="larer.berg")
    assert ok(withdrawn, "withdrawAssessment") == {"id": remark}


def test_an_unpublished_correction_does_not_notify(live: LiveGateway) -> None:
    result = assess(
        live, "larer.hansen", live.person_id("elev.ola"), live.course_id(MAT8), "FINAL", grade="4"
    )
    final = str(ok(result, "assess")["id"])
    notified = notifications_of(live, "elev.ola", "ASSESSMENT_CORRECTED")
    ok(
        live.gql(UPDATE_ASSESSMENT, {"id": final, "input": {"grade": "5"}}, as_user="larer.hansen"),
        "updateAssessment",
    )
    assert notifications_of(live, "elev.ola", "ASSESSMENT_CORRECTED") == notified
    # The student does not see an unpublished final assessment at all: NOT_FOUND, not FORBIDDEN.
    refused(
        live.gql(UPDATE_ASSESSMENT, {"id": final, "input": {"grade": "6"}}, as_user="elev.ola"),
        "NOT_FOUND",
    )


@pytest.mark.parametrize(("who", "outcome"), cases(FEEDBACK_MATRIX))
def test_withdraw_assessment(live: LiveGateway, who: str, outcome: str) -> None:
    assessment = new_feedback(live)
    notified = notifications_of(live, "elev.ola", "ASSESSMENT_WITHDRAWN")
    reason = unique("Registrert på feil elev")
    check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(WITHDRAW, {"id": assessment, "reason": reason}, as_user=who),
        "withdrawAssessment",
        "WITHDRAW_ASSESSMENT",
        "Assessment",
        pk(assessment),
    )
    assert exists(live, t.assessments, assessment) == (outcome != "OK")
    if outcome != "OK":
        return
    entry = entries_after(live, 0)[-1]
    assert (entry.justification, entry.subject_id) == (reason, live.person_pk("elev.ola"))
    assert notifications_of(live, "elev.ola", "ASSESSMENT_WITHDRAWN") == notified + 1
    for viewer in ("elev.ola", "foresatt.kari"):
        gone = live.gql(ASSESSMENT, {"id": assessment}, as_user=viewer)
        assert gone.codes() == {"NOT_FOUND"}


def test_withdrawing_needs_a_reason(live: LiveGateway) -> None:
    assessment = new_feedback(live)
    before = snapshot(live)
    blank = live.gql(WITHDRAW, {"id": assessment, "reason": "   "}, as_user="larer.hansen")
    refused(blank, "JUSTIFICATION_REQUIRED")
    assert snapshot(live) == before


UNPUBLISH_MATRIX = [
    ("rektor.bjolsen", "OK"),
    ("larer.hansen", "FORBIDDEN"),  # the course's teacher
    ("elev.ola", "FORBIDDEN"),
    ("foresatt.kari", "FORBIDDEN"),  # a guardian sees the course
    ("superuser.bjolsen", "FORBIDDEN"),
    ("admin", "FORBIDDEN"),
    ("rektor.sagene", "NOT_FOUND"),
    ("larer.berg", "NOT_FOUND"),
]


@pytest.mark.parametrize(("who", "outcome"), cases(UNPUBLISH_MATRIX))
def test_unpublish_assessments(live: LiveGateway, who: str, outcome: str) -> None:
    course = live.course_id(MAT8)
    result = assess(
        live, "larer.hansen", live.person_id("elev.ola"), course, "HALF_YEAR", grade="4"
    )
    half_year = pk(ok(result, "assess")["id"])
    ok(publish(live, "rektor.bjolsen", course, "HALF_YEAR"), "publishAssessments")
    before = snapshot(live)
    first_entry = last_entry_id(live)
    unpublished = live.gql(UNPUBLISH, {"courseId": course, "kind": "HALF_YEAR"}, as_user=who)
    published = live.scalar(
        select(t.assessments.c.published).where(t.assessments.c.id == half_year)
    )
    if outcome == "OK":
        payload = ok(unpublished, "unpublishAssessments")
        assert to_global_id("Assessment", half_year) in [a["id"] for a in payload]
        assert all(a["published"] is False for a in payload)
        assert published is False
        audited_once(
            live, first_entry, who, "UNPUBLISH_ASSESSMENTS", "Course", live.course_pk(MAT8)
        )
        hidden = live.gql(
            ASSESSMENT, {"id": to_global_id("Assessment", half_year)}, as_user="elev.ola"
        )
        assert hidden.codes() == {"NOT_FOUND"}
    else:
        refused(unpublished, outcome)
        assert published is True
        assert snapshot(live) == before


def test_only_half_year_and_final_are_unpublished(live: LiveGateway) -> None:
    course = live.course_id(MAT8)
    result = live.gql(UNPUBLISH, {"courseId": course, "kind": "FEEDBACK"}, as_user="rektor.bjolsen")
    refused(result, "BAD_USER_INPUT")


# --- returning answers ----------------------------------------------------------------------------


RETURN_MATRIX = [
    ("larer.hansen", "OK"),
    ("elev.ola", "FORBIDDEN"),  # the student's own answer
    ("foresatt.kari", "FORBIDDEN"),  # the guardian sees it
    ("rektor.bjolsen", "FORBIDDEN"),
    ("admin", "FORBIDDEN"),
    ("superuser.bjolsen", "NOT_FOUND"),
    ("larer.berg", "NOT_FOUND"),
    ("elev.jakob", "NOT_FOUND"),
]


def new_answer(live: LiveGateway, body: str = "Første svar") -> tuple[str, str]:
    assignment = new_assignment(live)
    answer = str(ok(submit_answer(live, "elev.ola", assignment, body), "submitAnswer")["id"])
    return assignment, answer


@pytest.mark.parametrize(("who", "outcome"), cases(RETURN_MATRIX))
def test_return_submission(live: LiveGateway, who: str, outcome: str) -> None:
    _, answer = new_answer(live)
    notified = notifications_of(live, "elev.ola", "SUBMISSION_RETURNED")
    payload = check_matrix(
        live,
        who,
        outcome,
        lambda: live.gql(RETURN, {"id": answer}, as_user=who),
        "returnSubmission",
        "RETURN_SUBMISSION",
        "Submission",
        pk(answer),
    )
    status = live.scalar(select(t.submissions.c.status).where(t.submissions.c.id == pk(answer)))
    if payload is not None:
        assert payload["status"] == "RETURNED" == status
        assert notifications_of(live, "elev.ola", "SUBMISSION_RETURNED") == notified + 1
    else:
        assert status == "SUBMITTED"


def test_a_returned_answer_is_resubmitted_and_the_assessed_text_is_kept(
    live: LiveGateway,
) -> None:
    assignment, answer = new_answer(live, "Vurdert tekst")
    graded = assess(
        live,
        "larer.hansen",
        live.person_id("elev.ola"),
        live.course_id(MAT8),
        "GOAL_ACHIEVEMENT",
        submission=answer,
        grade="3",
    )
    ok(graded, "assess")
    refused(submit_answer(live, "elev.ola", assignment, "For sent"), "CONFLICT")

    before = last_entry_id(live)
    returned = live.gql(
        RETURN, {"id": answer, "comment": "Se på oppgave 2"}, as_user="larer.hansen"
    )
    assert ok(returned, "returnSubmission")["status"] == "RETURNED"
    # The comment is registered as published feedback on the answer.
    x = t.assessments.c
    feedback = live.rows(
        select(x.kind, x.comment, x.published).where(
            x.submission_id == pk(answer), x.kind == "FEEDBACK"
        )
    )
    assert [tuple(row) for row in feedback] == [("FEEDBACK", "Se på oppgave 2", True)]
    assert [e.action for e in entries_after(live, before)] == ["RETURN_SUBMISSION", "ASSESS"]

    again = ok(submit_answer(live, "elev.ola", assignment, "Ny tekst"), "submitAnswer")
    assert again["id"] == answer
    s, v = t.submissions.c, t.submission_versions.c
    assert live.scalar(select(s.body).where(s.id == pk(answer))) == "Ny tekst"
    kept = live.rows(
        select(v.body, v.assessed_at, v.replaced_at).where(v.submission_id == pk(answer))
    )
    assert len(kept) == 1 and kept[0].body == "Vurdert tekst" and kept[0].assessed_at is not None
    replaced_at = kept[0].replaced_at
    replaced_at = replaced_at if replaced_at.tzinfo else replaced_at.replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - replaced_at) < timedelta(minutes=5)
    # The assessments still refer to the answer.
    assert count(live, t.assessments, x.submission_id == pk(answer)) == 2
    # A plain resubmission of a never-assessed answer keeps no version.
    other_assignment, other = new_answer(live, "A")
    ok(submit_answer(live, "elev.ola", other_assignment, "B"), "submitAnswer")
    assert count(live, t.submission_versions, v.submission_id == pk(other)) == 0


# --- notifications --------------------------------------------------------------------------------


def add_notification(live: LiveGateway, who: str) -> str:
    [result] = live.execute(
        t.notifications.insert().values(
            person_id=live.person_pk(who),
            kind="TEST",
            message="Test",
            created_at=datetime.now(UTC),
        )
    )
    return to_global_id("Notification", int(result.inserted_primary_key[0]))


def test_mark_notifications_read(live: LiveGateway) -> None:
    mine = [add_notification(live, "elev.jakob") for _ in range(3)]
    theirs = add_notification(live, "elev.ola")

    before = snapshot(live)
    foreign = live.gql(MARK_READ, {"ids": [mine[0], theirs]}, as_user="elev.jakob")
    refused(foreign, "NOT_FOUND")
    assert snapshot(live) == before

    first_entry = last_entry_id(live)
    one = ok(live.gql(MARK_READ, {"ids": [mine[0]]}, as_user="elev.jakob"), "markNotificationsRead")
    assert [n["id"] for n in one] == [mine[0]] and one[0]["readAt"] is not None
    audited_once(
        live,
        first_entry,
        "elev.jakob",
        "MARK_NOTIFICATIONS_READ",
        "User",
        live.person_pk("elev.jakob"),
    )

    rest = ok(live.gql(MARK_READ, {}, as_user="elev.jakob"), "markNotificationsRead")
    assert {n["id"] for n in rest} >= set(mine[1:]) and mine[0] not in {n["id"] for n in rest}
    assert ok(live.gql(MARK_READ, {}, as_user="elev.jakob"), "markNotificationsRead") == []
    n = t.notifications.c
    unread = count(
        live, t.notifications, n.person_id == live.person_pk("elev.ola"), n.read_at.is_(None)
    )
    assert unread >= 1  # someone else's notifications are untouched


# --- archived courses -----------------------------------------------------------------------------


def test_archived_course_content_is_read_only(live: LiveGateway) -> None:
    post = new_post(live)
    assignment = new_assignment(live)
    assessment = new_feedback(live)
    c = t.courses.c
    live.execute(update(t.courses).where(c.sourced_id == MAT8).values(state="ARCHIVED"))
    try:
        before = snapshot(live)
        for result in (
            live.gql(UPDATE_POST, {"id": post, "body": "x"}, as_user="elev.ola"),
            live.gql(DELETE_POST, {"id": post}, as_user="larer.hansen"),
            live.gql(UPDATE_ASSIGNMENT, {"id": assignment, "title": "x"}, as_user="larer.hansen"),
            live.gql(
                UPDATE_ASSESSMENT,
                {"id": assessment, "input": {"grade": "1"}},
                as_user="larer.hansen",
            ),
            live.gql(WITHDRAW, {"id": assessment, "reason": "r"}, as_user="larer.hansen"),
        ):
            assert result.codes() == {"COURSE_ARCHIVED"}, result.errors
        assert snapshot(live) == before
    finally:
        live.execute(update(t.courses).where(c.sourced_id == MAT8).values(state="ACTIVE"))

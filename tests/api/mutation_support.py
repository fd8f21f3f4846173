"""The learning mutations as GraphQL documents, plus helpers the API tests share.

Each ``do_*`` helper sends one mutation as a demo person (by username) and returns the raw
result, so a test can assert success or the error code; ``created_pk`` turns a successful
result into the internal id of what was written.
"""

from __future__ import annotations

from typing import Any

from gateway_support import GraphQLResult, LiveGateway
from sqlalchemy import func, select

from config.ids import from_global_id

CREATE_ASSIGNMENT = """
mutation($input: CreateAssignmentInput!) {
  createAssignment(input: $input) { id title course { id } author { id } }
}"""
SUBMIT_ANSWER = """
mutation($input: SubmitAnswerInput!) {
  submitAnswer(input: $input) { id status student { id } }
}"""
ASSESS = """
mutation($input: AssessInput!) {
  assess(input: $input) { id kind grade published }
}"""
PUBLISH = """
mutation($courseId: ID!, $kind: AssessmentKind!) {
  publishAssessments(courseId: $courseId, kind: $kind) { id kind published }
}"""
CREATE_POST = """
mutation($courseId: ID!, $body: String!) {
  createPost(courseId: $courseId, body: $body) { id body }
}"""
COMMENT = """
mutation($postId: ID!, $body: String!) { commentOnPost(postId: $postId, body: $body) { id body } }
"""
SEND_MESSAGE = """
mutation($body: String!, $to: [ID!], $conversationId: ID) {
  sendMessage(body: $body, recipientIds: $to, conversationId: $conversationId) { id body }
}"""
CREATE_DOCUMENT = """
mutation($title: String!, $body: String, $courseId: ID) {
  createDocument(title: $title, body: $body, courseId: $courseId) { id title owner { id } }
}"""
CREATE_EVENT = """
mutation($title: String!, $startsAt: DateTime!, $endsAt: DateTime!, $courseId: ID) {
  createCalendarEvent(title: $title, startsAt: $startsAt, endsAt: $endsAt, courseId: $courseId) {
    id title
  }
}"""
SET_PREFERENCE = """
mutation($key: String!, $value: String) { setPreference(key: $key, value: $value) { key value } }
"""

STARTS = "2031-03-01T08:00:00+00:00"
ENDS = "2031-03-01T09:00:00+00:00"


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]


def ok(result: GraphQLResult, field: str) -> Any:
    """The mutation's payload; fails the test with the errors if there were any."""
    assert result.errors == [], result.errors
    payload = result.data[field]
    assert payload is not None
    return payload


def created_pk(result: GraphQLResult, field: str) -> int:
    return pk(ok(result, field)["id"])


def refused(result: GraphQLResult, code: str) -> None:
    """The mutation was refused with exactly ``code`` and returned nothing."""
    assert result.codes() == {code}, result.errors
    assert result.data is None or all(value is None for value in result.data.values())


def count(live: LiveGateway, table: Any, *where: Any) -> int:
    return int(live.scalar(select(func.count()).select_from(table).where(*where)))


def create_assignment(live: LiveGateway, who: str, course: str, title: str) -> GraphQLResult:
    return live.gql(CREATE_ASSIGNMENT, {"input": {"courseId": course, "title": title}}, as_user=who)


def submit_answer(live: LiveGateway, who: str, assignment: str, body: str) -> GraphQLResult:
    return live.gql(
        SUBMIT_ANSWER, {"input": {"assignmentId": assignment, "body": body}}, as_user=who
    )


def assess(
    live: LiveGateway,
    who: str,
    student: str,
    course: str,
    kind: str,
    *,
    submission: str | None = None,
    grade: str | None = None,
) -> GraphQLResult:
    data: dict[str, Any] = {"studentId": student, "courseId": course, "kind": kind}
    if submission is not None:
        data["submissionId"] = submission
    if grade is not None:
        data["grade"] = grade
    return live.gql(ASSESS, {"input": data}, as_user=who)


def publish(live: LiveGateway, who: str, course: str, kind: str) -> GraphQLResult:
    return live.gql(PUBLISH, {"courseId": course, "kind": kind}, as_user=who)


def create_post(live: LiveGateway, who: str, course: str, body: str) -> GraphQLResult:
    return live.gql(CREATE_POST, {"courseId": course, "body": body}, as_user=who)


def comment(live: LiveGateway, who: str, post: str, body: str) -> GraphQLResult:
    return live.gql(COMMENT, {"postId": post, "body": body}, as_user=who)


def send_message(
    live: LiveGateway,
    who: str,
    body: str,
    *,
    to: list[str] | None = None,
    conversation: str | None = None,
) -> GraphQLResult:
    return live.gql(
        SEND_MESSAGE, {"body": body, "to": to, "conversationId": conversation}, as_user=who
    )


def create_document(
    live: LiveGateway, who: str, title: str, course: str | None = None
) -> GraphQLResult:
    return live.gql(
        CREATE_DOCUMENT, {"title": title, "body": "text", "courseId": course}, as_user=who
    )


def create_event(
    live: LiveGateway, who: str, title: str, course: str | None = None
) -> GraphQLResult:
    variables = {"title": title, "startsAt": STARTS, "endsAt": ENDS, "courseId": course}
    return live.gql(CREATE_EVENT, variables, as_user=who)


def set_preference(live: LiveGateway, who: str, key: str, value: str | None) -> GraphQLResult:
    return live.gql(SET_PREFERENCE, {"key": key, "value": value}, as_user=who)

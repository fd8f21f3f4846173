"""One call per text and list input of the mutations, with the value under test put in.

``TEXT_CASES`` has an entry for every coordinate in ``input_limits.TEXT_LIMITS`` and
``LIST_CASES`` for every one in ``LIST_LIMITS`` (a test checks that), so the limit tests and the
unstorable-text tests walk every stored text the API takes. Each case knows who may make the
call, how to build its variables around a value (setting up what the call needs on the way:
a restricted person to lift, an archived course to delete) and which table a success writes to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway_support import GraphQLResult, LiveGateway
from mutation_support import (
    ASSESS,
    COMMENT,
    CREATE_ASSIGNMENT,
    CREATE_DOCUMENT,
    CREATE_EVENT,
    CREATE_POST,
    ENDS,
    SEND_MESSAGE,
    SET_PREFERENCE,
    STARTS,
    SUBMIT_ANSWER,
    count,
    create_assignment,
    create_post,
    ok,
)
from privacy_api_support import (
    ADMIN,
    JUSTIFICATION,
    LIFT,
    RECTIFY,
    REQUEST_ERASURE,
    REQUEST_EXPORT,
    RESTRICT,
    processing_state,
)
from sqlalchemy import Table, update

from store import tables as t

MAT8 = "c-bjs-mat8"
#: archived by the fixture, so that a course deletion can be asked for
DELETABLE_COURSE = "c-sag-eng9"
REQUEST_COURSE_DELETION = """
mutation($c: ID!, $j: String!) { requestCourseDeletion(courseId: $c, justification: $j) { id } }
"""

Variables = Callable[[LiveGateway, dict[str, str], Any], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    #: the schema coordinate of the input (a key of TEXT_LIMITS or LIST_LIMITS)
    coordinate: str
    #: the argument path the error names in ``extensions.field``
    field: str
    who: str
    document: str
    #: (gateway, targets from ``make_targets``, the value) -> variables
    variables: Variables
    #: where a successful call writes a row
    table: Table

    def send(self, live: LiveGateway, variables: dict[str, Any]) -> GraphQLResult:
        """The call with variables made by ``self.variables`` (whose set-up may write, so they
        are made before a test counts rows)."""
        return live.gql(self.document, variables, as_user=self.who)

    def rows(self, live: LiveGateway) -> tuple[int, int]:
        """(rows in the case's table, audit entries): what a refused call must leave alone."""
        return count(live, self.table), count(live, t.audit_entries)


def make_targets(live: LiveGateway) -> dict[str, str]:
    """An assignment, a post and an archived course for the cases to aim at."""
    course = live.course_id(MAT8)
    assignment = ok(create_assignment(live, "larer.hansen", course, "Limits"), "createAssignment")
    post = ok(create_post(live, "larer.hansen", course, "Limits"), "createPost")
    c = t.courses.c
    live.execute(
        update(t.courses)
        .where(c.id == live.course_pk(DELETABLE_COURSE))
        .values(state=t.CourseState.ARCHIVED)
    )
    return {"assignment": assignment["id"], "post": post["id"], "course": course}


def _subject(live: LiveGateway, username: str) -> str:
    return live.person_id(username)


def _restricted(live: LiveGateway, username: str) -> str:
    """``username``'s id, restricted first if they are not (for liftRestriction)."""
    if processing_state(live, username) == "ACTIVE":
        result = live.gql(
            RESTRICT, {"s": _subject(live, username), "j": JUSTIFICATION}, as_user=ADMIN
        )
        assert result.errors == [], result.errors
    return _subject(live, username)


def _answer(targets: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {"input": {"assignmentId": targets["assignment"], "body": "Svar", **fields}}


def _assess(live: LiveGateway, **fields: Any) -> dict[str, Any]:
    data = {
        "studentId": live.person_id("elev.ola"),
        "courseId": live.course_id(MAT8),
        "kind": "FEEDBACK",
        **fields,
    }
    return {"input": data}


def _rectify(live: LiveGateway, justification: str, **fields: Any) -> dict[str, Any]:
    changes = fields or {"email": "emma@example.no"}
    return {
        "s": _subject(live, "elev.emma"),
        "input": {"overrideSource": True, **changes},
        "j": justification,
    }


def email_of_length(length: int) -> str:
    domain = "@example.no"
    return "e" * (length - len(domain)) + domain


TEXT_CASES: list[Case] = [
    Case(
        "CreateAssignmentInput.title",
        "input.title",
        "larer.hansen",
        CREATE_ASSIGNMENT,
        lambda live, x, v: {"input": {"courseId": x["course"], "title": v}},
        t.assignments,
    ),
    Case(
        "CreateAssignmentInput.instructions",
        "input.instructions",
        "larer.hansen",
        CREATE_ASSIGNMENT,
        lambda live, x, v: {"input": {"courseId": x["course"], "title": "T", "instructions": v}},
        t.assignments,
    ),
    Case(
        "SubmitAnswerInput.body",
        "input.body",
        "elev.ola",
        SUBMIT_ANSWER,
        lambda live, x, v: _answer(x, body=v),
        t.audit_entries,
    ),
    Case(
        "AttachmentInput.filename",
        "input.attachments.filename",
        "elev.ola",
        SUBMIT_ANSWER,
        lambda live, x, v: _answer(x, attachments=[{"filename": "a.pdf"}, {"filename": v}]),
        t.attachments,
    ),
    Case(
        "AttachmentInput.contentType",
        "input.attachments.contentType",
        "elev.ola",
        SUBMIT_ANSWER,
        lambda live, x, v: _answer(x, attachments=[{"filename": "a.pdf", "contentType": v}]),
        t.attachments,
    ),
    Case(
        "AssessInput.grade",
        "input.grade",
        "larer.hansen",
        ASSESS,
        lambda live, x, v: _assess(live, grade=v),
        t.assessments,
    ),
    Case(
        "AssessInput.comment",
        "input.comment",
        "larer.hansen",
        ASSESS,
        lambda live, x, v: _assess(live, comment=v),
        t.assessments,
    ),
    Case(
        "Mutation.createPost(body:)",
        "body",
        "elev.ola",
        CREATE_POST,
        lambda live, x, v: {"courseId": x["course"], "body": v},
        t.posts,
    ),
    Case(
        "Mutation.commentOnPost(body:)",
        "body",
        "elev.ola",
        COMMENT,
        lambda live, x, v: {"postId": x["post"], "body": v},
        t.comments,
    ),
    Case(
        "Mutation.sendMessage(body:)",
        "body",
        "elev.ola",
        SEND_MESSAGE,
        lambda live, x, v: {"body": v, "to": [live.person_id("larer.hansen")]},
        t.messages,
    ),
    Case(
        "Mutation.createDocument(title:)",
        "title",
        "elev.ola",
        CREATE_DOCUMENT,
        lambda live, x, v: {"title": v, "body": "Tekst"},
        t.documents,
    ),
    Case(
        "Mutation.createDocument(body:)",
        "body",
        "elev.ola",
        CREATE_DOCUMENT,
        lambda live, x, v: {"title": "Notat", "body": v},
        t.documents,
    ),
    Case(
        "Mutation.createCalendarEvent(title:)",
        "title",
        "elev.ola",
        CREATE_EVENT,
        lambda live, x, v: {"title": v, "startsAt": STARTS, "endsAt": ENDS},
        t.calendar_events,
    ),
    Case(
        "Mutation.setPreference(key:)",
        "key",
        "elev.ola",
        SET_PREFERENCE,
        lambda live, x, v: {"key": v, "value": "dark"},
        t.preferences,
    ),
    Case(
        "Mutation.setPreference(value:)",
        "value",
        "elev.ola",
        SET_PREFERENCE,
        lambda live, x, v: {"key": "layout", "value": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.requestExport(justification:)",
        "justification",
        ADMIN,
        REQUEST_EXPORT,
        lambda live, x, v: {"s": _subject(live, "elev.thea"), "j": v, "f": "JSON"},
        t.privacy_requests,
    ),
    Case(
        "Mutation.restrictProcessing(justification:)",
        "justification",
        ADMIN,
        RESTRICT,
        lambda live, x, v: {"s": _subject(live, "elev.isak"), "j": v},
        t.privacy_requests,
    ),
    Case(
        "Mutation.liftRestriction(justification:)",
        "justification",
        ADMIN,
        LIFT,
        lambda live, x, v: {"s": _restricted(live, "elev.mia"), "j": v},
        t.privacy_requests,
    ),
    Case(
        "Mutation.requestErasure(justification:)",
        "justification",
        ADMIN,
        REQUEST_ERASURE,
        lambda live, x, v: {"s": _subject(live, "elev.noah"), "j": v},
        t.privacy_requests,
    ),
    Case(
        "Mutation.requestCourseDeletion(justification:)",
        "justification",
        ADMIN,
        REQUEST_COURSE_DELETION,
        lambda live, x, v: {"c": live.course_id(DELETABLE_COURSE), "j": v},
        t.privacy_requests,
    ),
    Case(
        "Mutation.rectifyPersonalData(justification:)",
        "justification",
        ADMIN,
        RECTIFY,
        lambda live, x, v: _rectify(live, v),
        t.privacy_requests,
    ),
    Case(
        "RectificationInput.firstName",
        "input.firstName",
        ADMIN,
        RECTIFY,
        lambda live, x, v: _rectify(live, JUSTIFICATION, firstName=v),
        t.privacy_requests,
    ),
    Case(
        "RectificationInput.lastName",
        "input.lastName",
        ADMIN,
        RECTIFY,
        lambda live, x, v: _rectify(live, JUSTIFICATION, lastName=v),
        t.privacy_requests,
    ),
    Case(
        "RectificationInput.email",
        "input.email",
        ADMIN,
        RECTIFY,
        lambda live, x, v: _rectify(live, JUSTIFICATION, email=v),
        t.privacy_requests,
    ),
]

#: a text of ``length`` characters that the case accepts (an address for the email field)
TEXT_OF_LENGTH: dict[str, Callable[[int], str]] = {"RectificationInput.email": email_of_length}


def text_of_length(case: Case, length: int) -> str:
    return TEXT_OF_LENGTH.get(case.coordinate, lambda n: "x" * n)(length)


LIST_CASES: list[Case] = [
    Case(
        "SubmitAnswerInput.attachments",
        "input.attachments",
        "elev.ola",
        SUBMIT_ANSWER,
        lambda live, x, n: _answer(
            x, attachments=[{"filename": f"side-{i}.pdf"} for i in range(n)]
        ),
        t.attachments,
    ),
    Case(
        "Mutation.sendMessage(recipientIds:)",
        "recipientIds",
        "elev.ola",
        SEND_MESSAGE,
        lambda live, x, n: {"body": "Hei", "to": [live.person_id("larer.hansen")] * n},
        t.messages,
    ),
]

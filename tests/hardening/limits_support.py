"""One call per text and list input of the mutations, with the value under test put in.

``TEXT_CASES`` has an entry for every coordinate in ``input_limits.TEXT_LIMITS`` and
``LIST_CASES`` for every one in ``LIST_LIMITS`` (a test checks that), so the limit tests and the
unstorable-text tests walk every stored text the API takes. Each case knows who may make the
call, how to build its variables around a value (setting up what the call needs on the way:
a restricted person to lift, an archived course to delete) and which table a success writes to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from sqlalchemy import Table, func, select, update

from config.ids import to_global_id
from store import tables as t
from store.privacy.base import DataCategory
from store.tables import PrivacyAction

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
        """(rows in the case's table, audit entries): what a refused call must leave alone,
        counted once the gateway's worker has finished the jobs earlier cases queued (an export
        asked for at its limit audits its completion whenever the worker gets to it)."""
        jobs_finished(live)
        return count(live, self.table), count(live, t.audit_entries)


#: the statuses of a privacy request the gateway's job worker has still to finish
_WORKING = (
    t.PrivacyRequestStatus.PREVIEWING,
    t.PrivacyRequestStatus.QUEUED,
    t.PrivacyRequestStatus.RUNNING,
)


def jobs_finished(live: LiveGateway, timeout: float = 60.0) -> None:
    """Wait until no privacy request is waiting for or held by the gateway's worker."""
    r = t.privacy_requests.c
    working = select(func.count()).select_from(t.privacy_requests).where(r.status.in_(_WORKING))
    deadline = time.monotonic() + timeout
    while live.scalar(working):
        assert time.monotonic() < deadline, f"the gateway's jobs were not done in {timeout} s"
        time.sleep(0.05)


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

# --- corrections and deletions (docs/access-policy.md, "Editing and deleting") ----------------

UPDATE_POST = "mutation($id: ID!, $body: String!) { updatePost(id: $id, body: $body) { id } }"
UPDATE_COMMENT = "mutation($id: ID!, $body: String!) { updateComment(id: $id, body: $body) { id } }"
UPDATE_DOCUMENT = """
mutation($id: ID!, $title: String, $body: String) {
  updateDocument(id: $id, title: $title, body: $body) { id }
}"""
UPDATE_EVENT = """
mutation($id: ID!, $title: String) { updateCalendarEvent(id: $id, title: $title) { id } }"""
UPDATE_ASSIGNMENT = """
mutation($id: ID!, $title: String, $instructions: String) {
  updateAssignment(id: $id, title: $title, instructions: $instructions) { id }
}"""
UPDATE_ASSESSMENT = """
mutation($id: ID!, $input: AssessmentUpdateInput!) {
  updateAssessment(id: $id, input: $input) { id }
}"""
WITHDRAW_ASSESSMENT = """
mutation($id: ID!, $reason: String!) { withdrawAssessment(id: $id, reason: $reason) { id } }"""
RETURN_SUBMISSION = """
mutation($id: ID!, $comment: String) { returnSubmission(id: $id, comment: $comment) { id } }"""
MARK_NOTIFICATIONS_READ = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { id } }"


def _comment(live: LiveGateway, targets: dict[str, str]) -> str:
    result = live.gql(COMMENT, {"postId": targets["post"], "body": "Svar"}, as_user="elev.ola")
    return str(ok(result, "commentOnPost")["id"])


def _document(live: LiveGateway) -> str:
    result = live.gql(CREATE_DOCUMENT, {"title": "Notat", "body": "Tekst"}, as_user="elev.ola")
    return str(ok(result, "createDocument")["id"])


def _event(live: LiveGateway) -> str:
    variables = {"title": "Avtale", "startsAt": STARTS, "endsAt": ENDS}
    return str(
        ok(live.gql(CREATE_EVENT, variables, as_user="elev.ola"), "createCalendarEvent")["id"]
    )


def _feedback(live: LiveGateway) -> str:
    return str(ok(live.gql(ASSESS, _assess(live), as_user="larer.hansen"), "assess")["id"])


def _submission(live: LiveGateway) -> str:
    assignment = ok(
        create_assignment(live, "larer.hansen", live.course_id(MAT8), "Returneres"),
        "createAssignment",
    )["id"]
    variables = {"input": {"assignmentId": assignment, "body": "Svar"}}
    return str(ok(live.gql(SUBMIT_ANSWER, variables, as_user="elev.ola"), "submitAnswer")["id"])


def _uploads(live: LiveGateway, n: int) -> list[str]:
    """``n`` new files of elev.ola's (``uploadFile``, a multipart request), by global id."""
    query = "mutation($f: Upload!) { uploadFile(file: $f) { id } }"
    ids: list[str] = []
    for i in range(n):
        response = live.client.post(
            f"{live.url}/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": {"f": None}}),
                "map": json.dumps({"0": ["variables.f"]}),
            },
            files={"0": (f"side-{i}.txt", f"Side {i}".encode(), "text/plain")},
            headers={
                "Authorization": f"Bearer {live.token('elev.ola')}",
                "Apollo-Require-Preflight": "1",
            },
        )
        ids.append(response.json()["data"]["uploadFile"]["id"])
    return ids


def _notifications(live: LiveGateway, n: int) -> list[str]:
    """``n`` new notifications of elev.ola's, by global id."""
    person = live.person_pk("elev.ola")
    first = int(live.scalar(select(func.coalesce(func.max(t.notifications.c.id), 0)))) + 1
    live.execute(
        t.notifications.insert().values(
            [
                {
                    "person_id": person,
                    "kind": "TEST",
                    "message": "Test",
                    "created_at": datetime.now(UTC),
                }
                for _ in range(n)
            ]
        )
    )
    n_ = t.notifications.c
    ids = live.rows(
        select(n_.id).where(n_.id >= first, n_.person_id == person).order_by(n_.id).limit(n)
    )
    return [to_global_id("Notification", row.id) for row in ids]


TEXT_CASES += [
    Case(
        "Mutation.updatePost(body:)",
        "body",
        "larer.hansen",
        UPDATE_POST,
        lambda live, x, v: {"id": x["post"], "body": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateComment(body:)",
        "body",
        "elev.ola",
        UPDATE_COMMENT,
        lambda live, x, v: {"id": _comment(live, x), "body": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateDocument(title:)",
        "title",
        "elev.ola",
        UPDATE_DOCUMENT,
        lambda live, x, v: {"id": _document(live), "title": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateDocument(body:)",
        "body",
        "elev.ola",
        UPDATE_DOCUMENT,
        lambda live, x, v: {"id": _document(live), "body": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateCalendarEvent(title:)",
        "title",
        "elev.ola",
        UPDATE_EVENT,
        lambda live, x, v: {"id": _event(live), "title": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateAssignment(title:)",
        "title",
        "larer.hansen",
        UPDATE_ASSIGNMENT,
        lambda live, x, v: {"id": x["assignment"], "title": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.updateAssignment(instructions:)",
        "instructions",
        "larer.hansen",
        UPDATE_ASSIGNMENT,
        lambda live, x, v: {"id": x["assignment"], "instructions": v},
        t.audit_entries,
    ),
    Case(
        "AssessmentUpdateInput.grade",
        "input.grade",
        "larer.hansen",
        UPDATE_ASSESSMENT,
        lambda live, x, v: {"id": _feedback(live), "input": {"grade": v}},
        t.assessment_revisions,
    ),
    Case(
        "AssessmentUpdateInput.comment",
        "input.comment",
        "larer.hansen",
        UPDATE_ASSESSMENT,
        lambda live, x, v: {"id": _feedback(live), "input": {"comment": v}},
        t.assessment_revisions,
    ),
    Case(
        "Mutation.withdrawAssessment(reason:)",
        "reason",
        "larer.hansen",
        WITHDRAW_ASSESSMENT,
        lambda live, x, v: {"id": _feedback(live), "reason": v},
        t.audit_entries,
    ),
    Case(
        "Mutation.returnSubmission(comment:)",
        "comment",
        "larer.hansen",
        RETURN_SUBMISSION,
        lambda live, x, v: {"id": _submission(live), "comment": v},
        t.assessments,
    ),
]

#: a text of ``length`` characters that the case accepts (an address for the email field)
TEXT_OF_LENGTH: dict[str, Callable[[int], str]] = {"RectificationInput.email": email_of_length}


# --- batch and school erasure (docs/privacy-actions.md, "Batch erasure") ------------------------

REQUEST_BATCH_ERASURE = """
mutation($ids: [ID!], $j: String!) {
  requestBatchErasure(subjectIds: $ids, justification: $j) { id }
}"""
REQUEST_SCHOOL_ERASURE = """
mutation($s: ID!, $j: String!) { requestSchoolErasure(schoolId: $s, justification: $j) { id } }
"""


def _no_pending_batch(live: LiveGateway) -> None:
    """Cancel the batch and school erasures an earlier case left awaiting confirmation (a
    pending one speaks for its people and its school)."""
    r = t.privacy_requests.c
    live.execute(
        update(t.privacy_requests)
        .where(
            r.action.in_(["ERASE_BATCH", "ERASE_SCHOOL"]),
            r.status.in_(["PREVIEWING", "AWAITING_CONFIRMATION"]),
        )
        .values(status="CANCELLED", completed_at=datetime.now(UTC))
    )


def _batch(live: LiveGateway, ids: list[str], justification: str) -> dict[str, Any]:
    _no_pending_batch(live)
    return {"ids": ids, "j": justification}


def _school(live: LiveGateway, justification: str) -> dict[str, Any]:
    _no_pending_batch(live)
    return {"s": live.school_id("org-sag"), "j": justification}


TEXT_CASES += [
    Case(
        "Mutation.requestBatchErasure(justification:)",
        "justification",
        ADMIN,
        REQUEST_BATCH_ERASURE,
        lambda live, x, v: _batch(live, [_subject(live, "elev.sander")], v),
        t.privacy_requests,
    ),
    Case(
        "Mutation.requestSchoolErasure(justification:)",
        "justification",
        ADMIN,
        REQUEST_SCHOOL_ERASURE,
        lambda live, x, v: _school(live, v),
        t.privacy_requests,
    ),
]
SUBMIT_DATA_REQUEST = """
mutation($m: String) { submitDataRequest(kind: OTHER, message: $m) { id } }"""
DECIDE_DATA_REQUEST = """
mutation($r: ID!, $why: String!) {
  decideDataRequest(requestId: $r, accept: false, reason: $why) { id }
}"""
EXTEND_DATA_REQUEST = """
mutation($r: ID!, $why: String!) { extendDataRequest(requestId: $r, reason: $why) { id } }"""
REQUEST_SCHOOL_EXPORT = """
mutation($s: ID!, $j: String!) { requestSchoolExport(schoolId: $s, justification: $j) { id } }"""
RECORD_INCIDENT = "mutation($i: IncidentInput!) { recordIncident(input: $i) { id } }"
UPDATE_INCIDENT = """
mutation($id: ID!, $i: IncidentUpdateInput!) {
  updateIncident(incidentId: $id, input: $i) { id }
}"""


def _data_request(live: LiveGateway) -> str:
    """A new data request (RECEIVED) of elev.ola's, for a case to decide or extend."""
    found = live.gql(SUBMIT_DATA_REQUEST, {"m": None}, as_user="elev.ola")
    assert found.errors == [], found.errors
    return str(found.data["submitDataRequest"]["id"])


def _no_running_school_export(live: LiveGateway) -> None:
    """Cancel a school export an earlier case left queued (one per school at a time)."""
    r = t.privacy_requests.c
    live.execute(
        update(t.privacy_requests)
        .where(r.action == "EXPORT_SCHOOL", r.status.in_(["QUEUED", "RUNNING"]))
        .values(status="CANCELLED", completed_at=datetime.now(UTC))
    )


def _incident(live: LiveGateway, **given: Any) -> dict[str, Any]:
    """An incident input: about elev.ola, detected an hour ago, ``given`` over the defaults."""
    base: dict[str, Any] = {
        "description": "Limits",
        "detectedAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "categories": ["PERSONAL_DATA"],
        "scope": {"personIds": [_subject(live, "elev.ola")]},
    }
    return {**base, **given}


def _categories(n: int) -> list[str]:
    """``n`` data categories: every one once, then repeated (they count once)."""
    every = [c.value for c in DataCategory]
    return every[:n] + ["PERSONAL_DATA"] * max(0, n - len(every))


def _recorded_incident(live: LiveGateway) -> str:
    found = live.gql(RECORD_INCIDENT, {"i": _incident(live)}, as_user=ADMIN)
    assert found.errors == [], found.errors
    return str(found.data["recordIncident"]["id"])


TEXT_CASES += [
    Case(
        "Mutation.submitDataRequest(message:)",
        "message",
        "elev.ola",
        SUBMIT_DATA_REQUEST,
        lambda live, x, v: {"m": v},
        t.data_requests,
    ),
    Case(
        "Mutation.decideDataRequest(reason:)",
        "reason",
        ADMIN,
        DECIDE_DATA_REQUEST,
        lambda live, x, v: {"r": _data_request(live), "why": v},
        t.data_requests,
    ),
    Case(
        "Mutation.extendDataRequest(reason:)",
        "reason",
        ADMIN,
        EXTEND_DATA_REQUEST,
        lambda live, x, v: {"r": _data_request(live), "why": v},
        t.data_requests,
    ),
    Case(
        "Mutation.requestSchoolExport(justification:)",
        "justification",
        ADMIN,
        REQUEST_SCHOOL_EXPORT,
        lambda live, x, v: (
            _no_running_school_export(live) or {"s": live.school_id("org-bjs"), "j": v}
        ),
        t.privacy_requests,
    ),
    Case(
        "IncidentInput.description",
        "input.description",
        ADMIN,
        RECORD_INCIDENT,
        lambda live, x, v: {"i": _incident(live, description=v)},
        t.incidents,
    ),
    Case(
        "IncidentInput.actionsTaken",
        "input.actionsTaken",
        ADMIN,
        RECORD_INCIDENT,
        lambda live, x, v: {"i": _incident(live, actionsTaken=v)},
        t.incidents,
    ),
    Case(
        "IncidentUpdateInput.actionsTaken",
        "input.actionsTaken",
        ADMIN,
        UPDATE_INCIDENT,
        lambda live, x, v: {"id": _recorded_incident(live), "i": {"actionsTaken": v}},
        t.incidents,
    ),
]
LIST_CASES_INCIDENT = [
    Case(
        "IncidentInput.categories",
        "input.categories",
        ADMIN,
        RECORD_INCIDENT,
        # every category once, then repeated: the list's length is what is limited
        lambda live, x, n: {
            "i": _incident(
                live,
                categories=[c.value for c in DataCategory][:n]
                + ["PERSONAL_DATA"] * max(0, n - len(DataCategory)),
            )
        },
        t.incidents,
    ),
    Case(
        "IncidentScopeInput.courseIds",
        "input.scope.courseIds",
        ADMIN,
        RECORD_INCIDENT,
        lambda live, x, n: {"i": _incident(live, scope={"courseIds": [x["course"]] * n})},
        t.incidents,
    ),
    Case(
        "IncidentScopeInput.personIds",
        "input.scope.personIds",
        ADMIN,
        RECORD_INCIDENT,
        lambda live, x, n: {
            "i": _incident(live, scope={"personIds": [_subject(live, "elev.ola")] * n})
        },
        t.incidents,
    ),
]
LIST_CASES_BATCH = [
    Case(
        "Mutation.requestBatchErasure(subjectIds:)",
        "subjectIds",
        ADMIN,
        REQUEST_BATCH_ERASURE,
        # the same person n times: the list's length is what is limited (they count once)
        lambda live, x, n: _batch(live, [_subject(live, "elev.sander")] * n, JUSTIFICATION),
        t.privacy_requests,
    ),
]

USERS_BY_ID = "query($ids: [ID!]) { users(ids: $ids) { totalCount } }"
REQUESTS_BY_ACTION = (
    "query($actions: [PrivacyAction!]) { privacyRequests(action: $actions) { totalCount } }"
)
LIST_CASES_READS = [
    Case(
        "Query.users(ids:)",
        "ids",
        ADMIN,
        USERS_BY_ID,
        # the same person n times: the list's length is what is limited; a read writes nothing
        lambda live, x, n: {"ids": [_subject(live, "elev.ola")] * n},
        t.people,
    ),
    Case(
        "Query.privacyRequests(action:)",
        "action",
        ADMIN,
        REQUESTS_BY_ACTION,
        # every action once, then repeated: the list's length is what is limited
        lambda live, x, n: {
            "actions": [a.value for a in PrivacyAction][:n]
            + ["ERASE"] * max(0, n - len(PrivacyAction))
        },
        t.privacy_requests,
    ),
]


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
        "SubmitAnswerInput.attachmentIds",
        "input.attachmentIds",
        "elev.ola",
        SUBMIT_ANSWER,
        lambda live, x, n: _answer(x, attachmentIds=_uploads(live, n)),
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
    Case(
        "Mutation.markNotificationsRead(ids:)",
        "ids",
        "elev.ola",
        MARK_NOTIFICATIONS_READ,
        lambda live, x, n: {"ids": _notifications(live, n)},
        t.audit_entries,
    ),
    *LIST_CASES_BATCH,
    *LIST_CASES_INCIDENT,
    *LIST_CASES_READS,
]

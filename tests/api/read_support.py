"""Helpers for the authorisation read tests (``test_read_*.py``, ``test_row_rules.py``).

The tests read through the real HTTP API as demo people and classify what came back at a path:

* ``GRANTED``   - no error at that path (the value itself may be null, e.g. ``lastOpenedAt``)
* ``FORBIDDEN`` - the field is null and an error with ``extensions.code`` FORBIDDEN is at its path
* ``NOT_FOUND`` - the object (or the object a reference points to) is null, with NOT_FOUND

Expected outcomes are derived from the read tables of ``docs/access-policy.md``, transcribed here as
``{field: relations that grant it}`` next to each test, and from the relations each test case
states the viewer holds. A permission granted by any held relation counts.

Activity (assignments, submissions, assessments, posts, messages, documents, events) is made by
each test module through the GraphQL mutations (``create_activity``), never taken from the demo
activity, and the tests assert on their own objects by id.

Demo roster facts the cases rely on (``gateway/demo_data/roster/*.csv``):

* Bjølsen (org-bjs): 8A (homeroom c-bjs-8a, contact teacher larer.hansen) = elev.ola, elev.jakob,
  elev.amina, elev.sara ... (9 students), all of them in MAT8 (larer.hansen) and NOR8 (larer.dahl);
  9A (larer.berg) = elev.emma ... in MAT9 (larer.berg) and ENG9 (larer.lie).
* foresatt.kari: guardian of elev.ola (Bjølsen) and elev.nora (9B, Sagene); foresatt.knut: elev.ola;
  foresatt.geir: elev.jakob; foresatt.anne: elev.sara; foresatt.linn and larer.hansen: elev.emma.
* Sagene (org-sag): larer.nilsen (8B, MAT8), larer.moen (9B, NAT9), rektor.sagene, superuser.sagene.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_support import GraphQLResult, LiveGateway
from sqlalchemy import select, update

from config.ids import from_global_id, to_global_id
from store import tables as t
from store.db import make_engine

GRANTED = "GRANTED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
ROW = "row"

#: Relations implied by others (docs/access-policy.md: "staff = teacher, school leader or
#: superuser"; a course teacher is a course member).
IMPLIES: Mapping[str, frozenset[str]] = {
    "school_leader": frozenset({"school_staff"}),
    "superuser": frozenset({"school_staff"}),
    "school_teacher": frozenset({"school_staff"}),
    "course_teacher": frozenset({"course_member"}),
}


def held(relations: Iterable[str]) -> frozenset[str]:
    """The relations a viewer holds, with the implied ones and ``row`` (the object is visible)."""
    found = {ROW}
    for relation in relations:
        found.add(relation)
        found |= IMPLIES.get(relation, frozenset())
    return frozenset(found)


def expected_for(rule: frozenset[str], relations: Iterable[str]) -> str:
    """GRANTED if any relation the viewer holds grants the field in the spec table."""
    return GRANTED if rule & held(relations) else FORBIDDEN


def dig(data: Any, path: Iterable[str | int]) -> Any:
    for key in path:
        if data is None:
            return None
        data = data[key]
    return data


def outcome(result: GraphQLResult, *path: str | int) -> str:
    """GRANTED, or the error code at ``path`` (and then the value there must be null).

    Errors are bounded per field coordinate: only one denial of a coordinate in a response (the
    one at the smallest path) has an error at its path, so read one object per coordinate when
    classifying a field."""
    error = result.error_at(*path)
    if error is None:
        return GRANTED
    value = dig(result.data, path)
    code = str(error.get("extensions", {}).get("code"))
    assert value is None, f"{code} at {path} but the response carries {value!r}"
    return code


def assert_only_authz_errors(result: GraphQLResult) -> None:
    unexpected = [
        e
        for e in result.errors
        if e.get("extensions", {}).get("code")
        not in {
            FORBIDDEN,
            NOT_FOUND,
        }
    ]
    assert unexpected == [], unexpected


def mutate(live: LiveGateway, viewer: str, query: str, **variables: Any) -> Any:
    """Run a mutation that must succeed; the data of its single root field."""
    result = live.gql(query, variables, as_user=viewer)
    assert result.errors == [], result.errors
    (value,) = result.data.values()
    return value


def pk_of(global_id: str) -> int:
    return from_global_id(global_id)[1]


def node_ids(connection: Mapping[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def all_ids(live: LiveGateway, viewer: str, root: str) -> set[str]:
    """Every node id of a root connection (``documents``, ``calendarEvents`` ...), page by page."""
    found: set[str] = set()
    after: str | None = None
    while True:
        result = live.gql(
            f"query($after: String) {{ {root}(first: 500, after: $after) {{"
            " edges { node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
            as_user=viewer,
        )
        assert result.errors == [], result.errors
        page = result.data[root]
        found.update(node_ids(page))
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


class Reads:
    """Memoised reads: one query per (viewer, lookup, id, selection), shared by the field tests.

    A table row per field keeps test ids readable ("email-guardian-GRANTED") while the server sees
    one request per viewer and object, with every field of the type in it.
    """

    def __init__(self, live: LiveGateway) -> None:
        self.live = live
        self._cache: dict[tuple[str, str, str, str], GraphQLResult] = {}

    def lookup(self, viewer: str, root: str, object_id: str, selection: str) -> GraphQLResult:
        """``root(id:)`` for user/course/submission/assessment/school; ``node`` with a fragment
        (``root`` = the type name) for every other type."""
        key = (viewer, root, object_id, selection)
        if key not in self._cache:
            if root[0].isupper():
                query = f"query($id: ID!) {{ node(id: $id) {{ ... on {root} {{ {selection} }} }} }}"
            else:
                query = f"query($id: ID!) {{ {root}(id: $id) {{ {selection} }} }}"
            result = self.live.gql(query, {"id": object_id}, as_user=viewer)
            assert_only_authz_errors(result)
            self._cache[key] = result
        return self._cache[key]


def root_field(root: str) -> str:
    return "node" if root[0].isupper() else root


def assert_not_found(
    live: LiveGateway, viewer: str, root: str, object_id: str, selection: str
) -> None:
    """The object is invisible to ``viewer``: its lookup and ``node(id:)`` both answer null +
    NOT_FOUND, and nothing in the response says FORBIDDEN (which would reveal it exists)."""
    if root[0].isupper():
        fields = ["node"]
        lookups = f"node(id: $id) {{ id ... on {root} {{ {selection} }} }}"
    else:
        fields = [root, "node"]
        lookups = f"{root}(id: $id) {{ {selection} }} node(id: $id) {{ id }}"
    result = live.gql(f"query($id: ID!) {{ {lookups} }}", {"id": object_id}, as_user=viewer)
    for field in fields:
        assert result.data[field] is None, (field, result.data)
        assert result.code_at(field) == NOT_FOUND, (field, result.errors)
    assert len(result.errors) == len(fields), result.errors


# --- activity made through the mutations ----------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """Objects one test module made for itself (global ids).

    larer.dahl's NOR8 (c-bjs-nor8) is the stage: an assignment, answers from elev.ola (with
    attachments) and elev.jakob, dahl's assessments of elev.ola of every kind (HALF_YEAR and
    FINAL unpublished), a post commented by ola, a conversation between ola and dahl, documents
    and events.
    """

    nor8: str
    assignment: str
    ola_submission: str
    jakob_submission: str
    #: kind -> assessment of elev.ola in NOR8 by larer.dahl; FEEDBACK and HALF_YEAR are linked
    #: to ola's submission
    assessments: Mapping[str, str]
    post: str
    comment: str
    conversation: str
    message: str
    reply: str
    private_document: str
    shared_document: str
    personal_event: str
    course_event: str


CREATE_ASSIGNMENT = """
mutation($courseId: ID!) {
  createAssignment(input: {courseId: $courseId, title: "Dikt og rim",
    instructions: "Skriv et dikt", dueAt: "2099-06-01T12:00:00+00:00"}) { id }
}"""
SUBMIT = """
mutation($assignmentId: ID!, $body: String!, $attachments: [AttachmentInput!]) {
  submitAnswer(input: {assignmentId: $assignmentId, body: $body, attachments: $attachments}) { id }
}"""
ASSESS = """
mutation($studentId: ID!, $courseId: ID!, $kind: AssessmentKind!, $submissionId: ID) {
  assess(input: {studentId: $studentId, courseId: $courseId, kind: $kind,
    submissionId: $submissionId, grade: "5", comment: "Godt arbeid"}) { id published }
}"""
CREATE_POST = 'mutation($c: ID!) { createPost(courseId: $c, body: "Husk gymtøy") { id } }'
COMMENT = 'mutation($p: ID!) { commentOnPost(postId: $p, body: "Takk!") { id } }'
SEND = (
    "mutation($to: [ID!], $conv: ID, $body: String!) { sendMessage(recipientIds: $to, "
    "conversationId: $conv, body: $body) { id } }"
)
CREATE_DOCUMENT = (
    "mutation($title: String!, $c: ID) { createDocument(title: $title, "
    'body: "Notater", courseId: $c) { id } }'
)
CREATE_EVENT = (
    "mutation($title: String!, $c: ID) { createCalendarEvent(title: $title, "
    'startsAt: "2099-09-01T08:00:00+00:00", endsAt: "2099-09-01T09:00:00+00:00", '
    "courseId: $c) { id } }"
)

KINDS = ("FEEDBACK", "GOAL_ACHIEVEMENT", "REMARK", "ABSENCE", "HALF_YEAR", "FINAL")
UNPUBLISHED_KINDS = frozenset({"HALF_YEAR", "FINAL"})


def create_activity(live: LiveGateway) -> Activity:
    nor8 = live.course_id("c-bjs-nor8")
    ola = live.person_id("elev.ola")
    dahl = live.person_id("larer.dahl")
    assignment = mutate(live, "larer.dahl", CREATE_ASSIGNMENT, courseId=nor8)["id"]
    ola_submission = mutate(
        live,
        "elev.ola",
        SUBMIT,
        assignmentId=assignment,
        body="Ola sitt dikt",
        attachments=[
            {"filename": "dikt.pdf", "contentType": "application/pdf", "sizeBytes": 2048},
            {"filename": "tegning.png", "contentType": "image/png", "sizeBytes": 512},
        ],
    )["id"]
    jakob_submission = mutate(
        live, "elev.jakob", SUBMIT, assignmentId=assignment, body="Jakob sitt dikt"
    )["id"]
    assessments: dict[str, str] = {}
    for kind in KINDS:
        linked = ola_submission if kind in {"FEEDBACK", "HALF_YEAR"} else None
        made = mutate(
            live, "larer.dahl", ASSESS, studentId=ola, courseId=nor8, kind=kind, submissionId=linked
        )
        assert made["published"] is (kind not in UNPUBLISHED_KINDS), (kind, made)
        assessments[kind] = made["id"]
    post = mutate(live, "larer.dahl", CREATE_POST, c=nor8)["id"]
    comment = mutate(live, "elev.ola", COMMENT, p=post)["id"]
    message = mutate(live, "elev.ola", SEND, to=[dahl], conv=None, body="Hei, jeg er syk i dag")[
        "id"
    ]
    conversation_pk = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == pk_of(message))
    )
    conversation = to_global_id("Conversation", conversation_pk)
    reply = mutate(live, "larer.dahl", SEND, to=None, conv=conversation, body="God bedring")["id"]
    return Activity(
        nor8=nor8,
        assignment=assignment,
        ola_submission=ola_submission,
        jakob_submission=jakob_submission,
        assessments=assessments,
        post=post,
        comment=comment,
        conversation=conversation,
        message=message,
        reply=reply,
        private_document=mutate(live, "elev.ola", CREATE_DOCUMENT, title="Dagbok", c=None)["id"],
        shared_document=mutate(live, "larer.dahl", CREATE_DOCUMENT, title="Ukeplan", c=nor8)["id"],
        personal_event=mutate(live, "elev.ola", CREATE_EVENT, title="Tannlege", c=None)["id"],
        course_event=mutate(live, "larer.dahl", CREATE_EVENT, title="Prøve i norsk", c=nor8)["id"],
    )


def field_params(
    cases: Iterable[tuple[str, str, str, Iterable[str]]],
    rules: Mapping[str, frozenset[str]],
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> list[Any]:
    """One ``pytest.param(viewer, target, field, expected)`` per case and field of a spec table.

    ``cases`` are ``(label, viewer, target, relations the viewer holds)``; ``overrides`` name the
    (label, field) whose outcome is not the field rule's (a visible reference to an invisible
    object answers NOT_FOUND).
    """
    params = []
    for label, viewer, target, relations in cases:
        for field, rule in rules.items():
            expected = (overrides or {}).get((label, field)) or expected_for(rule, relations)
            params.append(
                pytest.param(viewer, target, field, expected, id=f"{field}-{label}-{expected}")
            )
    return params


def read_field(
    reads: Reads,
    viewer: str,
    root: str,
    object_id: str,
    selections: Mapping[str, str],
    field: str,
) -> tuple[str, Any]:
    """Read every field of ``selections`` on a visible object (memoised); the outcome and the
    value of ``field``."""
    result = reads.lookup(viewer, root, object_id, " ".join(selections.values()))
    top = root_field(root)
    assert outcome(result, top) == GRANTED, result.errors
    assert result.data[top] is not None and result.data[top]["id"] == object_id, result.data
    return outcome(result, top, field), result.data[top][field]


OPENED_AT = datetime(2099, 6, 2, 8, 30, tzinfo=UTC)


def mark_opened(live: LiveGateway, submission: str, username: str) -> None:
    """Record that ``username`` opened the answer at ``OPENED_AT``.

    The gateway stamps them when a teacher of the course reads the answer's ``body``; setting
    them here gives every read test a known starting point whatever ran before.
    """

    async def run() -> None:
        engine = make_engine(live.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    update(t.submissions)
                    .where(t.submissions.c.id == pk_of(submission))
                    .values(last_opened_at=OPENED_AT, last_opened_by_id=live.person_pk(username))
                )
        finally:
            await engine.dispose()

    asyncio.run(run())

"""Bad input over HTTP: clear errors with a code, never a crash, nothing written.

Malformed documents and requests, ids that are not ours or name the wrong type, bad cursors and
page sizes, blank or over-long text in mutations, and the ``application/graphql-response+json``
media type (GraphQL over HTTP).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
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
    pk,
    refused,
    send_message,
)
from sqlalchemy import select

from config.ids import to_global_id
from resolvers.services.input_limits import PREFERENCES_PER_PERSON
from store import tables as t

MAT8 = "c-bjs-mat8"
GRAPHQL_RESPONSE = "application/graphql-response+json"
INTERNALS = ("Traceback", "SELECT ", "sqlalchemy", "asyncpg", "sqlite", 'File "')


def post_raw(
    live: LiveGateway, body: Any = None, *, content: bytes | None = None, **headers: str
) -> httpx.Response:
    sent = {"Authorization": f"Bearer {live.token('larer.hansen')}", **headers}
    if content is not None:
        return live.client.post(f"{live.url}/graphql", content=content, headers=sent)
    return live.client.post(f"{live.url}/graphql", json=body, headers=sent)


def assert_no_internals(text: str) -> None:
    for marker in INTERNALS:
        assert marker not in text, f"{marker!r} leaked: {text[:500]}"


def assert_still_serving(live: LiveGateway) -> None:
    result = live.gql("{ viewer { id } }", as_user="larer.hansen")
    assert result.errors == []


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- malformed requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("{ viewer { id ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("query { viewer { id } } }", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("{ viewer { noSuchField } }", "GRAPHQL_VALIDATION_FAILED", "noSuchField"),
        ('{ courses(first: "ten") { totalCount } }', "GRAPHQL_VALIDATION_FAILED", "Int"),
        ("{ course { id } }", "GRAPHQL_VALIDATION_FAILED", "id"),
        ("mutation { createPost(courseId: 1) { id } }", "GRAPHQL_VALIDATION_FAILED", "body"),
    ],
)
def test_malformed_documents_get_a_clear_error(
    live: LiveGateway, query: str, code: str, message: str
) -> None:
    response = post_raw(live, {"query": query})
    assert response.status_code in (200, 400)
    body = response.json()
    assert body.get("data") is None
    errors = body["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code] * len(errors)
    assert any(message in e["message"] for e in errors), errors
    assert_no_internals(response.text)
    assert_still_serving(live)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": "ten"}, "$first"),
        ({"first": 2**40}, "$first"),
        ({}, "$first"),
    ],
)
def test_variables_of_the_wrong_type_are_bad_user_input(
    live: LiveGateway, variables: dict[str, Any], message: str
) -> None:
    response = post_raw(
        live,
        {
            "query": "query($first: Int!) { courses(first: $first) { totalCount } }",
            "variables": variables,
        },
    )
    body = response.json()
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
    assert_no_internals(response.text)


def test_a_datetime_that_is_not_one(live: LiveGateway) -> None:
    variables = {"title": "Møte", "startsAt": "next tuesday", "endsAt": ENDS}
    before = count(live, t.calendar_events)
    result = live.gql(CREATE_EVENT, variables, as_user="elev.ola")
    assert result.data is None
    assert result.codes() == {"BAD_USER_INPUT"}
    assert count(live, t.calendar_events) == before


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"query": 42}', "application/json"),
        (b"{}", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"{ viewer { id } }", "text/plain"),
    ],
)
def test_malformed_http_bodies_are_refused_without_a_crash(
    live: LiveGateway, content: bytes, content_type: str
) -> None:
    response = post_raw(live, content=content, **{"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert_no_internals(response.text)
    assert_still_serving(live)


def test_unknown_operation_name(live: LiveGateway) -> None:
    response = post_raw(live, {"query": "query A { viewer { id } }", "operationName": "B"})
    assert 200 <= response.status_code < 500
    assert "B" in response.text
    assert_no_internals(response.text)
    assert_still_serving(live)


# --- ids ------------------------------------------------------------------------------------------

USER = "query($id: ID!) { user(id: $id) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


def garbage_ids() -> list[Any]:
    return [
        pytest.param("", id="empty"),
        pytest.param("!!!", id="punctuation"),
        pytest.param("not an id at all", id="words"),
        pytest.param(b64("User"), id="no-colon"),
        pytest.param(b64("User:abc"), id="not-a-number"),
        pytest.param(b64("User:1.5"), id="fraction"),
        pytest.param(b64("User:99999999999999999999999"), id="beyond-64-bit"),
        pytest.param(b64("User:2147483648"), id="beyond-32-bit"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe:1").decode(), id="not-utf8"),
        pytest.param("x" * 10_000, id="very-long"),
    ]


@pytest.mark.parametrize("garbage", garbage_ids())
@pytest.mark.parametrize("document", [USER, NODE], ids=["user", "node"])
def test_garbage_ids_are_bad_user_input_or_not_found(
    live: LiveGateway, document: str, garbage: str
) -> None:
    result = live.gql(document, {"id": garbage}, as_user="admin")
    assert result.data is not None
    assert next(iter(result.data.values())) is None
    assert result.codes() <= {"BAD_USER_INPUT", "NOT_FOUND"}
    assert len(result.errors) == 1
    assert_no_internals(str(result))
    assert len(result.errors[0]["message"]) < 200, "the input is not echoed back whole"


@pytest.mark.parametrize(
    ("global_id", "code"),
    [
        pytest.param(to_global_id("User", 999_999), "NOT_FOUND", id="no-such-user"),
        pytest.param(to_global_id("User", 2**31 - 1), "NOT_FOUND", id="largest-id"),
        pytest.param(to_global_id("Course", 1), "NOT_FOUND", id="id-of-another-type"),
        pytest.param(to_global_id("Nonsense", 1), "NOT_FOUND", id="unknown-type"),
    ],
)
def test_well_formed_ids_of_nothing_are_not_found(
    live: LiveGateway, global_id: str, code: str
) -> None:
    result = live.gql(USER, {"id": global_id}, as_user="admin")
    assert result.data == {"user": None}
    assert result.codes() == {code}


def test_node_with_an_unknown_type_is_not_found(live: LiveGateway) -> None:
    result = live.gql(NODE, {"id": to_global_id("Nonsense", 1)}, as_user="admin")
    assert result.data == {"node": None}
    assert result.codes() == {"NOT_FOUND"}


@pytest.mark.parametrize(
    ("course_id", "codes"),
    [
        pytest.param("garbage", {"BAD_USER_INPUT"}, id="garbage"),
        pytest.param(b64("Course:99999999999999999999"), {"BAD_USER_INPUT"}, id="overflow"),
        pytest.param(to_global_id("Course", 999_999), {"NOT_FOUND"}, id="no-such-course"),
        pytest.param(to_global_id("User", 1), {"NOT_FOUND"}, id="a-user-id"),
    ],
)
def test_mutation_with_a_bad_id_writes_nothing(
    live: LiveGateway, course_id: str, codes: set[str]
) -> None:
    before = count(live, t.assignments)
    result = create_assignment(live, "larer.hansen", course_id, "Oppgave")
    assert result.data is None
    assert result.codes() == codes
    assert count(live, t.assignments) == before
    assert_no_internals(str(result))


def test_assess_with_garbage_ids(live: LiveGateway) -> None:
    before = count(live, t.assessments)
    course = live.course_id(MAT8)
    ola = live.person_id("elev.ola")
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"studentId": "garbage", "courseId": course}, {"BAD_USER_INPUT"}),
        ({"studentId": course, "courseId": course}, {"NOT_FOUND"}),
        ({"studentId": ola, "courseId": ola}, {"NOT_FOUND"}),
        ({"studentId": ola, "courseId": course, "submissionId": "garbage"}, {"BAD_USER_INPUT"}),
        (
            {
                "studentId": ola,
                "courseId": course,
                "submissionId": to_global_id("Submission", 999_999),
            },
            {"BAD_USER_INPUT"},
        ),
        ({"studentId": ola, "courseId": course, "grade": "x" * 65}, {"BAD_USER_INPUT"}),
    ]
    for data, codes in cases:
        result = live.gql(ASSESS, {"input": {**data, "kind": "FEEDBACK"}}, as_user="larer.hansen")
        assert result.codes() == codes, (data, result.errors)
    assert count(live, t.assessments) == before


# --- cursors and page sizes -----------------------------------------------------------------------

COURSES = """
query($first: Int, $after: String) {
  courses(first: $first, after: $after) { totalCount edges { cursor } }
}"""


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage!", id="garbage"),
        pytest.param(b64("cursor:abc"), id="not-a-number"),
        pytest.param(b64("nope:1"), id="wrong-prefix"),
        pytest.param(b64("cursor:99999999999999999999"), id="overflow"),
        pytest.param(b64("cursor:-5"), id="negative"),
        pytest.param(to_global_id("Course", 1), id="an-id-not-a-cursor"),
    ],
)
def test_bad_cursor_is_bad_user_input(live: LiveGateway, cursor: str) -> None:
    result = live.gql(COURSES, {"after": cursor}, as_user="admin")
    assert result.data is None  # courses is non-null
    assert result.codes() == {"BAD_USER_INPUT"}
    assert_no_internals(str(result))


def test_a_good_cursor_pages_on(live: LiveGateway) -> None:
    first = live.gql(COURSES, {"first": 2}, as_user="admin")
    assert first.errors == []
    cursor = first.data["courses"]["edges"][-1]["cursor"]
    second = live.gql(COURSES, {"first": 2, "after": cursor}, as_user="admin")
    assert second.errors == []
    assert cursor not in [e["cursor"] for e in second.data["courses"]["edges"]]


@pytest.mark.parametrize("first", [-1, 501, 2**31 - 1])
def test_first_out_of_range_is_bad_user_input(live: LiveGateway, first: int) -> None:
    result = live.gql(COURSES, {"first": first}, as_user="admin")
    assert result.data is None
    assert result.codes() == {"BAD_USER_INPUT"}


def test_first_zero_is_an_empty_page(live: LiveGateway) -> None:
    result = live.gql(COURSES, {"first": 0}, as_user="admin")
    assert result.errors == []
    assert result.data["courses"]["edges"] == []
    assert result.data["courses"]["totalCount"] > 0


def test_nested_first_out_of_range(live: LiveGateway) -> None:
    query = "query($id: ID!) { course(id: $id) { name students(first: 501) { totalCount } } }"
    result = live.gql(query, {"id": live.course_id(MAT8)}, as_user="larer.hansen")
    assert result.data["course"]["name"] == "Matematikk 8"
    assert result.data["course"]["students"] is None
    assert result.code_at("course", "students") == "BAD_USER_INPUT"


# --- blank and over-long text: BAD_USER_INPUT, nothing written ------------------------------------


def text_cases() -> list[Any]:
    return [
        pytest.param(
            CREATE_ASSIGNMENT,
            lambda live, x: {"input": {"courseId": live.course_id(MAT8), "title": "   "}},
            "larer.hansen",
            t.assignments,
            id="createAssignment-blank-title",
        ),
        pytest.param(
            CREATE_ASSIGNMENT,
            lambda live, x: {"input": {"courseId": live.course_id(MAT8), "title": ""}},
            "larer.hansen",
            t.assignments,
            id="createAssignment-empty-title",
        ),
        pytest.param(
            CREATE_ASSIGNMENT,
            lambda live, x: {"input": {"courseId": live.course_id(MAT8), "title": "x" * 501}},
            "larer.hansen",
            t.assignments,
            id="createAssignment-long-title",
        ),
        pytest.param(
            CREATE_POST,
            lambda live, x: {"courseId": live.course_id(MAT8), "body": "\n\t "},
            "elev.ola",
            t.posts,
            id="createPost-blank",
        ),
        pytest.param(
            CREATE_POST,
            lambda live, x: {"courseId": live.course_id(MAT8), "body": "x" * 20_001},
            "elev.ola",
            t.posts,
            id="createPost-long",
        ),
        pytest.param(
            COMMENT,
            lambda live, x: {"postId": x["post"], "body": " "},
            "elev.ola",
            t.comments,
            id="commentOnPost-blank",
        ),
        pytest.param(
            SEND_MESSAGE,
            lambda live, x: {"body": " ", "to": [live.person_id("larer.hansen")]},
            "elev.ola",
            t.messages,
            id="sendMessage-blank",
        ),
        pytest.param(
            SEND_MESSAGE,
            lambda live, x: {"body": "Hei", "to": []},
            "elev.ola",
            t.messages,
            id="sendMessage-nobody",
        ),
        pytest.param(
            SEND_MESSAGE,
            lambda live, x: {"body": "Hei"},
            "elev.ola",
            t.messages,
            id="sendMessage-neither",
        ),
        pytest.param(
            SEND_MESSAGE,
            lambda live, x: {"body": "Hei", "to": [live.person_id("elev.ola")]},
            "elev.ola",
            t.messages,
            id="sendMessage-only-self",
        ),
        pytest.param(
            SEND_MESSAGE,
            lambda live, x: {
                "body": "Hei",
                "to": [live.person_id("larer.hansen")],
                "conversationId": x["conversation"],
            },
            "elev.ola",
            t.messages,
            id="sendMessage-both",
        ),
        pytest.param(
            CREATE_DOCUMENT,
            lambda live, x: {"title": " "},
            "elev.ola",
            t.documents,
            id="createDocument-blank",
        ),
        pytest.param(
            CREATE_EVENT,
            lambda live, x: {"title": " ", "startsAt": STARTS, "endsAt": ENDS},
            "elev.ola",
            t.calendar_events,
            id="createCalendarEvent-blank",
        ),
        pytest.param(
            CREATE_EVENT,
            lambda live, x: {"title": "Bakvendt", "startsAt": ENDS, "endsAt": STARTS},
            "elev.ola",
            t.calendar_events,
            id="createCalendarEvent-ends-before-start",
        ),
        pytest.param(
            SET_PREFERENCE,
            lambda live, x: {"key": "  ", "value": "x"},
            "elev.ola",
            t.preferences,
            id="setPreference-blank-key",
        ),
        pytest.param(
            SUBMIT_ANSWER,
            lambda live, x: {"input": {"assignmentId": x["assignment"], "body": "  "}},
            "elev.ola",
            t.submissions,
            id="submitAnswer-blank",
        ),
        pytest.param(
            SUBMIT_ANSWER,
            lambda live, x: {
                "input": {
                    "assignmentId": x["assignment"],
                    "body": "Svar",
                    "attachments": [{"filename": " "}],
                }
            },
            "elev.ola",
            t.attachments,
            id="submitAnswer-blank-filename",
        ),
        pytest.param(
            SUBMIT_ANSWER,
            lambda live, x: {
                "input": {
                    "assignmentId": x["assignment"],
                    "body": "Svar",
                    "attachments": [{"filename": "a.pdf", "sizeBytes": -1}],
                }
            },
            "elev.ola",
            t.attachments,
            id="submitAnswer-negative-size",
        ),
    ]


@pytest.fixture(scope="module")
def targets(live: LiveGateway) -> dict[str, str]:
    """An assignment, a post and a conversation for the text cases to aim at."""
    course = live.course_id(MAT8)
    assignment = ok(create_assignment(live, "larer.hansen", course, "Mål"), "createAssignment")
    post = ok(create_post(live, "larer.hansen", course, "Innlegg"), "createPost")
    message = ok(
        send_message(live, "elev.ola", "Hei", to=[live.person_id("larer.hansen")]), "sendMessage"
    )
    conversation = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == pk(message["id"]))
    )
    return {
        "assignment": assignment["id"],
        "post": post["id"],
        "conversation": to_global_id("Conversation", conversation),
    }


@pytest.mark.parametrize(("document", "variables", "who", "table"), text_cases())
def test_bad_text_is_bad_user_input_and_writes_nothing(
    live: LiveGateway,
    targets: dict[str, str],
    document: str,
    variables: Any,
    who: str,
    table: Any,
) -> None:
    before = (count(live, table), count(live, t.audit_entries))
    result = live.gql(document, variables(live, targets), as_user=who)
    refused(result, "BAD_USER_INPUT")
    assert (count(live, table), count(live, t.audit_entries)) == before


# --- the GraphQL-over-HTTP media type -------------------------------------------------------------


def test_graphql_response_media_type_when_asked(live: LiveGateway) -> None:
    response = post_raw(live, {"query": "{ viewer { id } }"}, Accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["data"]["viewer"]["id"] == live.person_id("larer.hansen")


def test_json_by_default(live: LiveGateway) -> None:
    for accept in (None, "application/json"):
        headers = {} if accept is None else {"Accept": accept}
        response = post_raw(live, {"query": "{ viewer { id } }"}, **headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")


def test_field_errors_keep_200_with_the_graphql_response_media_type(live: LiveGateway) -> None:
    query = f'{{ viewer {{ id }} user(id: "{to_global_id("User", 999_999)}") {{ id }} }}'
    response = post_raw(live, {"query": query}, Accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = GraphQLResult(response.json())
    assert body.data["viewer"] is not None
    assert body.code_at("user") == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"query": "{ viewer { id "}, id="syntax"),
        pytest.param({"query": "{ viewer { noSuchField } }"}, id="validation"),
        pytest.param(
            {
                "query": "query($n: Int!) { courses(first: $n) { totalCount } }",
                "variables": {"n": "x"},
            },
            id="variables",
        ),
    ],
)
def test_request_errors_are_400_with_the_graphql_response_media_type(
    live: LiveGateway, body: dict[str, Any]
) -> None:
    """GraphQL over HTTP: a request error has no "data" entry, and for this media type is a 4xx."""
    response = post_raw(live, body, Accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"]
    assert all(e["extensions"]["code"] for e in payload["errors"])


def test_preferences_are_bounded_per_person(live: LiveGateway) -> None:
    """A person keeps at most PREFERENCES_PER_PERSON keys: a new key beyond them is refused and
    writes nothing; a kept key can still be changed."""
    person = live.person_pk("elev.ola")
    p = t.preferences.c
    kept = live.rows(select(p.key).where(p.person_id == person))
    room = PREFERENCES_PER_PERSON - len(kept)
    assert room > 0
    filler = [f"test.bounded.{n}" for n in range(room)]
    at = datetime.now(UTC)
    live.execute(
        t.preferences.insert().values(
            [{"person_id": person, "key": key, "value": "x", "updated_at": at} for key in filler]
        )
    )
    try:
        before = count(live, t.preferences)
        result = live.gql(
            SET_PREFERENCE, {"key": "test.one.too.many", "value": "x"}, as_user="elev.ola"
        )
        assert result.code_at("setPreference") == "BAD_USER_INPUT", result.errors
        assert str(PREFERENCES_PER_PERSON) in result.errors[0]["message"]
        assert count(live, t.preferences) == before
        changed = live.gql(SET_PREFERENCE, {"key": filler[0], "value": "y"}, as_user="elev.ola")
        assert ok(changed, "setPreference")
    finally:
        live.execute(t.preferences.delete().where(p.person_id == person, p.key.in_(filler)))

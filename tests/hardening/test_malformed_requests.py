"""Malformed requests to ``/graphql`` answer 400 with a JSON error, never a 500 (docs/security.md,
"Requests and bodies").

Through HTTP against the shared gateways on both backends: a lone surrogate that got past the
edge would reach the database, where SQLite's and PostgreSQL's drivers fail differently. Each
refusal is a GraphQL-shaped JSON error with ``extensions.code`` ``BAD_REQUEST``, a message naming
the problem, and no ``data``; it happens before the token is looked at (no SQL at all).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from gateway_support import LiveGateway

from gateway import metrics

TYPENAME = '{"query": "{ __typename }"}'


def post(
    live: LiveGateway,
    body: bytes,
    content_type: str | None = "application/json",
    **headers: str,
) -> httpx.Response:
    sent = dict(headers)
    if content_type is not None:
        sent["Content-Type"] = content_type
    return live.client.post(f"{live.url}/graphql", content=body, headers=sent)


def assert_bad_request(response: httpx.Response, fragment: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", body
    assert fragment in error["message"], error["message"]


# (body, content type, what the message says)
MALFORMED: dict[str, tuple[bytes, str | None, str]] = {
    "not UTF-8": (b'{"query": "{ __typename \xff }"}', "application/json", "not UTF-8: byte 0xff"),
    "Latin-1 text": (
        '{"query": "{ __typename } # Ø"}'.encode("latin-1"),
        "application/json",
        "not UTF-8: byte 0xd8",
    ),
    "UTF-16": (TYPENAME.encode("utf-16"), "application/json", "not UTF-8"),
    "null": (b"null", "application/json", "must be a JSON object with a `query`, not null"),
    "a number": (b"42", "application/json", "not a number"),
    "a string": (b'"{ __typename }"', "application/json", "not a string"),
    "a boolean": (b"true", "application/json", "not a boolean"),
    "an empty array": (b"[]", "application/json", "batched requests are not accepted"),
    "a batch": (f"[{TYPENAME}]".encode(), "application/json", "batched requests are not accepted"),
    "not JSON": (b"query { __typename }", "application/json", "not JSON: Expecting value"),
    "truncated JSON": (b'{"query": "{ __typename }"', "application/json", "not JSON"),
    "an empty body": (b"", "application/json", "The request body is empty"),
    "100,000 [": (b"[" * 100_000, "application/json", "nested too deeply"),
    "100,000 nested objects": (b'{"a":' * 100_000, "application/json", "nested too deeply"),
    "deep variables": (
        b'{"query": "{ __typename }", "variables": {"x": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
        "application/json",
        "nested too deeply",
    ),
    "NaN": (
        b'{"query": "{ __typename }", "variables": {"x": NaN}}',
        "application/json",
        "NaN is not a JSON value",
    ),
    "a 5,000-digit number": (
        b'{"query": "{ __typename }", "variables": {"x": ' + b"7" * 5000 + b"}}",
        "application/json",
        "too many digits",
    ),
    "text/plain": (TYPENAME.encode(), "text/plain", "Content-Type 'text/plain' is not accepted"),
    "a form": (b"query=%7B__typename%7D", "application/x-www-form-urlencoded", "not accepted"),
    "application/graphql": (b"{ __typename }", "application/graphql", "not accepted"),
    # Uploads are multipart (docs/interfaces.md, "Uploads"): one without a preflight header is
    # refused before its body is read.
    "multipart without a preflight header": (
        TYPENAME.encode(),
        "multipart/form-data; boundary=x",
        "needs the header Apollo-Require-Preflight",
    ),
    "a JSON look-alike type": (TYPENAME.encode(), "application/jsonx", "not accepted"),
    "no content type": (TYPENAME.encode(), None, "no Content-Type"),
    "charset latin-1": (TYPENAME.encode(), "application/json; charset=latin-1", "must be UTF-8"),
    "no query": (b'{"variables": {}}', "application/json", "no `query`"),
    "query null": (b'{"query": null}', "application/json", "no `query`"),
    "query empty": (b'{"query": "  "}', "application/json", "`query` is empty"),
    "query a number": (
        b'{"query": 1}',
        "application/json",
        "`query` must be a string, not a number",
    ),
    "query an object": (
        b'{"query": {"a": 1}}',
        "application/json",
        "`query` must be a string, not an object",
    ),
    "variables an array": (
        b'{"query": "{ __typename }", "variables": [1]}',
        "application/json",
        "`variables` must be a JSON object, not an array",
    ),
    "variables a string": (
        b'{"query": "{ __typename }", "variables": "{}"}',
        "application/json",
        "`variables` must be a JSON object, not a string",
    ),
    "operationName a number": (
        b'{"query": "{ __typename }", "operationName": 1}',
        "application/json",
        "`operationName` must be a string",
    ),
    "extensions an array": (
        b'{"query": "{ __typename }", "extensions": []}',
        "application/json",
        "`extensions` must be a JSON object",
    ),
    "a lone high surrogate in the query": (
        b'{"query": "{ __typename } # \\ud800"}',
        "application/json",
        "`query` contains a lone UTF-16 surrogate (\\ud800)",
    ),
    "a lone surrogate in a string argument": (
        b'{"query": "{ node(id: \\"\\udfff\\") { id } }"}',
        "application/json",
        "`query` contains a lone UTF-16 surrogate (\\udfff)",
    ),
    "a lone low surrogate in variables": (
        b'{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "\\udc00"}}',
        "application/json",
        "`variables.id` contains a lone UTF-16 surrogate (\\udc00)",
    ),
    "a surrogate deep in variables": (
        b'{"query": "{ __typename }", "variables": {"a": [{"b": ["ok", "\\uD834"]}]}}',
        "application/json",
        "`variables.a[0].b[1]` contains a lone UTF-16 surrogate (\\ud834)",
    ),
    "a lone surrogate after an escaped backslash": (
        b'{"query": "{ __typename }", "variables": {"x": "\\\\\\ud800"}}',
        "application/json",
        "`variables.x` contains a lone UTF-16 surrogate (\\ud800)",
    ),
    "a high surrogate before an escaped backslash": (
        b'{"query": "{ __typename }", "variables": {"x": "\\ud83d\\\\ude00"}}',
        "application/json",
        "`variables.x` contains a lone UTF-16 surrogate (\\ud83d)",
    ),
    "a low surrogate after an escaped high one": (
        b'{"query": "{ __typename }", "variables": {"x": "\\\\ud83d\\ude00"}}',
        "application/json",
        "`variables.x` contains a lone UTF-16 surrogate (\\ude00)",
    ),
    "a pair the wrong way round": (
        b'{"query": "{ __typename }", "variables": {"x": ["ok", "\\ude00\\ud83d"]}}',
        "application/json",
        "`variables.x[1]` contains a lone UTF-16 surrogate (\\ude00)",
    ),
    "a surrogate in a variable's name": (
        b'{"query": "{ __typename }", "variables": {"\\ud800": 1}}',
        "application/json",
        "`variables` contains a lone UTF-16 surrogate",
    ),
    "an unknown operationName": (
        b'{"query": "query A { __typename }", "operationName": "B"}',
        "application/json",
        'Unknown operation named "B"',
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_bodies_answer_400_with_a_precise_message(live: LiveGateway, case: str) -> None:
    body, content_type, fragment = MALFORMED[case]
    response = post(live, body, content_type, Authorization=f"Bearer {live.token('admin')}")
    assert_bad_request(response, fragment)


def test_refusals_come_before_the_token_is_looked_at(live: LiveGateway) -> None:
    token = {"Authorization": f"Bearer {live.token('larer.hansen')}"}
    with live.count_sql() as statements:
        assert post(live, b'{"query": "{ viewer { id } }"}', **token).status_code == 200
    assert statements, "a valid token is looked up in the database"
    for body, content_type in [(b"null", "application/json"), (b"[" * 100_000, None)]:
        with live.count_sql() as statements:
            response = post(live, body, content_type, **token)
        assert response.status_code == 400
        assert statements == []


def test_a_multipart_body_that_is_not_an_upload_is_refused(live: LiveGateway) -> None:
    response = post(
        live,
        TYPENAME.encode(),
        "multipart/form-data; boundary=x",
        Authorization=f"Bearer {live.token('admin')}",
        **{"Apollo-Require-Preflight": "true"},
    )
    assert_bad_request(response, "multipart")


def test_refusals_are_counted(live: LiveGateway) -> None:
    before = metrics.refusals().get("BAD_REQUEST", 0)
    post(live, b"[]")
    post(live, b"\xff")
    assert metrics.refusals().get("BAD_REQUEST", 0) == before + 2


def test_surrogate_pairs_and_escaped_backslashes_are_text(live: LiveGateway) -> None:
    """Only *lone* surrogates are refused: a pair is one character (here an emoji), and an
    escaped backslash before ``ud800`` is the six characters ``\\ud800``."""
    query = "query($id: ID!) { node(id: $id) { id } }"
    for sent, shown in [("\\ud83d\\ude00", "\U0001f600"), ("\\\\ud800", "\\ud800")]:
        body = f'{{"query": "{query}", "variables": {{"id": "{sent}"}}}}'.encode()
        response = post(live, body, Authorization=f"Bearer {live.token('larer.hansen')}")
        assert response.status_code == 200, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert f"'{shown}' is not a valid id" in error["message"]


def test_queries_over_get_are_refused(live: LiveGateway) -> None:
    for path, accept in [
        ("/graphql?query=%7B__typename%7D", "application/json"),
        ("/graphql?query=%7B__typename%7D", "text/html"),
        ("/graphql", "application/json"),
    ]:
        response = live.client.get(f"{live.url}{path}", headers={"Accept": accept})
        assert_bad_request(response, "Queries over GET are not accepted unless persisted")


def test_other_methods_are_not_allowed(live: LiveGateway) -> None:
    for method in ["PUT", "DELETE", "PATCH"]:
        response = live.client.request(method, f"{live.url}/graphql", content=TYPENAME)
        assert response.status_code == 405
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_unknown_paths_answer_json(live: LiveGateway) -> None:
    response = live.client.post(f"{live.url}/graphq1", content=TYPENAME)
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_unknown_paths_and_methods_are_counted_and_logged(
    live: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    before = metrics.refusals()
    caplog.set_level(logging.INFO, logger="tavle.http")
    assert live.client.get(f"{live.url}/graphq1?secret=x").status_code == 404
    assert live.client.delete(f"{live.url}/graphql").status_code == 405
    after = metrics.refusals()
    assert after.get("NOT_FOUND", 0) == before.get("NOT_FOUND", 0) + 1
    assert after.get("METHOD_NOT_ALLOWED", 0) == before.get("METHOD_NOT_ALLOWED", 0) + 1
    lines = [r.getMessage() for r in caplog.records if r.name == "tavle.http"]
    assert lines == [
        "refused a request: NOT_FOUND (HTTP 404)",
        "refused a request: METHOD_NOT_ALLOWED (HTTP 405)",
    ]


def test_a_graphql_response_client_gets_the_same_refusal(live: LiveGateway) -> None:
    response = post(live, b"null", Accept="application/graphql-response+json")
    assert_bad_request(response, "not null")


DEEP_DOCUMENTS = {
    "selections": "{" + "viewer { " * 5000 + "id" + " }" * 5001,
    "list values": "{ node(id: " + "[" * 5000 + "]" * 5000 + ") { id } }",
    "object values": "{ node(id: " + "{a: " * 5000 + "1" + "}" * 5000 + ") { id } }",
}


@pytest.mark.parametrize("shape", DEEP_DOCUMENTS)
def test_deeply_nested_documents_are_request_errors(live: LiveGateway, shape: str) -> None:
    """A document nested thousands deep is refused by one of the document checks (the parser's
    own nesting limit, the token limit, the depth limit): whichever, never as a server error."""
    response = post(live, json.dumps({"query": DEEP_DOCUMENTS[shape]}).encode())
    assert response.status_code in {200, 400}, response.text
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes and "INTERNAL_SERVER_ERROR" not in codes

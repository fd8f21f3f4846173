"""Persisted queries, the safelist and GET (docs/interfaces.md, "Persisted queries"; docs/
security.md, "The safelist"), through a real server.

- ``apq`` (the default), on both backends: an unknown hash answers ``PersistedQueryNotFound``
  (HTTP 200, as Apollo Client expects), the text with its hash is checked and remembered, and
  the hash alone then runs it, by POST and by GET. GET runs queries only (a mutation: 405), with
  caching headers that let a shared cache keep only anonymous answers without errors.
- ``safelist``, with an Apollo manifest and with a Relay ``persisted-queries.json``: listed
  operations run by id or by their exact text; anything else is refused before it is parsed.
- ``off``: a hash answers ``PersistedQueryNotSupported``.
- A missing or broken manifest stops the gateway from starting.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from mutation_support import CREATE_POST, count
from pydantic import ValidationError
from serve_support import REPO, TAVLE
from subscription_support import Subscriber, wait_registered

from config.ids import to_global_id
from config.settings import Settings
from gateway.app import create_app
from gateway.persisted_queries import ManifestError, PersistedQueries
from resolvers.events import Event, Topic, publish
from store import tables as t
from store.db import make_engine

APP = "https://app.example.no"
VIEWER = "query Viewer { viewer { id displayName } }"
NOTICE = "query Notice { privacyNotice { controller } }"
COURSES = "query Courses($first: Int) { courses(first: $first) { edges { node { id } } } }"
MAT8 = "c-bjs-mat8"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


def post(
    live: LiveGateway, body: dict[str, Any], who: str | None = "elev.ola", **headers: str
) -> httpx.Response:
    if who is not None:
        headers["Authorization"] = f"Bearer {live.token(who)}"
    return live.client.post(f"{live.url}/graphql", json=body, headers=headers)


def get(
    live: LiveGateway, params: dict[str, Any], who: str | None = "elev.ola", **headers: str
) -> httpx.Response:
    """A GET as Apollo Client sends it: the JSON members as query parameters."""
    if who is not None:
        headers["Authorization"] = f"Bearer {live.token(who)}"
    sent = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return live.client.get(f"{live.url}/graphql", params=sent, headers=headers)


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert isinstance(error, dict)
    return error


# --- apq ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def apq(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param, tmp_path_factory, "persisted-apq", cors_origins=[APP]
    ) as gateway:
        yield gateway


def unique(text: str, marker: str) -> str:
    """The same operation as another text (so another hash), unknown to the gateway so far."""
    return f"{text}\n# {marker}"


def test_an_unknown_hash_answers_persisted_query_not_found(apq: LiveGateway) -> None:
    text = unique(VIEWER, "unknown")
    response = post(apq, {"extensions": persisted(text)})
    assert response.status_code == 200
    assert only_error(response) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    assert "no-cache" in response.headers["cache-control"]


def test_the_hash_with_its_text_runs_and_is_remembered(apq: LiveGateway) -> None:
    text = unique(VIEWER, "register")
    response = post(apq, {"query": text, "extensions": persisted(text)})
    assert response.status_code == 200
    viewer = response.json()["data"]["viewer"]
    assert viewer["id"] == apq.person_id("elev.ola")
    # the hash alone now runs the same document, for another caller too
    again = post(apq, {"extensions": persisted(text), "operationName": "Viewer"}, "larer.hansen")
    assert again.status_code == 200
    assert again.json()["data"]["viewer"]["id"] == apq.person_id("larer.hansen")


def test_variables_go_with_the_hash(apq: LiveGateway) -> None:
    text = unique(COURSES, "variables")
    assert post(apq, {"query": text, "extensions": persisted(text)}).status_code == 200
    for first in [1, 2]:
        response = post(
            apq, {"extensions": persisted(text), "variables": {"first": first}}, "larer.hansen"
        )
        assert len(response.json()["data"]["courses"]["edges"]) == first


def test_a_hash_that_does_not_match_the_text_is_refused(apq: LiveGateway) -> None:
    text = unique(VIEWER, "mismatch")
    response = post(apq, {"query": text, "extensions": persisted(VIEWER)})
    assert response.status_code == 400
    assert only_error(response) == {
        "message": "provided sha does not match query",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    # nothing was remembered under either hash
    assert post(apq, {"extensions": persisted(text)}).json()["errors"][0]["message"] == (
        "PersistedQueryNotFound"
    )


def test_a_text_that_does_not_parse_is_not_remembered(apq: LiveGateway) -> None:
    text = "query Broken { viewer { id "
    response = post(apq, {"query": text, "extensions": persisted(text)})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    again = post(apq, {"extensions": persisted(text)})
    assert only_error(again)["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": "abc"}, "must be a JSON object"),
        ({"persistedQuery": {"version": 2, "sha256Hash": sha(VIEWER)}}, "version 2"),
        ({"persistedQuery": {"version": 1}}, "sha256Hash` must be a non-empty string"),
        ({"persistedQuery": {"version": 1, "sha256Hash": 7}}, "must be a non-empty string"),
    ],
)
def test_a_malformed_persisted_query_is_a_bad_request(
    apq: LiveGateway, extensions: dict[str, Any], message: str
) -> None:
    response = post(apq, {"extensions": extensions})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_a_request_without_query_or_hash_is_still_refused(apq: LiveGateway) -> None:
    response = post(apq, {"variables": {}})
    assert response.status_code == 400
    assert "has no `query`" in only_error(response)["message"]


def register(live: LiveGateway, text: str) -> None:
    response = post(live, {"query": text, "extensions": persisted(text)})
    assert response.status_code == 200 and "errors" not in response.json(), response.text


def test_get_runs_a_persisted_query(apq: LiveGateway) -> None:
    text = unique(VIEWER, "get")
    register(apq, text)
    response = get(apq, {"operationName": "Viewer", "variables": {}, "extensions": persisted(text)})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["id"] == apq.person_id("elev.ola")
    # authenticated: never in a shared cache, and the answer varies with the token
    assert response.headers["cache-control"] == "private, no-cache"
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"authorization", "accept"} <= vary


def test_get_with_variables(apq: LiveGateway) -> None:
    text = unique(COURSES, "get-variables")
    register(apq, text)
    response = get(
        apq, {"variables": {"first": 1}, "extensions": persisted(text)}, who="larer.hansen"
    )
    assert len(response.json()["data"]["courses"]["edges"]) == 1


def test_an_anonymous_get_without_errors_may_be_kept_by_a_shared_cache(apq: LiveGateway) -> None:
    text = unique(NOTICE, "public")
    register(apq, text)
    response = get(apq, {"extensions": persisted(text)}, who=None)
    assert response.json()["data"]["privacyNotice"]["controller"]
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "authorization" in response.headers["vary"].lower()
    # an anonymous answer with errors is kept nowhere
    private = unique(VIEWER, "anonymous")
    register(apq, private)
    refused = get(apq, {"extensions": persisted(private)}, who=None)
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused.headers["cache-control"] == "no-store"


def test_get_with_an_unknown_hash_is_not_found_and_not_cached(apq: LiveGateway) -> None:
    response = get(apq, {"extensions": persisted(unique(VIEWER, "get-unknown"))}, who=None)
    assert response.status_code == 200
    assert only_error(response)["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    assert response.headers["cache-control"] == "no-store"


def test_a_mutation_by_get_is_refused(apq: LiveGateway) -> None:
    register_text = unique(CREATE_POST, "get-mutation")
    # registered by POST without running: its variables are missing, so it fails validation...
    post(apq, {"query": register_text, "extensions": persisted(register_text)})
    before = count(apq, t.posts)
    response = get(
        apq,
        {
            "variables": {"courseId": apq.course_id(MAT8), "body": "Hei"},
            "extensions": persisted(register_text),
        },
        who="larer.hansen",
    )
    assert response.status_code == 405
    error = only_error(response)
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "A mutation cannot be sent with GET" in error["message"]
    assert response.headers["allow"] == "POST"
    assert response.headers["cache-control"] == "no-store"
    assert count(apq, t.posts) == before


def test_get_without_a_persisted_query_is_refused(apq: LiveGateway) -> None:
    response = get(apq, {"query": VIEWER})
    assert response.status_code == 400
    assert "unless persisted" in only_error(response)["message"]


@pytest.mark.parametrize("send", [get, post], ids=["get", "post"])
def test_a_text_with_a_document_id_that_is_not_its_hash_is_refused(
    apq: LiveGateway, send: Any
) -> None:
    # the id would otherwise make any text pass for a persisted document (GET runs only those)
    text = unique(VIEWER, f"document-id-{send.__name__}")
    with apq.count_sql() as statements:
        response = send(apq, {"query": text, "documentId": "any-id-at-all"})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "provided document id does not match query"
    assert response.headers["cache-control"] == "no-store"
    assert not [s for s in statements if "people" in s.lower()]  # refused before running


def test_a_text_with_its_hash_as_document_id_runs_and_is_remembered(apq: LiveGateway) -> None:
    text = unique(VIEWER, "document-id-hash")
    response = get(apq, {"query": text, "documentId": sha(text)})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["id"] == apq.person_id("elev.ola")
    again = get(apq, {"documentId": sha(text)})
    assert again.json()["data"]["viewer"]["id"] == apq.person_id("elev.ola")


def test_get_with_bad_json_parameters_is_a_bad_request(apq: LiveGateway) -> None:
    response = apq.client.get(f"{apq.url}/graphql", params={"extensions": "{nope"})
    assert response.status_code == 400
    assert "The `extensions` parameter is not JSON" in only_error(response)["message"]


def test_graphiql_is_still_served(apq: LiveGateway) -> None:
    response = apq.client.get(f"{apq.url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    # a persisted GET from a browser (Accept */*) is run, not answered with the page
    text = unique(NOTICE, "browser")
    register(apq, text)
    answer = get(apq, {"extensions": persisted(text)}, who=None, Accept="*/*")
    assert answer.json()["data"]["privacyNotice"]["controller"]


def test_get_from_an_allowed_origin_may_be_read(apq: LiveGateway) -> None:
    text = unique(NOTICE, "cors")
    register(apq, text)
    response = get(apq, {"extensions": persisted(text)}, who=None, Origin=APP)
    assert response.headers["access-control-allow-origin"] == APP
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"origin", "authorization"} <= vary


# --- safelist -------------------------------------------------------------------------------------

LISTED_QUERY = "query Viewer { viewer { id } }"
LISTED_MUTATION = (
    "mutation Post($courseId: ID!, $body: String!) { createPost(courseId: $courseId, body: $body) "
    "{ id } }"
)
UNLISTED = "query Other { viewer { displayName } }"
LISTED_SUBSCRIPTION = "subscription Bell { notificationAdded { id kind } }"


def apollo_manifest(folder: Path) -> Path:
    path = folder / "persisted-query-manifest.json"
    operations = [
        {"id": sha(body), "name": name, "type": kind, "body": body}
        for name, kind, body in [
            ("Viewer", "query", LISTED_QUERY),
            ("Post", "mutation", LISTED_MUTATION),
            ("Bell", "subscription", LISTED_SUBSCRIPTION),
        ]
    ]
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    return path


def relay_manifest(folder: Path) -> Path:
    path = folder / "persisted-queries.json"
    listed = {"a1b2c3": LISTED_QUERY, "d4e5f6": LISTED_MUTATION, "0a0b0c": LISTED_SUBSCRIPTION}
    path.write_text(json.dumps(listed))
    return path


@pytest.fixture(scope="module", params=["apollo", "relay"])
def safelist(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, LiveGateway]]:
    folder = tmp_path_factory.mktemp(f"manifest-{request.param}")
    manifest = apollo_manifest(folder) if request.param == "apollo" else relay_manifest(folder)
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        f"safelist-{request.param}",
        persisted_queries="safelist",
        persisted_query_manifest=manifest,
    ) as gateway:
        yield request.param, gateway


def by_id(kind: str, text: str) -> dict[str, Any]:
    """How each client names a listed operation: Apollo's hash extension, Relay's doc_id."""
    if kind == "apollo":
        return {"extensions": persisted(text)}
    return {"doc_id": {LISTED_QUERY: "a1b2c3", LISTED_MUTATION: "d4e5f6"}[text]}


def test_a_listed_operation_runs_by_id(safelist: tuple[str, LiveGateway]) -> None:
    kind, live = safelist
    response = post(live, by_id(kind, LISTED_QUERY))
    assert response.json() == {"data": {"viewer": {"id": live.person_id("elev.ola")}}}
    before = count(live, t.posts)
    variables = {"courseId": live.course_id(MAT8), "body": "Listet"}
    created = post(live, {**by_id(kind, LISTED_MUTATION), "variables": variables}, "larer.hansen")
    assert created.json()["data"]["createPost"]["id"]
    assert count(live, t.posts) == before + 1


def test_documentid_names_an_operation_too(safelist: tuple[str, LiveGateway]) -> None:
    kind, live = safelist
    listed_id = sha(LISTED_QUERY) if kind == "apollo" else "a1b2c3"
    response = post(live, {"documentId": listed_id})
    assert response.json()["data"]["viewer"]["id"] == live.person_id("elev.ola")


def test_a_listed_operation_runs_by_its_text(safelist: tuple[str, LiveGateway]) -> None:
    _kind, live = safelist
    response = post(live, {"query": LISTED_QUERY})
    assert response.json()["data"]["viewer"]["id"] == live.person_id("elev.ola")


def test_a_listed_query_runs_by_get(safelist: tuple[str, LiveGateway]) -> None:
    kind, live = safelist
    response = get(live, by_id(kind, LISTED_QUERY))
    assert response.json()["data"]["viewer"]["id"] == live.person_id("elev.ola")
    assert response.headers["cache-control"] == "private, no-cache"
    mutation = get(
        live,
        {**by_id(kind, LISTED_MUTATION), "variables": {"courseId": "x", "body": "y"}},
        who="larer.hansen",
    )
    assert mutation.status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"query": UNLISTED}, id="unlisted-text"),
        pytest.param({"query": LISTED_QUERY + " "}, id="listed-text-changed"),
        pytest.param({"query": "{ __schema { types { name } } }"}, id="introspection"),
        pytest.param({"query": "query {"}, id="text-that-does-not-parse"),
        pytest.param({"extensions": persisted(UNLISTED)}, id="unlisted-hash"),
        pytest.param({"doc_id": "zzz"}, id="unlisted-doc-id"),
        pytest.param({"query": UNLISTED, "extensions": persisted(UNLISTED)}, id="apq-register"),
    ],
)
def test_anything_else_is_refused_before_parsing(
    safelist: tuple[str, LiveGateway], body: dict[str, Any]
) -> None:
    _kind, live = safelist
    response = post(live, body)
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_LISTED"}, error
    assert "not in this gateway's list of allowed operations" in error["message"]


def test_an_id_with_another_text_is_refused(safelist: tuple[str, LiveGateway]) -> None:
    kind, live = safelist
    response = post(live, {**by_id(kind, LISTED_QUERY), "query": LISTED_MUTATION})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "BAD_USER_INPUT"


def notify(live: LiveGateway, username: str) -> str:
    """A notification for ``username``, published as the gateway publishes one; its id."""
    person = live.person_pk(username)

    async def main() -> int:
        engine = make_engine(live.database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(
                    t.notifications.insert().values(
                        person_id=person,
                        kind="TEST",
                        message="Listet",
                        created_at=datetime.now(UTC),
                    )
                )
            notification = int(result.inserted_primary_key[0])
            await publish(engine, Event(Topic.NOTIFICATION, notification, person))
            return notification
        finally:
            await engine.dispose()

    return to_global_id("Notification", asyncio.run(main()))


def refused_over_the_socket(subscriber: Subscriber, op_id: str) -> dict[str, Any]:
    """The one error of the operation ``op_id``, which never started."""
    refused = subscriber.receive()
    assert (refused["id"], refused["type"]) == (op_id, "error"), refused
    (error,) = refused["payload"]
    return dict(error)


def assert_each_gets_the_notification(
    live: LiveGateway, subscriber: Subscriber, started: dict[str, dict[str, Any]]
) -> None:
    """Start each of ``started`` (operation id -> subscribe payload), all for elev.ola's
    ``notificationAdded { id kind }``; once they are in place, one notification reaches each."""
    base = live.state.events.registered(Topic.NOTIFICATION)
    for op_id, payload in started.items():
        subscriber.subscribe_with(op_id, payload)
    wait_registered(live.state.events, Topic.NOTIFICATION, base + len(started))
    notification = notify(live, "elev.ola")
    expected = {"data": {"notificationAdded": {"id": notification, "kind": "TEST"}}}
    received = {}
    for _ in started:
        message = subscriber.receive()
        assert message["type"] == "next", message
        received[message["id"]] = message["payload"]
    assert received == dict.fromkeys(started, expected)


def test_over_the_websocket_only_listed_subscriptions_start(
    safelist: tuple[str, LiveGateway],
) -> None:
    """graphql-ws clients send an operation's text or its id over the socket: a listed one
    starts and gets its events, anything else gets an ``error`` message and never starts."""
    kind, live = safelist
    listed_id = (
        {"extensions": persisted(LISTED_SUBSCRIPTION)} if kind == "apollo" else {"doc_id": "0a0b0c"}
    )
    unlisted = "subscription { notificationAdded { id kind message } }"
    unlisted_id = {"extensions": persisted(unlisted)} if kind == "apollo" else {"doc_id": "zzz"}
    with Subscriber.of(live.url, live.token("elev.ola")) as subscriber:
        for op_id, payload, code in [
            ("unlisted", {"query": unlisted}, "PERSISTED_QUERY_NOT_LISTED"),
            ("changed", {"query": LISTED_SUBSCRIPTION + " "}, "PERSISTED_QUERY_NOT_LISTED"),
            ("unlisted-id", unlisted_id, "PERSISTED_QUERY_NOT_LISTED"),
            ("id-and-other-text", {**listed_id, "query": unlisted}, "BAD_USER_INPUT"),
            ("malformed", {**listed_id, "variables": []}, "BAD_REQUEST"),
        ]:
            subscriber.subscribe_with(op_id, payload)
            error = refused_over_the_socket(subscriber, op_id)
            assert error["extensions"] == {"code": code}, (op_id, error)
        started = {"listed": {"query": LISTED_SUBSCRIPTION}, "listed-by-id": listed_id}
        assert_each_gets_the_notification(live, subscriber, started)


def test_over_the_websocket_a_hash_runs_the_document_it_names(apq: LiveGateway) -> None:
    """Automatic persisted queries over the socket: an unknown hash is not found; a hash with
    its text is checked and runs, and is not remembered there (the text is parsed only by the
    operation's own parse, under the limits); a document remembered over HTTP runs by its hash
    alone."""
    text = unique("subscription Bell { notificationAdded { id kind } }", "ws")
    learnt = unique("subscription Bell { notificationAdded { id kind } }", "ws-http")
    # remembered over HTTP once it parsed within the limits (a subscription does not run there)
    post(apq, {"query": learnt, "extensions": persisted(learnt)})
    with Subscriber.of(apq.url, apq.token("elev.ola")) as subscriber:
        subscriber.subscribe_with("unknown", {"extensions": persisted(text)})
        error = refused_over_the_socket(subscriber, "unknown")
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}, error
        other = {"query": text, "extensions": persisted(text + " ")}
        subscriber.subscribe_with("mismatch", other)
        error = refused_over_the_socket(subscriber, "mismatch")
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
        started = {
            "with-text": {"query": text, "extensions": persisted(text)},
            "learnt-over-http": {"extensions": persisted(learnt)},
        }
        assert_each_gets_the_notification(apq, subscriber, started)
        subscriber.subscribe_with("by-hash", {"extensions": persisted(text)})
        error = refused_over_the_socket(subscriber, "by-hash")
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}, error


def test_over_the_websocket_a_text_over_the_limits_is_refused_and_not_remembered(
    apq: LiveGateway,
) -> None:
    fields = " ".join(f"f{n}: __typename" for n in range(apq.state.settings.max_tokens))
    text = f"subscription Big {{ {fields} }}"
    with Subscriber.of(apq.url, apq.token("elev.ola")) as subscriber:
        subscriber.subscribe_with("big", {"query": text, "extensions": persisted(text)})
        message = subscriber.receive()
        assert (message["id"], message["type"]) == ("big", "error"), message
        subscriber.subscribe_with("by-hash", {"extensions": persisted(text)})
        error = refused_over_the_socket(subscriber, "by-hash")
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}, error


def test_a_subscribe_message_without_a_payload_closes_the_socket(apq: LiveGateway) -> None:
    with Subscriber.of(apq.url, apq.token("elev.ola")) as subscriber:
        subscriber.send({"id": "1", "type": "subscribe"})
        assert subscriber.close_code()[0] == 4400


# --- off ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "persisted-off", persisted_queries="off") as live:
        yield live


def test_without_persisted_queries_a_hash_is_not_supported(off: LiveGateway) -> None:
    response = post(off, {"extensions": persisted(VIEWER)})
    assert response.status_code == 200
    assert only_error(response) == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }
    # with its text too, so that Apollo Client stops sending hashes; the text alone runs
    plain = post(off, {"query": VIEWER, "extensions": persisted(VIEWER)})
    assert only_error(plain)["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert post(off, {"query": VIEWER}).json()["data"]["viewer"]["id"]


# --- the manifest at start ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("{not json", "is not JSON"),
        ("[]", "must be a JSON object"),
        ("{}", "lists no operations"),
        ('{"abc": 5}', "is not a GraphQL document"),
        ('{"abc": "query {"}', "operation 'abc' is not a GraphQL document"),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}',
            "version 1 is read",
        ),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 1, '
            '"operations": [{"id": "x"}]}',
            "operation 'x' has no `body`",
        ),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ['
            '{"id": "x", "body": "{ a }"}, {"id": "x", "body": "{ b }"}]}',
            "two operations with the id 'x'",
        ),
    ],
)
def test_a_missing_or_broken_manifest_stops_the_gateway(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    settings = Settings(
        data_dir=tmp_path, persisted_queries="safelist", persisted_query_manifest=path
    )
    with pytest.raises(ManifestError, match="TAVLE_PERSISTED_QUERY_MANIFEST") as raised:
        PersistedQueries.from_settings(settings)
    assert message in str(raised.value)
    with pytest.raises(ManifestError):
        create_app(settings)


def test_safelist_needs_a_manifest() -> None:
    with pytest.raises(ValidationError, match="needs TAVLE_PERSISTED_QUERY_MANIFEST"):
        Settings(persisted_queries="safelist")
    with pytest.raises(ValidationError):
        Settings(persisted_queries="everything")


def test_tavle_serve_refuses_to_start_with_a_broken_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-queries.json"
    manifest.write_text('{"abc": "query {"}')
    completed = subprocess.run(
        [*TAVLE, "serve"],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TAVLE_DATA_DIR": str(tmp_path / "data"),
            "TAVLE_PERSISTED_QUERIES": "safelist",
            "TAVLE_PERSISTED_QUERY_MANIFEST": str(manifest),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert "serve: TAVLE_PERSISTED_QUERY_MANIFEST" in completed.stderr
    assert "operation 'abc' is not a GraphQL document" in completed.stderr

"""Request bodies over ``TAVLE_MAX_BODY_BYTES`` answer 413 before they are read (docs/security.md,
"Requests and bodies").

The limit is enforced by a middleware in front of every route, before the body is parsed and
before the token is looked at, whatever the database: these tests run on SQLite only. One
gateway runs with the default limit (1 MiB), one with a small one set through the setting.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_support import LiveGateway, own_gateway

from gateway import metrics

MIB = 1024 * 1024
SMALL_LIMIT = 4096


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "body-limit") as live:
        yield live


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway(
        "sqlite", tmp_path_factory, "body-limit-small", max_body_bytes=SMALL_LIMIT
    ) as live:
        yield live


def padded(size: int) -> bytes:
    """A valid GraphQL request of exactly ``size`` bytes (the padding is an unused extension)."""
    empty = json.dumps({"query": "{ __typename }", "extensions": {"pad": ""}}).encode()
    return json.dumps(
        {"query": "{ __typename }", "extensions": {"pad": "x" * (size - len(empty))}}
    ).encode()


def chunks(total: int, size: int = 64 * 1024, sent: list[int] | None = None) -> Iterator[bytes]:
    """``total`` bytes of a document in pieces; ``sent`` counts what the client handed over."""
    yield b'{"query": "{ '
    produced = 13
    while produced < total:
        piece = b"a " * (min(size, total - produced) // 2)
        if not piece:
            break
        produced += len(piece)
        if sent is not None:
            sent.append(len(piece))
        yield piece


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["connection"] == "close"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    body: dict[str, Any] = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "limit": limit}
    assert error["message"] == f"The request body is larger than the limit of {limit} bytes"


def post(live: LiveGateway, content: Any, **headers: str) -> httpx.Response:
    # A client of its own: the server closes the connection after a 413.
    with httpx.Client(timeout=60) as client:
        return client.post(
            f"{live.url}/graphql",
            content=content,
            headers={"Content-Type": "application/json", **headers},
        )


def test_a_body_of_exactly_the_default_limit_is_served(default: LiveGateway) -> None:
    response = post(default, padded(MIB))
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def test_one_byte_over_the_default_limit_is_refused(default: LiveGateway) -> None:
    assert_too_large(post(default, padded(MIB + 1)), MIB)


def test_a_chunked_body_over_the_limit_is_refused(default: LiveGateway) -> None:
    """No Content-Length (chunked transfer): the middleware counts the chunks."""
    response = post(default, chunks(2 * MIB))
    assert_too_large(response, MIB)


def test_a_chunked_body_within_the_limit_is_served(default: LiveGateway) -> None:
    body = padded(MIB - 100)
    response = post(default, iter([body[:1000], body[1000:]]))
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_100_mb_body_is_refused_without_being_read(default: LiveGateway) -> None:
    """A declared 100 MB is refused from the header alone: the server answers and closes the
    connection while the client has handed over only what the socket buffers took."""
    total = 100 * MIB
    for declared in [True, False]:
        sent: list[int] = []
        headers = {"Content-Length": str(total)} if declared else {}
        response = post(default, chunks(total, MIB, sent), **headers)
        assert_too_large(response, MIB)
        assert sum(sent) < total / 4, f"the client sent {sum(sent)} bytes"


def test_an_anonymous_10_mb_document_does_not_hold_up_others(default: LiveGateway) -> None:
    """While a 10 MB document streams in, other callers are answered within a second."""
    results: list[httpx.Response] = []
    attack = threading.Thread(target=lambda: results.append(post(default, chunks(10 * MIB))))
    attack.start()
    with httpx.Client(timeout=10) as other:
        for _ in range(5):
            started = time.monotonic()
            health = other.get(f"{default.url}/healthz")
            answered = other.post(f"{default.url}/graphql", json={"query": "{ __typename }"})
            assert time.monotonic() - started < 1.0
            assert health.status_code == 200
            assert answered.json() == {"data": {"__typename": "Query"}}
    attack.join(timeout=60)
    assert_too_large(results[0], MIB)


def test_the_limit_is_a_setting(small: LiveGateway) -> None:
    assert post(small, padded(SMALL_LIMIT)).status_code == 200
    assert_too_large(post(small, padded(SMALL_LIMIT + 1)), SMALL_LIMIT)


def test_the_limit_applies_before_authentication(small: LiveGateway) -> None:
    token = {"Authorization": f"Bearer {small.token('larer.hansen')}"}
    with small.count_sql() as statements:
        assert_too_large(post(small, padded(SMALL_LIMIT * 10), **token), SMALL_LIMIT)
    assert statements == []


def test_the_limit_applies_to_every_route(small: LiveGateway) -> None:
    with httpx.Client(timeout=60) as client:
        response = client.request(
            "GET", f"{small.url}/privacy/exports/anything", content=b"x" * (SMALL_LIMIT + 1)
        )
    assert_too_large(response, SMALL_LIMIT)


def test_refusals_are_counted_and_logged(
    small: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tavle.http")
    before = metrics.refusals().get("PAYLOAD_TOO_LARGE", 0)
    post(small, padded(SMALL_LIMIT + 1))
    post(small, chunks(SMALL_LIMIT * 2, 1024))
    assert metrics.refusals().get("PAYLOAD_TOO_LARGE", 0) == before + 2
    lines = [r.getMessage() for r in caplog.records if r.name == "tavle.http"]
    assert lines == ["refused a request: PAYLOAD_TOO_LARGE (HTTP 413)"] * 2

"""``/graphql``'s stages in order: admission, then authentication, then GraphQL
(gateway/graphql_app.py).

A request the admission answers (``GET``, a body that is not one GraphQL request, a document over
the token limit) is never authenticated: a bad token on it is neither checked nor logged. A
request that passes is authenticated once, and a refused token becomes the fields'
``UNAUTHENTICATED`` reason, not an HTTP error.
"""

from __future__ import annotations

import logging

import pytest
from gateway_support import LiveGateway

BAD_TOKEN = "not-a-token"
HEADERS = {
    "Authorization": f"Bearer {BAD_TOKEN}",
    "Content-Type": "application/json",
    "Accept": "application/json",
}


def refusals_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tavle.auth"]


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("POST", b"{", 400, "BAD_REQUEST"),
        ("POST", b'{"query": 1}', 400, "BAD_REQUEST"),
        ("POST", b'{"query": "{ ' + b"a " * 6000 + b'}"}', 400, "TOO_MANY_TOKENS"),
        ("GET", b"", 400, "BAD_REQUEST"),
    ],
    ids=["not-json", "query-not-a-string", "over-the-token-limit", "get"],
)
def test_what_the_admission_refuses_is_never_authenticated(
    live: LiveGateway,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    with caplog.at_level(logging.INFO, logger="tavle.auth"):
        response = live.client.request(method, f"{live.url}/graphql", content=body, headers=HEADERS)
    assert response.status_code == status
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]
    assert refusals_logged(caplog) == []


def test_an_admitted_request_is_authenticated_once_and_answered(
    live: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tavle.auth"):
        result = live.gql("{ viewer { id } privacyNotice { controller } }", token=BAD_TOKEN)
    assert result.code_at("viewer") == "UNAUTHENTICATED"
    assert result.data["privacyNotice"]["controller"]
    (logged,) = refusals_logged(caplog)
    assert logged.startswith("bearer token refused: ")
    assert BAD_TOKEN not in logged
    (error,) = result.errors
    assert (
        error["message"]
        == f"Authentication required: {logged.removeprefix('bearer token refused: ')}"
    )


def test_the_graphiql_page_is_served_without_authentication(
    live: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    assert live.state.settings.graphiql_enabled, "the development gateways serve GraphiQL"
    with caplog.at_level(logging.INFO, logger="tavle.auth"):
        response = live.client.get(
            f"{live.url}/graphql", headers={**HEADERS, "Accept": "text/html"}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    assert refusals_logged(caplog) == []

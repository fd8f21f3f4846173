"""CORS: an allow-list of origins, off by default, credentials never with ``*`` (docs/security.md,
"Headers and CORS").

CORS is answered by a middleware in front of every route, whatever the database: SQLite only.
The shared development gateway shows the default (no origins); two gateways of this module
allow two origins (one with credentials) and any origin.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from gateway_support import LiveGateway, own_gateway
from pydantic import ValidationError

from config.settings import Settings

APP = "https://app.example.no"
ADMIN = "https://admin.example.no:8443"
EVIL = "https://evil.example.com"


@pytest.fixture(scope="module")
def allow_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway(
        "sqlite", tmp_path_factory, "cors", cors_origins=[APP, ADMIN], cors_allow_credentials=True
    ) as live:
        yield live


@pytest.fixture(scope="module")
def any_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "cors-any", cors_origins=["*"]) as live:
        yield live


def preflight(
    live: LiveGateway,
    origin: str,
    method: str = "POST",
    headers: str = "authorization, content-type",
) -> httpx.Response:
    return live.client.options(
        f"{live.url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def post_from(live: LiveGateway, origin: str) -> httpx.Response:
    return live.client.post(
        f"{live.url}/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Origin": origin, "Authorization": f"Bearer {live.token('elev.ola')}"},
    )


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_a_preflight_from_an_allowed_origin_is_answered(allow_list: LiveGateway) -> None:
    for origin in [APP, ADMIN]:
        response = preflight(allow_list, origin)
        assert response.status_code == 200
        headers = response.headers
        assert headers["access-control-allow-origin"] == origin
        assert set(headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
        assert set(headers["access-control-allow-headers"].lower().split(", ")) >= {
            "authorization",
            "content-type",
            "accept",
        }
        assert headers["access-control-allow-credentials"] == "true"
        assert int(headers["access-control-max-age"]) > 0
        assert "origin" in headers["vary"].lower()


def test_a_preflight_from_another_origin_is_refused(allow_list: LiveGateway) -> None:
    for origin in [EVIL, APP + ".evil.example.com", "http://app.example.no", "null"]:
        response = preflight(allow_list, origin)
        assert (response.status_code, response.text) == (400, "Disallowed CORS origin"), origin
        assert "access-control-allow-origin" not in response.headers, origin


def test_a_preflight_for_other_methods_or_headers_is_refused(allow_list: LiveGateway) -> None:
    """From a listed origin the refusal names the origin (Starlette's preflight answer), but
    it is no 2xx and lists only the allowed methods and headers: the browser sends nothing."""
    for response, refused in [
        (preflight(allow_list, APP, method="DELETE"), "method"),
        (preflight(allow_list, APP, headers="x-custom"), "headers"),
    ]:
        assert (response.status_code, response.text) == (400, f"Disallowed CORS {refused}")
        assert response.headers["access-control-allow-origin"] == APP
        assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
        assert "x-custom" not in response.headers["access-control-allow-headers"].lower()


def test_requests_from_an_allowed_origin_may_be_read(allow_list: LiveGateway) -> None:
    response = post_from(allow_list, APP)
    assert response.json()["data"]["viewer"]["id"]
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Retry-After" in response.headers["access-control-expose-headers"]


def test_requests_from_another_origin_get_no_allow_origin(allow_list: LiveGateway) -> None:
    response = post_from(allow_list, EVIL)
    assert "access-control-allow-origin" not in response.headers
    assert "origin" in response.headers["vary"].lower()


def test_refusals_carry_cors_headers_so_pages_can_read_them(allow_list: LiveGateway) -> None:
    response = allow_list.client.post(
        f"{allow_list.url}/graphql",
        content=b"null",
        headers={"Origin": APP, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize("live", ["sqlite"], indirect=True)
def test_by_default_there_are_no_cors_headers(live: LiveGateway) -> None:
    response = preflight(live, APP)
    assert response.status_code == 405
    assert cors_headers(response) == {}
    assert cors_headers(post_from(live, APP)) == {}


def test_any_origin_is_allowed_without_credentials(any_origin: LiveGateway) -> None:
    response = preflight(any_origin, EVIL)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    answer = post_from(any_origin, EVIL)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_credentials_with_any_origin_are_refused_by_the_settings() -> None:
    with pytest.raises(ValidationError, match="cannot be used with the origin"):
        Settings(cors_origins=["*"], cors_allow_credentials=True)


@pytest.mark.parametrize(
    "origin",
    ["https://app.example.no/", "https://app.example.no/graphql", "app.example.no", "ftp://x"],
)
def test_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=[origin])


def test_trusted_proxies_must_be_addresses() -> None:
    assert Settings(trusted_proxies=["10.0.0.5", "10.1.0.0/16", "fd00::/8"]).trusted_proxies
    # written as uvicorn matches them: a network's host bits cleared, addresses canonical
    assert Settings(
        trusted_proxies=["10.1.0.5/16", "FD00::1/8", "2001:DB8::0:1"]
    ).trusted_proxies == [
        "10.1.0.0/16",
        "fd00::/8",
        "2001:db8::1",
    ]
    for proxy in ["*", "proxy.example.no"]:
        with pytest.raises(ValidationError, match="is not an IP address or network"):
            Settings(trusted_proxies=[proxy])


APOLLO_HEADERS = (
    "content-type, authorization, apollographql-client-name, apollographql-client-version, "
    "apollo-require-preflight, x-apollo-operation-name"
)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_preflight_with_apollo_clients_headers_is_answered(
    allow_list: LiveGateway, any_origin: LiveGateway, method: str
) -> None:
    """What Apollo Client sends (its name and version, the CSRF prevention headers), by POST and
    by GET (persisted queries, ``useGETForHashedQueries``)."""
    for live, origin, allowed in [(allow_list, APP, APP), (any_origin, EVIL, "*")]:
        response = preflight(live, origin, method=method, headers=APOLLO_HEADERS)
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == allowed
        assert set(response.headers["access-control-allow-headers"].lower().split(", ")) >= set(
            APOLLO_HEADERS.split(", ")
        )
        credentials = response.headers.get("access-control-allow-credentials")
        assert credentials == ("true" if allowed == APP else None)


def test_apollo_clients_headers_from_another_origin_get_no_allow_headers(
    allow_list: LiveGateway,
) -> None:
    response = preflight(allow_list, EVIL, headers=APOLLO_HEADERS)
    assert response.status_code == 400
    assert cors_headers(response) == {}

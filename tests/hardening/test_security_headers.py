"""Security headers on every answer, and GraphiQL's content security policy (docs/security.md,
"Headers and CORS").

The headers are added by a middleware in front of every route, whatever the database: SQLite
only. One gateway in development mode (GraphiQL on), one with GraphiQL off.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import text

from config.ids import to_global_id
from store import tables as t
from store.tables import ExportFormat, PrivacyAction, PrivacyRequestStatus


@pytest.fixture(scope="module")
def development(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "headers") as live:
        yield live


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "headers-no-graphiql", graphiql=False) as live:
        yield live


def bearer(live: LiveGateway, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.token(user)}"}


def finished_export(live: LiveGateway) -> str:
    """A finished export of a student, with its file in place; its global id."""
    [result] = live.execute(
        t.privacy_requests.insert()
        .values(
            action=PrivacyAction.EXPORT,
            status=PrivacyRequestStatus.COMPLETED,
            subject_id=live.person_pk("elev.ola"),
            requested_by_id=live.person_pk("admin"),
            justification="art. 15 request",
            created_at=datetime.now(UTC),
            format=ExportFormat.JSON,
            file_name="headers-test.json",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        .returning(t.privacy_requests.c.id)
    )
    folder = live.state.settings.export_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "headers-test.json").write_bytes(b'{"person": "Ola"}')
    return to_global_id("PrivacyRequest", int(result.scalar_one()))


def answers(live: LiveGateway) -> dict[str, httpx.Response]:
    """One answer of every kind the gateway gives."""
    url, client = live.url, live.client
    admin = bearer(live, "admin")
    export_id = finished_export(live)
    return {
        "GraphQL data": client.post(
            f"{url}/graphql", json={"query": "{ viewer { id } }"}, headers=admin
        ),
        "GraphQL errors": client.post(f"{url}/graphql", json={"query": "{ viewer { id } }"}),
        "a malformed request": client.post(
            f"{url}/graphql", content=b"null", headers={"Content-Type": "application/json"}
        ),
        "a body over the limit": httpx.post(
            f"{url}/graphql",
            content=b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        ),
        "an export download": client.get(f"{url}/privacy/exports/{export_id}", headers=admin),
        "an export refused": client.get(f"{url}/privacy/exports/{export_id}"),
        "an unknown export": client.get(f"{url}/privacy/exports/nothing", headers=admin),
        "an unknown path": client.get(f"{url}/nothing"),
        "a method not allowed": client.delete(f"{url}/graphql"),
        "the liveness probe": client.get(f"{url}/healthz"),
        "the readiness probe": client.get(f"{url}/readyz"),
    }


def test_every_answer_has_the_security_headers(development: LiveGateway) -> None:
    seen = answers(development)
    assert seen["an export download"].status_code == 200
    assert seen["an export download"].content == b'{"person": "Ola"}'
    for kind, response in seen.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", kind
        assert headers["referrer-policy"] == "no-referrer", kind
        assert headers["cache-control"] == "no-store", kind
        assert headers["x-frame-options"] == "DENY", kind
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy, kind
        assert "frame-ancestors 'none'" in policy, kind


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def test_graphiql_has_a_policy_that_lets_it_run_and_nothing_else(
    development: LiveGateway,
) -> None:
    response = development.client.get(f"{development.url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    html = response.text

    # Every script the page loads or contains is allowed, and nothing more: the gateway's own
    # files (GraphiQL works offline, nothing comes from a CDN), no inline script other than the
    # page's own (by hash), no eval.
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
    assert scripts, "GraphiQL loads its scripts"
    for src in scripts:
        assert not urlsplit(src).netloc and src.startswith("graphiql/assets/"), src
    assert policy["script-src"][0] == "'self'"
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert inline, "GraphiQL starts with an inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "*" not in policy["script-src"]

    stylesheets = re.findall(r"<link[^>]*rel=\"stylesheet\"[^>]*\shref=\"([^\"]+)\"", html)
    assert stylesheets
    for href in stylesheets:
        assert not urlsplit(href).netloc and href.startswith("graphiql/assets/"), href
    assert "'self'" in policy["style-src"]
    assert all(not source.startswith("https:") for name in policy for source in policy[name])
    assert "data:" in policy["img-src"]  # the page's icon is a data: URL


def test_without_graphiql_no_html_is_served(production: LiveGateway) -> None:
    response = production.client.get(f"{production.url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_an_unexpected_failure_answers_json_with_the_headers(production: LiveGateway) -> None:
    """A failure no handler expects (here: the export table is gone) answers 500 with a fixed
    JSON message and the same headers; the detail stays in the server log."""
    production.execute(text("ALTER TABLE privacy_requests RENAME TO privacy_requests_away"))
    try:
        response = production.client.get(
            f"{production.url}/privacy/exports/{to_global_id('PrivacyRequest', 1)}",
            headers=bearer(production, "admin"),
        )
    finally:
        production.execute(text("ALTER TABLE privacy_requests_away RENAME TO privacy_requests"))
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")

"""Signing in to the console with OpenID Connect (authorization code flow with PKCE) against a
real provider run by the test (``oidc_provider``), on both backends: the session is made only
for an ID token of the trusted issuer, for the console's client, with this sign-in's state,
nonce and code verifier; the person is found by the issuer's claim mappings."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from console_support import client
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from oidc_provider import Provider, RunningProvider

from gateway.console.catalog import TEXTS

CLIENT_ID = "tavle-console"
REDIRECT = "http://127.0.0.1/admin/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    found = Provider(CLIENT_ID)
    running = RunningProvider(found)
    try:
        yield found
    finally:
        running.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    provider: Provider,
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "console-oidc",
        jwks_url=f"{provider.issuer}/jwks",
        oidc_issuer=provider.issuer,
        oidc_audience="tavle-gateway",
        console_oidc_client_id=CLIENT_ID,
        console_oidc_redirect_uri=REDIRECT,
    ) as gateway:
        yield gateway


def start_sign_in(live: LiveGateway, provider: Provider) -> tuple[httpx.Client, str]:
    """Follows /admin/login to the provider's approval; the callback URL the provider sent the
    browser to (on the gateway's real port)."""
    browser = client(live)
    start = browser.get("/admin/")
    assert "/admin/login" in start.text and "admin2" not in start.text, "no development list"
    leave = browser.get("/admin/login")
    assert leave.status_code == 303
    location = leave.headers["location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    login_cookie = [h for h in leave.headers.get_list("set-cookie") if "tavle_console_login" in h]
    assert login_cookie and "httponly" in login_cookie[0].lower()
    assert (
        "samesite=lax" in login_cookie[0].lower()
        and "path=/admin/callback" in login_cookie[0].lower()
    )
    approved = httpx.get(location, follow_redirects=False)
    assert approved.status_code == 302
    back = urlsplit(approved.headers["location"])
    return browser, f"/admin/callback?{back.query}"


def test_the_code_flow_signs_an_administrator_in(live: LiveGateway, provider: Provider) -> None:
    provider.subject, provider.wrong_nonce = "admin", False
    browser, callback = start_sign_in(live, provider)
    asked = provider.authorizations[-1]
    assert asked["client_id"] == CLIENT_ID and asked["redirect_uri"] == REDIRECT
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    assert "openid" in asked["scope"].split()
    answer = browser.get(callback)
    assert answer.status_code == 200, answer.text
    assert 'http-equiv="refresh"' in answer.text
    assert provider.token_requests[-1]["code_verifier"]
    assert "tavle_console" in browser.cookies
    page = browser.get("/admin/people")
    assert page.status_code == 200 and TEXTS["people.title"]["nb"] in page.text


def test_a_changed_state_is_refused(live: LiveGateway, provider: Provider) -> None:
    provider.subject, provider.wrong_nonce = "admin", False
    browser, callback = start_sign_in(live, provider)
    query = parse_qs(urlsplit(callback).query)
    answer = browser.get(f"/admin/callback?code={query['code'][0]}&state=another")
    assert answer.status_code == 403 and "(state)" in answer.text
    assert "tavle_console" not in browser.cookies


def test_an_id_token_with_another_nonce_is_refused(live: LiveGateway, provider: Provider) -> None:
    provider.subject, provider.wrong_nonce = "admin", True
    try:
        browser, callback = start_sign_in(live, provider)
        answer = browser.get(callback)
    finally:
        provider.wrong_nonce = False
    assert answer.status_code == 403 and "(nonce)" in answer.text
    assert "tavle_console" not in browser.cookies


def test_without_the_code_verifier_the_code_is_worthless(
    live: LiveGateway, provider: Provider
) -> None:
    """Another browser (no login cookie: no verifier, no state) cannot use the code."""
    provider.subject = "admin"
    _browser, callback = start_sign_in(live, provider)
    stranger = client(live)
    answer = stranger.get(callback)
    assert answer.status_code == 403
    assert "tavle_console" not in stranger.cookies


def test_a_person_who_is_not_an_administrator_is_refused(
    live: LiveGateway, provider: Provider
) -> None:
    provider.subject = "larer.hansen"
    try:
        browser, callback = start_sign_in(live, provider)
        assert browser.get(callback).status_code == 200
    finally:
        provider.subject = "admin"
    refused = browser.get("/admin/people")
    assert refused.status_code == 403 and TEXTS["refused.not_admin"]["nb"] in refused.text


def test_an_unknown_person_gets_no_session(live: LiveGateway, provider: Provider) -> None:
    provider.subject = "nobody.here"
    try:
        browser, callback = start_sign_in(live, provider)
        answer = browser.get(callback)
    finally:
        provider.subject = "admin"
    assert answer.status_code == 403 and "tavle_console" not in browser.cookies


def test_no_development_sign_in_with_openid_connect(live: LiveGateway) -> None:
    assert client(live).post("/admin/dev-login", data={"username": "admin"}).status_code == 404

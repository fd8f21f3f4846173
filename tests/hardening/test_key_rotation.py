"""Signing keys change while the gateway runs (docs/operations.md, "Signing keys and rotation").

Through HTTP against real gateways with production authentication:

- a JWKS **file** is re-read when it changes: an added key works and a removed key stops working
  within seconds, whether the file is replaced or rewritten in place; a file that becomes
  unreadable or invalid refuses every token and makes ``/readyz`` answer 503 until it is fixed;
- a JWKS **URL** (a real local HTTP server whose key set changes) is cached: many tokens cost one
  fetch; a token with an unknown ``kid`` makes the gateway fetch again early, at most once per
  ``jwks_refresh_seconds``; a removed key stops working when the cache expires; an unreachable
  provider refuses tokens and makes ``/readyz`` answer 503, and recovery is picked up;
- the **maximum token lifetime** (``exp - iat``, default 24 hours) refuses longer tokens and
  tokens without ``iat``, for provider and development tokens alike.

The bounds asserted ("within seconds") are the ones docs/operations.md promises: a file is
looked at every second, a URL's cache lives ``jwks_cache_seconds``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from db_support import fresh_database
from gateway_support import TEST_DEV_SECRET, LiveGateway, run_gateway
from jwt.algorithms import RSAAlgorithm
from oidc_support import AUDIENCE, ISSUER, JwksServer, claims

from gateway.metrics import refusals

VIEWER = "{ viewer { displayName } }"
DAY = 24 * 3600
#: what "within seconds" means for a JWKS file: one look per second, plus a request's latency
FILE_BOUND_SECONDS = 3.0
#: the URL gateway's cache lifetime and early-refresh interval (settings)
URL_CACHE_SECONDS = 2.0
URL_REFRESH_SECONDS = 1.0


class Provider:
    """An identity provider with two signing keys, ``old`` and ``new``."""

    def __init__(self) -> None:
        self.keys = {
            kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for kid in ("old", "new")
        }

    def jwks(self, *kids: str) -> dict[str, Any]:
        return {
            "keys": [
                {
                    **RSAAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True),
                    "kid": kid,
                    "alg": "RS256",
                    "use": "sig",
                }
                for kid in kids
            ]
        }

    def token(self, kid: str, *, signer: str | None = None, **overrides: Any) -> str:
        return jwt.encode(
            claims(**overrides), self.keys[signer or kid], algorithm="RS256", headers={"kid": kid}
        )


def outcome(gateway: LiveGateway, token: str) -> str:
    """``"ok"`` when the token is accepted, otherwise the reason the refusal gives."""
    result = gateway.gql(VIEWER, token=token)
    if result.errors:
        assert result.codes() == {"UNAUTHENTICATED"}, result.errors
        return str(result.errors[0]["message"]).removeprefix("Authentication required: ")
    assert result.data == {"viewer": {"displayName": "Per Hansen"}}
    return "ok"


def readiness(gateway: LiveGateway) -> tuple[int, dict[str, Any]]:
    response = gateway.client.get(f"{gateway.url}/readyz")
    return response.status_code, response.json()


def within(seconds: float, check: Callable[[], bool]) -> float:
    """Repeat ``check`` until it holds; the seconds that took. Fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"still not the case after {elapsed:.1f} s"
        time.sleep(0.05)
    return time.monotonic() - started


def write_atomically(path: Path, content: str) -> None:
    """Replace the file the way an operator's deployment should: write beside it, rename."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One SQLite demo database for this module's gateways (the backend plays no part here)."""
    folder = tmp_path_factory.mktemp("key-rotation")
    with fresh_database("sqlite", folder) as url:
        yield url, folder


def provider_gateway(
    demo_database: tuple[str, Path], **keys: Any
) -> AbstractContextManager[LiveGateway]:
    """A gateway on the demo database that takes the provider's tokens (``ISSUER``,
    ``AUDIENCE``), with its signing keys from the ``keys`` settings (``jwks_file`` or
    ``jwks_url`` and how long fetched keys are kept)."""
    url, folder = demo_database
    return run_gateway("sqlite", url, folder, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, **keys)


# --- a JWKS file ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jwks_file(demo_database: tuple[str, Path], provider: Provider) -> Path:
    path = demo_database[1] / "jwks.json"
    path.write_text(json.dumps(provider.jwks("old")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def file_gateway(demo_database: tuple[str, Path], jwks_file: Path) -> Iterator[LiveGateway]:
    with provider_gateway(demo_database, jwks_file=jwks_file) as gateway:
        yield gateway


@pytest.fixture
def keys_in_file(
    file_gateway: LiveGateway, jwks_file: Path, provider: Provider
) -> Callable[..., None]:
    """Put exactly these keys in the file and wait until the gateway uses them."""

    def put(*kids: str) -> None:
        write_atomically(jwks_file, json.dumps(provider.jwks(*kids)))
        within(FILE_BOUND_SECONDS, lambda: outcome(file_gateway, provider.token(kids[0])) == "ok")

    put("old")
    return put


def test_a_key_added_to_the_file_works_within_seconds(
    file_gateway: LiveGateway, jwks_file: Path, provider: Provider, keys_in_file: Any
) -> None:
    assert outcome(file_gateway, provider.token("new")) == "unknown signing key"
    write_atomically(jwks_file, json.dumps(provider.jwks("old", "new")))
    within(FILE_BOUND_SECONDS, lambda: outcome(file_gateway, provider.token("new")) == "ok")
    assert outcome(file_gateway, provider.token("old")) == "ok"


def test_a_key_removed_from_the_file_stops_working_within_seconds(
    file_gateway: LiveGateway, jwks_file: Path, provider: Provider, keys_in_file: Any
) -> None:
    keys_in_file("old", "new")
    write_atomically(jwks_file, json.dumps(provider.jwks("new")))
    within(
        FILE_BOUND_SECONDS,
        lambda: outcome(file_gateway, provider.token("old")) == "unknown signing key",
    )
    assert outcome(file_gateway, provider.token("new")) == "ok"


def test_a_file_rewritten_in_place_is_read_again(
    file_gateway: LiveGateway, jwks_file: Path, provider: Provider, keys_in_file: Any
) -> None:
    inode = jwks_file.stat().st_ino
    jwks_file.write_text(json.dumps(provider.jwks("new")), encoding="utf-8")
    assert jwks_file.stat().st_ino == inode
    within(
        FILE_BOUND_SECONDS,
        lambda: outcome(file_gateway, provider.token("old")) == "unknown signing key",
    )
    assert outcome(file_gateway, provider.token("new")) == "ok"


@pytest.mark.parametrize("breakage", ["not JSON", "no signing key", "missing"])
def test_an_unusable_file_refuses_every_token_and_readyz_says_not_ready(
    file_gateway: LiveGateway,
    jwks_file: Path,
    provider: Provider,
    keys_in_file: Any,
    breakage: str,
) -> None:
    assert readiness(file_gateway)[0] == 200
    if breakage == "missing":
        jwks_file.unlink()
    elif breakage == "not JSON":
        write_atomically(jwks_file, '{"keys": [')
    else:
        write_atomically(jwks_file, json.dumps({"keys": []}))
    # The keys read before are not used: they may be the ones the change meant to remove.
    within(
        FILE_BOUND_SECONDS,
        lambda: outcome(file_gateway, provider.token("old")) == "signing keys unavailable",
    )
    assert readiness(file_gateway) == (
        503,
        {"status": "unavailable", "signingKeys": "unavailable"},
    )
    # Answers that need no person still work.
    notice = file_gateway.gql("{ privacyNotice { controller } }")
    assert notice.errors == []
    # A usable file again: ready, and tokens work.
    write_atomically(jwks_file, json.dumps(provider.jwks("old")))
    within(FILE_BOUND_SECONDS, lambda: readiness(file_gateway)[0] == 200)
    assert readiness(file_gateway)[1]["signingKeys"] == "ok"
    assert outcome(file_gateway, provider.token("old")) == "ok"


# --- the maximum token lifetime -------------------------------------------------------------------


def test_provider_tokens_longer_than_a_day_are_refused(
    file_gateway: LiveGateway, provider: Provider, keys_in_file: Any
) -> None:
    issued = int(time.time()) - 10
    exactly_a_day = provider.token("old", iat=issued, exp=issued + DAY)
    assert outcome(file_gateway, exactly_a_day) == "ok"
    refused_before = refusals().get("UNAUTHENTICATED", 0)
    longer = provider.token("old", iat=issued, exp=issued + DAY + 1)
    assert outcome(file_gateway, longer) == "token lifetime exceeds the maximum"
    # Without "iat" the lifetime is unknown: refused, even for a short-lived token.
    assert outcome(file_gateway, provider.token("old", iat=None)) == "missing claim: iat"
    # Each refusal is counted (the gateway runs in this process, so its metrics are here).
    assert refusals().get("UNAUTHENTICATED", 0) - refused_before == 2


def development_token(**claims: Any) -> str:
    now = int(time.time())
    values = {"iss": "tavle-development", "aud": "tavle", "sub": "larer.hansen", **claims}
    values.setdefault("iat", now)
    values.setdefault("exp", now + 300)
    return jwt.encode(
        {name: value for name, value in values.items() if value is not None},
        TEST_DEV_SECRET,
        algorithm="HS256",
    )


def test_development_tokens_obey_the_maximum_lifetime(live: LiveGateway) -> None:
    issued = int(time.time()) - 10
    assert outcome(live, development_token(iat=issued, exp=issued + DAY)) == "ok"
    too_long = development_token(iat=issued, exp=issued + DAY + 1)
    assert outcome(live, too_long) == "token lifetime exceeds the maximum"
    assert outcome(live, development_token(iat=None)) == "missing claim: iat"
    # What `tavle token` mints (8 hours) is within the limit.
    assert outcome(live, live.token("larer.hansen")) == "ok"


# --- a JWKS URL -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider_server(provider: Provider) -> Iterator[JwksServer]:
    """The provider's key set at a URL (``oidc_support.JwksServer``), which tests change."""
    server = JwksServer(provider.jwks("old"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cached_gateway(
    demo_database: tuple[str, Path], provider_server: JwksServer
) -> Iterator[LiveGateway]:
    """A gateway that keeps fetched keys for an hour: every fetch it makes is an early one."""
    with provider_gateway(
        demo_database,
        jwks_url=provider_server.url,
        jwks_cache_seconds=3600,
        jwks_refresh_seconds=URL_REFRESH_SECONDS,
    ) as gateway:
        yield gateway


def test_keys_from_a_url_are_fetched_once_and_refetched_for_a_new_kid(
    cached_gateway: LiveGateway, provider_server: JwksServer, provider: Provider
) -> None:
    provider_server.document = provider.jwks("old")
    before = provider_server.fetches
    for _ in range(10):
        assert outcome(cached_gateway, provider.token("old")) == "ok"
    assert provider_server.fetches - before <= 1  # the first use fetched, the rest is cached
    fetched = provider_server.fetches

    # The provider rotates: a token signed with its new key makes the gateway fetch again, at
    # most once per refresh interval, and then works.
    provider_server.document = provider.jwks("old", "new")
    within(
        URL_REFRESH_SECONDS + 2.0,
        lambda: outcome(cached_gateway, provider.token("new")) == "ok",
    )
    # The refusals while the interval ran did not fetch: exactly one early fetch.
    assert provider_server.fetches == fetched + 1
    assert outcome(cached_gateway, provider.token("old")) == "ok"
    assert provider_server.fetches == fetched + 1


def test_made_up_kids_cannot_make_the_gateway_hammer_the_provider(
    cached_gateway: LiveGateway, provider_server: JwksServer, provider: Provider
) -> None:
    before = provider_server.fetches
    started = time.monotonic()
    for _ in range(40):
        forged = provider.token(f"made-up-{secrets.token_hex(4)}", signer="old")
        assert outcome(cached_gateway, forged) == "unknown signing key"
    elapsed = time.monotonic() - started
    # One early fetch per refresh interval at most, however many unknown kids arrive.
    assert provider_server.fetches - before <= 1 + int(elapsed / URL_REFRESH_SECONDS)
    assert provider_server.fetches - before < 40


@pytest.fixture(scope="module")
def expiring_gateway(
    demo_database: tuple[str, Path], provider_server: JwksServer
) -> Iterator[LiveGateway]:
    """A gateway whose fetched keys expire after two seconds."""
    with provider_gateway(
        demo_database,
        jwks_url=provider_server.url,
        jwks_cache_seconds=URL_CACHE_SECONDS,
        jwks_refresh_seconds=URL_REFRESH_SECONDS,
    ) as gateway:
        yield gateway


def test_a_key_removed_at_the_url_stops_working_when_the_cache_expires(
    expiring_gateway: LiveGateway, provider_server: JwksServer, provider: Provider
) -> None:
    provider_server.document = provider.jwks("old", "new")
    within(
        URL_CACHE_SECONDS + 2.0, lambda: outcome(expiring_gateway, provider.token("old")) == "ok"
    )
    provider_server.document = provider.jwks("new")
    within(
        URL_CACHE_SECONDS + 2.0,
        lambda: outcome(expiring_gateway, provider.token("old")) == "unknown signing key",
    )
    assert outcome(expiring_gateway, provider.token("new")) == "ok"


def test_an_unreachable_provider_makes_readyz_fail_until_it_is_back(
    expiring_gateway: LiveGateway, provider_server: JwksServer, provider: Provider
) -> None:
    provider_server.document = provider.jwks("old")
    within(
        URL_CACHE_SECONDS + 2.0, lambda: outcome(expiring_gateway, provider.token("old")) == "ok"
    )
    assert readiness(expiring_gateway)[0] == 200
    provider_server.stop()
    try:
        # Once the cached keys expire nothing can be verified: not ready, tokens refused.
        within(URL_CACHE_SECONDS + 2.0, lambda: readiness(expiring_gateway)[0] == 503)
        assert readiness(expiring_gateway)[1] == {
            "status": "unavailable",
            "signingKeys": "unavailable",
        }
        assert outcome(expiring_gateway, provider.token("old")) == "signing keys unavailable"
    finally:
        provider_server.start()
    # Failed fetches are retried after a short pause (2 s): ready again soon after.
    within(5.0, lambda: readiness(expiring_gateway)[0] == 200)
    assert outcome(expiring_gateway, provider.token("old")) == "ok"


def test_readyz_fails_when_the_url_was_never_reachable(
    demo_database: tuple[str, Path], provider: Provider
) -> None:
    server = JwksServer(provider.jwks("old"))
    server.stop()  # a port nobody listens on
    with provider_gateway(demo_database, jwks_url=server.url) as gateway:
        assert readiness(gateway) == (503, {"status": "unavailable", "signingKeys": "unavailable"})
        assert outcome(gateway, provider.token("old")) == "signing keys unavailable"
        # The server itself is alive: only readiness reflects the missing keys.
        assert httpx.get(f"{gateway.url}/healthz").status_code == 200

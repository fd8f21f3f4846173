"""Authentication over HTTP (docs/interfaces.md, "HTTP"; docs/access-policy.md, "Unauthenticated").

One extra gateway runs with production (OIDC) authentication: a JWKS file, an issuer and an
audience. Every unacceptable bearer token gives ``UNAUTHENTICATED`` errors and no data, a valid
one works, development tokens are refused, and ``privacyNotice`` answers everyone. On the shared
development gateways, calls without a token and tokens for unknown people are unauthenticated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from db_support import fresh_database
from gateway_support import TEST_DEV_SECRET, GraphQLResult, LiveGateway, run_gateway
from jwt.algorithms import RSAAlgorithm
from oidc_support import AUDIENCE, ISSUER, claims

from config.settings import Settings
from gateway.auth import AuthenticationError, Authenticator

KID = "provider-key-1"
VIEWER = "{ viewer { id displayName } }"
NOTICE = "{ privacyNotice { controller rights } }"


class Provider:
    """The identity provider of the OIDC gateway: its key pair, and an attacker's."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(self, *, kid: str = KID, attacker: bool = False, **overrides: Any) -> str:
        return jwt.encode(
            claims(**overrides),
            self.attacker if attacker else self.key,
            algorithm="RS256",
            headers={"kid": kid},
        )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_made(header: dict[str, Any], payload: dict[str, Any], signature: bytes | None) -> str:
    """A JWT built by hand: PyJWT refuses to produce some of the attacks tested here.

    ``signature=None`` signs nothing (``alg: none``); bytes are used as an HS256 key.
    """
    signing_input = ".".join(b64url(json.dumps(part).encode()) for part in (header, payload))
    if signature is None:
        return f"{signing_input}."
    mac = hmac.new(signature, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="module")
def oidc(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway with production authentication, on SQLite (the backend does not matter here)."""
    folder = tmp_path_factory.mktemp("oidc-gateway")
    jwks_file = folder / "jwks.json"
    jwks_file.write_text(json.dumps(provider.jwks()), encoding="utf-8")
    with (
        fresh_database("sqlite", folder) as url,
        run_gateway(
            "sqlite",
            url,
            folder,
            jwks_file=jwks_file,
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
        ) as gateway,
    ):
        assert gateway.state.authenticator.method == "oidc"
        yield gateway


def assert_unauthenticated(
    result: GraphQLResult, token: str | None = None, reason: str | None = None
) -> None:
    """The ``VIEWER`` query was refused: ``data.viewer`` null, only UNAUTHENTICATED errors."""
    assert result.data == {"viewer": None}, result
    assert result.errors, result
    assert result.codes() == {"UNAUTHENTICATED"}, result.errors
    if reason is not None:
        assert reason in result.errors[0]["message"], result.errors
    if token:
        assert token not in json.dumps(result), "the token is echoed back"


def bad_tokens(provider: Provider) -> dict[str, str]:
    now = int(time.time())
    valid = provider.token()
    header, payload, signature = valid.split(".")
    forged_payload = b64url(json.dumps(claims(sub="admin")).encode())
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "alg none": hand_made({"alg": "none", "typ": "JWT", "kid": KID}, claims(), None),
        "alg none without kid": hand_made({"alg": "none", "typ": "JWT"}, claims(), None),
        "HS256 signed with the RSA public key": hand_made(
            {"alg": "HS256", "typ": "JWT", "kid": KID}, claims(), provider.public_pem()
        ),
        "expired": provider.token(iat=now - 7200, exp=now - 3600),
        "not yet valid": provider.token(nbf=now + 3600),
        "wrong audience": provider.token(aud="another-service"),
        "wrong issuer": provider.token(iss="https://evil.example.test"),
        "no expiry": provider.token(exp=None),
        "unknown kid": provider.token(kid="some-other-key"),
        "signed by another key": provider.token(attacker=True),
        "tampered payload": f"{header}.{forged_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{flipped}",
        "garbage": "not-a-jwt",
        "subject who is not a person here": provider.token(sub="nobody.here"),
    }


# Each case, and the reason the gateway gives (gateway/auth.py), which shows it was refused for
# the right cause rather than by accident.
CASES = {
    "alg none": "algorithm not allowed",
    "alg none without kid": "algorithm not allowed",
    "HS256 signed with the RSA public key": "algorithm not allowed",
    "expired": "token expired",
    "not yet valid": "token not yet valid",
    "wrong audience": "invalid audience",
    "wrong issuer": "invalid issuer",
    "no expiry": "missing claim: exp",
    "unknown kid": "unknown signing key",
    "signed by another key": "signature verification failed",
    "tampered payload": "signature verification failed",
    "tampered signature": "signature verification failed",
    "garbage": "malformed token",
    "subject who is not a person here": "not an active person",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unacceptable_tokens_are_unauthenticated(
    oidc: LiveGateway, provider: Provider, case: str
) -> None:
    token = bad_tokens(provider)[case]
    assert_unauthenticated(oidc.gql(VIEWER, token=token), token, CASES[case])
    # No other entry point lets the token through either.
    courses = oidc.gql("{ courses { totalCount } }", token=token)
    assert courses.data is None
    assert courses.codes() == {"UNAUTHENTICATED"}
    mutation = oidc.gql('mutation { setPreference(key: "k", value: "v") { key } }', token=token)
    assert mutation.data is None
    assert mutation.codes() == {"UNAUTHENTICATED"}


def test_a_valid_provider_token_works(oidc: LiveGateway, provider: Provider) -> None:
    result = oidc.gql(VIEWER, token=provider.token(sub="larer.hansen"))
    assert result.errors == []
    assert result.data["viewer"] == {
        "id": oidc.person_id("larer.hansen"),
        "displayName": "Per Hansen",
    }
    # The roster sourcedId names the same person.
    by_sourced_id = oidc.gql(VIEWER, token=provider.token(sub="u-t-hansen"))
    assert by_sourced_id.data["viewer"]["id"] == oidc.person_id("larer.hansen")


def test_development_tokens_are_refused_when_a_jwks_is_configured(
    oidc: LiveGateway, tmp_path: Path
) -> None:
    with pytest.raises(AuthenticationError, match="disabled"):
        oidc.token("larer.hansen")
    # A development token minted with the very key the gateway was given as dev_secret.
    development = Authenticator(Settings(data_dir=tmp_path, dev_secret=TEST_DEV_SECRET))
    token = development.mint_development_token("larer.hansen")
    # Verified against the provider's keys, where an HS256 token has no place.
    assert_unauthenticated(oidc.gql(VIEWER, token=token), token, "algorithm not allowed")


def test_privacy_notice_needs_no_token(oidc: LiveGateway, provider: Provider) -> None:
    for token in (None, "not-a-jwt", bad_tokens(provider)["expired"]):
        result = oidc.gql(NOTICE, token=token)
        assert result.errors == [], token
        assert result.data["privacyNotice"]["controller"]
        assert result.data["privacyNotice"]["rights"]


def test_privacy_notice_beside_a_refused_field(oidc: LiveGateway) -> None:
    result = oidc.gql("{ privacyNotice { controller } viewer { id } }", token="not-a-jwt")
    assert result.data["privacyNotice"]["controller"]
    assert result.data["viewer"] is None
    assert result.code_at("viewer") == "UNAUTHENTICATED"


def test_malformed_authorization_headers(oidc: LiveGateway, provider: Provider) -> None:
    token = provider.token()
    for header in (f"Basic {token}", "Bearer", f"Bearer {token} extra", f"Token {token}"):
        result = oidc.gql(VIEWER, headers={"Authorization": header})
        assert_unauthenticated(result)
    # The scheme is case-insensitive (RFC 7235).
    assert oidc.gql(VIEWER, headers={"Authorization": f"bearer {token}"}).errors == []


# --- the development gateways (both backends) -----------------------------------------------------

ANONYMOUS_QUERIES = {
    "viewer": "{ viewer { id } }",
    "courses": "{ courses { totalCount } }",
    "user": '{ user(id: "%(user)s") { id } }',
    "course": '{ course(id: "%(course)s") { id name } }',
    "school": '{ school(id: "%(school)s") { id } }',
    "node": '{ node(id: "%(user)s") { id } }',
    "documents": "{ documents { totalCount } }",
    "conversations": "{ conversations { totalCount } }",
    "calendarEvents": "{ calendarEvents { totalCount } }",
}


@pytest.mark.parametrize("field", sorted(ANONYMOUS_QUERIES))
def test_no_token_is_unauthenticated(live: LiveGateway, field: str) -> None:
    query = ANONYMOUS_QUERIES[field] % {
        "user": live.person_id("elev.ola"),
        "course": live.course_id("c-bjs-mat8"),
        "school": live.school_id("org-bjs"),
    }
    result = live.gql(query)
    assert result.data is None or result.data.get(field) is None
    assert result.codes() == {"UNAUTHENTICATED"}
    assert result.code_at(field) == "UNAUTHENTICATED"


def test_development_token_for_an_unknown_person(live: LiveGateway) -> None:
    token = live.token("nobody.at.all")
    assert_unauthenticated(live.gql(VIEWER, token=token), token)


def test_development_token_with_another_key(live: LiveGateway, tmp_path: Path) -> None:
    other = Authenticator(Settings(data_dir=tmp_path, dev_secret="x" * 40))
    token = other.mint_development_token("larer.hansen")
    assert_unauthenticated(live.gql(VIEWER, token=token), token)


def test_expired_development_token(live: LiveGateway) -> None:
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": "tavle-development",
            "aud": "tavle",
            "sub": "larer.hansen",
            "iat": now - 7200,
            "exp": now - 3600,
        },
        TEST_DEV_SECRET,
        algorithm="HS256",
    )
    assert_unauthenticated(live.gql(VIEWER, token=token), token)


def test_privacy_notice_without_a_token(live: LiveGateway) -> None:
    result = live.gql(NOTICE)
    assert result.errors == []
    assert result.data["privacyNotice"]["controller"]

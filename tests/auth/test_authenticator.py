"""Bearer-token authentication: OIDC via JWKS (file and URL) and development tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from auth_support import EC_KID, KID, Keys, public_jwk
from cryptography.hazmat.primitives import serialization
from oidc_support import AUDIENCE, ISSUER, JwksServer

from config.settings import Settings
from gateway.auth import (
    DEVELOPMENT_AUDIENCE,
    DEVELOPMENT_ISSUER,
    AuthConfigurationError,
    AuthenticationError,
    Authenticator,
    Principal,
    SigningKeysUnavailableError,
)

SettingsFactory = Callable[..., Settings]


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "student-1",
        "iat": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def rs256(keys: Keys, payload: dict[str, Any], *, kid: str = KID, attacker: bool = False) -> str:
    key = keys.attacker if attacker else keys.provider
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_made(
    header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes]
) -> str:
    """Build a JWT without PyJWT, which refuses to produce some of the attacks tested here."""
    encoded = [b64url(json.dumps(part).encode()) for part in (header, payload)]
    signing_input = ".".join(encoded)
    return f"{signing_input}.{b64url(sign(signing_input.encode('ascii')))}"


def hs256_signer(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def bearer(token: str) -> str:
    return f"Bearer {token}"


def rejection(authenticator: Authenticator, header: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        authenticator.authenticate(header)
    return caught.value.reason


@pytest.fixture
def oidc(oidc_settings: SettingsFactory) -> Authenticator:
    return Authenticator.from_settings(oidc_settings())


# ---------------------------------------------------------------------------------------------
# OIDC: accepted tokens


def test_valid_token_yields_subject_from_sub(oidc: Authenticator, keys: Keys) -> None:
    principal = oidc.authenticate(bearer(rs256(keys, claims())))
    assert principal == Principal(subject="student-1", method="oidc")
    assert oidc.method == "oidc"


def test_configured_claim_is_used(oidc_settings: SettingsFactory, keys: Keys) -> None:
    authenticator = Authenticator.from_settings(oidc_settings(oidc_user_claim="preferred_username"))
    token = rs256(keys, claims(preferred_username="ola.nordmann", sub="opaque-123"))
    principal = authenticator.authenticate(bearer(token))
    assert principal == Principal(subject="ola.nordmann", method="oidc")


def test_ec_key_selected_by_kid(oidc: Authenticator, keys: Keys) -> None:
    token = jwt.encode(claims(), keys.provider_ec, algorithm="ES256", headers={"kid": EC_KID})
    principal = oidc.authenticate(bearer(token))
    assert principal is not None
    assert principal.subject == "student-1"


def test_scheme_is_case_insensitive(oidc: Authenticator, keys: Keys) -> None:
    assert oidc.authenticate(f"bearer {rs256(keys, claims())}") is not None


def test_small_clock_skew_is_tolerated(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(exp=int(time.time()) - 5))
    assert oidc.authenticate(bearer(token)) is not None


def test_no_header_is_anonymous(oidc: Authenticator) -> None:
    assert oidc.authenticate(None) is None


# ---------------------------------------------------------------------------------------------
# OIDC: rejected tokens, one reason each


def test_rejects_alg_none(oidc: Authenticator) -> None:
    token = hand_made({"alg": "none", "typ": "JWT", "kid": KID}, claims(), lambda _: b"")
    assert rejection(oidc, bearer(token)) == "algorithm not allowed"


def test_rejects_hs256_signed_with_public_key(oidc: Authenticator, keys: Keys) -> None:
    """The classic confusion attack: the provider's public key used as an HMAC secret."""
    for encoding, format_ in [
        (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        (serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    ]:
        secret = keys.provider.public_key().public_bytes(encoding, format_)
        token = hand_made(
            {"alg": "HS256", "typ": "JWT", "kid": KID},
            claims(),
            hs256_signer(secret),
        )
        assert rejection(oidc, bearer(token)) == "algorithm not allowed"


def test_rejects_expired_token(oidc: Authenticator, keys: Keys) -> None:
    now = int(time.time())
    token = rs256(keys, claims(iat=now - 3600, exp=now - 120))
    assert rejection(oidc, bearer(token)) == "token expired"


def test_rejects_wrong_audience(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(aud="another-service"))
    assert rejection(oidc, bearer(token)) == "invalid audience"


def test_rejects_wrong_issuer(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(iss="https://evil.example.test"))
    assert rejection(oidc, bearer(token)) == "invalid issuer"


def test_rejects_unknown_kid(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(), kid="attacker-key", attacker=True)
    assert rejection(oidc, bearer(token)) == "unknown signing key"


def test_rejects_missing_kid(oidc: Authenticator, keys: Keys) -> None:
    token = jwt.encode(claims(), keys.provider, algorithm="RS256")
    assert rejection(oidc, bearer(token)) == "missing key id"


def test_rejects_tampered_payload(oidc: Authenticator, keys: Keys) -> None:
    header, _, signature = rs256(keys, claims(sub="student-1")).split(".")
    forged_payload = b64url(json.dumps(claims(sub="admin-1")).encode())
    assert rejection(oidc, bearer(f"{header}.{forged_payload}.{signature}")) == (
        "signature verification failed"
    )


def test_rejects_token_signed_by_other_key_with_known_kid(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(), attacker=True)
    assert rejection(oidc, bearer(token)) == "signature verification failed"


def test_ignores_key_embedded_in_header(oidc: Authenticator, keys: Keys) -> None:
    """A token carrying its own ``jwk`` must still be verified against the provider's keys."""
    token = jwt.encode(
        claims(),
        keys.attacker,
        algorithm="RS256",
        headers={"kid": KID, "jwk": public_jwk(keys.attacker, KID, "RS256")},
    )
    assert rejection(oidc, bearer(token)) == "signature verification failed"


def test_rejects_algorithm_other_than_the_keys(oidc: Authenticator, keys: Keys) -> None:
    token = jwt.encode(claims(), keys.provider, algorithm="PS256", headers={"kid": KID})
    assert rejection(oidc, bearer(token)) == "algorithm does not match signing key"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "bm90IGpzb24.e30.c2ln", "....."])
def test_rejects_token_that_is_not_a_jwt(oidc: Authenticator, token: str) -> None:
    assert rejection(oidc, bearer(token)) == "malformed token"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer   ", "Bearer a b", "token-only"])
def test_rejects_malformed_authorization_header(oidc: Authenticator, header: str) -> None:
    assert rejection(oidc, header) == "malformed Authorization header"


def test_rejects_other_scheme(oidc: Authenticator) -> None:
    assert rejection(oidc, "Basic dXNlcjpwYXNz") == "unsupported authorization scheme"


def test_rejects_oversized_token(oidc: Authenticator) -> None:
    assert rejection(oidc, bearer("a" * 20_000)) == "token too large"


def test_rejects_missing_configured_claim(oidc_settings: SettingsFactory, keys: Keys) -> None:
    authenticator = Authenticator.from_settings(oidc_settings(oidc_user_claim="preferred_username"))
    token = rs256(keys, claims())
    assert rejection(authenticator, bearer(token)) == "missing claim: preferred_username"


def test_rejects_non_string_configured_claim(oidc_settings: SettingsFactory, keys: Keys) -> None:
    authenticator = Authenticator.from_settings(oidc_settings(oidc_user_claim="student_number"))
    token = rs256(keys, claims(student_number=12345))
    assert rejection(authenticator, bearer(token)) == "invalid claim: student_number"


@pytest.mark.parametrize("claim", ["exp", "iss", "aud"])
def test_rejects_missing_required_claim(oidc: Authenticator, keys: Keys, claim: str) -> None:
    token = rs256(keys, claims(**{claim: None}))
    assert rejection(oidc, bearer(token)) == f"missing claim: {claim}"


def test_rejects_token_not_yet_valid(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(nbf=int(time.time()) + 600))
    assert rejection(oidc, bearer(token)) == "token not yet valid"


def test_reasons_do_not_echo_token_contents(oidc: Authenticator, keys: Keys) -> None:
    token = rs256(keys, claims(sub="secret-person", aud="secret-audience"), kid="secret-kid")
    reason = rejection(oidc, bearer(token))
    assert "secret" not in reason


# ---------------------------------------------------------------------------------------------
# OIDC: JWKS from a URL


def test_jwks_url_served_over_http(
    oidc_settings: SettingsFactory, jwks_server: JwksServer, keys: Keys
) -> None:
    authenticator = Authenticator.from_settings(
        oidc_settings(jwks_file=None, jwks_url=jwks_server.url)
    )
    assert jwks_server.requests == []  # nothing is fetched before the first token

    principal = authenticator.authenticate(bearer(rs256(keys, claims())))
    assert principal == Principal(subject="student-1", method="oidc")
    principal = authenticator.authenticate(bearer(rs256(keys, claims(sub="student-2"))))
    assert principal == Principal(subject="student-2", method="oidc")
    assert jwks_server.requests == ["/jwks"]  # the key set is cached

    unknown = rs256(keys, claims(), kid="attacker-key", attacker=True)
    assert rejection(authenticator, bearer(unknown)) == "unknown signing key"
    forged = rs256(keys, claims(), attacker=True)
    assert rejection(authenticator, bearer(forged)) == "signature verification failed"


def test_jwks_url_unreachable(oidc_settings: SettingsFactory, keys: Keys) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    authenticator = Authenticator.from_settings(
        oidc_settings(jwks_file=None, jwks_url=f"http://127.0.0.1:{port}/jwks")
    )
    with pytest.raises(SigningKeysUnavailableError) as caught:
        authenticator.authenticate(bearer(rs256(keys, claims())))
    assert caught.value.reason == "signing keys unavailable"


# ---------------------------------------------------------------------------------------------
# Configuration errors


def test_jwks_requires_issuer(oidc_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="TAVLE_OIDC_ISSUER"):
        Authenticator.from_settings(oidc_settings(oidc_issuer=None))


def test_jwks_requires_audience(oidc_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="TAVLE_OIDC_AUDIENCE"):
        Authenticator.from_settings(oidc_settings(oidc_audience=None))


@pytest.mark.parametrize("algorithm", ["HS256", "HS512", "none", "RS1"])
def test_symmetric_or_unknown_algorithms_refused(
    oidc_settings: SettingsFactory, algorithm: str
) -> None:
    with pytest.raises(AuthConfigurationError, match=f"refused: {algorithm}"):
        Authenticator.from_settings(oidc_settings(oidc_algorithms=["RS256", algorithm]))


def test_empty_algorithm_list_refused(oidc_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="at least one"):
        Authenticator.from_settings(oidc_settings(oidc_algorithms=[]))


def test_jwks_file_and_url_together_refused(oidc_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="only one"):
        Authenticator.from_settings(oidc_settings(jwks_url="https://idp.example.test/jwks"))


def test_plain_http_jwks_url_refused_off_loopback(oidc_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="https"):
        Authenticator.from_settings(
            oidc_settings(jwks_file=None, jwks_url="http://idp.example.test/jwks")
        )


def test_unusable_jwks_file_refused(oidc_settings: SettingsFactory, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("not json", encoding="utf-8")
    with pytest.raises(AuthConfigurationError, match="not a usable JWK Set"):
        Authenticator.from_settings(oidc_settings(jwks_file=broken))
    with pytest.raises(AuthConfigurationError, match="cannot read"):
        Authenticator.from_settings(oidc_settings(jwks_file=tmp_path / "missing.json"))


# ---------------------------------------------------------------------------------------------
# Development tokens


def test_development_token_round_trip(dev_settings: SettingsFactory) -> None:
    authenticator = Authenticator.from_settings(dev_settings())
    assert authenticator.method == "development"
    token = authenticator.mint_development_token("teacher-7")
    principal = authenticator.authenticate(bearer(token))
    assert principal == Principal(subject="teacher-7", method="development")

    claims_ = jwt.decode(token, options={"verify_signature": False})
    assert claims_["iss"] == DEVELOPMENT_ISSUER
    assert claims_["aud"] == DEVELOPMENT_AUDIENCE
    assert claims_["sub"] == "teacher-7"
    assert 8 * 3600 - 5 <= claims_["exp"] - time.time() <= 8 * 3600
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_development_secret_persisted_and_shared(
    dev_settings: SettingsFactory, tmp_path: Path
) -> None:
    first = Authenticator.from_settings(dev_settings())
    secret_file = tmp_path / "data" / "dev-secret"
    assert secret_file.is_file()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    content = secret_file.read_text()

    token = first.mint_development_token("student-1", ttl_seconds=60)
    second = Authenticator.from_settings(dev_settings())  # as if in another process
    assert second.authenticate(bearer(token)) == Principal("student-1", "development")
    assert secret_file.read_text() == content
    assert list(secret_file.parent.iterdir()) == [secret_file]  # no temporary files left


def test_development_secret_from_settings(dev_settings: SettingsFactory, tmp_path: Path) -> None:
    secret = "x" * 40
    authenticator = Authenticator.from_settings(dev_settings(dev_secret=secret))
    token = authenticator.mint_development_token("student-1")
    assert jwt.decode(token, secret, algorithms=["HS256"], audience="tavle")["sub"] == "student-1"
    assert not (tmp_path / "data" / "dev-secret").exists()


def test_short_development_secret_refused(dev_settings: SettingsFactory) -> None:
    with pytest.raises(AuthConfigurationError, match="at least 32 bytes"):
        Authenticator.from_settings(dev_settings(dev_secret="short"))


def test_development_token_from_other_key_rejected(dev_settings: SettingsFactory) -> None:
    authenticator = Authenticator.from_settings(dev_settings())
    other = Authenticator.from_settings(dev_settings(dev_secret="y" * 32))
    token = other.mint_development_token("student-1")
    assert rejection(authenticator, bearer(token)) == "signature verification failed"


def test_expired_development_token_rejected(dev_settings: SettingsFactory) -> None:
    secret = "z" * 32
    authenticator = Authenticator.from_settings(dev_settings(dev_secret=secret))
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": DEVELOPMENT_ISSUER,
            "aud": DEVELOPMENT_AUDIENCE,
            "sub": "s",
            "iat": now - 3600,
            "exp": now - 120,
        },
        secret,
        algorithm="HS256",
    )
    assert rejection(authenticator, bearer(token)) == "token expired"


def test_development_token_rejected_when_jwks_configured(
    dev_settings: SettingsFactory, oidc_settings: SettingsFactory
) -> None:
    token = Authenticator.from_settings(dev_settings()).mint_development_token("student-1")
    production = Authenticator.from_settings(oidc_settings(dev_auth=True))
    assert rejection(production, bearer(token)) == "algorithm not allowed"
    with pytest.raises(AuthenticationError) as caught:
        production.mint_development_token("student-1")
    assert caught.value.reason == "development authentication is disabled"


def test_development_auth_disabled(dev_settings: SettingsFactory, tmp_path: Path) -> None:
    authenticator = Authenticator.from_settings(dev_settings(dev_auth=False))
    assert authenticator.method is None
    with pytest.raises(AuthenticationError) as caught:
        authenticator.mint_development_token("student-1")
    assert caught.value.reason == "development authentication is disabled"
    assert rejection(authenticator, bearer("a.b.c")) == "bearer authentication is not configured"
    assert authenticator.authenticate(None) is None
    assert not (tmp_path / "data" / "dev-secret").exists()


def test_oidc_token_rejected_in_development(dev_settings: SettingsFactory, keys: Keys) -> None:
    authenticator = Authenticator.from_settings(dev_settings())
    assert rejection(authenticator, bearer(rs256(keys, claims()))) == "algorithm not allowed"

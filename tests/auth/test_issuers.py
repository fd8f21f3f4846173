"""Several trusted issuers at once (``TAVLE_OIDC_ISSUERS``): each with its own keys, audience(s),
algorithms and claim mappings, picked by the token's ``iss``; and the settings' validation."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from auth_support import KID, Keys, public_jwk
from oidc_support import AUDIENCE, ISSUER, JwksServer
from pydantic import ValidationError

from config.settings import Settings
from gateway.auth import (
    AuthenticationError,
    Authenticator,
    Identifier,
    Principal,
    SigningKeysUnavailableError,
)

FEIDE = "https://auth.dataporten.no"
IDPORTEN = "https://idporten.no"
EPPN = "https://n.feide.no/claims/eduPersonPrincipalName"
FEIDE_KID = "feide-key"
IDPORTEN_KID = "idporten-key"
FEIDE_CLAIMS = [f"{EPPN}->feide_id", "sub->sourced_id"]
IDPORTEN_CLAIMS = ["pid->national_id"]

SettingsFactory = Callable[..., Settings]


def token(key: Any, kid: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iat": now, "exp": now + 300, **claims}
    return "Bearer " + jwt.encode(
        {k: v for k, v in payload.items() if v is not None},
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )


def feide_token(keys: Keys, **claims: Any) -> str:
    values = {"iss": FEIDE, "aud": "feide-client", "sub": "opaque-76a7a061", EPPN: "a@b.no"}
    return token(keys.provider, FEIDE_KID, **{**values, **claims})


def idporten_token(keys: Keys, **claims: Any) -> str:
    values = {"iss": IDPORTEN, "aud": "idporten-client", "pid": "04827910153"}
    return token(keys.attacker, IDPORTEN_KID, **{**values, **claims})


def rejection(authenticator: Authenticator, header: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        authenticator.authenticate(header)
    return caught.value.reason


@pytest.fixture
def idporten_server(keys: Keys) -> Iterator[JwksServer]:
    # ``keys.attacker`` plays ID-porten here: another key pair than Feide's.
    server = JwksServer({"keys": [public_jwk(keys.attacker, IDPORTEN_KID, "RS256")]})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def issuers(tmp_path: Path, keys: Keys, idporten_server: JwksServer) -> list[dict[str, Any]]:
    """Feide with a JWKS file, ID-porten with a JWKS URL (a real HTTP server)."""
    feide_jwks = tmp_path / "feide-jwks.json"
    feide_jwks.write_text(
        json.dumps({"keys": [public_jwk(keys.provider, FEIDE_KID, "RS256")]}), encoding="utf-8"
    )
    return [
        {
            "issuer": FEIDE,
            "jwks_file": str(feide_jwks),
            "audience": "feide-client",
            "claims": FEIDE_CLAIMS,
        },
        {
            "issuer": IDPORTEN,
            "jwks_url": idporten_server.url,
            "audience": ["idporten-client", "other-client"],
            "algorithms": ["RS256"],
            "claims": IDPORTEN_CLAIMS,
        },
    ]


@pytest.fixture
def settings(tmp_path: Path, issuers: list[dict[str, Any]]) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "jwks_file": None,
            "jwks_url": None,
            "oidc_issuer": None,
            "dev_secret": "",
            "oidc_issuers": issuers,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def authenticator(settings: SettingsFactory) -> Authenticator:
    return Authenticator.from_settings(settings())


def test_feide_token_carries_its_mappings_in_order(
    authenticator: Authenticator, keys: Keys
) -> None:
    principal = authenticator.authenticate(feide_token(keys, **{EPPN: "per.hansen@feide.no"}))
    assert principal is not None
    assert principal.method == "oidc" and principal.issuer == FEIDE
    assert principal.identifiers == (
        Identifier(f"{EPPN}->feide_id", "feide_id", "per.hansen@feide.no"),
        Identifier("sub->sourced_id", "sourced_id", "opaque-76a7a061"),
    )


def test_only_the_claims_present_are_tried(authenticator: Authenticator, keys: Keys) -> None:
    principal = authenticator.authenticate(feide_token(keys, **{EPPN: None}))
    assert principal is not None
    assert [i.label for i in principal.identifiers] == ["sub->sourced_id"]


def test_idporten_token_from_the_url_keys(
    authenticator: Authenticator, keys: Keys, idporten_server: JwksServer
) -> None:
    principal = authenticator.authenticate(idporten_token(keys))
    assert principal is not None and principal.issuer == IDPORTEN
    assert principal.identifiers == (Identifier("pid->national_id", "national_id", "04827910153"),)
    # any one of the issuer's audiences is accepted
    assert authenticator.authenticate(idporten_token(keys, aud="other-client")) is not None
    assert idporten_server.fetches == 1


def test_national_ids_stay_out_of_repr(authenticator: Authenticator, keys: Keys) -> None:
    principal = authenticator.authenticate(idporten_token(keys))
    assert "04827910153" not in repr(principal)


def test_each_issuer_has_its_own_audience(authenticator: Authenticator, keys: Keys) -> None:
    # Feide's audience on an ID-porten token, and the other way round
    assert rejection(authenticator, idporten_token(keys, aud="feide-client")) == "invalid audience"
    assert rejection(authenticator, feide_token(keys, aud="idporten-client")) == "invalid audience"


def test_unknown_issuer_is_refused(authenticator: Authenticator, keys: Keys) -> None:
    assert rejection(authenticator, feide_token(keys, iss="https://evil.example.test")) == (
        "invalid issuer"
    )
    assert rejection(authenticator, feide_token(keys, iss=None)) == "missing claim: iss"


def test_token_of_one_issuer_signed_with_the_others_key(
    authenticator: Authenticator, keys: Keys
) -> None:
    # Names Feide, signed by ID-porten's key, with ID-porten's kid: Feide has no such key.
    forged = token(keys.attacker, IDPORTEN_KID, iss=FEIDE, aud="feide-client", sub="x")
    assert rejection(authenticator, forged) == "unknown signing key"
    # ... and with Feide's kid: the signature does not verify with Feide's key.
    forged = token(keys.attacker, FEIDE_KID, iss=FEIDE, aud="feide-client", sub="x")
    assert rejection(authenticator, forged) == "signature verification failed"
    # Names ID-porten, signed by Feide's key.
    forged = token(keys.provider, FEIDE_KID, iss=IDPORTEN, aud="idporten-client", pid="1")
    assert rejection(authenticator, forged) == "unknown signing key"


def test_algorithms_are_per_issuer(
    settings: SettingsFactory, issuers: list[dict[str, Any]], keys: Keys
) -> None:
    issuers[0]["algorithms"] = ["ES256"]  # Feide: EC only; ID-porten: RS256
    authenticator = Authenticator.from_settings(settings(oidc_issuers=issuers))
    assert rejection(authenticator, feide_token(keys)) == "algorithm not allowed"
    assert authenticator.authenticate(idporten_token(keys)) is not None


def test_expired_token(authenticator: Authenticator, keys: Keys) -> None:
    now = int(time.time())
    assert rejection(authenticator, feide_token(keys, iat=now - 7200, exp=now - 3600)) == (
        "token expired"
    )


def test_token_without_any_mapped_claim(authenticator: Authenticator, keys: Keys) -> None:
    reason = rejection(authenticator, idporten_token(keys, pid=None, sub="someone"))
    assert reason == "missing claim: pid"
    reason = rejection(authenticator, feide_token(keys, sub=None, **{EPPN: None}))
    assert reason == f"missing claim: {EPPN}, sub"


def test_mapped_claim_of_the_wrong_type(authenticator: Authenticator, keys: Keys) -> None:
    assert rejection(authenticator, idporten_token(keys, pid=4827910153)) == "invalid claim: pid"


def test_keys_problem_of_any_issuer_makes_it_unready(
    settings: SettingsFactory, issuers: list[dict[str, Any]], keys: Keys
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuers[1]["jwks_url"] = f"http://127.0.0.1:{port}/jwks"
    authenticator = Authenticator.from_settings(settings(oidc_issuers=issuers))
    problem = authenticator.signing_keys_problem()
    assert problem is not None and f"TAVLE_OIDC_ISSUERS[1] ({IDPORTEN}) jwks_url" in problem
    # Feide's tokens still work; ID-porten's are refused as unavailable, not as invalid.
    assert authenticator.authenticate(feide_token(keys)) is not None
    with pytest.raises(SigningKeysUnavailableError):
        authenticator.authenticate(idporten_token(keys))


def test_all_issuers_ready(authenticator: Authenticator) -> None:
    assert authenticator.signing_keys_problem() is None


# ---------------------------------------------------------------------------------------------
# The setting itself


def test_setting_read_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch, issuers: list[dict[str, Any]], tmp_path: Path
) -> None:
    monkeypatch.setenv("TAVLE_OIDC_ISSUERS", json.dumps(issuers))
    parsed = Settings(data_dir=tmp_path, jwks_file=None, jwks_url=None, oidc_issuer=None)
    assert parsed.oidc_issuers is not None
    assert [entry.issuer for entry in parsed.oidc_issuers] == [FEIDE, IDPORTEN]
    assert parsed.oidc_issuers[0].audience == ["feide-client"]
    assert [m.label for m in parsed.oidc_issuers[0].claims] == FEIDE_CLAIMS
    assert parsed.jwks_configured and parsed.jwks_fetched and not parsed.dev_auth_enabled


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"claims": ["sub=>username"]}, "claim->identifier"),
        ({"claims": ["sub->email"]}, "claims.0.identifier"),
        ({"claims": []}, "claims"),
        ({"algorithms": ["HS256"]}, "refused: HS256"),
        ({"jwks_url": "https://idp.example.test/jwks"}, "exactly one of jwks_url and jwks_file"),
        ({"jwks_file": None}, "exactly one of jwks_url and jwks_file"),
        ({"audience": []}, "audience"),
        ({"audience": [" "]}, "an audience must not be empty"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_issuer_entries_stop_the_start(
    settings: SettingsFactory, issuers: list[dict[str, Any]], change: dict[str, Any], message: str
) -> None:
    issuers[0].update(change)
    with pytest.raises(ValidationError, match=message):
        settings(oidc_issuers=issuers)


def test_an_issuer_listed_twice_is_refused(
    settings: SettingsFactory, issuers: list[dict[str, Any]]
) -> None:
    issuers[1]["issuer"] = FEIDE
    with pytest.raises(ValidationError, match="listed more than once"):
        settings(oidc_issuers=issuers)


@pytest.mark.parametrize("which", [0, 1])
def test_several_issuers_each_name_their_claims(
    settings: SettingsFactory, issuers: list[dict[str, Any]], which: int
) -> None:
    del issuers[which]["claims"]
    with pytest.raises(ValidationError, match=r"each entry must list its 'claims'") as refused:
        settings(oidc_issuers=issuers)
    assert repr(issuers[which]["issuer"]) in str(refused.value)
    # one issuer alone may still leave them out (sub->sourced_id_or_username)
    alone = settings(oidc_issuers=[issuers[which]])
    assert alone.oidc_issuers is not None
    assert [m.label for m in alone.oidc_issuers[0].claims] == ["sub->sourced_id_or_username"]


def test_list_and_single_issuer_settings_exclude_each_other(settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="either the list or the single issuer"):
        settings(oidc_issuer="https://idp.example.test")
    with pytest.raises(ValidationError, match="at least one issuer"):
        settings(oidc_issuers=[])


def test_single_issuer_settings_are_one_issuer(oidc_settings: SettingsFactory, keys: Keys) -> None:
    authenticator = Authenticator.from_settings(oidc_settings(oidc_user_claim="preferred_username"))
    now = int(time.time())

    header = token(
        keys.provider,
        KID,
        iss=ISSUER,
        aud=AUDIENCE,
        sub="x",
        preferred_username="ola",
        iat=now,
        exp=now + 60,
    )
    principal = authenticator.authenticate(header)
    assert principal == Principal(subject="ola", method="oidc")
    assert principal.identifiers == (
        Identifier("preferred_username->sourced_id_or_username", "sourced_id_or_username", "ola"),
    )


def test_a_bad_setting_stops_the_gateway_with_a_clear_message(tmp_path: Path) -> None:
    setting: list[dict[str, Any]] = [
        {"issuer": IDPORTEN, "jwks_url": "https://idporten.no/jwks", "audience": "x"}
    ]
    setting[0]["claims"] = ["pid->fnr"]
    env = {
        **os.environ,
        "TAVLE_DATA_DIR": str(tmp_path),
        "TAVLE_OIDC_ISSUERS": json.dumps(setting),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", "0"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert finished.stderr.startswith("tavle: invalid settings:")
    assert "oidc_issuers.0.claims.0.identifier" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_an_id_token_counts_only_for_the_issuer_the_sign_in_went_to(
    authenticator: Authenticator, keys: Keys
) -> None:
    """The admin console signs in with one issuer: a valid ID token of another trusted issuer
    for the same client is refused (no mix-up), and one for several audiences must name the
    client as its authorized party (``azp``)."""
    raw = feide_token(keys, aud="console-client", nonce="n").removeprefix("Bearer ")
    principal, claims = authenticator.verify_id_token(raw, "console-client", FEIDE)
    assert principal.issuer == FEIDE and claims["nonce"] == "n"
    with pytest.raises(AuthenticationError, match="invalid issuer"):
        authenticator.verify_id_token(raw, "console-client", IDPORTEN)
    shared = feide_token(keys, aud=["console-client", "other"]).removeprefix("Bearer ")
    with pytest.raises(AuthenticationError, match="authorized party"):
        authenticator.verify_id_token(shared, "console-client", FEIDE)
    named = feide_token(keys, aud=["console-client", "other"], azp="console-client").removeprefix(
        "Bearer "
    )
    assert authenticator.verify_id_token(named, "console-client", FEIDE)[0].issuer == FEIDE

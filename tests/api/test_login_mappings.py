"""Signing in as Norwegian schools do: Feide and ID-porten at once (docs/security.md, "Trusted
issuers and claim mappings").

A live gateway trusts two issuers, each with its own key pair, audience and claim mappings:

* "Feide" (JWKS file): ``eduPersonPrincipalName -> feide_id`` (the Feide ids the roster import
  read from ``userIds``), then ``sub -> sourced_id``; its ``sub`` is opaque.
* "ID-porten" (JWKS URL, a real HTTP server): ``pid -> national_id`` (guardians sign in with
  their national id number).

Real signed tokens over HTTP, on SQLite and PostgreSQL: who each token names, and every way a
token is refused with ``UNAUTHENTICATED`` and a precise reason that quotes no personal data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway
from jwt.algorithms import RSAAlgorithm
from oidc_support import JwksServer
from sqlalchemy import update

from store.tables import people

FEIDE = "https://auth.dataporten.no"
IDPORTEN = "https://idporten.example.test"
EPPN = "https://n.feide.no/claims/eduPersonPrincipalName"
VIEWER = "{ viewer { id } }"
KARI_PID = "04827910153"  # foresatt.kari's national id in the demo roster


class Issuer:
    """A test identity provider: its issuer, audience, key pair and key id."""

    def __init__(self, issuer: str, audience: str, kid: str) -> None:
        self.issuer, self.audience, self.kid = issuer, audience, kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(self, *, key: Any = None, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        values = {"iss": self.issuer, "aud": self.audience, "iat": now, "exp": now + 300}
        values.update(claims)
        return jwt.encode(
            {name: value for name, value in values.items() if value is not None},
            key or self.key,
            algorithm="RS256",
            headers={"kid": kid or self.kid},
        )


@pytest.fixture(scope="module")
def feide() -> Issuer:
    return Issuer(FEIDE, "tavle-feide-client", "feide-2026")


@pytest.fixture(scope="module")
def idporten() -> Issuer:
    return Issuer(IDPORTEN, "tavle-idporten-client", "idporten-2026")


def issuers_setting(feide: Issuer, feide_jwks: Path, idporten_url: str) -> list[dict[str, Any]]:
    return [
        {
            "issuer": feide.issuer,
            "jwks_file": str(feide_jwks),
            "audience": feide.audience,
            "claims": [f"{EPPN}->feide_id", "sub->sourced_id"],
        },
        {
            "issuer": IDPORTEN,
            "jwks_url": idporten_url,
            "audience": ["tavle-idporten-client"],
            "claims": ["pid->national_id"],
        },
    ]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    feide: Issuer,
    idporten: Issuer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveGateway]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"login-{backend}")
    feide_jwks = folder / "feide-jwks.json"
    feide_jwks.write_text(json.dumps(feide.jwks()), encoding="utf-8")
    server = JwksServer(idporten.jwks())
    try:
        with (
            fresh_database(backend, folder) as url,
            run_gateway(
                backend,
                url,
                folder,
                jwks_file=None,
                jwks_url=None,
                oidc_issuer=None,
                oidc_issuers=issuers_setting(feide, feide_jwks, server.url),
            ) as gateway,
        ):
            assert gateway.state.authenticator.method == "oidc"
            yield gateway
    finally:
        server.stop()


def viewer_of(live: LiveGateway, token: str) -> str:
    result = live.gql(VIEWER, token=token)
    assert result.errors == [], result
    viewer_id: str = result.data["viewer"]["id"]
    return viewer_id


def refusal(live: LiveGateway, token: str) -> str:
    """The reason the token was refused (and that nothing of it, or of the person, came back)."""
    result = live.gql(VIEWER, token=token)
    assert result.data == {"viewer": None}, result
    assert result.codes() == {"UNAUTHENTICATED"}, result.errors
    assert token not in json.dumps(result)
    message: str = result.errors[0]["message"]
    return message


# ---------------------------------------------------------------------------------------------
# Who a token names


def test_feide_token_by_the_imported_feide_id(live: LiveGateway, feide: Issuer) -> None:
    token = feide.token(
        sub="76a7a061-3c55-430d-8ee0-6f82ec42501f", **{EPPN: "per.hansen@feide.example.no"}
    )
    assert viewer_of(live, token) == live.person_id("larer.hansen")


def test_first_matching_mapping_wins(live: LiveGateway, feide: Issuer) -> None:
    # eduPersonPrincipalName names Per Hansen, sub names Ola's sourcedId: the first mapping wins.
    token = feide.token(sub="u-s-ola", **{EPPN: "per.hansen@feide.example.no"})
    assert viewer_of(live, token) == live.person_id("larer.hansen")
    # An unknown Feide id falls through to the next mapping.
    token = feide.token(sub="u-s-ola", **{EPPN: "nobody@feide.example.no"})
    assert viewer_of(live, token) == live.person_id("elev.ola")
    # Without the claim, the next mapping is tried too.
    assert viewer_of(live, feide.token(sub="u-s-ola")) == live.person_id("elev.ola")


def test_idporten_token_of_a_guardian_by_national_id(live: LiveGateway, idporten: Issuer) -> None:
    token = idporten.token(sub="opaque-idporten-sub", pid=KARI_PID)
    assert viewer_of(live, token) == live.person_id("foresatt.kari")
    # The guardian sees her child through the ordinary relations.
    result = live.gql("{ viewer { children { id } } }", token=token)
    assert result.errors == [], result
    children = {child["id"] for child in result.data["viewer"]["children"]}
    assert live.person_id("elev.ola") in children


def test_the_caller_is_found_with_one_statement(live: LiveGateway, feide: Issuer) -> None:
    token = feide.token(sub="x", **{EPPN: "per.hansen@feide.example.no"})
    viewer_of(live, token)  # the viewer is now kept
    with live.count_sql() as statements:
        viewer_of(live, token)
    lookups = [s for s in statements if "feide_id" in s]
    assert len(lookups) == 1, statements


# ---------------------------------------------------------------------------------------------
# Refused tokens


def test_no_mapping_matches(live: LiveGateway, feide: Issuer, idporten: Issuer) -> None:
    reason = refusal(live, idporten.token(pid="01010112345"))
    assert "not an active person" in reason and "pid->national_id" in reason
    assert "01010112345" not in reason
    reason = refusal(live, feide.token(sub="opaque", **{EPPN: "nobody@feide.example.no"}))
    assert "not an active person" in reason
    assert "nobody@" not in reason


def test_a_token_naming_two_people_is_refused(live: LiveGateway, idporten: Issuer) -> None:
    shared = "31129912345"
    live.execute(
        update(people)
        .where(people.c.username.in_(["foresatt.geir", "foresatt.ali"]))
        .values(national_id=shared)
    )
    reason = refusal(live, idporten.token(pid=shared))
    assert "several people" in reason and shared not in reason


def test_wrong_audience(live: LiveGateway, feide: Issuer, idporten: Issuer) -> None:
    # Each issuer's token with the other issuer's audience
    assert "invalid audience" in refusal(live, idporten.token(aud=feide.audience, pid=KARI_PID))
    token = feide.token(aud=idporten.audience, **{EPPN: "per.hansen@feide.example.no"})
    assert "invalid audience" in refusal(live, token)


def test_unknown_issuer(live: LiveGateway, feide: Issuer) -> None:
    token = feide.token(iss="https://evil.example.test", **{EPPN: "per.hansen@feide.example.no"})
    assert "invalid issuer" in refusal(live, token)


def test_token_of_one_issuer_signed_with_the_others_key(
    live: LiveGateway, feide: Issuer, idporten: Issuer
) -> None:
    eppn = {EPPN: "per.hansen@feide.example.no"}
    # Feide's iss, ID-porten's key and kid: Feide's keys have no such kid.
    assert "unknown signing key" in refusal(
        live, feide.token(key=idporten.key, kid=idporten.kid, **eppn)
    )
    # Feide's iss and kid, ID-porten's key.
    assert "signature verification failed" in refusal(live, feide.token(key=idporten.key, **eppn))
    # ID-porten's iss, Feide's key and kid.
    token = idporten.token(key=feide.key, kid=feide.kid, pid=KARI_PID)
    assert "unknown signing key" in refusal(live, token)


def test_expired(live: LiveGateway, idporten: Issuer) -> None:
    now = int(time.time())
    token = idporten.token(pid=KARI_PID, iat=now - 7200, exp=now - 3600)
    assert "token expired" in refusal(live, token)


def test_development_tokens_are_refused(live: LiveGateway) -> None:
    with pytest.raises(Exception, match="disabled"):
        live.token("larer.hansen")


# ---------------------------------------------------------------------------------------------
# Readiness follows every issuer's keys


def test_not_ready_while_one_issuers_keys_cannot_be_loaded(
    feide: Issuer, idporten: Issuer, tmp_path: Path
) -> None:
    feide_jwks = tmp_path / "feide-jwks.json"
    feide_jwks.write_text(json.dumps(feide.jwks()), encoding="utf-8")
    server = JwksServer(idporten.jwks())
    server.stop()  # ID-porten is unreachable from the start
    try:
        with (
            fresh_database("sqlite", tmp_path) as url,
            run_gateway(
                "sqlite",
                url,
                tmp_path,
                jwks_file=None,
                jwks_url=None,
                oidc_issuer=None,
                oidc_issuers=issuers_setting(feide, feide_jwks, server.url),
            ) as live,
        ):
            ready = live.client.get(f"{live.url}/readyz")
            assert ready.status_code == 503
            assert ready.json()["signingKeys"] == "unavailable"
            # Feide's tokens still work meanwhile.
            token = feide.token(sub="x", **{EPPN: "per.hansen@feide.example.no"})
            assert viewer_of(live, token) == live.person_id("larer.hansen")

            server.start()
            deadline = time.monotonic() + 15
            while live.client.get(f"{live.url}/readyz").status_code != 200:
                assert time.monotonic() < deadline, "readiness did not come back"
                time.sleep(0.5)
            assert viewer_of(live, idporten.token(pid=KARI_PID)) == live.person_id("foresatt.kari")
    finally:
        server.stop()

"""Schema discovery (docs/security.md, "Schema discovery"): nothing about the schema for strangers
in production.

In production (development login off: here a JWKS file is configured) introspection is refused
with ``INTROSPECTION_DISABLED``, anonymously and with a valid token, and no error suggests a name
("Did you mean ...") on any path: validation (fields, arguments, types, enum values, input
fields, a missing selection) and the coercion of variables (enum values, input fields, enum
values inside input objects). ``TAVLE_INTROSPECTION=true`` turns both back on; with development
login on they are on, and GraphiQL's introspection query passes the operation limits.
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
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from graphql import get_introspection_query
from jwt.algorithms import RSAAlgorithm
from operation_limits_support import GRAPHQL_RESPONSE, TYPENAME, only_error, send

from gateway import metrics

ISSUER = "https://idp.discovery.test"
AUDIENCE = "tavle-discovery"
KID = "discovery-key"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

INTROSPECTION_QUERIES = [
    pytest.param("{ __schema { types { name } } }", id="__schema"),
    pytest.param('{ __type(name: "User") { fields { name } } }', id="__type"),
    pytest.param("{ ...S } fragment S on Query { __schema { queryType { name } } }", id="fragment"),
    pytest.param(get_introspection_query(descriptions=True), id="graphiql"),
]

#: (document, variables, a name graphql-core suggests where suggestions are allowed)
SUGGESTING = [
    pytest.param("{ privacyNotice { controler } }", None, "'controller'", id="field"),
    pytest.param("{ courses(frist: 1) { totalCount } }", None, "'first'", id="argument"),
    pytest.param("query($k: AssesmentKind) { __typename }", None, "'AssessmentKind'", id="type"),
    pytest.param("{ courses(state: ACTIV) { totalCount } }", None, "'ACTIVE'", id="enum-literal"),
    pytest.param(
        'mutation { assess(input: {studnetId: "x", studentId: "x", courseId: "y", '
        "kind: FEEDBACK}) { id } }",
        None,
        "'studentId'",
        id="input-field-literal",
    ),
    pytest.param("{ privacyNotice }", None, "privacyNotice { ... }", id="missing-selection"),
    pytest.param(
        "query($s: CourseState) { courses(state: $s) { totalCount } }",
        {"s": "ACTIV"},
        "'ACTIVE'",
        id="enum-variable",
    ),
    pytest.param(
        "mutation($i: AssessInput!) { assess(input: $i) { id } }",
        {"i": {"studnetId": "x", "studentId": "x", "courseId": "y", "kind": "FEEDBACK"}},
        "'studentId'",
        id="input-field-variable",
    ),
    pytest.param(
        "mutation($i: AssessInput!) { assess(input: $i) { id } }",
        {"i": {"studentId": "x", "courseId": "y", "kind": "FEEDBAK"}},
        "'FEEDBACK'",
        id="enum-in-input-variable",
    ),
]


def jwks_file(folder: Path) -> Path:
    jwk = RSAAlgorithm.to_jwk(_KEY.public_key(), as_dict=True)
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    return path


def provider_token(username: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": username, "iat": now, "exp": now + 600}
    return jwt.encode(claims, _KEY, algorithm="RS256", headers={"kid": KID})


def production(backend: str, factory: pytest.TempPathFactory, name: str, **overrides: Any) -> Any:
    return own_gateway(
        backend,
        factory,
        name,
        jobs_enabled=False,
        jwks_file=jwks_file(factory.mktemp(f"{name}-keys")),
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        **overrides,
    )


@pytest.fixture(scope="module", params=BACKENDS)
def prod(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """Production authentication (a JWKS), everything else at its default."""
    with production(request.param, tmp_path_factory, "discovery") as live:
        assert not live.state.settings.dev_auth_enabled
        yield live


@pytest.fixture(scope="module", params=BACKENDS)
def prod_introspection(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """Production authentication with ``TAVLE_INTROSPECTION=true``."""
    with production(request.param, tmp_path_factory, "discovery-on", introspection=True) as live:
        yield live


def post(live: LiveGateway, query: str, variables: Any = None, **headers: str) -> Any:
    return live.client.post(
        f"{live.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider_token(username)}"}


def messages(response: Any) -> list[str]:
    return [str(error["message"]) for error in response.json().get("errors", [])]


# --- introspection -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES)
@pytest.mark.parametrize("who", [None, "larer.hansen"], ids=["anonymous", "teacher"])
def test_introspection_is_refused_in_production(
    prod: LiveGateway, query: str, who: str | None
) -> None:
    before = metrics.refusals().get("INTROSPECTION_DISABLED", 0)
    response = post(prod, query, **(bearer(who) if who else {}))
    assert response.status_code == 200
    error = only_error(response)
    assert error["message"] == "Introspection is disabled on this server"
    assert error["extensions"] == {"code": "INTROSPECTION_DISABLED"}
    assert metrics.refusals().get("INTROSPECTION_DISABLED", 0) == before + 1
    strict = post(prod, query, Accept=GRAPHQL_RESPONSE)
    assert strict.status_code == 400


def test_the_teacher_token_works_in_production(prod: LiveGateway) -> None:
    """The refusals above are about introspection, not about the token."""
    result = post(prod, "{ viewer { displayName } }", **bearer("larer.hansen")).json()
    assert result == {"data": {"viewer": {"displayName": "Per Hansen"}}}


def test_typename_still_answers_in_production(prod: LiveGateway) -> None:
    assert post(prod, TYPENAME).json() == {"data": {"__typename": "Query"}}
    result = post(prod, "{ viewer { __typename id } }", **bearer("elev.ola")).json()
    assert result["data"]["viewer"]["__typename"] == "User"


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES)
def test_the_setting_turns_introspection_on_in_production(
    prod_introspection: LiveGateway, query: str
) -> None:
    result = post(prod_introspection, query).json()
    assert "errors" not in result, result
    assert result["data"]


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES)
def test_introspection_answers_with_development_login(live: LiveGateway, query: str) -> None:
    """GraphiQL's own introspection query (15 levels deep, 220 fields) passes the limits."""
    result = send(live, query, user="larer.hansen").json()
    assert "errors" not in result, result
    assert result["data"]


# --- suggestions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "variables", "suggestion"), SUGGESTING)
def test_no_error_suggests_names_in_production(
    prod: LiveGateway, query: str, variables: Any, suggestion: str
) -> None:
    for headers in ({}, bearer("larer.hansen")):
        said = messages(post(prod, query, variables, **headers))
        assert said, "the document must be refused"
        for message in said:
            assert "Did you mean" not in message
            assert "did you mean" not in message.lower()


@pytest.mark.parametrize(("query", "variables", "suggestion"), SUGGESTING)
def test_the_same_errors_suggest_with_introspection_on(
    prod_introspection: LiveGateway, live: LiveGateway, query: str, variables: Any, suggestion: str
) -> None:
    """The cases above are real: where discovery is allowed, graphql-core does suggest."""
    for said in (
        messages(post(prod_introspection, query, variables)),
        messages(send(live, query, variables, user="larer.hansen")),
    ):
        assert any("Did you mean" in m and suggestion in m for m in said), said


def test_suggestion_free_errors_keep_their_codes(prod: LiveGateway) -> None:
    [field] = post(prod, "{ privacyNotice { controler } }").json()["errors"]
    assert field["message"] == "Cannot query field 'controler' on type 'PrivacyNotice'."
    assert field["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    [leaf] = post(prod, "{ privacyNotice }").json()["errors"]
    assert leaf["message"] == (
        "Field 'privacyNotice' of type 'PrivacyNotice!' must have a selection of subfields."
    )
    [variable] = post(
        prod,
        "query($s: CourseState) { courses(state: $s) { totalCount } }",
        {"s": "ACTIV"},
    ).json()["errors"]
    assert variable["extensions"]["code"] == "BAD_USER_INPUT"
    assert variable["message"] == (
        "Variable '$s' has invalid value: Value 'ACTIV' does not exist in 'CourseState' enum."
    )

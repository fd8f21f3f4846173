"""Other callers are served during an attack (docs/security.md, "Operation limits").

For every attack the operation limits answer (exponential documents, thousands of aliases and
fields, deep nesting, oversized documents, many mutations, a slow operation), an attacker sends
the attack again and again while a probe asks ``GET /healthz`` and another person's
``{ __typename }``: each of those answers within a second, the bound docs/security.md promises,
and the attacker gets the required refusal every time. Then the attacker sends on twenty
connections at once what is most expensive to parse or validate: the heaviest document the
limits accept (249 copies of one field, which graphql-core's validation compares pair by pair)
and a megabyte string literal with a syntax error. The probe is still answered within a second:
parsing and validation run in the gateway's GraphQL threads, of which one client address gets
one at a time, and never on the event loop.

Attacker and probe run in processes of their own (``attacker.py``, through
``responsiveness_support.under_attack``), and the probe connects from another loopback address
than the attacker. The rate limits are off in these gateways: it is the operation limits that are
measured, not the attacker's throttling.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from attack_documents import exponential_document
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from operation_limits_support import (
    aliases,
    mutations,
    nested,
    repeated,
    slow_gateway,
    slow_mutations,
    tokens,
)
from responsiveness_support import BOUND_SECONDS, MIN_PROBES, under_attack

NO_RATE_LIMITS = {
    "rate_limit_address_per_minute": 0,
    "rate_limit_person_per_minute": 0,
    "rate_limit_mutation_per_minute": 0,
}
SLOW_MUTATIONS = 500
#: connections the attacker sends on at once in the parallel attacks
CONNECTIONS = 20


@dataclass(frozen=True)
class Attack:
    document: str
    #: the code every answer to it must carry
    code: str
    user: str | None = None


ATTACKS = {
    "exponential": Attack(exponential_document(8, 500), "QUERY_TOO_COMPLEX", "elev.ola"),
    "aliases-public": Attack(aliases(800), "TOO_MANY_ALIASES"),
    "aliases-public-thousands": Attack(aliases(5000), "TOO_MANY_TOKENS"),
    "aliases-expensive": Attack(
        aliases(
            40,
            "viewer { courses(first: 500) { edges { node { students(first: 500) { edges { node "
            "{ courses(first: 500) { totalCount } } } } } } } }",
        ),
        "QUERY_TOO_COMPLEX",
        "larer.hansen",
    ),
    "aliases-typename": Attack(aliases(1600, "__typename"), "TOO_MANY_ALIASES", "elev.ola"),
    "fields-repeated": Attack(repeated(600), "TOO_MANY_FIELDS"),
    "deep": Attack(nested(150), "QUERY_TOO_DEEP", "elev.ola"),
    "tokens": Attack(tokens(60_000), "TOO_MANY_TOKENS", "elev.ola"),
    "mutations": Attack(mutations(50, "flood"), "TOO_MANY_MUTATIONS", "elev.ola"),
}

#: Documents the limits let through that are the most work before execution.
PARALLEL_ATTACKS = {
    # 498 fields, all under one response name: validation compares each pair (some 0.2 s).
    "validation-heavy": Attack(repeated(249, "viewer { id }"), "ok", "elev.ola"),
    # One token of a megabyte and a missing `)`: lexing it takes some 0.2 s.
    "syntax-error-megabyte": Attack(
        'query Broken { privacyNotice(note: "' + "x" * 1_000_000 + '" { controller } }',
        "GRAPHQL_PARSE_FAILED",
    ),
}


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param, tmp_path_factory, "responsive", jobs_enabled=False, **NO_RATE_LIMITS
    ) as live:
        yield live


@pytest.fixture(scope="module", params=BACKENDS)
def slow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """Limits that let a long mutation document through, and a one-second timeout."""
    with slow_gateway(
        request.param, tmp_path_factory, "responsive-slow", 1.0, **NO_RATE_LIMITS
    ) as live:
        yield live


@pytest.mark.parametrize("name", list(ATTACKS))
def test_others_are_answered_within_a_second_during_the_attack(
    gateway: LiveGateway, tmp_path: Path, name: str
) -> None:
    attack = ATTACKS[name]
    latencies, codes = under_attack(gateway, tmp_path, attack.document, attack.user)
    assert len(codes) > 1, "the attack must have run during the probes"
    assert set(codes) == {attack.code}
    assert len(latencies) >= MIN_PROBES
    assert max(latencies) < BOUND_SECONDS


@pytest.mark.parametrize("name", list(PARALLEL_ATTACKS))
def test_others_are_answered_within_a_second_during_a_parallel_attack(
    gateway: LiveGateway, tmp_path: Path, name: str
) -> None:
    attack = PARALLEL_ATTACKS[name]
    latencies, codes = under_attack(
        gateway, tmp_path, attack.document, attack.user, connections=CONNECTIONS
    )
    assert len(codes) > CONNECTIONS, "every connection must have been answered during the probes"
    assert set(codes) == {attack.code}
    assert len(latencies) >= MIN_PROBES
    assert max(latencies) < BOUND_SECONDS


def test_others_are_answered_within_a_second_during_a_slow_operation(
    slow: LiveGateway, tmp_path: Path
) -> None:
    document = slow_mutations(SLOW_MUTATIONS, "responsive")
    latencies, codes = under_attack(slow, tmp_path, document, "larer.hansen")
    assert len(codes) > 1
    assert set(codes) == {"TIMEOUT"}
    assert max(latencies) < BOUND_SECONDS

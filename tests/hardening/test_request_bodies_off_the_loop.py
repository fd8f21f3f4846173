"""A request body is decoded and checked off the event loop, and a lone surrogate is found in
one scan of its text (docs/security.md, "Requests and bodies").

The body of these tests is 600 KB of variables nested 900 deep with 300,000 leaves, sent
anonymously: the largest, deepest JSON the body limit and the decoder let through. Searching it
for lone surrogates once took ten seconds on the event loop, during which the gateway answered
nobody. An attacker sends it again and again (``attacker.py``, a process of its own) while a
probe asks ``GET /healthz`` and another person's ``{ __typename }``: each of those answers within
a second, the bound docs/security.md promises, and the attacker gets its answer every time.

The body is refused or accepted before the database is touched (the probe's person is looked up,
the same way on both backends): SQLite only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_support import LiveGateway, own_gateway
from responsiveness_support import ATTACK_SECONDS, ATTACKER, BOUND_SECONDS, MIN_PROBES

DEPTH = 900
LEAVES = 300_000
#: an emoji, written as a JSON surrogate pair: text, and what made the old search walk the body
EMOJI = "\\ud83d\\ude00"


def deep_body(last_leaf: str = "0") -> bytes:
    """An anonymous ``{ viewer { id } }`` (answered ``UNAUTHENTICATED``, without SQL) with an
    emoji in a comment and ``variables.x`` nested ``DEPTH`` deep around ``LEAVES`` leaves, the
    last of them ``last_leaf``."""
    leaves = ",".join(["0"] * (LEAVES - 1) + [last_leaf])
    variables = "[" * DEPTH + leaves + "]" * DEPTH
    query = f"{{ viewer {{ id }} }} # {EMOJI}"
    return f'{{"query": "{query}", "variables": {{"x": {variables}}}}}'.encode()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        "bodies-off-loop",
        jobs_enabled=False,
        rate_limit_address_per_minute=0,
        rate_limit_person_per_minute=0,
    ) as live:
        yield live


def post(live: LiveGateway, body: bytes) -> httpx.Response:
    return live.client.post(
        f"{live.url}/graphql", content=body, headers={"Content-Type": "application/json"}
    )


def under_attack(live: LiveGateway, folder: Path, body: bytes) -> tuple[list[float], list[str]]:
    """The probe's answer times while ``body`` is sent over and over, and the codes the
    attacker got (``attacker.py``: each side in a process of its own)."""
    body_file = folder / "attack.json"
    body_file.write_bytes(body)
    attack = [sys.executable, str(ATTACKER), "attack", live.url, str(body_file)]
    attacker = subprocess.Popen([*attack, str(ATTACK_SECONDS)], stdout=subprocess.PIPE, text=True)
    try:
        assert attacker.stdout is not None
        assert attacker.stdout.readline().strip() == "started"
        probe = [sys.executable, str(ATTACKER), "probe", live.url, live.token("larer.dahl")]
        probed = subprocess.run(
            [*probe, str(ATTACK_SECONDS)], capture_output=True, text=True, check=True, timeout=120
        )
        codes: list[str] = json.loads(attacker.stdout.readline())
    finally:
        attacker.kill()
        attacker.wait()
    return json.loads(probed.stdout), codes


def test_a_deep_body_with_a_surrogate_pair_is_text(gateway: LiveGateway) -> None:
    response = post(gateway, deep_body())
    assert response.status_code == 200, response.text[:500]
    assert {e["extensions"]["code"] for e in response.json()["errors"]} == {"UNAUTHENTICATED"}


def test_a_lone_surrogate_at_the_end_of_a_deep_body_is_found(gateway: LiveGateway) -> None:
    response = post(gateway, deep_body('"\\ud800"'))
    assert response.status_code == 400, response.text[:500]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    # the path names the leaf (cut at 200 characters), then the surrogate
    assert error["message"].startswith("`variables.x[0][0][0]")
    assert error["message"].endswith(
        "` contains a lone UTF-16 surrogate (\\ud800), which is not Unicode text"
    )


@pytest.mark.parametrize(
    ("last_leaf", "code"), [("0", "UNAUTHENTICATED"), ('"\\ud800"', "BAD_REQUEST")]
)
def test_others_are_answered_within_a_second_meanwhile(
    gateway: LiveGateway, tmp_path: Path, last_leaf: str, code: str
) -> None:
    latencies, codes = under_attack(gateway, tmp_path, deep_body(last_leaf))
    assert len(codes) > 1, "the attack must have run during the probes"
    assert set(codes) == {code}
    assert len(latencies) >= MIN_PROBES
    assert max(latencies) < BOUND_SECONDS

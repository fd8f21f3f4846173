"""One client address cannot take the GraphQL threads from everybody else (docs/security.md,
"Parsing and validation threads").

The gateways here have two GraphQL threads and room for two waiting documents
(``TAVLE_GRAPHQL_THREADS=2``, ``TAVLE_GRAPHQL_QUEUE=2``), so one address runs on one thread at
a time. Documents sent at once from one address beyond that are refused at once with HTTP 503
and ``SERVER_BUSY``, counted and logged; what was let in is answered as usual. Meanwhile another
client (a probe from 127.0.0.2) is never refused and is answered within a second.

The document sent is the heaviest the limits accept to validate: 249 copies of ``viewer { id }``
(graphql-core's validation compares each pair, a few tenths of a second). The rate limits are off:
the threads' sharing is what is measured.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from operation_limits_support import GRAPHQL_RESPONSE, repeated
from responsiveness_support import BOUND_SECONDS, MIN_PROBES, under_attack

from gateway import metrics
from gateway.limits.workers import BUSY_MESSAGE

#: documents sent at once from one address
AT_ONCE = 12
HEAVY = repeated(249, "viewer { id }")


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "server-busy",
        jobs_enabled=False,
        graphql_threads=2,
        graphql_queue=2,
        rate_limit_address_per_minute=0,
        rate_limit_person_per_minute=0,
    ) as live:
        yield live


def at_once(live: LiveGateway, count: int, accept: str | None = None) -> list[httpx.Response]:
    """``count`` copies of the heavy document, sent together on connections of their own."""
    headers = {"Authorization": f"Bearer {live.token('elev.ola')}"}
    if accept is not None:
        headers["Accept"] = accept
    ready = threading.Barrier(count)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(timeout=60) as client:
            ready.wait()
            answers.append(
                client.post(f"{live.url}/graphql", json={"query": HEAVY}, headers=headers)
            )

    senders = [threading.Thread(target=send) for _ in range(count)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return answers


def is_busy(response: httpx.Response) -> bool:
    return response.status_code == 503


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
def test_documents_beyond_an_address_share_are_refused_at_once(
    gateway: LiveGateway, caplog: pytest.LogCaptureFixture, accept: str | None
) -> None:
    before = metrics.refusals().get("SERVER_BUSY", 0)
    with caplog.at_level(logging.WARNING, logger="tavle.limits"):
        answers = at_once(gateway, AT_ONCE, accept)
    busy = [answer for answer in answers if is_busy(answer)]
    served = [answer for answer in answers if not is_busy(answer)]
    assert busy, "one thread and two places in the queue cannot take twelve documents at once"
    assert served, "what was let in is answered"
    for answer in busy:
        assert answer.headers["retry-after"] == "1"
        assert answer.json() == {
            "errors": [
                {"message": BUSY_MESSAGE, "extensions": {"code": "SERVER_BUSY", "retryAfter": 1}}
            ]
        }
    for answer in served:
        assert answer.status_code == 200
        assert answer.json() == {"data": {"viewer": {"id": gateway.person_id("elev.ola")}}}
    assert metrics.refusals().get("SERVER_BUSY", 0) == before + len(busy)
    lines = [r.getMessage() for r in caplog.records if "SERVER_BUSY" in r.getMessage()]
    assert len(lines) == len(busy)
    # The operation's name as far as it is known (before parsing: the request's operationName).
    assert all(line.startswith("refused SERVER_BUSY operation=") for line in lines)
    assert not any("127.0.0.1" in line or "elev.ola" in line for line in lines)


def test_another_client_is_never_refused_and_answered_within_a_second(
    gateway: LiveGateway, tmp_path: Path
) -> None:
    """The attacker sends the heavy document on twelve connections for a second and a half; the
    probe, from another address, asks ``GET /healthz`` and ``{ __typename }`` meanwhile."""
    # A refused probe stops with an error, which fails under_attack.
    latencies, codes = under_attack(gateway, tmp_path, HEAVY, "elev.ola", connections=AT_ONCE)
    assert set(codes) == {"ok", "SERVER_BUSY"}
    assert len(latencies) >= MIN_PROBES
    assert max(latencies) < BOUND_SECONDS

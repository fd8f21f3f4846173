"""Rate limits: per client address before authentication, per person after it, mutations stricter
(docs/security.md, "Rate limits").

The buckets live in the gateway process and do not depend on the database, so these tests run on
SQLite only, on gateways of their own with small buckets. The main one trusts 127.0.0.1 as a
reverse proxy, so each test picks its own client address with ``X-Forwarded-For``, and allows one
CORS origin; a second one trusts no proxy (the default) and shows that the header is then
ignored; a third trusts a network written with host bits (``127.0.0.9/8``) and has a person
limit that refills within a second and a mutation limit that does not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_support import LiveGateway, own_gateway

from gateway import metrics
from gateway.http.buckets import TokenBuckets, take_all
from gateway.http.rate_limit import NETWORK_48_FACTOR

ADDRESS_BURST = 20
PERSON_BURST = 5
MUTATION_BURST = 2
#: 20 a minute: one token every 3 seconds
MUTATION_PER_MINUTE = 20
MAX_BUCKETS = 50
TYPENAME = {"query": "{ __typename }"}
APP = "https://app.example.no"
PREFERENCE = 'mutation { setPreference(key: "theme", value: "dark") { key value } }'


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        "rate-limits",
        trusted_proxies=["127.0.0.1"],
        cors_origins=[APP],
        rate_limit_address_per_minute=1,
        rate_limit_address_burst=ADDRESS_BURST,
        rate_limit_person_per_minute=1,
        rate_limit_person_burst=PERSON_BURST,
        rate_limit_mutation_per_minute=MUTATION_PER_MINUTE,
        rate_limit_mutation_burst=MUTATION_BURST,
        rate_limit_max_buckets=MAX_BUCKETS,
    ) as live:
        yield live


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """No trusted proxies: the connection's peer is the client, whatever a header says."""
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        "rate-limits-direct",
        rate_limit_address_per_minute=1,
        rate_limit_address_burst=3,
    ) as live:
        yield live


@pytest.fixture(scope="module")
def proxy_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """The proxy as a network with host bits set; a person limit of one a second, burst 1; a
    mutation limit of one a minute, burst 1."""
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        "rate-limits-network",
        trusted_proxies=["127.0.0.9/8"],
        rate_limit_address_per_minute=1,
        rate_limit_address_burst=3,
        rate_limit_person_per_minute=60,
        rate_limit_person_burst=1,
        rate_limit_mutation_per_minute=1,
        rate_limit_mutation_burst=1,
    ) as live:
        yield live


def send(
    live: LiveGateway,
    body: dict[str, Any] = TYPENAME,
    *,
    client: str | None = None,
    user: str | None = None,
    token: str | None = None,
    **headers: str,
) -> httpx.Response:
    sent = dict(headers)
    if client is not None:
        sent["X-Forwarded-For"] = client
    if user is not None:
        token = live.token(user)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return live.client.post(f"{live.url}/graphql", json=body, headers=sent)


def assert_rate_limited(response: httpx.Response, scope: str, most_seconds: int) -> int:
    """The 429 answer; its ``Retry-After`` in seconds."""
    assert response.status_code == 429, response.text
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    seconds = int(retry_after)
    assert 1 <= seconds <= most_seconds
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": seconds, "scope": scope}
    unit = "second" if seconds == 1 else "seconds"
    assert error["message"].endswith(f"try again in {seconds} {unit}")
    return seconds


def test_a_client_address_gets_its_burst_then_429(limited: LiveGateway) -> None:
    before = metrics.rate_limited().get("address", 0)
    for _ in range(ADDRESS_BURST):
        assert send(limited, client="203.0.113.10").status_code == 200
    refused = send(limited, client="203.0.113.10")
    assert_rate_limited(refused, "address", 60)
    assert refused.json()["errors"][0]["message"].startswith(
        "Too many requests from your network address"
    )
    assert metrics.rate_limited().get("address", 0) == before + 1
    # Others are served, and so is the refused address's liveness probe.
    assert send(limited, client="203.0.113.11").json() == {"data": {"__typename": "Query"}}
    assert (
        limited.client.get(
            f"{limited.url}/healthz", headers={"X-Forwarded-For": "203.0.113.10"}
        ).status_code
        == 200
    )


def test_the_address_limit_comes_before_authentication(limited: LiveGateway) -> None:
    for _ in range(ADDRESS_BURST):
        send(limited, client="203.0.113.30")
    with limited.count_sql() as statements:
        refused = send(limited, client="203.0.113.30", user="rektor.bjolsen")
    assert_rate_limited(refused, "address", 60)
    assert statements == []


def test_addresses_prepended_by_the_client_do_not_count(limited: LiveGateway) -> None:
    """The client is the right-most address that is not a trusted proxy: what a client writes
    before it in ``X-Forwarded-For`` changes nothing."""
    for _ in range(ADDRESS_BURST):
        send(limited, client="203.0.113.20")
    assert_rate_limited(send(limited, client="198.51.100.7, 203.0.113.20"), "address", 60)


def test_ipv6_clients_are_counted_by_their_64_network(limited: LiveGateway) -> None:
    for n in range(ADDRESS_BURST):
        assert send(limited, client=f"2001:db8:1:2::{n + 1:x}").status_code == 200
    assert_rate_limited(send(limited, client="2001:db8:1:2:ffff:ffff:ffff:ffff"), "address", 60)
    assert send(limited, client="2001:db8:1:3::1").status_code == 200


def test_ipv6_clients_are_also_counted_by_their_48_network(limited: LiveGateway) -> None:
    """A /48 holds 65,536 /64 networks; its bucket holds 16 of their buckets' worth."""
    networks = [f"2001:db8:5:{n:x}::1" for n in range(NETWORK_48_FACTOR)]
    for client in networks:
        for _ in range(ADDRESS_BURST):
            assert send(limited, client=client).status_code == 200
    # One more /64 of the /48, with a full bucket of its own: refused (a few tries, as the /48
    # refills a token every 60 / 16 seconds while the test runs).
    answers = [send(limited, client=f"2001:db8:5:{NETWORK_48_FACTOR:x}::1") for _ in range(3)]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert_rate_limited(refused, "address", 60)
    assert refused.json()["errors"][0]["message"].startswith(
        "Too many requests from your network address"
    )
    assert send(limited, client="2001:db8:6::1").status_code == 200


def test_preflights_take_a_token_too(limited: LiveGateway) -> None:
    """CORS answers preflights itself, so the address limit comes before it: a flood of
    ``OPTIONS`` is refused like any other. A refused request that is not a preflight still
    carries the CORS headers, so the page can read the 429 and its ``Retry-After``."""
    preflight = {
        "Origin": APP,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
        "X-Forwarded-For": "203.0.113.90",
    }
    for _ in range(ADDRESS_BURST):
        answer = limited.client.options(f"{limited.url}/graphql", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == APP
    refused = limited.client.options(f"{limited.url}/graphql", headers=preflight)
    assert_rate_limited(refused, "address", 60)
    assert "access-control-allow-origin" not in refused.headers
    page = send(limited, client="203.0.113.90", Origin=APP)
    assert_rate_limited(page, "address", 60)
    assert page.headers["access-control-allow-origin"] == APP
    assert "Retry-After" in page.headers["access-control-expose-headers"]


def test_a_person_gets_their_burst_then_429(limited: LiveGateway) -> None:
    before = metrics.rate_limited().get("person", 0)
    query = {"query": "{ viewer { id } }"}
    for _ in range(PERSON_BURST):
        response = send(limited, query, client="203.0.113.40", user="larer.hansen")
        assert response.json()["data"]["viewer"]["id"]
    refused = send(limited, query, client="203.0.113.40", user="larer.hansen")
    assert_rate_limited(refused, "person", 60)
    assert refused.json()["errors"][0]["message"].startswith("Too many requests from you:")
    assert metrics.rate_limited().get("person", 0) == before + 1
    # From the same address, another person and an anonymous caller are served.
    assert send(limited, query, client="203.0.113.40", user="elev.ola").json()["data"]["viewer"]
    assert send(limited, client="203.0.113.40").status_code == 200


def test_the_person_limit_holds_on_every_address(limited: LiveGateway) -> None:
    for n in range(PERSON_BURST):
        send(limited, client=f"203.0.113.{50 + n}", user="superuser.bjolsen")
    assert_rate_limited(
        send(limited, client="203.0.113.59", user="superuser.bjolsen"), "person", 60
    )


def test_mutations_are_limited_more_strictly(limited: LiveGateway) -> None:
    before = metrics.rate_limited().get("mutation", 0)
    mutation = {"query": PREFERENCE}
    for _ in range(MUTATION_BURST):
        response = send(limited, mutation, client="203.0.113.60", user="foresatt.kari")
        assert response.json()["data"]["setPreference"] == {"key": "theme", "value": "dark"}
    refused = send(limited, mutation, client="203.0.113.60", user="foresatt.kari")
    seconds = assert_rate_limited(refused, "mutation", 60 // MUTATION_PER_MINUTE)
    assert refused.json()["errors"][0]["message"].startswith("Too many changes (mutations)")
    assert metrics.rate_limited().get("mutation", 0) == before + 1
    # Queries still pass (the person's own bucket has room), and after Retry-After the
    # mutation does too.
    query = send(
        limited, {"query": "{ viewer { id } }"}, client="203.0.113.60", user="foresatt.kari"
    )
    assert query.json()["data"]["viewer"]["id"]
    time.sleep(seconds)
    again = send(limited, mutation, client="203.0.113.60", user="foresatt.kari")
    assert again.status_code == 200
    assert again.json()["data"]["setPreference"]["value"] == "dark"


def test_a_graphql_response_client_gets_429_too(limited: LiveGateway) -> None:
    """``application/graphql-response+json`` makes a request error a 400; a rate limit stays
    a 429."""
    for _ in range(PERSON_BURST):
        send(limited, client="203.0.113.70", user="admin")
    refused = send(
        limited,
        client="203.0.113.70",
        user="admin",
        Accept="application/graphql-response+json",
    )
    assert refused.headers["content-type"] == "application/graphql-response+json"
    assert_rate_limited(refused, "person", 60)


def test_a_refusal_is_logged_in_one_line_without_personal_data(
    limited: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    token = limited.token("admin2")
    for _ in range(PERSON_BURST):
        send(limited, client="203.0.113.80", token=token)
    caplog.set_level(logging.INFO, logger="tavle.http")
    assert send(limited, client="203.0.113.80", token=token).status_code == 429
    [line] = [r.getMessage() for r in caplog.records if r.name == "tavle.http"]
    person = limited.person_pk("admin2")
    assert line == f"rate limited: scope=person person={person} retry_after=60"
    assert "admin2" not in line and token not in line and "203.0.113" not in line


def test_rotating_addresses_does_not_grow_memory(limited: LiveGateway) -> None:
    buckets = limited.state.rate_limits.address
    assert buckets is not None
    for n in range(4 * MAX_BUCKETS):
        send(limited, client=f"198.18.{n // 200}.{n % 200 + 1}")
        assert len(buckets) <= MAX_BUCKETS


def test_a_trusted_network_written_with_host_bits_is_trusted(proxy_network: LiveGateway) -> None:
    """``127.0.0.9/8`` is the network 127.0.0.0/8, which holds the test's 127.0.0.1: each
    ``X-Forwarded-For`` address has a bucket of its own."""
    assert proxy_network.state.settings.trusted_proxies == ["127.0.0.0/8"]
    for _ in range(3):
        assert send(proxy_network, client="203.0.113.1").status_code == 200
    assert_rate_limited(send(proxy_network, client="203.0.113.1"), "address", 60)
    assert send(proxy_network, client="203.0.113.2").status_code == 200


def test_a_mutation_the_person_limit_refuses_keeps_its_mutation_token(
    proxy_network: LiveGateway,
) -> None:
    """Both limits must have a token, or neither is taken: the refused mutation does not empty
    the mutation bucket (which would refill only after a minute)."""
    mutation = {"query": PREFERENCE}
    query = send(proxy_network, {"query": "{ viewer { id } }"}, client="203.0.113.3", user="admin")
    assert query.json()["data"]["viewer"]["id"]  # the person's one token
    refused = send(proxy_network, mutation, client="203.0.113.3", user="admin")
    seconds = assert_rate_limited(refused, "person", 1)
    time.sleep(seconds)
    again = send(proxy_network, mutation, client="203.0.113.3", user="admin")
    assert again.status_code == 200, again.text
    assert again.json()["data"]["setPreference"]["value"] == "dark"


def test_forwarded_for_is_ignored_without_trusted_proxies(direct: LiveGateway) -> None:
    for n in range(3):
        assert send(direct, client=f"203.0.113.{n + 1}").status_code == 200
    assert_rate_limited(send(direct, client="203.0.113.99"), "address", 60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_buckets_refill_at_their_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=2, max_keys=10, clock=clock)
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # each key has its own


def test_idle_buckets_are_dropped() -> None:
    """A bucket untouched for burst / rate seconds is full again, the same as none: dropped."""
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, max_keys=100, clock=clock)
    for key in range(10):
        buckets.take(key)
    assert len(buckets) == 10
    clock.now += 3.0
    for key in range(10, 20):
        buckets.take(key)
    assert len(buckets) == 10
    assert all(buckets.take(key) == 0.0 for key in range(10, 20))


def test_the_least_recently_used_bucket_goes_first_when_full() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=1, burst=1, max_keys=2, clock=clock)
    buckets.take("old")
    buckets.take("kept")
    buckets.take("old")  # used again: now "kept" is the least recently used
    buckets.take("new")
    assert len(buckets) == 2
    assert buckets.take("old") > 0  # still remembered, still empty
    assert buckets.take("kept") == 0.0  # forgotten: a fresh bucket


def test_two_buckets_give_both_tokens_or_neither() -> None:
    clock = Clock()
    person = TokenBuckets(per_minute=60, burst=1, max_keys=10, clock=clock)
    mutation = TokenBuckets(per_minute=6, burst=2, max_keys=10, clock=clock)
    assert take_all([(mutation, 1), (person, 1)]) == (-1, 0.0)
    # the person is empty: nothing taken, and the answer names it
    assert take_all([(mutation, 1), (person, 1)]) == (1, pytest.approx(1.0))
    assert mutation.wait(1) == 0.0
    clock.now += 1.0
    assert take_all([(mutation, 1), (person, 1)]) == (-1, 0.0)
    # both empty: the one that refills last (the mutation, 10 s a token)
    index, seconds = take_all([(mutation, 1), (person, 1)])
    assert index == 0
    assert seconds == pytest.approx(9.0)

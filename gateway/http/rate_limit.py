"""Rate limits: per client address before authentication, per person after it.

- **Address** (``AddressRateLimitMiddleware``): every HTTP request but ``/healthz``, CORS
  preflights included, takes a token from its client address's bucket before anything else is
  done with it. IPv6 clients are counted by their /64 network (one subscriber's LAN), else an
  attacker could rotate through 2^64 addresses, and also by their /48 network, whose bucket
  holds ``NETWORK_48_FACTOR`` times as much (rate and burst): a subscriber holding a /56 or a
  /48 has 256 or 65,536 /64 networks, and gets that factor's worth, not thousands of full
  buckets. The address is the connection's peer, or, behind trusted proxies
  (``TAVLE_TRUSTED_PROXIES``), the client that ``X-Forwarded-For`` names.
- **Person** (``PersonRateLimit``): every operation of an authenticated person takes a token from
  their bucket, keyed on the internal person id; a mutation also takes one from their stricter
  mutation bucket. The operation type is known only once the document is parsed, so this is a
  Strawberry extension that runs between parsing and validation: a refused operation is never
  validated or run.

Where a request needs tokens from two buckets, it takes both or neither
(:func:`~gateway.http.buckets.take_all`): a mutation that the person limit refuses keeps its
mutation token, and the other way round.

A refused request answers HTTP 429 with ``Retry-After`` (whole seconds) and a GraphQL error with
code ``RATE_LIMITED`` (``extensions.retryAfter``, ``extensions.scope``). A limit whose rate is 0
is off. The buckets are per process (``gateway.http.buckets``).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from config.settings import Settings
from gateway.http.buckets import TokenBuckets, take_all
from gateway.http.errors import RATE_LIMITED, error_response
from gateway.metrics import count_rate_limited

log = logging.getLogger("tavle.http")

#: the liveness probe answers whatever a client address sends (it does no work at all)
UNLIMITED_PATHS = frozenset({"/healthz"})
#: an IPv6 /48 network's bucket holds this many /64 networks' worth (rate and burst)
NETWORK_48_FACTOR = 16
#: where a refusal waits for the CORS middleware that answers it (``AddressRateLimitMiddleware``)
_REFUSAL = "tavle.rate_limit.refusal"

_MESSAGES = {
    "address": "Too many requests from your network address",
    "person": "Too many requests from you",
    "mutation": "Too many changes (mutations) from you",
}


def retry_after(wait: float) -> int:
    """``Retry-After`` in whole seconds: rounded up, at least 1."""
    return max(1, math.ceil(wait))


def rate_limited_message(scope: str, seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"{_MESSAGES[scope]}: try again in {seconds} {unit}"


def _record(scope: str, seconds: int, person_id: int | None = None) -> None:
    count_rate_limited(scope)
    if person_id is None:
        log.info("rate limited: scope=%s retry_after=%d", scope, seconds)
    else:
        log.info("rate limited: scope=%s person=%d retry_after=%d", scope, person_id, seconds)


def client_keys(scope: Scope) -> tuple[str, str | None]:
    """The bucket keys of a request's client: its IPv4 address and ``None``, or its IPv6 /64
    and /48 networks."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host, None  # a Unix socket peer or a name: counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped), None
        return (
            str(ipaddress.IPv6Network((address, 64), strict=False)),
            str(ipaddress.IPv6Network((address, 48), strict=False)),
        )
    return str(address), None


def client_key(scope: Scope) -> str:
    """The address limit's first key of a request's client: its IPv4 address, or its IPv6 /64
    network."""
    return client_keys(scope)[0]


def _buckets(per_minute: int, burst: int, max_keys: int) -> TokenBuckets | None:
    return TokenBuckets(per_minute, burst, max_keys) if per_minute > 0 else None


@dataclass
class RateLimits:
    """The process's buckets; ``None`` where the setting turned a limit off."""

    address: TokenBuckets | None
    #: IPv6 clients' /48 networks; there whenever ``address`` is
    network: TokenBuckets | None
    person: TokenBuckets | None
    mutation: TokenBuckets | None

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        keys = settings.rate_limit_max_buckets
        per_minute = settings.rate_limit_address_per_minute
        burst = settings.rate_limit_address_burst
        return cls(
            address=_buckets(per_minute, burst, keys),
            network=_buckets(per_minute * NETWORK_48_FACTOR, burst * NETWORK_48_FACTOR, keys),
            person=_buckets(
                settings.rate_limit_person_per_minute, settings.rate_limit_person_burst, keys
            ),
            mutation=_buckets(
                settings.rate_limit_mutation_per_minute, settings.rate_limit_mutation_burst, keys
            ),
        )

    def extension(self) -> PersonRateLimit:
        """A fresh extension for one operation (Strawberry calls this factory per request)."""
        return PersonRateLimit(self)


async def _answer_refusal(scope: Scope, receive: Receive, send: Send) -> None:
    response: Response = scope[_REFUSAL]
    await response(scope, receive, send)


def _is_preflight(scope: Scope) -> bool:
    """What CORS answers as a preflight rather than passing it on."""
    if scope["method"] != "OPTIONS":
        return False
    headers = Headers(scope=scope)
    return "origin" in headers and "access-control-request-method" in headers


class AddressRateLimitMiddleware:
    """The address limit. It sits in front of CORS, so that preflights (``OPTIONS``, which CORS
    answers itself) take a token too; a refused preflight gets a plain 429, which a browser
    takes for a failed preflight. Any other refused request is answered through ``cors`` (the
    CORS middleware, when there is one), so that a page on an allowed origin can read the 429
    and its ``Retry-After``."""

    def __init__(self, app: ASGIApp, limits: RateLimits, cors: Middleware | None = None) -> None:
        if limits.address is None or limits.network is None:
            raise ValueError("the address rate limit is off: leave the middleware out")
        self.app = app
        self.address = limits.address
        self.network = limits.network
        self.answer: ASGIApp = _answer_refusal
        if cors is not None:
            factory, args, kwargs = cors
            self.answer = factory(_answer_refusal, *args, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in UNLIMITED_PATHS:
            address, network = client_keys(scope)
            wanted: list[tuple[TokenBuckets, str]] = [(self.address, address)]
            if network is not None:
                wanted.append((self.network, network))
            _, wait = take_all(wanted)
            if wait > 0:
                seconds = retry_after(wait)
                _record("address", seconds)
                response = error_response(
                    429,
                    RATE_LIMITED,
                    rate_limited_message("address", seconds),
                    headers={"Retry-After": str(seconds)},
                    retryAfter=seconds,
                    scope="address",
                )
                if _is_preflight(scope):
                    await response(scope, receive, send)
                else:
                    await self.answer({**scope, _REFUSAL: response}, receive, send)
                return
        await self.app(scope, receive, send)


class PersonRateLimit(SchemaExtension):
    """Takes the caller's tokens after parsing; a refusal skips validation and execution."""

    def __init__(self, limits: RateLimits) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        refusal = self._check()
        if refusal is not None:
            # Strawberry skips validation when errors are already there, and answers them.
            self.execution_context.pre_execution_errors = [refusal]
        yield

    def _check(self) -> GraphQLError | None:
        context = self.execution_context.context
        viewer = getattr(context, "viewer", None)
        if viewer is None:
            return None  # anonymous: the address limit applies
        person_id: int = viewer.person_id
        mutation = self.execution_context.operation_type is OperationType.MUTATION
        checks = [("mutation", self.limits.mutation)] if mutation else []
        checks.append(("person", self.limits.person))
        kept = [(scope, buckets) for scope, buckets in checks if buckets is not None]
        refused, wait = take_all([(buckets, person_id) for _, buckets in kept])
        if refused >= 0:
            return self._refuse(kept[refused][0], retry_after(wait), person_id)
        return None

    def _refuse(self, scope: str, seconds: int, person_id: int) -> GraphQLError:
        _record(scope, seconds, person_id)
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(seconds)
        return GraphQLError(
            rate_limited_message(scope, seconds),
            extensions={"code": RATE_LIMITED, "retryAfter": seconds, "scope": scope},
        )

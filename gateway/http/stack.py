"""The edge middleware in order, outermost first.

1. Trusted proxies (only with ``TAVLE_TRUSTED_PROXIES``): uvicorn's ``ProxyHeadersMiddleware``
   takes the client address from ``X-Forwarded-For`` when the peer is one of the proxies.
2. Security headers: on every answer below, refusals included.
3. CORS (only with ``TAVLE_CORS_ORIGINS``): preflights are answered here, and a 413, 429 or
   500 still carries the CORS headers a page needs to read it.
4. Internal errors: an exception no handler took answers a JSON 500.
5. The address rate limit: the cheapest refusal, before the body is read.
6. The body limit.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway.http.body_limit import BodyLimitMiddleware
from gateway.http.cors import cors_middleware
from gateway.http.errors import InternalErrorMiddleware
from gateway.http.headers import SecurityHeadersMiddleware
from gateway.http.rate_limit import AddressRateLimitMiddleware, RateLimits
from gateway.settings import Settings


def edge_middleware(settings: Settings, rate_limits: RateLimits) -> list[Middleware]:
    stack: list[Middleware] = []
    if settings.trusted_proxies:
        stack.append(Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    stack.append(Middleware(SecurityHeadersMiddleware))
    cors = cors_middleware(settings)
    if cors is not None:
        stack.append(cors)
    stack.append(Middleware(InternalErrorMiddleware))
    if rate_limits.address is not None:
        stack.append(Middleware(AddressRateLimitMiddleware, buckets=rate_limits.address))
    stack.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes))
    return stack

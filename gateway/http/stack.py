"""The edge middleware in order, outermost first.

1. Trusted proxies (only with ``TAVLE_TRUSTED_PROXIES``): uvicorn's ``ProxyHeadersMiddleware``
   takes the client address from ``X-Forwarded-For`` when the peer is one of the proxies.
2. Security headers: on every answer below, refusals included.
3. The address rate limit: the cheapest refusal, before the body is read, and before CORS so
   that preflights count too (a refused request other than a preflight is answered through
   CORS, so it carries the CORS headers a page needs to read the 429).
4. CORS (only with ``TAVLE_CORS_ORIGINS``): preflights are answered here, and a 413 or 500
   still carries the CORS headers a page needs to read it.
5. Internal errors: an exception no handler took answers a JSON 500.
6. The body limit.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from config.settings import Settings
from gateway.http.body_limit import BodyLimitMiddleware, multipart_limit
from gateway.http.cors import cors_middleware
from gateway.http.errors import InternalErrorMiddleware
from gateway.http.headers import SecurityHeadersMiddleware
from gateway.http.rate_limit import AddressRateLimitMiddleware, RateLimits


def edge_middleware(settings: Settings, rate_limits: RateLimits) -> list[Middleware]:
    stack: list[Middleware] = []
    if settings.trusted_proxies:
        stack.append(Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    stack.append(Middleware(SecurityHeadersMiddleware))
    cors = cors_middleware(settings)
    if rate_limits.address is not None:
        stack.append(Middleware(AddressRateLimitMiddleware, limits=rate_limits, cors=cors))
    if cors is not None:
        stack.append(cors)
    stack.append(Middleware(InternalErrorMiddleware))
    stack.append(
        Middleware(
            BodyLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            multipart_max_bytes=multipart_limit(settings.max_body_bytes, settings.max_file_bytes),
        )
    )
    return stack

"""The HTTP edge: what every request passes before the GraphQL view (docs/security.md).

One concern per module: ``errors`` (the JSON error answers), ``body_limit`` (HTTP 413 before a
body is read), ``graphql_request`` (a ``POST /graphql`` body, checked before authentication),
``headers`` (security headers, the GraphiQL content security policy), ``cors`` (the origin
allow-list), ``buckets`` (bounded token buckets) and ``rate_limit`` (per client address before
authentication, per person after it). ``edge_middleware`` puts the middleware in order.
"""

from gateway.http.stack import edge_middleware

__all__ = ["edge_middleware"]

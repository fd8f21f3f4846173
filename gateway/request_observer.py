"""The outermost ASGI middleware: request id, the request's server span, its metrics, its log line.

For every HTTP request it

- takes a sane incoming ``X-Request-Id`` or makes one, and returns it in the response header;
- opens the request's server span, a child of the caller's W3C ``traceparent`` when there is
  one, so everything the request does (GraphQL operation, loader batches, SQL) is one trace, and
  returns ``traceresponse`` with the trace id;
- when the response is done, records the request's metrics and writes one ``tavle.request`` log
  line: time, request id, trace id, method, path, route, status, duration, operation name and
  type, outcome, SQL statement count and the caller's internal person id. Never a query string,
  a header value, a variable or a body.

It sits outside every other middleware, so requests that a limit refuses (413, 429) are logged,
counted and traced too.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics
from gateway.http.errors import internal_error_response
from gateway.http.headers import add_security_headers
from gateway.logs import FIELDS
from gateway.request_info import (
    RequestInfo,
    acceptable_request_id,
    begin_request,
    end_request,
)

log = logging.getLogger("tavle.request")
tracer = trace.get_tracer("tavle.http")

#: Paths are logged only up to this length (anything after is client-chosen noise).
MAX_LOGGED_PATH = 200
#: The route label of requests that matched no route (404s).
UNMATCHED = "unmatched"
#: The status logged for a request cancelled before it was answered (nginx's convention).
CLIENT_CLOSED = 499


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", ())
    }


def outcome(status: int, info: RequestInfo) -> str:
    """``server_error`` (5xx), ``cancelled`` (499), the GraphQL result's ``ok``/``partial``/
    ``error``, ``rejected`` (any other 4xx: refused by a limit, malformed, not found) or
    ``ok``."""
    if status >= 500:
        return "server_error"
    if status == CLIENT_CLOSED:
        return "cancelled"
    if info.graphql_outcome is not None:
        return info.graphql_outcome
    if status >= 400:
        return "rejected"
    return "ok"


class RequestObserver:
    """See the module's description. ``max_operations`` bounds the operation-name labels."""

    def __init__(self, app: ASGIApp, *, max_operations: int = 100) -> None:
        self.app = app
        self.operations = metrics.OperationLabels(max_operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        info = RequestInfo(
            request_id=acceptable_request_id(headers.get("x-request-id")) or uuid.uuid4().hex
        )
        token = begin_request(info)
        method = str(scope.get("method", ""))
        status = 0
        with tracer.start_as_current_span(
            method,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": str(scope.get("path", ""))[:MAX_LOGGED_PATH],
                "url.scheme": str(scope.get("scheme", "http")),
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            extra_headers = [(b"x-request-id", info.request_id.encode("ascii"))]
            span_context = span.get_span_context()
            if span_context.is_valid:
                info.trace_id = format(span_context.trace_id, "032x")
                flags = format(int(span_context.trace_flags), "02x")
                span_id = format(span_context.span_id, "016x")
                extra_headers.append(
                    (b"traceresponse", f"00-{info.trace_id}-{span_id}-{flags}".encode("ascii"))
                )

            async def send_with_ids(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    message["headers"] = [*message.get("headers", ()), *extra_headers]
                await send(message)

            async def send_secured(message: Message) -> None:
                if message["type"] == "http.response.start":
                    add_security_headers(message)
                await send_with_ids(message)

            try:
                await self.app(scope, receive, send_with_ids)
            except Exception as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                if not status:
                    # Answer the 500 here rather than in Starlette's outer error handler, so it
                    # carries the request id: the edge's JSON 500, with the security headers
                    # (the exception came from outside the middleware that adds them); the
                    # exception still goes on to be logged.
                    await internal_error_response()(scope, receive, send_secured)
                raise
            except BaseException:
                # Cancelled: the client went away or the server is stopping.
                status = status or CLIENT_CLOSED
                raise
            finally:
                self._finish(scope, info, span, status or 500)
                end_request(token)

    def _finish(self, scope: Scope, info: RequestInfo, span: Span, status: int) -> None:
        seconds = time.perf_counter() - info.started
        route_object: Any = scope.get("route")
        route = str(getattr(route_object, "path", "") or UNMATCHED)
        method = str(scope.get("method", ""))
        result = outcome(status, info)
        graphql = info.operation_type is not None
        metrics.observe_request(
            route=route,
            operation=self.operations.label(
                info.operation,
                graphql=graphql,
                known=info.validated and info.person_id is not None,
            ),
            outcome=result,
            seconds=seconds,
            statements=info.statements,
        )
        if info.error_codes:
            metrics.count_graphql_errors(info.error_codes)
        if span.is_recording():
            span.set_attribute("http.response.status_code", status)
            if route != UNMATCHED:
                span.set_attribute("http.route", route)
                span.update_name(f"{method} {route}")
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        log.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %d",
            method,
            route,
            status,
            extra={
                FIELDS: {
                    "method": method,
                    "path": str(scope.get("path", ""))[:MAX_LOGGED_PATH],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "operation": info.operation,
                    "operation_type": info.operation_type,
                    "outcome": result,
                    "statements": info.statements,
                    "person_id": info.person_id,
                }
            },
        )
        info.done = True

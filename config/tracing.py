"""Tavle's spans: ``span`` keeps exception messages out of traces.

Here, at the bottom layer, so the data layer (``resolvers.loaders``) and the gateway
(``gateway.telemetry``) open spans the same way without the data layer importing the gateway.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode


@contextlib.contextmanager
def span(
    tracer: trace.Tracer,
    name: str,
    attributes: Mapping[str, str | int | bool] | None = None,
    *,
    new_trace: bool = False,
) -> Iterator[Span]:
    """``tracer.start_as_current_span`` for Tavle's spans: an exception ends the span with status
    ERROR and the exception's *type*; the SDK's defaults would record its message, which can
    quote a value (a database error's detail, a bad roster field). ``new_trace`` starts a trace
    of its own whatever is current (a background job run)."""
    with tracer.start_as_current_span(
        name,
        context=otel_context.Context() if new_trace else None,
        attributes=dict(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise

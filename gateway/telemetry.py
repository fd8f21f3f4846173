"""OpenTelemetry set-up and the per-operation span.

One span per GraphQL operation and per DataLoader batch (``resolvers.loaders``), a span per SQL
statement from engine events; no span per field, which would cost more than the query
(architecture.md). Span attributes carry operation types, names and codes, never personal data.
The standard ``OTEL_*`` variables apply; ``OTEL_TRACES_EXPORTER=console`` prints spans, the
default ``none`` records nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

_configured = False
_tracing = False


def configure_tracing() -> None:
    """Install a tracer provider once per process, per the standard OTEL_* variables."""
    global _configured, _tracing
    if _configured:
        return
    _configured = True
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true" or exporter == "none":
        return
    provider = TracerProvider(resource=Resource.create({"service.name": "tavle"}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracing = True


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per SQL statement: the statement text with placeholders, never its parameters.

    (opentelemetry-instrumentation-sqlalchemy refuses SQLAlchemy 2.1, so this uses the engine's
    own cursor events.) Nothing is attached unless tracing is on.
    """
    if not _tracing:
        return
    tracer = trace.get_tracer("tavle.sql")
    sync_engine = engine.sync_engine
    system = sync_engine.dialect.name

    def before(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            verb,
            kind=trace.SpanKind.CLIENT,
            attributes={"db.system": system, "db.statement": statement},
        )
        context._tavle_span = span

    def after(_conn: Any, _cursor: Any, _s: str, _p: Any, context: Any, _m: bool) -> None:
        span = getattr(context, "_tavle_span", None)
        if span is not None:
            span.end()

    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, "_tavle_span", None)
        if span is not None:
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)


class OperationSpan(SchemaExtension):
    """A span around each GraphQL operation; its trace id goes into audit entries."""

    def on_operation(self) -> Iterator[None]:
        tracer = trace.get_tracer("tavle.graphql")
        with tracer.start_as_current_span("graphql.operation") as span:
            context = self.execution_context.context
            span_context = span.get_span_context()
            if span_context.is_valid and hasattr(context, "trace_id"):
                context.trace_id = format(span_context.trace_id, "032x")
            yield
            span.set_attribute(
                "graphql.operation.name", self.execution_context.operation_name or ""
            )
            span.set_attribute("graphql.operation.type", self._operation_type())
            result = self.execution_context.result
            if result is not None and result.errors:
                codes = sorted(
                    {str((e.extensions or {}).get("code", "ERROR")) for e in result.errors}
                )
                span.set_attribute("graphql.error.codes", codes)

    def _operation_type(self) -> str:
        # A request that failed to parse has no document, and an unknown operationName no
        # operation: strawberry's ``operation_type`` then raises, which would replace the
        # client's syntax or validation error with an internal one.
        if self.execution_context.graphql_document is None:
            return ""
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:
            return ""

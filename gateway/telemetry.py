"""OpenTelemetry set-up and the per-operation span.

One span per GraphQL operation and per DataLoader batch (``resolvers.loaders``), SQL spans from
the SQLAlchemy instrumentation; no span per field, which would cost more than the query
(architecture.md). Span attributes carry operation types, names and codes, never personal data.
The standard ``OTEL_*`` variables apply; ``OTEL_TRACES_EXPORTER=console`` prints spans, the
default ``none`` records nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

_configured = False


def configure_tracing() -> None:
    """Install a tracer provider once per process, per the standard OTEL_* variables."""
    global _configured
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


def instrument_engine(engine: AsyncEngine) -> None:
    """SQL spans (statement text only; parameters, which may hold personal data, are not sent)."""
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False)


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
            operation_type = self.execution_context.operation_type
            span.set_attribute(
                "graphql.operation.type", operation_type.value if operation_type else ""
            )
            result = self.execution_context.result
            if result is not None and result.errors:
                codes = sorted(
                    {str((e.extensions or {}).get("code", "ERROR")) for e in result.errors}
                )
                span.set_attribute("graphql.error.codes", codes)

"""OpenTelemetry tracing: set-up from the standard ``OTEL_*`` variables, and Tavle's spans.

One trace per HTTP request: the request's server span (``gateway.request_observer``, a child of
the caller's ``traceparent``), the GraphQL operation under it (:class:`OperationSpan`, named
after the operation, never the document text), the DataLoader batches (``resolvers.loaders``)
and a span per SQL statement (:func:`instrument_engine`). A background job run and a roster
import each get a trace of their own. There is no span per field: that would cost more than the
query (README, "Design").

Spans carry operation types and names, route templates, codes, internal ids and SQL text with
placeholders, never personal data: bound parameters, variables and exception messages (which can
quote a value) stay out; a failed span records only the exception's type.

Only statements executed under a recording span get a span: the job worker's polling is not
traced, and with tracing off or a trace not sampled, a statement costs one context lookup.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any

from graphql import OperationDefinitionNode
from opentelemetry import trace
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from config.tracing import span
from gateway.request_info import count_statement, current_request, operation_name

DEFAULT_SERVICE_NAME = "tavle"
#: ``OTEL_EXPORTER_OTLP_PROTOCOL`` values and the exporter entry point each selects. The
#: specification's default protocol is http/protobuf (port 4318).
OTLP_PROTOCOLS = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}
DEFAULT_OTLP_PROTOCOL = "http/protobuf"
#: ``OTEL_TRACES_SAMPLER`` values the SDK knows (it reads the variable itself).
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
_EXPORTER_GROUP = "opentelemetry_traces_exporter"

_configured = False

sql_tracer = trace.get_tracer("tavle.sql")
graphql_tracer = trace.get_tracer("tavle.graphql")
jobs_tracer = trace.get_tracer("tavle.jobs")


class TracingConfigError(RuntimeError):
    """An ``OTEL_*`` variable names something that does not exist; the message says which."""


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _otlp_entry_point() -> str:
    variable = next(
        (
            name
            for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
            if _env(name)
        ),
        None,
    )
    protocol = _env(variable) if variable is not None else DEFAULT_OTLP_PROTOCOL
    if protocol not in OTLP_PROTOCOLS:
        raise TracingConfigError(
            f"{variable}: unsupported protocol '{protocol}' "
            f"(supported: {', '.join(OTLP_PROTOCOLS)})"
        )
    return OTLP_PROTOCOLS[protocol]


def _exporter_class(name: str) -> type[SpanExporter]:
    entry_point = _otlp_entry_point() if name == "otlp" else name
    found = entry_points(group=_EXPORTER_GROUP, name=entry_point)
    if not found:
        installed = sorted({"otlp", *(ep.name for ep in entry_points(group=_EXPORTER_GROUP))})
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER: unknown exporter '{name}' "
            f"(installed: {', '.join(installed)}, or none)"
        )
    exporter_class: type[SpanExporter] = next(iter(found)).load()
    return exporter_class


def _check_sampler() -> None:
    sampler = _env("OTEL_TRACES_SAMPLER").lower()
    if not sampler:
        return
    if sampler not in SAMPLERS:
        raise TracingConfigError(
            f"OTEL_TRACES_SAMPLER: unknown sampler '{sampler}' (known: {', '.join(SAMPLERS)})"
        )
    if sampler.endswith("traceidratio"):
        argument = _env("OTEL_TRACES_SAMPLER_ARG") or "1.0"
        try:
            ratio = float(argument)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise TracingConfigError(
                f"OTEL_TRACES_SAMPLER_ARG: '{argument}' is not a ratio between 0 and 1"
            )


def _resource() -> Resource:
    """``service.name`` ``tavle`` and the package version, unless ``OTEL_SERVICE_NAME`` or
    ``OTEL_RESOURCE_ATTRIBUTES`` say otherwise."""
    defaults: dict[str, str] = {SERVICE_NAME: DEFAULT_SERVICE_NAME}
    with contextlib.suppress(PackageNotFoundError):
        defaults[SERVICE_VERSION] = version("tavle")
    configured = OTELResourceDetector().detect().attributes
    return Resource.create({**defaults, **configured})


def exporter_names() -> list[str]:
    """The exporters ``OTEL_TRACES_EXPORTER`` asks for (a comma list; default and ``none``:
    none)."""
    names = [name.strip().lower() for name in _env("OTEL_TRACES_EXPORTER").split(",")]
    return [name for name in names if name and name != "none"]


def configure_tracing() -> None:
    """Install a tracer provider once per process, per the standard ``OTEL_*`` variables.

    ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``none`` or any installed exporter, comma
    separated), ``OTEL_EXPORTER_OTLP_PROTOCOL`` (``http/protobuf``, ``grpc``) and the exporters'
    own ``OTEL_EXPORTER_OTLP_*`` variables, ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
    ``OTEL_TRACES_SAMPLER``/``_ARG``, ``OTEL_BSP_*``, ``OTEL_SDK_DISABLED``. No exporter means no
    provider: spans cost nothing then. A tracer provider someone installed before (an embedding
    application, a test) is left alone. Raises :class:`TracingConfigError` for names that do
    not exist, so a typo fails the start instead of silently exporting nothing.
    """
    global _configured
    if _configured:
        return
    if _env("OTEL_SDK_DISABLED").lower() == "true":
        _configured = True
        return
    names = exporter_names()
    if not names:
        _configured = True
        return
    _check_sampler()
    exporter_classes = [_exporter_class(name) for name in names]
    _configured = True
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=_resource())
    for exporter_class in exporter_classes:
        provider.add_span_processor(BatchSpanProcessor(exporter_class()))
    trace.set_tracer_provider(provider)


def flush() -> None:
    """Export the spans still queued (the gateway is stopping); the provider keeps working."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


# --- SQL ------------------------------------------------------------------------------------


def _before_execute(
    conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    count_statement()
    if context is None or not trace.get_current_span().is_recording():
        return
    text = statement.strip()
    verb = text.split(None, 1)[0].upper() if text else "SQL"
    context._tavle_span = sql_tracer.start_span(
        verb,
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": conn.dialect.name,
            "db.operation.name": verb,
            "db.query.text": statement,
        },
    )


def _after_execute(
    _conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    span: Span | None = getattr(context, "_tavle_span", None)
    if span is not None:
        context._tavle_span = None
        span.end()


def _failed(exception_context: Any) -> None:
    context = exception_context.execution_context
    span: Span | None = getattr(context, "_tavle_span", None)
    if span is not None:
        context._tavle_span = None
        span.set_status(
            Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
        )
        span.end()


def instrument_engine(engine: AsyncEngine) -> None:
    """Count every statement into the current request (``gateway.request_info``) and give it a
    span with its text (placeholders, never parameters) when it runs under a recording span.

    SQLAlchemy's async engine runs the driver in a greenlet that shares the awaiting task's
    context, so the span's parent is the loader batch or operation that ran the statement.
    (opentelemetry-instrumentation-sqlalchemy refuses SQLAlchemy 2.1, hence the engine's own
    cursor events.) Calling it again for the same engine changes nothing.
    """
    sync_engine = engine.sync_engine
    if event.contains(sync_engine, "before_cursor_execute", _before_execute):
        return
    event.listen(sync_engine, "before_cursor_execute", _before_execute)
    event.listen(sync_engine, "after_cursor_execute", _after_execute)
    event.listen(sync_engine, "handle_error", _failed)


# --- GraphQL operations ---------------------------------------------------------------------


def _executed_operation(
    execution_context: ExecutionContext,
) -> tuple[OperationDefinitionNode | None, str | None]:
    """The operation the request executes and its name, from the parsed document only (a
    client's ``operationName`` that names no operation of the document is not repeated)."""
    document = execution_context.graphql_document
    if document is None:
        return None, None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    wanted = execution_context.operation_name
    for operation in operations:
        name = operation.name.value if operation.name is not None else None
        if name == wanted or (wanted is None and len(operations) == 1):
            return operation, name
    return None, None


class OperationSpan(SchemaExtension):
    """A span around each GraphQL operation, named after the operation (``query`` or
    ``mutation`` when it has no name); its trace id goes into audit entries. Also notes the
    operation and the caller in the request's :class:`~gateway.request_info.RequestInfo`, also
    when the operation ends in an exception (a timeout cancels it)."""

    def on_operation(self) -> Iterator[None]:
        with graphql_tracer.start_as_current_span(
            "graphql.operation", record_exception=False, set_status_on_exception=False
        ) as span:
            context = self.execution_context.context
            span_context = span.get_span_context()
            if span_context.is_valid and hasattr(context, "trace_id"):
                context.trace_id = format(span_context.trace_id, "032x")
            try:
                yield
            finally:
                self._record(span, context)

    def _record(self, span: Span, context: Any) -> None:
        operation, name = _executed_operation(self.execution_context)
        operation_type = operation.operation.value if operation is not None else None
        name = operation_name(name)
        request = current_request()
        if request is not None:
            request.operation = name
            request.operation_type = operation_type
            viewer = getattr(context, "viewer", None)
            if viewer is not None:
                request.person_id = viewer.person_id
        if not span.is_recording():
            return
        span.update_name(name or operation_type or "graphql.operation")
        if name is not None:
            span.set_attribute("graphql.operation.name", name)
        if operation_type is not None:
            span.set_attribute("graphql.operation.type", operation_type)
        result = self.execution_context.result
        if result is not None and result.errors:
            codes = sorted({str((e.extensions or {}).get("code", "ERROR")) for e in result.errors})
            span.set_attribute("graphql.error.codes", codes)


# --- spans that keep exception messages out (``config.tracing.span``) -------------------------


def job_span(
    name: str, attributes: Mapping[str, str | int]
) -> contextlib.AbstractContextManager[Span]:
    """The span of one background job run: the root of a trace of its own."""
    return span(jobs_tracer, name, attributes, new_trace=True)

"""Traces (docs/operations.md, "Traces"): one trace per request, rooted at the request's server
span, a child of the caller's ``traceparent``; the operation span named after the operation;
loader batches and SQL under it; a trace of its own per job run and per roster import; no
document text, variables, personal data or exception messages in any span.

The gateway runs for real (uvicorn, HTTP, both databases); its tracer provider is the SDK's,
exporting to the SDK's in-memory exporter. The ``OTEL_*`` set-up and the OTLP exporters are
proved against real receivers in test_otlp_export.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import DEMO_ROSTER, LiveGateway
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.jobs import JobWorker
from gateway.telemetry import instrument_engine
from roster import RosterError, import_roster
from store import jobs
from store import tables as t
from store.db import make_engine, migrate
from store.tables import PrivacyAction, PrivacyRequestStatus

TEACHER = "larer.hansen"
COURSES = """
query TeacherCourses {
  viewer {
    id
    courses(first: 3) {
      edges { node { id name students(first: 5) { edges { node { %s } } } } }
    }
  }
}
"""
FEW_FIELDS = COURSES % "id"
MANY_FIELDS = COURSES % "id displayName firstName lastName isPseudonym email"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


class WhileThisModuleRuns(Sampler):
    """Samples new traces (parent-based: a caller's sampled ``traceparent`` is followed) while
    this module's tests run; afterwards nothing is recorded, so the tracer provider the module
    had to install (there is one per process) costs the later test modules nothing."""

    active = False

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        sampler = ALWAYS_ON if self.active else ALWAYS_OFF
        return sampler.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return "WhileThisModuleRuns"


SWITCH = WhileThisModuleRuns()


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's SDK tracer provider, with an in-memory exporter added for this module.

    pytest may run the module's tests in two rounds (one per backend of the session's gateway),
    setting this fixture up twice: the provider is installed once, the switch turned on each
    time."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider(sampler=ParentBased(SWITCH)))
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    memory = InMemorySpanExporter()
    processor = SimpleSpanProcessor(memory)
    provider.add_span_processor(processor)
    SWITCH.active = True
    yield memory
    SWITCH.active = False
    processor.shutdown()


def post(
    live: LiveGateway,
    query: str,
    *,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    as_user: str | None = TEACHER,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = dict(headers or {})
    if as_user is not None:
        sent["Authorization"] = f"Bearer {live.token(as_user)}"
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name is not None:
        body["operationName"] = operation_name
    return live.client.post(f"{live.url}/graphql", json=body, headers=sent)


def trace_of(response: Any) -> int:
    """The trace id the gateway answered in ``traceresponse``."""
    version, trace_id, _span_id, _flags = response.headers["traceresponse"].split("-")
    assert version == "00"
    return int(trace_id, 16)


def spans_of(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    """The trace's spans, once its server span (which ends last, after the response left) has
    been exported."""
    deadline = time.monotonic() + 30
    while True:
        spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
        if any(s.kind is SpanKind.SERVER for s in spans):
            return spans
        assert time.monotonic() < deadline, "the request's server span was never exported"
        time.sleep(0.01)


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def all_text(spans: Sequence[ReadableSpan]) -> str:
    """Everything a span exporter would send, as text."""
    parts: list[str] = []
    for span in spans:
        parts.append(span.name)
        parts.extend(f"{k}={v}" for k, v in (span.attributes or {}).items())
        parts.append(str(span.status.description))
        for span_event in span.events:
            parts.append(span_event.name)
            parts.extend(f"{k}={v}" for k, v in (span_event.attributes or {}).items())
    return "\n".join(parts)


def test_a_request_is_one_trace_rooted_at_its_server_span(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    response = post(live, MANY_FIELDS)
    assert response.status_code == 200 and "errors" not in response.json()
    trace_id = trace_of(response)
    spans = spans_of(exporter, trace_id)
    # Nothing the request did started a trace of its own: any other trace exported meanwhile
    # is a background job's (the gateway's worker may be running one queued by another module).
    others = [s for s in exporter.get_finished_spans() if s.context.trace_id != trace_id]
    assert all(s.name.startswith("job ") for s in others if s.parent is None)

    by_id = {s.context.span_id: s for s in spans}
    roots = [s for s in spans if s.parent is None]
    assert [(r.name, r.kind) for r in roots] == [("POST /graphql", SpanKind.SERVER)]
    root = roots[0]
    assert root.attributes is not None
    assert root.attributes["http.route"] == "/graphql"
    assert root.attributes["http.response.status_code"] == 200
    assert all(s.parent is None or s.parent.span_id in by_id for s in spans)  # a tree

    (operation,) = [s for s in spans if s.name == "TeacherCourses"]
    assert operation.parent is not None and operation.parent.span_id == root.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "query"
    loaders = [s for s in spans if s.name.startswith("load ")]
    assert loaders, "no DataLoader batch span"
    assert all(ancestors(s, by_id)[0] == "TeacherCourses" for s in loaders)
    statements = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert statements, "no SQL span"
    assert all(ancestors(s, by_id)[-1] == "POST /graphql" for s in statements)
    assert any(ancestors(s, by_id)[0].startswith("load ") for s in statements)
    assert {s.attributes["db.system.name"] for s in statements if s.attributes} == {
        "sqlite" if live.backend == "sqlite" else "postgresql"
    }


def test_the_callers_traceparent_is_the_parent_of_the_request(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    response = post(live, FEW_FIELDS, headers={"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"})
    assert response.status_code == 200
    assert response.headers["traceresponse"].startswith(f"00-{TRACE_ID}-")
    spans = spans_of(exporter, int(TRACE_ID, 16))
    (root,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert root.parent is not None and root.parent.is_remote
    assert format(root.parent.span_id, "016x") == PARENT_SPAN_ID
    assert {s.context.trace_id for s in spans} == {int(TRACE_ID, 16)}


def test_no_document_text_variables_or_personal_data_in_spans(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    student_id = live.person_id("elev.ola")
    document = """
    # doc-marker-5c1e
    query LookUpUser($id: ID!) { user(id: $id) { id displayName firstName lastName } }
    """
    response = post(live, document, variables={"id": student_id})
    user = response.json()["data"]["user"]
    assert user["displayName"], response.text
    spans = spans_of(exporter, trace_of(response))
    (operation,) = [s for s in spans if s.attributes and "graphql.operation.name" in s.attributes]
    assert operation.name == "LookUpUser"
    text = all_text(spans)
    for secret in (
        "doc-marker",
        "user(id:",
        "$id",
        student_id,
        user["displayName"],
        user["firstName"],
        user["lastName"],
        live.token(TEACHER),
    ):
        assert secret not in text


def test_an_operation_name_that_names_no_operation_is_not_traced(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    response = post(live, "query Known { __typename }", operation_name="Kari Nordmann 0101")
    assert response.json()["errors"], response.text
    spans = spans_of(exporter, trace_of(response))
    assert "Kari" not in all_text(spans)
    assert "graphql.operation" in {s.name for s in spans}


def test_an_anonymous_operation_is_named_after_its_type(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    response = post(live, "{ viewer { id } }")
    assert response.json()["data"]["viewer"]["id"]
    names = {s.name for s in spans_of(exporter, trace_of(response))}
    assert "query" in names


def test_spans_do_not_grow_with_the_fields_selected(
    live: LiveGateway, exporter: InMemorySpanExporter
) -> None:
    """Six fields per student instead of one: the same spans (no span per field)."""
    few = sorted(s.name for s in spans_of(exporter, trace_of(post(live, FEW_FIELDS))))
    many = sorted(s.name for s in spans_of(exporter, trace_of(post(live, MANY_FIELDS))))
    assert few == many


# --- jobs and imports: a fresh database per backend -----------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    with fresh_database(
        backend, tmp_path_factory.mktemp(f"tracing-{backend}"), prefix="tavle_tracing"
    ) as url:
        asyncio.run(migrate(url))
        yield url


async def queue_export(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            t.privacy_requests.insert()
            .values(
                action=PrivacyAction.EXPORT,
                status=PrivacyRequestStatus.QUEUED,
                justification="a test request",
                created_at=datetime.now(UTC),
            )
            .returning(t.privacy_requests.c.id)
        )
        return int(result.scalar_one())


def test_a_job_run_is_a_trace_of_its_own(
    migrated_url: str, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    """Even when the worker runs inside another span, the job run starts a new trace; its own
    SQL is under it, the worker's polling is not traced; a failure records no message."""

    async def handler(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        async with engine.begin() as conn:
            await conn.execute(select(t.privacy_requests.c.id).where(t.privacy_requests.c.id > 0))
            await jobs.finish(conn, request_id, worker_id)

    async def failing(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        raise ValueError("Ola Nordmann, 01010112345")

    workers: list[str] = []

    async def body() -> tuple[int, int]:
        engine = make_engine(migrated_url)
        instrument_engine(engine)
        try:
            done = await queue_export(engine)
            with trace.get_tracer("test").start_as_current_span("outer"):
                worker = JobWorker(engine, {PrivacyAction.EXPORT: handler}, export_dir=tmp_path)
                workers.append(worker.worker_id)
                assert await worker.run_once()
            failed = await queue_export(engine)
            worker = JobWorker(engine, {PrivacyAction.EXPORT: failing}, export_dir=tmp_path)
            workers.append(worker.worker_id)
            assert await worker.run_once()
            return done, failed
        finally:
            await engine.dispose()

    exporter.clear()
    done, failed = asyncio.run(body())
    spans = exporter.get_finished_spans()
    # (the session's gateway may run jobs of its own meanwhile: only this test's workers count)
    job_spans = {
        s.attributes["tavle.job.request_id"]: s
        for s in spans
        if s.attributes is not None and s.attributes.get("tavle.job.worker") in workers
    }
    assert set(job_spans) == {done, failed}
    for span in job_spans.values():
        assert span.parent is None
    good, bad = job_spans[done], job_spans[failed]
    assert good.attributes is not None and good.attributes["tavle.job.outcome"] == "done"
    assert bad.attributes is not None and bad.attributes["tavle.job.outcome"] == "failed"
    assert bad.status.status_code is StatusCode.ERROR
    outer = next(s for s in spans if s.name == "outer")
    assert good.context.trace_id != outer.context.trace_id
    in_job = [s for s in spans if s.context.trace_id == good.context.trace_id]
    assert {"SELECT", "UPDATE"} <= {s.name for s in in_job if s.kind is SpanKind.CLIENT}
    # The claim (an UPDATE before the job span) ran under "outer", never as a root of its own.
    assert all(s.parent is not None for s in spans if s.kind is SpanKind.CLIENT)
    assert all(s.name == "job EXPORT" for s in job_spans.values())
    text = all_text(spans)
    assert "Ola" not in text and "0101" not in text


def test_a_roster_import_is_a_trace_of_its_own(
    migrated_url: str, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    async def body() -> None:
        engine = make_engine(migrated_url)
        instrument_engine(engine)
        try:
            await import_roster(engine, DEMO_ROSTER, identity_key=b"k" * 32, dry_run=True)
            with pytest.raises(RosterError):
                await import_roster(engine, tmp_path / "no-such-package", identity_key=b"k" * 32)
        finally:
            await engine.dispose()

    exporter.clear()
    asyncio.run(body())
    spans = exporter.get_finished_spans()
    imports = [s for s in spans if s.name == "roster.import"]
    assert len(imports) == 2 and all(s.parent is None for s in imports)
    dry, failed = imports
    by_id = {s.context.span_id: s for s in spans}
    in_dry = [s for s in spans if s.context.trace_id == dry.context.trace_id]
    assert {"roster.parse", "roster.apply"} <= {s.name for s in in_dry}
    applied = [s for s in in_dry if s.kind is SpanKind.CLIENT]
    assert applied and all("roster.apply" in ancestors(s, by_id) for s in applied)
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "RosterError"
    assert "no-such-package" not in all_text(spans)

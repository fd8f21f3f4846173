"""The standard ``OTEL_*`` variables, as ``tavle serve`` reads them (docs/operations.md, "Traces").

Each test runs the real command with its variables and a real OTLP receiver (HTTP/protobuf or
gRPC, decoding the collector's wire format), stops the server as a process manager does
(SIGTERM, which exports what is queued) and looks at what arrived. The exporters do not depend on
the database: the HTTP/protobuf test runs on both, the others on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from db_support import BACKENDS, fresh_database
from observability_support import (
    OtlpGrpcReceiver,
    OtlpHttpReceiver,
    ReceivedSpan,
    attributes,
    observed_serve,
    run_serve_briefly,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

TRACE_ID = "5ce0e9a56015fec5aadfa328ae398115"
OPERATION = "query ExportedOperation { viewer { id courses(first: 2) { edges { node { id } } } } }"


@pytest.fixture
def http_receiver() -> Iterator[OtlpHttpReceiver]:
    receiver = OtlpHttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def grpc_receiver() -> Iterator[OtlpGrpcReceiver]:
    receiver = OtlpGrpcReceiver()
    yield receiver
    receiver.close()


def traced_request(url: str, token: str) -> httpx.Response:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": OPERATION},
        headers={
            "Authorization": f"Bearer {token}",
            "traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01",
        },
        timeout=60,
    )
    assert response.status_code == 200 and response.json()["data"]["viewer"], response.text
    return response


def assert_request_trace(spans: list[ReceivedSpan]) -> None:
    """The request's trace arrived whole: server span, operation span under it, SQL below."""
    mine = [s for s in spans if s.trace_id == TRACE_ID]
    (server,) = [s for s in mine if s.span.kind == Span.SPAN_KIND_SERVER]
    assert server.name == "POST /graphql"
    assert server.span.parent_span_id.hex() == "b7ad6b7169203331"
    (operation,) = [s for s in mine if s.name == "ExportedOperation"]
    assert operation.span.parent_span_id == server.span.span_id
    assert attributes(operation.span.attributes)["graphql.operation.type"] == "query"
    assert any(s.span.kind == Span.SPAN_KIND_CLIENT for s in mine), "no SQL span arrived"


@pytest.mark.parametrize("backend", BACKENDS)
def test_otlp_over_http_protobuf_delivers_the_trace_and_resource(
    backend: str, tmp_path: Path, http_receiver: OtlpHttpReceiver
) -> None:
    with (
        fresh_database(backend, tmp_path, prefix="tavle_otlp") as url,
        observed_serve(
            tmp_path,
            url,
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_EXPORTER_OTLP_ENDPOINT=http_receiver.endpoint,
            OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=test,service.namespace=school",
        ) as server,
    ):
        traced_request(server.url, server.token("larer.hansen"))
        assert server.stop() == 0, server.stderr()
    spans = http_receiver.spans
    assert_request_trace(spans)
    resources = {tuple(sorted(s.resource.items())) for s in spans}
    assert len(resources) == 1
    resource = spans[0].resource
    assert resource["service.name"] == "tavle"
    assert resource["deployment.environment.name"] == "test"
    assert resource["service.namespace"] == "school"
    # The demo import at start-up is a trace of its own.
    assert any(s.name == "roster.import" and not s.span.parent_span_id for s in spans)


def test_otlp_over_grpc_with_the_service_name_from_the_environment(
    tmp_path: Path, grpc_receiver: OtlpGrpcReceiver
) -> None:
    with observed_serve(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT=grpc_receiver.endpoint,
        OTEL_EXPORTER_OTLP_INSECURE="true",
        OTEL_SERVICE_NAME="tavle-oslo",
    ) as server:
        traced_request(server.url, server.token("larer.hansen"))
        assert server.stop() == 0, server.stderr()
    spans = grpc_receiver.spans
    assert_request_trace(spans)
    assert {s.resource["service.name"] for s in spans} == {"tavle-oslo"}


def test_sampler_always_off_records_nothing(
    tmp_path: Path, http_receiver: OtlpHttpReceiver
) -> None:
    with observed_serve(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=http_receiver.endpoint,
        OTEL_TRACES_SAMPLER="always_off",
    ) as server:
        untraced = httpx.post(
            f"{server.url}/graphql",
            json={"query": OPERATION},
            headers={"Authorization": f"Bearer {server.token('larer.hansen')}"},
            timeout=60,
        )
        assert untraced.json()["data"]["viewer"], untraced.text
        flags = int(untraced.headers["traceresponse"].rsplit("-", 1)[1], 16)
        assert flags & 0x01 == 0, "the request's trace was sampled"
        assert server.stop() == 0, server.stderr()
    # The exporter was set up (the same variables deliver spans in the test above), yet nothing
    # arrived: not the request, not the demo import at start-up.
    assert http_receiver.spans == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"OTEL_TRACES_EXPORTER": "otlp,jaegre"},
            "OTEL_TRACES_EXPORTER: unknown exporter 'jaegre'",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol 'http/json'",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "console", "OTEL_TRACES_SAMPLER": "sometimes"},
            "OTEL_TRACES_SAMPLER: unknown sampler 'sometimes'",
        ),
        (
            {
                "OTEL_TRACES_EXPORTER": "console",
                "OTEL_TRACES_SAMPLER": "traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "half",
            },
            "OTEL_TRACES_SAMPLER_ARG: 'half' is not a ratio",
        ),
    ],
)
def test_a_wrong_otel_name_stops_the_start_with_its_message(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    status, stderr = run_serve_briefly(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3", **variables
    )
    assert status == 2, stderr
    assert message in stderr
    assert "Traceback" not in stderr

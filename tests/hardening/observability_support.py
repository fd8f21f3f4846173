"""Real processes and real receivers for the observability tests.

``observed_serve`` runs ``tavle serve`` as the operator would, with its stderr (the log) and
stdout (the console span exporter) in separate files; ``OtlpHttpReceiver`` and
``OtlpGrpcReceiver`` are small OTLP trace receivers (the collector's wire format, decoded with
opentelemetry-proto) that the gateway's exporters send to.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
from gateway_support import TEST_DEV_SECRET
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span
from serve_support import REPO, TAVLE, free_port, wait_until_ready

from config.settings import Settings
from gateway.auth import Authenticator


@dataclass
class ObservedServer:
    process: subprocess.Popen[bytes]
    port: int
    folder: Path
    stderr_path: Path
    stdout_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line of stderr, each parsed as the JSON object it must be."""
        lines = []
        for line in self.stderr().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssertionError(f"a log line is not JSON: {line!r}") from None
        return lines

    def wait_ready(self, timeout: float = 180.0) -> None:
        wait_until_ready(self.process, self.url, self.stderr, timeout)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, as a process manager stops it; its exit status. Everything it had to write
        (log lines, queued spans) is written by then."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def token(self, username: str) -> str:
        settings = Settings(data_dir=self.folder, dev_secret=TEST_DEV_SECRET)
        return Authenticator.from_settings(settings).mint_development_token(username)


def serve_environment(folder: Path, **variables: str) -> dict[str, str]:
    """The environment of a served gateway: this one without OTEL_*/TAVLE_* settings, plus
    ``variables``."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "TAVLE_", "PROMETHEUS_")) and key != "DATABASE_URL"
    }
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        "TAVLE_DATA_DIR": str(folder),
        "TAVLE_DEV_SECRET": TEST_DEV_SECRET,
        **variables,
    }


@contextmanager
def observed_serve(
    folder: Path, database_url: str, *arguments: str, **variables: str
) -> Iterator[ObservedServer]:
    """``tavle serve --demo`` on ``database_url`` with the environment ``variables``, ready."""
    port = free_port()
    stderr_path, stdout_path = folder / f"stderr-{port}.log", folder / f"stdout-{port}.log"
    with stderr_path.open("wb") as stderr, stdout_path.open("wb") as stdout:
        process = subprocess.Popen(
            [
                *TAVLE,
                "serve",
                "--demo",
                "--database-url",
                database_url,
                "--port",
                str(port),
                *arguments,
            ],
            cwd=folder,
            env=serve_environment(folder, **variables),
            stdout=stdout,
            stderr=stderr,
        )
    server = ObservedServer(process, port, folder, stderr_path, stdout_path)
    try:
        server.wait_ready()
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def run_serve_briefly(folder: Path, database_url: str, **variables: str) -> tuple[int, str]:
    """Start ``tavle serve`` expecting it to refuse to start; its exit status and stderr."""
    port = free_port()
    result = subprocess.run(
        [*TAVLE, "serve", "--database-url", database_url, "--port", str(port)],
        cwd=folder,
        env=serve_environment(folder, **variables),
        capture_output=True,
        timeout=120,
    )
    return result.returncode, result.stderr.decode("utf-8", errors="replace")


# --- OTLP receivers ------------------------------------------------------------------------------


def attributes(pairs: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` list as a dict of plain values."""
    found: dict[str, Any] = {}
    pair: KeyValue
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        value = getattr(pair.value, kind) if kind else None
        if kind == "array_value":
            value = [getattr(v, v.WhichOneof("value")) for v in pair.value.array_value.values]
        found[pair.key] = value
    return found


@dataclass
class ReceivedSpan:
    resource: dict[str, Any]
    span: Span

    @property
    def trace_id(self) -> str:
        return self.span.trace_id.hex()

    @property
    def name(self) -> str:
        return self.span.name


@dataclass
class _Collected:
    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, resource_spans: list[ResourceSpans]) -> None:
        with self.lock:
            for resource in resource_spans:
                resource_attributes = attributes(resource.resource.attributes)
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        self.spans.append(ReceivedSpan(resource_attributes, span))


class OtlpHttpReceiver:
    """``POST /v1/traces`` with a protobuf ``ExportTraceServiceRequest`` (OTLP/HTTP)."""

    def __init__(self) -> None:
        self.collected = _Collected()
        collected = self.collected

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                collected.add(list(request.resource_spans))
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self.collected.lock:
            return list(self.collected.spans)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OtlpGrpcReceiver:
    """The OTLP/gRPC ``TraceService``."""

    def __init__(self) -> None:
        self.collected = _Collected()
        collected = self.collected

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(  # noqa: N802 -- the gRPC method's name
                self, request: Any, context: Any
            ) -> trace_service_pb2.ExportTraceServiceResponse:
                collected.add(list(request.resource_spans))
                return trace_service_pb2.ExportTraceServiceResponse()

        self.server = grpc.server(ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self.collected.lock:
            return list(self.collected.spans)

    def close(self) -> None:
        self.server.stop(grace=None)

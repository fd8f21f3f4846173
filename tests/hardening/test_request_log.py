"""Logs (docs/operations.md, "Logs"): one JSON line per request with its id, trace id, operation,
status, duration, statement count and the caller's internal id; every other line JSON too; the
request id taken from a sane ``X-Request-Id`` or made, and returned; no personal data anywhere.

``tavle serve`` runs as a real process; its stderr is the log, its stdout the spans of
``OTEL_TRACES_EXPORTER=console`` (to match trace ids against). The module's requests are made
once, the server stopped (everything written), and the tests read what it wrote.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from db_support import BACKENDS, fresh_database
from observability_support import ObservedServer, observed_serve
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config.ids import from_global_id
from gateway.logs import JsonFormatter, TextFormatter
from gateway.request_observer import RequestObserver

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
MESSAGE_BODY = "Hemmelig beskjed om karakteren din 7f3a"
SUPPLIED_REQUEST_ID = "edge-7d1c0f2e-4b7a"
TEACHER = "larer.hansen"
OVERVIEW = """
query TeacherOverview {
  viewer { id displayName firstName lastName
    courses(first: 5) { edges { node { id students(first: 30) { edges { node {
      id displayName firstName lastName } } } } } } }
}
"""
SEND = """
mutation SendNote($body: String!, $to: [ID!]) { sendMessage(body: $body, recipientIds: $to) { id } }
"""


@dataclass
class Exchange:
    """What the module sent and got back, and what the server wrote."""

    responses: dict[str, httpx.Response]
    teacher_pk: int
    personal: list[str]
    token: str
    log: list[dict[str, Any]]
    stderr: str
    stdout: str


def run_requests(server: ObservedServer) -> tuple[dict[str, httpx.Response], int, list[str], str]:
    token = server.token(TEACHER)
    auth = {"Authorization": f"Bearer {token}"}
    graphql = f"{server.url}/graphql"
    with httpx.Client(timeout=60) as client:
        overview = client.post(graphql, json={"query": OVERVIEW}, headers=auth)
        viewer = overview.json()["data"]["viewer"]
        students = [
            edge["node"]
            for course in viewer["courses"]["edges"]
            for edge in course["node"]["students"]["edges"]
        ]
        personal = [viewer["displayName"], viewer["firstName"], viewer["lastName"]]
        personal += [s[key] for s in students for key in ("displayName", "lastName") if s[key]]
        send = client.post(
            graphql,
            json={"query": SEND, "variables": {"body": MESSAGE_BODY, "to": [students[0]["id"]]}},
            headers=auth,
        )
        assert send.json()["data"]["sendMessage"]["id"], send.text
        supplied = client.post(
            graphql,
            json={"query": "query Supplied { viewer { id } }"},
            headers={
                **auth,
                "X-Request-Id": SUPPLIED_REQUEST_ID,
                "traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01",
            },
        )
        rejected_id = client.post(
            graphql,
            json={"query": "{ __typename }"},
            headers={"X-Request-Id": "Kari Nordmann <kari@example.org>"},
        )
        malformed = client.post(
            graphql, content=b'{"query": ', headers={"Content-Type": "application/json"}
        )
        health = client.get(f"{server.url}/healthz")
    responses = {
        "overview": overview,
        "send": send,
        "supplied": supplied,
        "rejected_id": rejected_id,
        "malformed": malformed,
        "health": health,
    }
    _type, teacher_pk = from_global_id(viewer["id"])
    return responses, teacher_pk, personal, token


@pytest.fixture(scope="module", params=BACKENDS)
def exchange(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"request-log-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_request_log") as url,
        observed_serve(folder, url, OTEL_TRACES_EXPORTER="console") as server,
    ):
        responses, teacher_pk, personal, token = run_requests(server)
        assert server.stop() == 0, server.stderr()
        yield Exchange(
            responses,
            teacher_pk,
            personal,
            token,
            server.log_lines(),
            server.stderr(),
            server.stdout(),
        )


def request_lines(exchange: Exchange) -> dict[str, dict[str, Any]]:
    lines = [line for line in exchange.log if line["logger"] == "tavle.request"]
    by_id = {line["request_id"]: line for line in lines}
    assert len(by_id) == len(lines), "two request lines with one request id"
    return by_id


def line_of(exchange: Exchange, name: str) -> dict[str, Any]:
    request_id = exchange.responses[name].headers["x-request-id"]
    return request_lines(exchange)[request_id]


def test_one_json_line_per_request_and_every_line_is_json(exchange: Exchange) -> None:
    # log_lines() parsed every line of stderr as JSON.
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in exchange.log)
    returned = {r.headers["x-request-id"] for r in exchange.responses.values()}
    assert len(returned) == len(exchange.responses)
    lines = request_lines(exchange)
    # Besides the module's requests, only the readiness probes of observed_serve's start.
    probes = {key for key, line in lines.items() if line["route"] == "/readyz"}
    assert probes and set(lines) - probes == returned


def test_the_request_line_has_the_operation_status_duration_statements_and_caller(
    exchange: Exchange,
) -> None:
    line = line_of(exchange, "overview")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["level"] == "INFO"
    assert line["method"] == "POST" and line["route"] == "/graphql"
    assert line["status"] == 200 and line["outcome"] == "ok"
    assert line["operation"] == "TeacherOverview" and line["operation_type"] == "query"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert isinstance(line["statements"], int) and line["statements"] > 0
    assert line["person_id"] == exchange.teacher_pk
    send = line_of(exchange, "send")
    assert (send["operation"], send["operation_type"]) == ("SendNote", "mutation")
    assert send["person_id"] == exchange.teacher_pk


def test_requests_without_an_operation_are_logged_too(exchange: Exchange) -> None:
    malformed = line_of(exchange, "malformed")
    assert exchange.responses["malformed"].status_code == 400
    assert (malformed["status"], malformed["outcome"]) == (400, "rejected")
    assert malformed["operation"] is None and malformed["person_id"] is None
    health = line_of(exchange, "health")
    assert (health["route"], health["status"], health["statements"]) == ("/healthz", 200, 0)
    anonymous = line_of(exchange, "rejected_id")
    assert anonymous["person_id"] is None and anonymous["operation_type"] == "query"


def test_a_sane_request_id_is_kept_and_an_insane_one_replaced(exchange: Exchange) -> None:
    assert exchange.responses["supplied"].headers["x-request-id"] == SUPPLIED_REQUEST_ID
    replaced = exchange.responses["rejected_id"].headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    assert "Kari" not in exchange.stderr


def test_the_trace_id_is_the_requests_trace(exchange: Exchange) -> None:
    supplied = line_of(exchange, "supplied")
    assert supplied["trace_id"] == TRACE_ID
    spans = [json.loads(text) for text in re.findall(r"^\{\n.*?^\}$", exchange.stdout, re.S | re.M)]
    server_spans = {
        span["context"]["trace_id"][2:]: span for span in spans if span["kind"] == "SpanKind.SERVER"
    }
    for name, response in exchange.responses.items():
        line = line_of(exchange, name)
        answered = response.headers["traceresponse"].split("-")[1]
        assert line["trace_id"] == answered, name
        assert answered in server_spans, f"no server span exported for {name}"
    # Only lines written while serving a request carry a request id: the job worker's do not.
    worker_lines = [line for line in exchange.log if line["logger"] == "tavle.jobs"]
    assert worker_lines
    assert [line for line in worker_lines if "request_id" in line] == []


def test_no_personal_data_or_token_in_the_log_or_the_spans(exchange: Exchange) -> None:
    output = exchange.stderr + exchange.stdout
    assert len(exchange.personal) > 5
    for secret in [*exchange.personal, MESSAGE_BODY, "Hemmelig", exchange.token]:
        # as a word: a first name such as "Per" is part of span names like "load CoursesByPerson"
        assert not re.search(rf"\b{re.escape(secret)}\b", output), f"{secret!r} was written"


def test_uvicorns_access_log_is_off(exchange: Exchange) -> None:
    assert not [line for line in exchange.log if line["logger"] == "uvicorn.access"]
    assert "HTTP/1.1" not in exchange.stderr


# --- the text format and the other settings -------------------------------------------------


def test_text_format_level_and_access_log_settings(tmp_path: Path) -> None:
    """Format and access log are presentation, the same on either database: SQLite here."""
    with observed_serve(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3",
        TAVLE_LOG_FORMAT="text",
        TAVLE_ACCESS_LOG="true",
    ) as server:
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": "query Textual { __typename }"},
            headers={"X-Request-Id": "text-1"},
        )
        assert response.status_code == 200
        assert server.stop() == 0
    text = server.stderr()
    assert not text.lstrip().startswith("{")
    (line,) = [line for line in text.splitlines() if " tavle.request [text-1] " in line]
    assert "[text-1] POST /graphql 200" in line
    assert "operation=Textual" in line and "statements=0" in line
    assert '"POST /graphql HTTP/1.1" 200' in text  # uvicorn's access line, asked for

    quiet_folder = tmp_path / "quiet"
    quiet_folder.mkdir()
    with observed_serve(
        quiet_folder,
        f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3",
        TAVLE_LOG_LEVEL="warning",
    ) as quiet:
        httpx.get(f"{quiet.url}/healthz")
        assert quiet.stop() == 0
    assert all(line["level"] != "INFO" for line in quiet.log_lines())


def test_exceptions_are_logged_with_their_type_not_their_message() -> None:
    """A database error's message can quote a row ("Key (email)=(kari@...)"): both formats
    write the traceback and the exceptions' types only."""
    email, national_id = "kari.nordmann@example.org", "01010112345"
    try:
        try:
            raise KeyError(email)
        except KeyError as error:
            raise ValueError(f"Key (national_id)=({national_id}) already exists") from error
    except ValueError:
        record = logging.getLogger("tavle.test").makeRecord(
            "tavle.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    for formatter in (JsonFormatter(), TextFormatter()):
        text = formatter.format(record)
        assert "Traceback" in text and "KeyError" in text and "ValueError" in text
        assert email not in text and national_id not in text


def test_an_unexpected_exception_is_a_500_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The observer around an app whose route fails (no route of the gateway fails on purpose):
    the client gets a 500 carrying the request id, the log one ERROR line for it."""

    async def broken(request: Request) -> Response:
        raise RuntimeError("Kari Nordmann")

    app = Starlette(routes=[Route("/broken", broken)], middleware=[Middleware(RequestObserver)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        with caplog.at_level(logging.INFO, logger="tavle.request"):
            response = httpx.get(
                f"http://127.0.0.1:{port}/broken", headers={"X-Request-Id": "r-500"}
            )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    # the edge's JSON 500, with the security headers, though no edge middleware is around it
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"] == "r-500"
    (record,) = [r for r in caplog.records if r.name == "tavle.request"]
    fields = record.__dict__["fields"]
    assert record.levelno == logging.ERROR
    assert (fields["status"], fields["outcome"], fields["route"]) == (
        500,
        "server_error",
        "/broken",
    )

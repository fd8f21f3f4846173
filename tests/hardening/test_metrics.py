"""Metrics (docs/operations.md, "Metrics"): Prometheus text on a port of its own, off by default.

``tavle serve`` runs as a real process (one worker on SQLite, two on PostgreSQL: the scrape must
add up what every worker counted), requests go over HTTP, and the test scrapes ``/metrics`` as
Prometheus would and reads the samples with prometheus_client's own parser.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import BACKENDS, fresh_database
from observability_support import ObservedServer, observed_serve, run_serve_briefly
from prometheus_client.parser import text_string_to_metric_families
from serve_support import ServedGateway

from store import tables as t
from store.db import make_engine
from store.tables import PrivacyAction, PrivacyRequestStatus

TEACHER = "larer.hansen"
PROBE = "query MetricsProbe { viewer { id courses(first: 2) { edges { node { id } } } } }"
DENIED = """
query DeniedProbe {
  viewer { courses(first: 1) { edges { node { students(first: 2) { edges { node {
    id processingState } } } } } } }
}
"""
BAD_ID = 'query BadId { user(id: "no such id!") { id } }'
#: Named operations that get no label of their own, however few names were seen: one from an
#: anonymous caller, one that fails validation.
ANONYMOUS = "query AnonymousProbe { __typename }"
INVALID = "query InvalidProbe { viewer { noSuchField } }"
#: Operation names with a label of their own per process in the one-worker server.
CAP = 3


@dataclass
class Scrape:
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    #: where the worker processes wrote their values
    folder: Path

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))


def metrics_port(server: ObservedServer) -> int:
    (port,) = [line["metrics_port"] for line in server.log_lines() if "metrics_port" in line]
    return int(port)


def metrics_folder(server: ObservedServer) -> Path:
    (folder,) = [line["metrics_folder"] for line in server.log_lines() if "metrics_port" in line]
    return Path(folder)


def queue_old_export(database_url: str) -> None:
    """A privacy export waiting for two minutes (the server runs no job worker here)."""

    async def insert() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    t.privacy_requests.insert().values(
                        action=PrivacyAction.EXPORT,
                        status=PrivacyRequestStatus.QUEUED,
                        justification="a test request",
                        created_at=datetime.now(UTC) - timedelta(minutes=2),
                    )
                )
        finally:
            await engine.dispose()

    asyncio.run(insert())


class Poster:
    """POSTs GraphQL to a chosen worker process: with several workers, on a connection that
    process accepted (serve_support finds it through /proc), so the test knows which process
    counted what."""

    def __init__(self, server: ObservedServer, workers: int) -> None:
        self.server = server
        self.served = ServedGateway(server.process, server.port, server.stderr_path)
        self.pids = self.served.worker_pids() if workers > 1 else [server.process.pid]
        assert len(self.pids) == workers

    def post(self, worker: int, query: str, token: str | None = None) -> dict[str, Any]:
        if len(self.pids) > 1:
            return self.served.post(self.pids[worker], query, token)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.server.url}/graphql", json={"query": query}, headers=headers, timeout=60
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def close(self) -> None:
        self.served.close_connections()


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture(scope="module", params=BACKENDS)
def scraped(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scrape]:
    backend: str = request.param
    workers = 1 if backend == "sqlite" else 2
    folder = tmp_path_factory.mktemp(f"metrics-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_metrics") as url,
        observed_serve(
            folder,
            url,
            "--workers",
            str(workers),
            TAVLE_METRICS_PORT="0",
            TAVLE_METRICS_MAX_OPERATIONS=str(CAP),
            TAVLE_JOBS_ENABLED="false",
        ) as server,
    ):
        queue_old_export(url)
        token = server.token(TEACHER)
        poster = Poster(server, workers)
        try:
            # The last worker: one probe; the first: two probes and the named operations, so
            # its cap of CAP names is reached in a known order. Before them all, the two names
            # that must not take a label (and would, first come, if they could).
            last = workers - 1
            assert poster.post(0, ANONYMOUS)["data"] == {"__typename": "Query"}
            invalid = poster.post(0, INVALID, token)
            assert {e["extensions"]["code"] for e in invalid["errors"]} == {
                "GRAPHQL_VALIDATION_FAILED"
            }
            assert poster.post(last, PROBE, token)["data"]["viewer"]
            for _ in range(2):
                assert poster.post(0, PROBE, token)["data"]["viewer"]
            denied = poster.post(0, DENIED, token)
            assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
            bad = poster.post(0, BAD_ID, token)
            assert {e["extensions"]["code"] for e in bad["errors"]} == {"BAD_USER_INPUT"}
            for name in ("Overflow1", "Overflow2"):
                assert poster.post(0, f"query {name} {{ __typename }}", token)["data"]
        finally:
            poster.close()
        graphql = f"{server.url}/graphql"
        with httpx.Client(timeout=60) as client:
            malformed = client.post(
                graphql, content=b"{", headers={"Content-Type": "application/json"}
            )
            assert malformed.status_code == 400
            assert client.get(f"{server.url}/no-such-page").status_code == 404
            public = client.get(f"{server.url}/metrics")
        assert public.status_code == 404, "metrics must not be served on the public listener"
        port = metrics_port(server)
        assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404
        samples = scrape(port)
        assert server.stop() == 0, server.stderr()
        yield Scrape(samples, metrics_folder(server))


def test_requests_by_operation_and_outcome_with_latency_and_statements(
    scraped: Scrape,
) -> None:
    probe = {"route": "/graphql", "operation": "MetricsProbe", "outcome": "ok"}
    # With two workers, two probes were counted by one process and one by the other.
    assert scraped.value("tavle_requests_total", **probe) == 3
    assert scraped.value("tavle_request_duration_seconds_count", **probe) == 3
    duration = scraped.value("tavle_request_duration_seconds_sum", **probe)
    assert duration is not None and duration > 0
    statements = {"route": "/graphql", "operation": "MetricsProbe"}
    assert scraped.value("tavle_request_sql_statements_count", **statements) == 3
    assert (scraped.value("tavle_request_sql_statements_bucket", le="0.0", **statements)) == 0
    rejected = {"operation": "", "outcome": "rejected"}
    assert scraped.value("tavle_requests_total", route="/graphql", **rejected) == 1
    assert scraped.value("tavle_requests_total", route="unmatched", **rejected) == 2


def test_denials_and_refusals_by_code(scraped: Scrape) -> None:
    forbidden = scraped.value("tavle_graphql_errors_total", code="FORBIDDEN")
    assert forbidden is not None and forbidden >= 1
    denied = {"route": "/graphql", "operation": "DeniedProbe", "outcome": "partial"}
    assert scraped.value("tavle_requests_total", **denied) == 1
    refused = scraped.value("tavle_refusals_total", code="BAD_USER_INPUT")
    assert refused is not None and refused >= 1
    assert scraped.value("tavle_graphql_errors_total", code="BAD_USER_INPUT") == 1


def test_operation_names_beyond_the_cap_are_counted_as_other(scraped: Scrape) -> None:
    """The first worker labelled MetricsProbe, DeniedProbe and BadId (CAP = 3), then saw two
    more names; the other worker saw only MetricsProbe. The anonymous caller's operation is
    ``other`` too."""
    other = {"route": "/graphql", "operation": "other", "outcome": "ok"}
    assert scraped.value("tavle_requests_total", **other) == 3
    named = {
        dict(labels)["operation"]
        for name, labels in scraped.samples
        if name == "tavle_requests_total" and dict(labels)["operation"] not in ("", "other")
    }
    assert named == {"MetricsProbe", "DeniedProbe", "BadId"}


def test_only_valid_operations_of_authenticated_callers_get_a_label(scraped: Scrape) -> None:
    """An attacker cannot use up the labels: the names of anonymous callers' operations and of
    operations that fail validation were seen first, and took none."""
    labels = {
        dict(labels)["operation"]
        for name, labels in scraped.samples
        if name == "tavle_requests_total"
    }
    assert not labels & {"AnonymousProbe", "InvalidProbe"}
    invalid = {"route": "/graphql", "operation": "other", "outcome": "error"}
    assert scraped.value("tavle_requests_total", **invalid) == 1


def test_job_queue_and_roster_imports_from_the_database(scraped: Scrape) -> None:
    assert scraped.value("tavle_metrics_database_up") == 1
    queued = {"action": "EXPORT", "status": "QUEUED"}
    assert scraped.value("tavle_job_queue_depth", **queued) == 1
    age = scraped.value("tavle_job_queue_oldest_age_seconds", **queued)
    assert age is not None and 120 <= age < 3600
    assert scraped.value("tavle_job_queue_depth", action="ERASE", status="RUNNING") == 0
    runs = scraped.value("tavle_roster_import_runs", status="COMPLETED")
    assert runs is not None and runs >= 1  # the demo school's import at start-up
    duration = scraped.value("tavle_roster_import_last_duration_seconds", status="COMPLETED")
    assert duration is not None and duration > 0
    finished = scraped.value(
        "tavle_roster_import_last_finished_timestamp_seconds", status="COMPLETED"
    )
    assert finished is not None
    assert 0 <= datetime.now(UTC).timestamp() - finished < 3600


def test_the_workers_values_are_removed_when_the_server_stops(scraped: Scrape) -> None:
    assert scraped.folder.name.startswith("tavle-metrics-")
    assert not scraped.folder.exists()


def test_no_personal_data_in_labels(scraped: Scrape) -> None:
    labels = {value for _name, pairs in scraped.samples for _key, value in pairs}
    assert not any("@" in value or " " in value for value in labels)


def test_metrics_are_off_by_default(tmp_path: Path) -> None:
    """Without TAVLE_METRICS_PORT no listener starts (the database does not matter: SQLite)."""
    with observed_serve(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3") as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 404
        assert server.stop() == 0
    lines: list[dict[str, Any]] = server.log_lines()
    assert not [line for line in lines if line["logger"] == "tavle.metrics"]


def test_a_metrics_port_in_use_stops_the_start_with_its_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, stderr = run_serve_briefly(
            tmp_path, f"sqlite+aiosqlite:///{tmp_path}/tavle.sqlite3", TAVLE_METRICS_PORT=str(port)
        )
    assert status == 2, stderr
    assert f"serve: TAVLE_METRICS_PORT: cannot listen on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr

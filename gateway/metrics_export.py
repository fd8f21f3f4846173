"""The metrics listener of ``tavle serve``: Prometheus text at ``/metrics`` on a port of its own.

Off unless ``TAVLE_METRICS_PORT`` is set, and on its own port (``TAVLE_METRICS_HOST``, default
127.0.0.1) so that it is never reachable through the public listener. It runs in the process
that ``tavle serve`` starts, before uvicorn: with ``--workers N`` that is the supervisor, which
adds up the values every worker process writes (``prometheus_client``'s multiprocess mode, see
``gateway.metrics``); with one worker it is the process that serves the requests.

The job queue and the roster imports are read from the database at scrape time, so every
process, and the import command line, is covered: queued and running jobs with the age of the
oldest, and the runs, last duration and last finish of roster imports by status.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.settings import Settings
from gateway import metrics
from store import tables as t
from store.db import is_sqlite, make_engine
from store.tables import PrivacyAction, PrivacyRequestStatus

log = logging.getLogger("tavle.metrics")

PATH = "/metrics"
#: A scrape waits this long for the database before answering without the database metrics.
QUERY_TIMEOUT_SECONDS = 5.0
#: Job states that make up the queue (PREVIEWING: a batch erasure's preview, for the worker).
QUEUE_STATES = (
    PrivacyRequestStatus.PREVIEWING,
    PrivacyRequestStatus.QUEUED,
    PrivacyRequestStatus.RUNNING,
)


@dataclass(frozen=True)
class _Snapshot:
    #: (action, status) -> (count, oldest created_at)
    queue: dict[tuple[str, str], tuple[int, datetime | None]]
    #: status -> number of roster import runs
    import_runs: dict[str, int]
    #: status -> (started_at, finished_at) of the latest finished run
    last_imports: dict[str, tuple[datetime, datetime]]
    taken_at: datetime


async def _read(engine: AsyncEngine) -> _Snapshot:
    r, ri = t.privacy_requests.c, t.roster_imports.c
    async with engine.connect() as conn:
        queue_rows = await conn.execute(
            select(r.action, r.status, func.count(), func.min(r.created_at))
            .where(r.status.in_(QUEUE_STATES))
            .group_by(r.action, r.status)
        )
        queue = {
            (str(action), str(status)): (int(count), oldest)
            for action, status, count, oldest in queue_rows.all()
        }
        run_rows = await conn.execute(select(ri.status, func.count()).group_by(ri.status))
        import_runs = {str(status): int(count) for status, count in run_rows.all()}
        latest = select(func.max(ri.id)).where(ri.finished_at.is_not(None)).group_by(ri.status)
        last_rows = await conn.execute(
            select(ri.status, ri.started_at, ri.finished_at).where(ri.id.in_(latest))
        )
        last_imports = {
            str(status): (started, finished) for status, started, finished in last_rows.all()
        }
    return _Snapshot(queue, import_runs, last_imports, datetime.now(UTC))


def _utc(moment: datetime) -> datetime:
    # func.min() bypasses the column type on SQLite, which then returns naive UTC values.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _families(snapshot: _Snapshot) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "tavle_job_queue_depth",
        "Background jobs waiting (QUEUED, PREVIEWING) or running (RUNNING), by action.",
        labels=["action", "status"],
    )
    age = GaugeMetricFamily(
        "tavle_job_queue_oldest_age_seconds",
        "Age of the oldest PREVIEWING, QUEUED or RUNNING job since it was requested (0 when none).",
        labels=["action", "status"],
    )
    for action in PrivacyAction:
        for status in QUEUE_STATES:
            count, oldest = snapshot.queue.get((str(action), str(status)), (0, None))
            depth.add_metric([str(action), str(status)], count)
            seconds = (snapshot.taken_at - _utc(oldest)).total_seconds() if oldest else 0.0
            age.add_metric([str(action), str(status)], max(seconds, 0.0))
    yield depth
    yield age
    runs = GaugeMetricFamily(
        "tavle_roster_import_runs", "Roster import runs recorded, by status.", labels=["status"]
    )
    for run_status, count in sorted(snapshot.import_runs.items()):
        runs.add_metric([run_status], count)
    yield runs
    duration = GaugeMetricFamily(
        "tavle_roster_import_last_duration_seconds",
        "Duration of the latest finished roster import run, by status.",
        labels=["status"],
    )
    finished = GaugeMetricFamily(
        "tavle_roster_import_last_finished_timestamp_seconds",
        "When the latest finished roster import run of each status ended (Unix time).",
        labels=["status"],
    )
    for run_status, (started_at, finished_at) in sorted(snapshot.last_imports.items()):
        ended = _utc(finished_at)
        duration.add_metric([run_status], max((ended - _utc(started_at)).total_seconds(), 0.0))
        finished.add_metric([run_status], ended.timestamp())
    yield duration
    yield finished


class DatabaseCollector(Collector):
    """Reads the job queue and the roster imports at scrape time, on an event loop and an
    engine (one connection) of its own, in a thread of its own."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="tavle-metrics-db", daemon=True
        )
        self.thread.start()
        self.engine = self._call(self._make_engine, database_url)

    @staticmethod
    async def _make_engine(url: str) -> AsyncEngine:
        return make_engine(url) if is_sqlite(url) else make_engine(url, pool_size=1)

    def _call(self, factory: Callable[..., Any], *args: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(factory(*args), self.loop).result(
            timeout=QUERY_TIMEOUT_SECONDS
        )

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "tavle_metrics_database_up",
            "1 when this scrape could read the job queue and roster imports from the database.",
        )
        try:
            snapshot: _Snapshot = self._call(_read, self.engine)
        except Exception as exc:  # any driver error or the timeout: answer without them
            log.warning("metrics: reading the database failed (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _families(snapshot)

    def describe(self) -> Iterable[Metric]:
        return []

    def close(self) -> None:
        try:
            self._call(self.engine.dispose)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=QUERY_TIMEOUT_SECONDS)
            self.loop.close()


class _QuietHandler(WSGIRequestHandler):
    """No access line per scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def _server_class(host: str) -> type[WSGIServer]:
    family = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        address_family = family

    return Server


def _only_metrics_path(app: Any) -> Any:
    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"Not found: metrics are at {PATH}\n".encode()]
        return app(environ, start_response)

    return serve


class MetricsListenerError(RuntimeError):
    """The listener cannot start (the port is taken, the host does not resolve)."""


class MetricsListener:
    """The listener and its multiprocess folder; :meth:`close` stops it and removes the folder."""

    def __init__(self, settings: Settings) -> None:
        host, port = settings.metrics_host, settings.metrics_port
        assert port is not None
        registry = CollectorRegistry(auto_describe=False)
        try:
            self.server = make_server(
                host,
                port,
                _only_metrics_path(make_wsgi_app(registry)),
                server_class=_server_class(host),
                handler_class=_QuietHandler,
            )
        except OSError as exc:
            raise MetricsListenerError(
                f"TAVLE_METRICS_PORT: cannot listen on {host}:{port} ({exc.strerror or exc})"
            ) from None
        self.port = int(self.server.server_port)
        # A private folder (mkdtemp: 0700) per server run: values of an earlier run never mix in.
        self.folder = Path(tempfile.mkdtemp(prefix="tavle-metrics-"))
        metrics.enable_multiprocess(self.folder)
        MultiProcessCollector(registry, path=str(self.folder))  # type: ignore[no-untyped-call]
        self.database = DatabaseCollector(settings.resolved_database_url())
        registry.register(self.database)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="tavle-metrics", daemon=True
        )
        self.thread.start()
        self._closed = False
        # also when the command ends by an exception or SystemExit before its own cleanup
        atexit.register(self.close)
        log.info(
            "metrics on http://%s:%d%s",
            host,
            self.port,
            PATH,
            extra={"fields": {"metrics_port": self.port, "metrics_folder": str(self.folder)}},
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self.server.shutdown()
        self.server.server_close()
        self.database.close()
        shutil.rmtree(self.folder, ignore_errors=True)

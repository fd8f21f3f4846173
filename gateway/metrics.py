"""The gateway's metrics: counters and histograms that every part of the gateway reports to.

The refusal paths (limits, rate limits, malformed requests) call :func:`count_refusal` and
:func:`count_rate_limited`; the request middleware (``gateway.request_observer``) records every
request, the job worker every job. Labels are codes, kinds, route templates and operation names
(bounded by :class:`OperationLabels`), never personal data.

The instruments are ``prometheus_client`` metrics, created on first use. ``tavle serve`` with
metrics on (``gateway.metrics_export``) switches ``prometheus_client`` to its multiprocess mode
before that first use: every worker process then writes its values to memory-mapped files in a
private folder, and the metrics listener adds them up, so a scrape sees the whole server however
many ``--workers`` it runs. Without it (tests, embedding), the values stay in this process.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

#: Label values for codes and scopes: short upper-case words or HTTP status numbers.
_CODE = re.compile(r"[A-Za-z0-9_]{1,64}")
#: The label for operation names beyond the cap, and for codes that are not codes.
OTHER = "other"

REQUEST_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENT_BUCKETS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
JOB_SECONDS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class _Instruments:
    """The metrics, in a registry of their own (``prometheus_client`` is imported here, on first
    use, so that multiprocess mode can still be switched on after this module was imported)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry: CollectorRegistry = CollectorRegistry(auto_describe=True)
        self.requests: Counter = Counter(
            "tavle_requests",
            "HTTP requests, by route, GraphQL operation name and outcome.",
            ["route", "operation", "outcome"],
            registry=self.registry,
        )
        self.request_seconds: Histogram = Histogram(
            "tavle_request_duration_seconds",
            "Time from receiving a request to the last byte of its response.",
            ["route", "operation", "outcome"],
            buckets=REQUEST_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.request_statements: Histogram = Histogram(
            "tavle_request_sql_statements",
            "SQL statements executed for one request.",
            ["route", "operation"],
            buckets=STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self.graphql_errors: Counter = Counter(
            "tavle_graphql_errors",
            "Errors in GraphQL responses by extensions.code (FORBIDDEN: a denied field).",
            ["code"],
            registry=self.registry,
        )
        self.refusals: Counter = Counter(
            "tavle_refusals",
            "Requests refused by a limit or as malformed, by code.",
            ["code"],
            registry=self.registry,
        )
        self.rate_limited: Counter = Counter(
            "tavle_rate_limited",
            "Requests answered 429, by the rate-limit bucket that was empty.",
            ["scope"],
            registry=self.registry,
        )
        self.jobs: Counter = Counter(
            "tavle_jobs",
            "Background job runs by action and outcome (done, failed, lost_lease, interrupted).",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.job_seconds: Histogram = Histogram(
            "tavle_job_duration_seconds",
            "How long a background job run took, by action.",
            ["action"],
            buckets=JOB_SECONDS_BUCKETS,
            registry=self.registry,
        )


_lock = threading.Lock()
_instruments: _Instruments | None = None


def _get() -> _Instruments:
    global _instruments
    instruments = _instruments
    if instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = _Instruments()
            instruments = _instruments
    return instruments


def enable_multiprocess(directory: Path) -> None:
    """Write metric values to files in ``directory`` (this process and the worker processes it
    starts, which inherit the environment variable). Must run before any metric is recorded."""
    if _instruments is not None:
        raise RuntimeError("metrics were recorded before multiprocess mode was switched on")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from prometheus_client import values

    # prometheus_client chooses its value class when it is first imported; recompute it in case
    # something imported it before the variable was set.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def _code(value: str) -> str:
    return value if _CODE.fullmatch(value) else OTHER


class OperationLabels:
    """Operation names are chosen by clients, so only names the gateway has reason to keep get a
    label value of their own: those of operations that passed validation and came from an
    authenticated caller (``known``), the first ``limit`` distinct ones in this process. Later
    names, and every name of an anonymous, refused or invalid operation, share ``other``: an
    attacker cannot use up the labels by inventing names. Unnamed operations are ``anonymous``;
    requests without an operation (other routes, unparsable documents) ``""``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None, *, graphql: bool, known: bool) -> str:
        if name is None:
            return "anonymous" if graphql else ""
        if not known:
            return OTHER
        if name in self._seen:
            return name
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(name)
            return name


def observe_request(
    *, route: str, operation: str, outcome: str, seconds: float, statements: int
) -> None:
    """One finished HTTP request."""
    instruments = _get()
    instruments.requests.labels(route, operation, outcome).inc()
    instruments.request_seconds.labels(route, operation, outcome).observe(seconds)
    instruments.request_statements.labels(route, operation).observe(statements)


def count_graphql_errors(codes: Iterable[str]) -> None:
    """The ``extensions.code`` of each error in a GraphQL response."""
    errors = _get().graphql_errors
    for code in codes:
        errors.labels(_code(code)).inc()


def count_refusal(code: str) -> None:
    """A request was refused with ``code`` (``QUERY_TOO_COMPLEX``, ``TIMEOUT``, 413 ...)."""
    _get().refusals.labels(_code(code)).inc()


def count_rate_limited(scope: str) -> None:
    """A caller was answered 429; ``scope`` says which bucket (``person``, ``address`` ...)."""
    _get().rate_limited.labels(_code(scope)).inc()


def observe_job(action: str, outcome: str, seconds: float) -> None:
    """One run of a background job."""
    instruments = _get()
    instruments.jobs.labels(_code(action), _code(outcome)).inc()
    instruments.job_seconds.labels(_code(action)).observe(seconds)


def _totals(metric: str, label: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for family in _get().registry.collect():
        for sample in family.samples:
            if sample.name == metric:
                found[sample.labels[label]] = int(sample.value)
    return found


def refusals() -> dict[str, int]:
    """This process's refusal counts by code."""
    return _totals("tavle_refusals_total", "code")


def rate_limited() -> dict[str, int]:
    """This process's 429 counts by scope."""
    return _totals("tavle_rate_limited_total", "scope")

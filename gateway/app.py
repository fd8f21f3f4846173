"""The Starlette application: routes as a literal list, state created in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import FrameType

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.settings import Settings, get_settings
from gateway.authentication import AuthenticationMiddleware
from gateway.console import console_routes
from gateway.exports import download_export
from gateway.files import download_file
from gateway.graphiql import graphiql_routes
from gateway.graphql_app import TavleGraphQL, graphql_route, graphql_websocket_route
from gateway.http import edge_middleware
from gateway.http.errors import EXCEPTION_HANDLERS
from gateway.jobs import RunningWorker
from gateway.limits.workers import quick_thread_switches
from gateway.request_observer import RequestObserver
from gateway.state import AppState
from gateway.subscriptions import event_feed
from gateway.telemetry import configure_tracing, flush, instrument_engine
from store.db import is_sqlite, make_engine, migrate
from store.privacy.retention import record_loaded, retention_registry

log = logging.getLogger("tavle.app")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    state: AppState = request.app.state.tavle
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"; the detail stays in the log
        log.exception("readiness check: database unreachable")
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    policy_lines = len(state.policy.coordinates())
    if policy_lines == 0:
        return JSONResponse({"status": "unavailable", "policy": "empty"}, status_code=503)
    if state.settings.jwks_configured:
        # A JWKS URL may have to be fetched again (blocking I/O): off the event loop then.
        # Not ready while any trusted issuer's keys cannot be loaded.
        authenticator = state.authenticator
        problem = (
            await asyncio.to_thread(authenticator.signing_keys_problem)
            if state.settings.jwks_fetched
            else authenticator.signing_keys_problem()
        )
        if problem is not None:
            log.warning("readiness check: %s", problem)
            return JSONResponse(
                {"status": "unavailable", "signingKeys": "unavailable"}, status_code=503
            )
        return JSONResponse(
            {"status": "ok", "database": "ok", "policyLines": policy_lines, "signingKeys": "ok"}
        )
    return JSONResponse({"status": "ok", "database": "ok", "policyLines": policy_lines})


@contextlib.contextmanager
def _on_termination(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` on the event loop as soon as SIGTERM or SIGINT arrives.

    uvicorn handles both signals itself (it stops accepting and drains the requests in flight,
    then runs the lifespan's shutdown); its handlers are kept and called after ours, so the
    job worker learns about the shutdown at its start rather than after the drain. Signals can
    only be handled in the main thread: a server run in another thread (the tests) and one
    whose signals nobody handles are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {int(sig): signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(sig: int, frame: FrameType | None) -> None:
        # A fresh context: the signal may land inside a request, whose ids must not leak.
        loop.call_soon_threadsafe(callback, context=contextvars.Context())
        chained = previous[sig]
        if callable(chained):
            chained(sig, frame)

    hooked = [sig for sig, handler in previous.items() if callable(handler)]
    for sig in hooked:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig in hooked:
            signal.signal(sig, previous[sig])


#: The garbage collector's thresholds while the gateway runs. Python's default (a young-object
#: collection every 700 allocations) runs about thirty collections during a large response and
#: a full one every few requests: measured on the gradebook benchmark, about a fifth of the
#: request's CPU time. Nearly all of a response's objects are freed by reference counting as
#: soon as it is sent; collections are only needed for cycles, which are rare per request.
GC_THRESHOLDS = (20_000, 20, 20)


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> Starlette:
    """The gateway. ``state`` lets tests and the benchmark share an engine with the app."""
    settings = settings or (state.settings if state is not None else get_settings())
    configure_tracing()
    app_state = state or AppState.create(settings)
    graphiql = "graphiql" if settings.graphiql_enabled else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(settings.resolved_database_url())
        # A retention registry other than the last one used is recorded (its digest only).
        async with app_state.engine.begin() as conn:
            await record_loaded(conn, retention_registry(settings.retention_file))
        instrument_engine(app_state.engine)
        # Subscription events from every process (PostgreSQL LISTEN) or this one (SQLite).
        events = event_feed(settings.resolved_database_url(), app_state.engine, app_state.events)
        await events.start()
        # The staff access log's writer (gateway/access_log.py), on a connection of its own, as
        # the job worker's: its batched writes never wait for a request's pooled connection, and
        # no request waits for them. Written once more at the end.
        url = settings.resolved_database_url()
        log_engine = make_engine(url) if is_sqlite(url) else make_engine(url, pool_size=1)
        instrument_engine(log_engine)
        await app_state.access_log.start(log_engine)
        # What startup built (schemas, policy, engine) lives as long as the gateway: kept out of
        # the garbage collector's full collections, which a flood of requests triggers and which
        # would otherwise walk it all while the event loop waits (docs/security.md). Handed back
        # to the collector when the gateway stops (tests run many gateways in one process).
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        worker = RunningWorker(settings, app_state.job_handlers) if settings.jobs_enabled else None
        try:
            with (
                # Threads take turns on the interpreter lock every millisecond: a GraphQL thread
                # validating a heavy document delays the event loop and the database driver's
                # threads by that at most (gateway/limits/workers.py, docs/security.md).
                quick_thread_switches(),
                _on_termination(worker.begin_shutdown)
                if worker is not None
                else contextlib.nullcontext(),
            ):
                yield
        finally:
            if worker is not None:
                await worker.stop()
            await events.stop()
            await app_state.access_log.stop()
            await log_engine.dispose()
            app_state.graphql_workers.close()
            await app_state.engine.dispose()
            flush()
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    routes = [
        # GET runs only persisted queries, let through by the admission (gateway/persisted_queries)
        graphql_route(TavleGraphQL(app_state, graphql_ide=graphiql, allow_queries_via_get=True)),
        Route(
            "/privacy/exports/{requestId}",
            download_export,
            methods=["GET"],
            middleware=[Middleware(AuthenticationMiddleware, state=app_state)],
        ),
        # Subscriptions on the same path (graphql-transport-ws, gateway/subscriptions.py)
        graphql_websocket_route(TavleGraphQL(app_state, graphql_ide=None)),
        # Uploaded files, by a signed link (gateway/files.py)
        Route("/files/{fileId}", download_file, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # GraphiQL's scripts and styles, while it is on (served here: it works offline)
        *graphiql_routes(settings),
        # The admin console (gateway/console, docs/console.md)
        *console_routes(app_state),
    ]
    middleware = [
        # Outermost: every request, also one a limit refuses, gets its id, span, metrics and
        # log line (docs/operations.md). Other middlewares go after it.
        Middleware(RequestObserver, max_operations=settings.metrics_max_operations),
        # The HTTP edge (docs/security.md): trusted proxies, security headers, CORS, the
        # address rate limit and the body limit, before any route.
        *edge_middleware(settings, app_state.rate_limits),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.tavle = app_state
    return app


def create_app_from_environment() -> Starlette:
    """The gateway configured from the environment alone: the app factory each worker process
    of ``tavle serve`` imports (``gateway.app:create_app_from_environment``)."""
    return create_app(Settings())

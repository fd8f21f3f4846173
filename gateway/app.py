"""The Starlette application: routes as a literal list, state created in the lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.exports import download_export
from gateway.graphql_app import TavleGraphQL
from gateway.jobs import RunningWorker
from gateway.settings import Settings, get_settings
from gateway.state import AppState
from gateway.telemetry import configure_tracing, instrument_engine
from store.db import migrate

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
    return JSONResponse({"status": "ok", "database": "ok", "policyLines": policy_lines})


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> Starlette:
    """The gateway. ``state`` lets tests and the benchmark share an engine with the app."""
    settings = settings or (state.settings if state is not None else get_settings())
    configure_tracing()
    app_state = state or AppState.create(settings)
    graphiql = "graphiql" if settings.graphiql_enabled else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(settings.resolved_database_url())
        instrument_engine(app_state.engine)
        worker = RunningWorker(settings, app_state.job_handlers) if settings.jobs_enabled else None
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            await app_state.engine.dispose()

    routes = [
        Route(
            "/graphql",
            TavleGraphQL(app_state, graphql_ide=graphiql, allow_queries_via_get=False),
            methods=["GET", "POST"],
        ),
        Route("/privacy/exports/{requestId}", download_export, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.tavle = app_state
    return app

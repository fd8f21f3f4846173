"""A real gateway for tests: uvicorn on a loopback port, a real HTTP client, a real database.

``LiveGateway.gql`` posts GraphQL as a demo person (by username) with a development token, and
``LiveGateway.count_sql`` counts the SQL statements the server runs for one request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from demo_template import seed_demo
from sqlalchemy import event, select

from config.ids import to_global_id
from config.settings import Settings
from gateway.app import create_app
from gateway.jobs import Handler, JobWorker
from gateway.state import AppState
from store import tables as t
from store.db import make_engine
from store.tables import PrivacyAction

REPO = Path(__file__).resolve().parent.parent
DEMO_ROSTER = REPO / "gateway" / "demo_data" / "roster"
TEST_DEV_SECRET = "tavle-test-development-secret-0123456789abcdef"


class GraphQLResult(dict[str, Any]):
    """The response body, with helpers for the assertions the tests make most."""

    @property
    def data(self) -> Any:
        return self.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.get("errors") or [])

    def codes(self) -> set[str]:
        return {str(e.get("extensions", {}).get("code")) for e in self.errors}

    def error_at(self, *path: str | int) -> dict[str, Any] | None:
        for error in self.errors:
            if tuple(error.get("path") or ()) == path:
                return error
        return None

    def code_at(self, *path: str | int) -> str | None:
        error = self.error_at(*path)
        return None if error is None else str(error.get("extensions", {}).get("code"))


@dataclass
class LiveGateway:
    backend: str
    url: str
    database_url: str
    state: AppState
    client: httpx.Client
    _statements: list[str] = field(default_factory=list)
    _counting: bool = False
    _ids: dict[str, int] = field(default_factory=dict)

    def token(self, username: str) -> str:
        return self.state.authenticator.mint_development_token(username)

    def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResult:
        sent = dict(headers or {})
        if as_user is not None:
            token = self.token(as_user)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = self.client.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        assert response.status_code == 200, response.text
        return GraphQLResult(response.json())

    @contextmanager
    def count_sql(self) -> Iterator[list[str]]:
        """Collect the statements the server executes inside the block."""
        self._statements.clear()
        self._counting = True
        try:
            yield self._statements
        finally:
            self._counting = False

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._counting:
            self._statements.append(statement)

    # --- looking up demo ids -----------------------------------------------------------------
    def person_pk(self, username: str) -> int:
        return self._lookup(t.people, t.people.c.username, username)

    def person_id(self, username: str) -> str:
        return to_global_id("User", self.person_pk(username))

    def course_pk(self, sourced_id: str) -> int:
        return self._lookup(t.courses, t.courses.c.sourced_id, sourced_id)

    def course_id(self, sourced_id: str) -> str:
        return to_global_id("Course", self.course_pk(sourced_id))

    def school_id(self, sourced_id: str) -> str:
        return to_global_id("School", self._lookup(t.schools, t.schools.c.sourced_id, sourced_id))

    def _lookup(self, table: Any, column: Any, value: str) -> int:
        key = f"{table.name}:{value}"
        if key not in self._ids:
            self._ids[key] = self.scalar(select(table.c.id).where(column == value))
        return self._ids[key]

    def scalar(self, stmt: Any) -> Any:
        """Run one read-only statement on a separate engine (tests' view of the database)."""

        async def run() -> Any:
            engine = make_engine(self.database_url)
            try:
                async with engine.connect() as conn:
                    return (await conn.execute(stmt)).scalar_one()
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def execute(self, *statements: Any) -> list[Any]:
        """Run write statements in one transaction on a separate engine (what the roster import
        or an operator would do to the database); their results."""

        async def run() -> list[Any]:
            engine = make_engine(self.database_url)
            try:
                async with engine.begin() as conn:
                    return [await conn.execute(statement) for statement in statements]
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def rows(self, stmt: Any) -> list[Any]:
        async def run() -> list[Any]:
            engine = make_engine(self.database_url)
            try:
                async with engine.connect() as conn:
                    return list((await conn.execute(stmt)).all())
            finally:
                await engine.dispose()

        return asyncio.run(run())


@contextmanager
def run_gateway(
    backend: str, database_url: str, data_dir: Path, **overrides: Any
) -> Iterator[LiveGateway]:
    """Start the gateway on the demo school under uvicorn in a thread; stop it afterwards."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        dev_secret=TEST_DEV_SECRET,
        **overrides,
    )
    seed_demo(backend, settings, DEMO_ROSTER)
    state = AppState.create(settings)
    app = create_app(settings, state=state)
    # proxy_headers=False as in `tavle serve`: X-Forwarded-For counts only from the proxies
    # the settings trust (TAVLE_TRUSTED_PROXIES), never from uvicorn's default 127.0.0.1.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{backend}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 90  # generous: parallel test workers load the machine
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    client = httpx.Client(timeout=60)
    live = LiveGateway(backend, f"http://127.0.0.1:{port}", database_url, state, client)
    event.listen(state.engine.sync_engine, "before_cursor_execute", live._on_execute)
    try:
        yield live
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def own_gateway(backend: str, factory: Any, name: str, **overrides: Any) -> Iterator[LiveGateway]:
    """A gateway of its own on a fresh demo database, for test modules that change data the
    shared gateway's other modules must not see (``factory``: pytest's tmp_path_factory)."""
    from db_support import fresh_database

    folder = factory.mktemp(f"{name}-{backend}")
    with (
        fresh_database(backend, folder, prefix=f"tavle_{name.replace('-', '_')}") as url,
        run_gateway(backend, url, folder, **overrides) as live,
    ):
        yield live


def run_jobs(
    live: LiveGateway, folder: Path, handlers: Mapping[PrivacyAction, Handler] | None = None
) -> int:
    """Run the job worker by hand until nothing is left to claim (for gateways started without
    their own worker, so a test decides when jobs run); how many jobs it ran. ``handlers``: the
    gateway's own (``AppState.job_handlers``) unless given, e.g. with an injected failure."""

    async def main() -> int:
        engine = make_engine(live.database_url)
        worker = JobWorker(
            engine,
            handlers if handlers is not None else live.state.job_handlers,
            export_dir=folder,
            poll_seconds=0.05,
            lease_seconds=30,
        )
        ran = 0
        try:
            while await worker.run_once():
                ran += 1
        finally:
            await engine.dispose()
        return ran

    return asyncio.run(main())

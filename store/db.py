"""Engines and schema migration.

Every command that opens a database first brings its schema up to date (docs/interfaces.md), so
a new, empty database just works. SQLite gets foreign keys switched on (off by default in
SQLite) and WAL, so the gateway's readers do not block the import's writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import event, exc, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from store.sqlite import create_private_database_file, immediate_writes
from store.text import FOLD_FUNCTION

log = logging.getLogger("tavle.db")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "tavle_idle_since"
#: each engine's twin for reads (``reader``), kept while the engine lives
_READERS: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()
#: The PostgreSQL advisory lock held while the schema is upgraded ("tavlemig" in ASCII).
MIGRATION_LOCK_KEY = 0x7461766C656D6967


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # SQLite's lower() folds ASCII only; store.text.folded uses this one (Python's lower()).
    dbapi_connection.create_function(FOLD_FUNCTION, 1, _fold, deterministic=True)


def _fold(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _ensure_sqlite_folder(url: str) -> None:
    """Create the database's folder (0700) and file (0600) before SQLite does (store/sqlite.py)."""
    sqlite_path = make_url(url).database
    if sqlite_path and sqlite_path != ":memory:" and not sqlite_path.startswith("file:"):
        create_private_database_file(Path(sqlite_path))


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> AsyncEngine:
    """An async engine for ``url`` with the settings the gateway relies on.

    ``hide_parameters`` keeps bound values (names, national ids ...) out of exception messages
    and logs.
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return immediate_writes(engine)
    kwargs.setdefault("pool_size", 10)
    engine = create_async_engine(url, **kwargs)
    ping_idle_connections(engine, ping_after_idle)
    return engine


def ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and on asyncpg a ping is three round
    trips (``BEGIN``, ``SELECT``, ``ROLLBACK``): a gradebook checks out a connection a dozen
    times. A connection in steady use has just proved itself; one that sat idle may have been
    closed by the server (a restart, an idle timeout, a failover) and is replaced here before
    a request sees it. A connection that breaks while in use fails its statement, and
    SQLAlchemy then discards the pool's other connections.
    """

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # the pool replaces the connection and tries again
            raise exc.DisconnectionError("a pooled connection no longer answers") from error


def reader(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for statements that only read, which need no transaction of their own.

    On PostgreSQL its connections run in autocommit mode: each read is one round trip instead
    of three (``BEGIN``, the statement, ``ROLLBACK``), and READ COMMITTED gives every statement
    its own snapshot either way. SQLite keeps ``engine``: a read there is local and takes no
    lock beyond its statement.
    """
    if engine.dialect.name != "postgresql":
        return engine
    found = _READERS.get(engine.sync_engine)
    if found is None:
        found = engine.execution_options(isolation_level="AUTOCOMMIT")
        _READERS[engine.sync_engine] = found
    return found


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade_sync(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@contextlib.asynccontextmanager
async def migration_lock(url: str) -> AsyncIterator[None]:
    """Held while the schema of the database at ``url`` is upgraded (``store/migrations/env.py``).

    Several processes may start on one database at once (``tavle serve --workers``, gateways on
    several hosts, a command beside a running gateway, ``alembic upgrade``): one upgrades, the
    others wait and then find the schema current. On PostgreSQL a session-level advisory lock
    on a connection of its own, outside any transaction, so it holds however the migrations
    commit, and a process that dies mid-upgrade frees it with its connection. On SQLite an
    owner-only lock file beside the database (``<database>.migration-lock``).
    """
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            yield
            return
        _ensure_sqlite_folder(url)
        # Not thread-local: acquired in a worker thread, released on the event loop's thread.
        lock = FileLock(f"{database}.migration-lock", mode=0o600, thread_local=False)
        await asyncio.to_thread(lock.acquire)
        try:
            yield
        finally:
            lock.release()
        return
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            locked = await conn.scalar(select(func.pg_try_advisory_lock(MIGRATION_LOCK_KEY)))
            if not locked:
                log.info("waiting for another process to finish upgrading the database schema")
                await conn.execute(select(func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
            try:
                yield
            finally:
                await conn.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
    finally:
        await engine.dispose()


async def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema revision.

    The upgrade runs under :func:`migration_lock` (taken by Alembic's env), so processes that
    start together on a new database do not collide. Alembic's env runs its own event loop for
    the async driver, so it is run in a worker thread.
    """
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
    await asyncio.to_thread(_upgrade_sync, url)

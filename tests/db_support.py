"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database on 127.0.0.1:5432.

In CI (``CI=true``) an unreachable PostgreSQL fails the run; on a developer machine the
PostgreSQL leg is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_SERVER = os.environ.get(
    "TAVLE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
#: the pseudonym key roster imports in tests recognise erased people with
TEST_IDENTITY_KEY = b"test-identity-key-0123456789abcdef"


async def admin_statement(statement: str) -> None:
    """Run a server-level statement (CREATE/DROP DATABASE) on the PostgreSQL test server."""
    # CREATE/DROP DATABASE cannot run inside a transaction, hence AUTOCOMMIT.
    engine = create_async_engine(
        f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_database(backend: str, folder: Path, prefix: str = "tavle_test") -> Iterator[str]:
    """Yield the URL of a new, empty database of ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/tavle.sqlite3"
        return
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        asyncio.run(admin_statement(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, exc.DBAPIError) as error:
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable: {type(error).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

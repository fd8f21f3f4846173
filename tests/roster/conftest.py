"""Fixtures for the roster import tests: a migrated database per test, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from roster_support import RosterFolder
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import create_async_engine

from store.db import migrate

POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _admin(statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction, hence AUTOCOMMIT.
    engine = create_async_engine(
        f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def roster_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database, dropped after the test."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
        asyncio.run(migrate(url))
        yield url
        return
    name = f"tavle_roster_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, exc.DBAPIError) as error:
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable: {type(error).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        url = f"{POSTGRES_SERVER}/{name}"
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def demo_copy(tmp_path: Path) -> RosterFolder:
    """An editable copy of demo/roster."""
    return RosterFolder(tmp_path / "roster")

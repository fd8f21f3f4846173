"""Fixtures for the roster import tests: a fresh, migrated database per test, on SQLite and
PostgreSQL.

Migrating takes most of a test's time, so each backend migrates one template once per session and
every test gets a copy of it: a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_support import POSTGRES_SERVER, admin_statement
from roster_support import RosterFolder
from sqlalchemy import exc

from store.db import migrate


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roster-template") / "template.db"
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str | BaseException]:
    """The name of a migrated template database, or why the server could not be used."""
    name = f"tavle_roster_{secrets.token_hex(6)}"
    try:
        asyncio.run(admin_statement(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, exc.DBAPIError) as error:
        yield error
        return
    try:
        asyncio.run(migrate(f"{POSTGRES_SERVER}/{name}"))
        yield name
    finally:
        asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def roster_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database of its own, dropped after the test.

    PostgreSQL unreachable: the test fails when CI=true, and is skipped otherwise.
    """
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, tmp_path / "t.db")
        yield f"sqlite+aiosqlite:///{tmp_path}/t.db"
        return
    postgres: str | BaseException = request.getfixturevalue("_postgres_template")
    if isinstance(postgres, BaseException):
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable: {type(postgres).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    name = f"tavle_roster_{secrets.token_hex(6)}"
    asyncio.run(admin_statement(f'CREATE DATABASE "{name}" TEMPLATE "{postgres}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def demo_copy(tmp_path: Path) -> RosterFolder:
    """An editable copy of gateway/demo_data/roster, moved to the current school year."""
    return RosterFolder(tmp_path / "roster")

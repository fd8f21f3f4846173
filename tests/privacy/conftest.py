"""Fixtures for the privacy provider and export tests: the demo school, on SQLite and PostgreSQL.

Seeding the demo (``gateway.demo.ensure_demo``: the roster import plus the demo activity) takes
a few seconds, so each backend seeds one *template* database per session. Tests that only read
use the template (``demo``); tests that change data get a copy of their own (``demo_copy``): a
file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL. Every test closes its
engine before it returns, as ``CREATE DATABASE ... TEMPLATE`` needs a template nobody is
connected to.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_support import BACKENDS, POSTGRES_SERVER, admin_statement, fresh_database
from sqlalchemy.engine import make_url

from config.settings import Settings
from gateway.demo import ensure_demo
from gateway.demo_data import DEMO_ROSTER
from store.db import is_sqlite


@pytest.fixture(scope="session", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the seeded demo school on one backend: read it, never change it."""
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"privacy-demo-{backend}")
    with fresh_database(backend, folder, prefix="tavle_privacy") as url:
        settings = Settings(data_dir=folder, dev_secret="x" * 40, database_url=url)
        assert asyncio.run(ensure_demo(settings, DEMO_ROSTER)) is True
        yield url


@pytest.fixture
def demo_copy(demo: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a private copy of the demo school that the test may change."""
    if is_sqlite(demo):
        source = Path(str(make_url(demo).database))
        target = tmp_path / "copy.sqlite3"
        shutil.copyfile(source, target)
        for suffix in ("-wal", "-shm"):
            extra = source.with_name(source.name + suffix)
            if extra.exists():
                shutil.copyfile(extra, target.with_name(target.name + suffix))
        yield f"sqlite+aiosqlite:///{target}"
        return
    template = make_url(demo).database
    name = f"tavle_privacy_{secrets.token_hex(6)}"
    asyncio.run(admin_statement(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

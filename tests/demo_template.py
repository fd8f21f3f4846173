"""The demo school seeded once per test process and backend, then copied for each test gateway.

Seeding a database the way ``tavle serve`` does (``gateway.demo.ensure_demo``: every migration,
the roster import, the demo activity) costs seconds of CPU, and the suite starts a few hundred
gateways. So the first gateway of a process seeds a template database, and every later one gets
a copy of it: SQLite through the backup API, PostgreSQL with ``CREATE DATABASE … TEMPLATE``.

A copy is made only where it matches a fresh seed: the demo roster, the real clock (a test on a
manual clock seeds at its own time), the same policy file and pseudonym key setting, an empty
database (a test may import its own roster first), and a template seeded on the same Oslo date
(the demo's dates are relative to today) at most ``MAX_AGE`` ago (its time stamps are that much
older than a fresh seed's). The data folder's key files are copied with the database, so every
gateway of one process shares the template's pseudonym key where a fresh seed would make a new
one: the roster import recognises erased people by labels made with that key.
Anything else seeds as before.

PostgreSQL templates are named with the process id; each process drops the templates of
processes that are gone (a worker killed mid-run cannot drop its own at exit).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from config import clock
from config.settings import Settings
from gateway.demo import ensure_demo
from store.files import create_private_file, private_folder

#: what the demo's seed reads from the data folder, copied along with the database
KEY_FILES = ("pseudonym-key",)
#: how long a template is copied before it is seeded again
MAX_AGE_SECONDS = 600.0
OSLO = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class _Template:
    #: the data folder the template was seeded with (its key files)
    folder: Path
    #: the SQLite file, or the PostgreSQL database's name
    database: str
    #: the Oslo date it was seeded on, and when (monotonic seconds)
    seeded_on: date
    seeded_at: float

    def is_current(self) -> bool:
        return (
            self.seeded_on == datetime.now(OSLO).date()
            and time.monotonic() - self.seeded_at < MAX_AGE_SECONDS
        )


_templates: dict[tuple[str, str, str, str], _Template] = {}


def seed_demo(backend: str, settings: Settings, roster: Path) -> None:
    """Give the empty database of ``settings`` the roster's school and the demo activity, from
    this process's template where a copy is the same as a fresh seed (the module's docstring)."""
    key = (
        backend,
        str(roster),
        str(settings.policy_file),
        settings.pseudonym_key.get_secret_value(),
    )
    url = settings.resolved_database_url()
    copyable = (
        isinstance(clock._clock, clock.SystemClock)
        and not any((settings.data_dir / name).exists() for name in KEY_FILES)
        and _is_empty(backend, url)
    )
    if not copyable:
        asyncio.run(ensure_demo(settings, roster))
        return
    template = _templates.get(key)
    if template is None or not template.is_current():
        if template is not None:
            _drop(backend, template)
        template = _templates[key] = _seed_template(backend, settings, roster)
    private_folder(settings.data_dir)
    for name in KEY_FILES:
        if (template.folder / name).exists():
            shutil.copy2(template.folder / name, settings.data_dir / name)  # keeps its 0600
    if backend == "sqlite":
        _copy_sqlite(Path(template.database), Path(str(make_url(url).database)))
    else:
        _copy_postgres(template.database, str(make_url(url).database))


def _seed_template(backend: str, settings: Settings, roster: Path) -> _Template:
    from db_support import POSTGRES_SERVER, admin_statement

    folder = Path(tempfile.mkdtemp(prefix="tavle-demo-template-"))
    seeded_on, seeded_at = datetime.now(OSLO).date(), time.monotonic()
    if backend == "sqlite":
        database = str(folder / "template.sqlite3")
        url = f"sqlite+aiosqlite:///{database}"
    else:
        _drop_orphans()
        database = f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
        asyncio.run(admin_statement(f'CREATE DATABASE "{database}"'))
        url = f"{POSTGRES_SERVER}/{database}"
    template = _Template(folder, database, seeded_on, seeded_at)
    atexit.register(_drop, backend, template)
    seeding = settings.model_copy(update={"data_dir": folder, "database_url": url})
    asyncio.run(ensure_demo(seeding, roster))
    return template


PREFIX = "tavle_template_"


def _drop(backend: str, template: _Template) -> None:
    from db_support import admin_statement

    shutil.rmtree(template.folder, ignore_errors=True)
    if backend != "sqlite":
        drop = f'DROP DATABASE IF EXISTS "{template.database}" WITH (FORCE)'
        asyncio.run(admin_statement(drop))


def _drop_orphans() -> None:
    """Drop the PostgreSQL templates of test processes that are no longer running."""
    from db_support import POSTGRES_SERVER, admin_statement

    async def names() -> list[str]:
        engine = create_async_engine(f"{POSTGRES_SERVER}/test")
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                    {"p": f"{PREFIX}%"},
                )
                return [str(name) for name in found.scalars()]
        finally:
            await engine.dispose()

    for name in asyncio.run(names()):
        pid = name.removeprefix(PREFIX).split("_")[0]
        if pid.isdigit() and not _is_running(int(pid)):
            asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _is_empty(backend: str, url: str) -> bool:
    """Whether the test's database is still as ``fresh_database`` made it (a test may import
    its own roster before the gateway starts; then the demo's seed adds nothing to it)."""
    if backend == "sqlite":
        return not Path(str(make_url(url).database)).exists()

    async def tables() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = 'public'"
                    )
                )
                return int(found.scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(tables()) == 0


def _copy_sqlite(template: Path, target: Path) -> None:
    """Into a new file made private the way the product makes its database (its WAL files
    take the database file's mode)."""
    private_folder(target.parent)
    os.close(create_private_file(target))
    source = sqlite3.connect(template)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _copy_postgres(template: str, target: str) -> None:
    """The test's database was created empty (``db_support.fresh_database``): it is made again
    as a copy of the template (nobody is connected to either yet)."""
    from db_support import admin_statement

    async def recreate() -> None:
        await admin_statement(f'DROP DATABASE "{target}" WITH (FORCE)')
        await admin_statement(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')

    asyncio.run(recreate())

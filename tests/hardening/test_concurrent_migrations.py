"""Processes that start together on a fresh database all get its schema upgraded
(docs/operations.md, "Migrations").

Several real processes (``store.db.migrate``, what every command and every server process runs
first) are released at the same moment against one new database, on SQLite and PostgreSQL: all
exit 0, and the schema is at Alembic's head with every table in place. The upgrade runs under a
lock (a PostgreSQL advisory lock, a lock file beside a SQLite database), so one process upgrades
and the others find the schema current.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from db_support import BACKENDS, fresh_database
from sqlalchemy import inspect, text

from store.db import alembic_config, make_engine
from store.tables import metadata

PROCESSES = 4
REPO = Path(__file__).resolve().parents[2]

#: Imports everything first, says so with a file, then waits for the go file: the upgrades
#: start at the same moment.
MIGRATOR = """
import asyncio, os, sys, time
from store.db import migrate
url, folder, name = sys.argv[1:]
open(os.path.join(folder, "ready-" + name), "w").close()
while not os.path.exists(os.path.join(folder, "go")):
    time.sleep(0.01)
asyncio.run(migrate(url))
"""


async def schema_state(url: str) -> tuple[str, set[str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one()
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        return str(revision), tables
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_migrating_a_fresh_database_at_once_all_succeed(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path, prefix="tavle_migrate") as url:
        environment = {**os.environ, "PYTHONPATH": str(REPO)}
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATOR, url, str(tmp_path), str(number)],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for number in range(PROCESSES)
        ]
        try:
            deadline = time.monotonic() + 60
            while len(list(tmp_path.glob("ready-*"))) < PROCESSES:
                assert all(process.poll() is None for process in processes), "a process died"
                assert time.monotonic() < deadline, "the processes did not start"
                time.sleep(0.02)
            (tmp_path / "go").touch()
            results = [process.communicate(timeout=120) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
        for process, (_out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err

        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        revision, tables = asyncio.run(schema_state(url))
        assert revision == head
        assert set(metadata.tables) <= tables

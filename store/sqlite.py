"""SQLite specifics: owner-only database files, and write transactions that begin IMMEDIATE.

**Transactions.** Python's ``sqlite3`` (and so ``aiosqlite``) by default opens a transaction only
at the first INSERT, UPDATE or DELETE: the SELECTs before it run outside it, so a writer can
read a value (the audit chain's head, a request's status) that another writer changes before
this one takes the database's write lock. Here SQLAlchemy emits the BEGIN itself (the driver's
own transaction handling is switched off): ``engine.begin()``, which every write path uses,
starts with ``BEGIN IMMEDIATE`` and so holds the write lock from its first statement (waiting
up to the busy timeout for another writer to finish); ``engine.connect()``, used for reads,
starts a plain deferred ``BEGIN``, a consistent snapshot that never blocks a writer in WAL
mode. Two writers are then serialised from their first read, as PostgreSQL serialises the
audit log's appenders with an advisory lock (``store.audit``).

**Files.** The database file is created by this process, empty, with mode 0600 in a folder of
mode 0700 before SQLite opens it; SQLite gives its ``-wal`` and ``-shm`` files the database
file's mode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.files import create_private_file, private_folder

log = logging.getLogger("tavle.store")

#: execution option marking a connection whose transaction writes
_WRITE = "tavle_write_transaction"


class SQLiteEngine(AsyncEngine):
    """An ``AsyncEngine`` whose ``begin()`` starts the transaction with ``BEGIN IMMEDIATE``."""

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn


def _driver_leaves_transactions_to_us(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin(conn: Connection) -> None:
    # Straight on the driver's cursor, like PostgreSQL's driver sends its BEGIN: not a statement
    # of the request's (statement counts and SQL spans stay the same on both backends).
    immediate = bool(conn.get_execution_options().get(_WRITE))
    cursor = conn.connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    finally:
        cursor.close()


def immediate_writes(engine: AsyncEngine) -> SQLiteEngine:
    """``engine`` (a new SQLite engine) with SQLAlchemy in charge of BEGIN, as described above."""
    event.listen(engine.sync_engine, "connect", _driver_leaves_transactions_to_us)
    event.listen(engine.sync_engine, "begin", _begin)
    return SQLiteEngine(engine.sync_engine)


def create_private_database_file(path: Path) -> None:
    """Create the folder (0700) and an empty database file (0600) unless they exist.

    An empty file is a valid empty SQLite database. Existing ones are left as they are, with a
    warning when others may read them (the operator may have reasons, e.g. a backup group).
    """
    private_folder(path.parent)
    try:
        descriptor = create_private_file(path)
    except FileExistsError:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s is readable by other users; it should have mode 0600", path)
    else:
        os.close(descriptor)

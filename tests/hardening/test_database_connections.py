"""PostgreSQL connections (``store.db``): a pooled connection that died while idle is replaced
before a request sees it, and reads run without a transaction of their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from db_support import POSTGRES_SERVER, fresh_database
from sqlalchemy import text

from store.db import make_engine, reader

pytestmark = pytest.mark.postgres


async def _backend_pid(url: str, engine_kwargs: dict[str, float]) -> tuple[int, int, str]:
    """Check out a connection, note its server process, let it die in the pool while idle,
    then read again: the process ids before and after, and what the read answered."""
    engine = make_engine(url, pool_size=1, max_overflow=0, **engine_kwargs)
    admin = make_engine(f"{POSTGRES_SERVER}/test")
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before})
            await conn.commit()
        await asyncio.sleep(0.2)
        async with engine.connect() as conn:
            after = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            answer = (await conn.execute(text("SELECT 'still here'"))).scalar_one()
        return before, after, answer
    finally:
        await engine.dispose()
        await admin.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        before, after, answer = asyncio.run(_backend_pid(url, {"ping_after_idle": 0.1}))
    assert answer == "still here"
    assert after != before


def test_a_connection_in_steady_use_is_not_pinged(tmp_path: Path) -> None:
    """Within the idle time the pool hands the connection out unchecked: the dead one fails
    the statement (this is what the ping saves an idle connection from)."""
    with fresh_database("postgresql", tmp_path) as url, pytest.raises(Exception) as failed:
        asyncio.run(_backend_pid(url, {"ping_after_idle": 3600.0}))
    assert "connection" in str(failed.value).lower()


async def _transaction_starts(url: str) -> tuple[bool, bool]:
    """Whether two statements on one connection ran in one transaction: through ``reader``
    and through the engine itself."""
    engine = make_engine(url)
    query = text("SELECT now()")
    try:
        found: list[bool] = []
        for source in (reader(engine), engine):
            async with source.connect() as conn:
                first = (await conn.execute(query)).scalar_one()
                await conn.execute(text("SELECT pg_sleep(0.01)"))
                second = (await conn.execute(query)).scalar_one()
            found.append(first == second)
        return found[0], found[1]
    finally:
        await engine.dispose()


def test_reads_run_in_autocommit_and_other_work_in_a_transaction(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        read_in_one_transaction, engine_in_one_transaction = asyncio.run(_transaction_starts(url))
    # now() is the transaction's start: the same for every statement of one transaction
    assert not read_in_one_transaction
    assert engine_in_one_transaction


def test_reader_on_sqlite_is_the_engine_itself(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/reader.sqlite3")
    try:
        assert reader(engine) is engine
    finally:
        asyncio.run(engine.dispose())

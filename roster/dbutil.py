"""Batched writes in plain SQLAlchemy Core, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

# Well below SQLite's and asyncpg's limits on bound parameters per statement.
CHUNK = 500

ROW_ID = "row_id"


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def inserted_id(result: Any) -> int:
    """The new row's primary key from a single-row INSERT result."""
    return int(result.inserted_primary_key[0])


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(table), list(rows))


async def update_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE by primary key in one executemany; every dict has ``ROW_ID`` and the same keys."""
    if not rows:
        return
    # The SET clause comes from the parameter keys (all but ROW_ID, which the WHERE uses).
    statement = update(table).where(table.c.id == bindparam(ROW_ID))
    await conn.execute(statement, list(rows))


async def delete_rows(conn: AsyncConnection, table: Table, ids: Sequence[int]) -> None:
    for part in chunks(sorted(ids)):
        await conn.execute(delete(table).where(table.c.id.in_(part)))


async def delete_by_primary_key(
    conn: AsyncConnection, table: Table, keys: Sequence[tuple[Any, ...]]
) -> None:
    """DELETE rows by (possibly composite) primary key, in one executemany."""
    if not keys:
        return
    names = [column.name for column in table.primary_key.columns]
    statement = delete(table).where(*(table.c[name] == bindparam(f"pk_{name}") for name in names))
    await conn.execute(
        statement,
        [{f"pk_{name}": value for name, value in zip(names, key, strict=True)} for key in keys],
    )


async def serialise_imports(conn: AsyncConnection, tables: Sequence[Table]) -> None:
    """Make the import's read-compare-write safe against concurrent writers.

    Without this, an administrator's rectification committed between the import's read and its
    write would be overwritten. PostgreSQL: a table lock that lets readers through but queues
    other writers (and other imports). SQLite: take the write lock up front; readers are not
    blocked in WAL mode. Must be the first statement of the transaction.
    """
    if conn.dialect.name == "postgresql":
        names = ", ".join(table.name for table in tables)
        await conn.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
    elif conn.dialect.name == "sqlite":
        # pysqlite/aiosqlite only begin (deferred) at the first write; an engine that already
        # emits BEGIN itself is left alone.
        raw = await conn.get_raw_connection()
        if not getattr(raw.driver_connection, "in_transaction", False):
            await conn.exec_driver_sql("BEGIN IMMEDIATE")

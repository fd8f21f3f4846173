"""Helpers shared by the category providers: streaming, counting, and a per-field source.

Everything here is plain SQLAlchemy Core that runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.privacy.base import DataCategory, Effect, Outcome
from store.privacy.providers._presence import Check, may_have_rows

#: Rows fetched per round trip while streaming an export (server-side cursor on PostgreSQL).
STREAM_BATCH = 500


@dataclass(frozen=True)
class Sourced:
    """A field value with its own provenance.

    Used where one record mixes sources field by field: a person's names, email and national id
    each carry a ``*_source`` column (roster import, rectification by an administrator, ...).
    The export writes it as the field's ``source`` attribute (XML) / ``field_sources`` (JSON).
    """

    value: Any
    source: str


async def stream_rows(
    conn: AsyncConnection, stmt: Select[Any], check: tuple[Check, int] | None = None
) -> AsyncIterator[Row[Any]]:
    """The rows of ``stmt``, fetched in batches of :data:`STREAM_BATCH` (never all at once).

    ``check``: the :class:`Check` whose key ``stmt`` filters on and the subject's id; inside a
    school export's ``known_rows`` the statement is not run when the check found no rows for the
    subject (``store.privacy.providers._presence``).
    """
    if check is not None and not may_have_rows(*check):
        return
    result = await conn.stream(stmt.execution_options(yield_per=STREAM_BATCH))
    try:
        async for row in result:
            yield row
    finally:
        await result.close()


async def count(conn: AsyncConnection, table: Table, *where: ColumnElement[bool]) -> int:
    """``SELECT count(*) FROM table WHERE ...``."""
    stmt = select(func.count()).select_from(table).where(*where)
    return int((await conn.execute(stmt)).scalar_one())


async def count_rows(conn: AsyncConnection, stmt: Select[Any]) -> int:
    """The number of rows ``stmt`` returns, counted by the database."""
    counted = select(func.count()).select_from(stmt.subquery())
    return int((await conn.execute(counted)).scalar_one())


def effects(category: DataCategory, counts: Iterable[tuple[Outcome, int]]) -> list[Effect]:
    """One :class:`Effect` per outcome, counts of the same outcome added up, zero counts left out.

    Outcomes keep the order of their first appearance, so previews read the same every time.
    """
    totals: dict[Outcome, int] = {}
    for outcome, n in counts:
        totals[outcome] = totals.get(outcome, 0) + n
    return [Effect(category, outcome, n) for outcome, n in totals.items() if n > 0]

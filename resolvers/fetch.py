"""The three query shapes every loader uses: by id, lists per parent, pages per parent.

Each takes an already scoped SELECT, so none of them can be called unscoped, and each issues one
statement per batch whatever the number of parents (a test counts them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.paging import PageArgs

Row = Mapping[str, Any]
PARENT = "tavle_parent"


async def run(engine: AsyncEngine, stmt: Select[Any]) -> list[Row]:
    async with engine.connect() as conn:
        result = await conn.execute(stmt)
        return list(result.mappings().all())


async def by_ids(
    engine: AsyncEngine, stmt: Select[Any], key: ColumnElement[int], ids: Iterable[int]
) -> dict[int, Row]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await run(engine, stmt.where(key.in_(wanted)))
    return {row["id"]: row for row in rows}


async def lists_by_parent(
    engine: AsyncEngine,
    stmt: Select[Any],
    parent: ColumnElement[int],
    parents: Iterable[int],
    order_by: ColumnElement[Any],
) -> dict[int, list[Row]]:
    wanted = sorted(set(parents))
    grouped: dict[int, list[Row]] = defaultdict(list)
    if not wanted:
        return grouped
    rows = await run(
        engine, stmt.add_columns(parent.label(PARENT)).where(parent.in_(wanted)).order_by(order_by)
    )
    for row in rows:
        grouped[row[PARENT]].append(row)
    return grouped


@dataclass(frozen=True, slots=True)
class PageRows:
    """One parent's page of rows (``resolvers.loaders`` makes a ``records.Page`` of it)."""

    rows: Sequence[Row]
    total: int
    has_next: bool


async def pages_by_parent(
    engine: AsyncEngine,
    stmt: Select[Any],
    parent: ColumnElement[int],
    key: ColumnElement[int],
    parents: Iterable[int],
    args: PageArgs,
    *,
    descending: bool = False,
) -> dict[int, PageRows]:
    """One page per parent in one statement: window functions number and count each partition.

    ``totalCount`` counts every visible row of the parent, before the cursor; ordering is by the
    object's id, so cursors are stable under inserts. ``descending`` lists newest first (the
    gradebook); ``after`` then means ids below the cursor.
    """
    wanted = sorted(set(parents))
    if not wanted:
        return {}
    counted = (
        stmt.add_columns(
            parent.label(PARENT),
            key.label("tavle_key"),
            func.count().over(partition_by=parent).label("tavle_total"),
        )
        .where(parent.in_(wanted))
        .subquery()
    )
    after = select(counted)
    if args.after is not None:
        after = after.where(
            counted.c.tavle_key < args.after if descending else counted.c.tavle_key > args.after
        )
    after_sub = after.subquery()
    order = after_sub.c.tavle_key.desc() if descending else after_sub.c.tavle_key
    numbered = select(
        after_sub,
        func.row_number().over(partition_by=after_sub.c[PARENT], order_by=order).label("tavle_rn"),
    ).subquery()
    final = (
        select(numbered)
        .where(numbered.c.tavle_rn <= args.first + 1)
        .order_by(numbered.c[PARENT], numbered.c.tavle_rn)
    )
    rows = await run(engine, final)
    grouped: dict[int, list[Row]] = defaultdict(list)
    totals: dict[int, int] = {}
    for row in rows:
        grouped[row[PARENT]].append(row)
        totals[row[PARENT]] = row["tavle_total"]
    missing = [p for p in wanted if p not in totals]
    if missing and args.after is not None:
        # Every row of these parents lies before the cursor: count them separately.
        count_stmt = (
            select(counted.c[PARENT], func.max(counted.c.tavle_total))
            .where(counted.c[PARENT].in_(missing))
            .group_by(counted.c[PARENT])
        )
        async with engine.connect() as conn:
            for parent_id, total in (await conn.execute(count_stmt)).all():
                totals[parent_id] = total
    pages: dict[int, PageRows] = {}
    for parent_id in wanted:
        got = grouped.get(parent_id, [])
        pages[parent_id] = PageRows(
            rows=got[: args.first], total=totals.get(parent_id, 0), has_next=len(got) > args.first
        )
    return pages

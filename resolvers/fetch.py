"""The three query shapes every loader uses: by id, lists per parent, pages per parent.

Each takes an already scoped SELECT, so none of them can be called unscoped, and each issues one
statement per batch whatever the number of parents (a test counts them).

Each shape is a statement built from the scoped SELECT (``*_statement``) whose ids, parents
and page arguments are parameters (``IDS``, ``PARENTS``, ``AFTER``, ``LIMIT``; lists of ids as
one parameter each, ``store.idlists``): the loaders build it once per row scope
(``resolvers.scopes.Scope.derive``) and run it with the values of each batch (``fetch``,
``fetch_pages``), reading rows as tuples with each column's position (``Rows``). ``by_ids``,
``lists_by_parent`` and ``pages_by_parent`` build and run one for a statement of their own and
give rows as mappings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse

from config.paging import PageArgs
from store.db import reader
from store.idlists import ids_param, in_ids

Row = Mapping[str, Any]
#: labels of the columns the shapes add: the row's parent, its sort key, its parent's total
PARENT = "tavle_parent"
KEY = "tavle_key"
TOTAL = "tavle_total"
#: the parameters of the shapes: the ids or parents asked, the cursor, the rows per parent + 1,
#: the parents whose rows all lie before the cursor
IDS = "tavle_ids"
PARENTS = "tavle_parents"
AFTER = "tavle_after"
BEFORE = "tavle_before"
LIMIT = "tavle_limit"
MISSING = "tavle_missing"
#: the label of the column telling a merged page statement's branches apart
BRANCH = "tavle_branch"
#: the most branches in one merged page statement (SQLite takes at most 500 in a compound SELECT)
MAX_BRANCHES = 100
Params = Mapping[str, Any]


async def run(engine: AsyncEngine, stmt: Select[Any]) -> list[Row]:
    async with reader(engine).connect() as conn:
        result = await conn.execute(stmt)
        return list(result.mappings().all())


@dataclass(frozen=True, slots=True)
class Rows:
    """Result rows as tuples and each column's position by label: read without a mapping per
    row (``resolvers.kinds.Layout``)."""

    columns: Mapping[str, int]
    rows: Sequence[Any]


def _positions(keys: Iterable[str]) -> dict[str, int]:
    return {key: n for n, key in enumerate(keys)}


async def fetch(engine: AsyncEngine, stmt: Select[Any], params: Params) -> Rows:
    """The rows of ``stmt`` run with ``params``, as tuples."""
    async with reader(engine).connect() as conn:
        result = await conn.execute(stmt, params)
        return Rows(_positions(result.keys()), result.all())


# --- by id ---------------------------------------------------------------------------------------


def by_ids_statement(stmt: Select[Any], key: ColumnElement[int]) -> Select[Any]:
    """``stmt`` restricted to the rows whose ``key`` is in the parameter ``IDS``."""
    return stmt.where(in_ids(key, ids_param(IDS)))


async def by_ids(
    engine: AsyncEngine, stmt: Select[Any], key: ColumnElement[int], ids: Iterable[int]
) -> dict[int, Row]:
    wanted = set(ids)
    if not wanted:
        return {}
    async with reader(engine).connect() as conn:
        result = await conn.execute(by_ids_statement(stmt, key), {IDS: wanted})
        return {row["id"]: row for row in result.mappings().all()}


# --- lists per parent ----------------------------------------------------------------------------


def lists_statement(
    stmt: Select[Any], parent: ColumnElement[int], order_by: ColumnElement[Any]
) -> Select[Any]:
    """``stmt`` with each row's ``parent`` (``PARENT``), for the parents in the parameter
    ``PARENTS``, in ``order_by`` order."""
    return (
        stmt.add_columns(parent.label(PARENT))
        .where(in_ids(parent, ids_param(PARENTS)))
        .order_by(order_by)
    )


async def lists_by_parent(
    engine: AsyncEngine,
    stmt: Select[Any],
    parent: ColumnElement[int],
    parents: Iterable[int],
    order_by: ColumnElement[Any],
) -> dict[int, list[Row]]:
    wanted = set(parents)
    grouped: dict[int, list[Row]] = defaultdict(list)
    if not wanted:
        return grouped
    async with reader(engine).connect() as conn:
        result = await conn.execute(lists_statement(stmt, parent, order_by), {PARENTS: wanted})
        for row in result.mappings().all():
            grouped[row[PARENT]].append(row)
    return grouped


# --- pages per parent ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageStatements:
    """The statements of one page per parent: the rows, and the count of the parents whose
    rows all lie before the cursor (``MISSING``)."""

    rows: Select[Any]
    count: Select[Any]


def page_statements(
    stmt: Select[Any],
    parent: ColumnElement[int],
    key: ColumnElement[int],
    *,
    descending: bool,
    after: bool,
    before: bool = False,
    backward: bool = False,
) -> PageStatements:
    """One page per parent in one statement: window functions number and count each partition.

    ``totalCount`` counts every visible row of the parent, before the cursors; ordering is by the
    object's id, so cursors are stable under inserts. ``descending`` lists newest first (the
    gradebook); the cursors (``after``: the parameter ``AFTER``, ``before``: ``BEFORE``) then
    mean ids below and above them. ``backward`` (``last``) numbers the rows from the end, so the
    page is the last rows before ``before`` (``_pages`` turns them back into reading order). The
    parameter ``LIMIT`` is the page size plus one (whether more follow, or precede).
    """
    counted = (
        stmt.add_columns(
            parent.label(PARENT),
            key.label(KEY),
            func.count().over(partition_by=parent).label(TOTAL),
        )
        .where(in_ids(parent, ids_param(PARENTS)))
        .subquery()
    )
    rows_after = select(counted)
    if after:
        cursor = bindparam(AFTER, type_=Integer, required=True)
        rows_after = rows_after.where(
            counted.c[KEY] < cursor if descending else counted.c[KEY] > cursor
        )
    if before:
        end = bindparam(BEFORE, type_=Integer, required=True)
        rows_after = rows_after.where(counted.c[KEY] > end if descending else counted.c[KEY] < end)
    after_sub = rows_after.subquery()
    order = after_sub.c[KEY].desc() if descending != backward else after_sub.c[KEY]
    numbered = select(
        after_sub,
        func.row_number().over(partition_by=after_sub.c[PARENT], order_by=order).label("tavle_rn"),
    ).subquery()
    final = (
        select(numbered)
        .where(numbered.c.tavle_rn <= bindparam(LIMIT, type_=Integer, required=True))
        .order_by(numbered.c[PARENT], numbered.c.tavle_rn)
    )
    count = (
        select(counted.c[PARENT], func.max(counted.c[TOTAL]))
        .where(in_ids(counted.c[PARENT], ids_param(MISSING)))
        .group_by(counted.c[PARENT])
    )
    return PageStatements(final, count)


@dataclass(frozen=True, slots=True)
class PageRows:
    """One parent's page of rows (``resolvers.loaders`` makes a ``records.Page`` of it)."""

    rows: Sequence[Any]
    total: int
    has_next: bool
    has_previous: bool = False


def page_params(parents: Iterable[int], args: PageArgs) -> dict[str, Any]:
    """The values of ``page_statements``' parameters for ``parents`` and ``args``."""
    params: dict[str, Any] = {PARENTS: parents, LIMIT: args.first + 1}
    if args.after is not None:
        params[AFTER] = args.after
    if args.before is not None:
        params[BEFORE] = args.before
    return params


def page_shape(args: PageArgs) -> tuple[bool, bool, bool, bool]:
    """What ``page_statements`` needs of ``args`` (the statement differs by each):
    descending, after, before, backward."""
    return args.descending, args.after is not None, args.before is not None, args.backward


async def _pages(
    conn: AsyncConnection,
    statements: PageStatements,
    params: Params,
    wanted: Sequence[int],
    args: PageArgs,
    *,
    mappings: bool,
) -> tuple[dict[int, PageRows], dict[str, int]]:
    result = await conn.execute(statements.rows, params)
    columns = _positions(result.keys())
    rows: Sequence[Any] = result.mappings().all() if mappings else result.all()
    pages = await _paged(conn, statements, params, wanted, args, rows, columns, mappings=mappings)
    return pages, columns


async def _paged(
    conn: AsyncConnection,
    statements: PageStatements,
    params: Params,
    wanted: Sequence[int],
    args: PageArgs,
    rows: Sequence[Any],
    columns: Mapping[str, int],
    *,
    mappings: bool,
) -> dict[int, PageRows]:
    """The page of each parent of ``wanted`` from the rows of ``statements.rows`` run with
    ``params`` (in parent order, each parent's rows numbered)."""
    parent_at: str | int = PARENT if mappings else columns[PARENT]
    total_at: str | int = TOTAL if mappings else columns[TOTAL]
    grouped: dict[int, list[Any]] = defaultdict(list)
    totals: dict[int, int] = {}
    for row in rows:
        parent_id = row[parent_at]
        grouped[parent_id].append(row)
        totals[parent_id] = row[total_at]
    missing = [p for p in wanted if p not in totals]
    if missing and (args.after is not None or args.before is not None):
        # Every row of these parents lies before the cursor: count them separately.
        counted = await conn.execute(statements.count, {**params, MISSING: missing})
        for parent_id, total in counted.all():
            totals[parent_id] = total
    first = args.first
    pages: dict[int, PageRows] = {}
    for parent_id in wanted:
        got = grouped.get(parent_id, [])
        more = len(got) > first
        total = totals.get(parent_id, 0)
        if args.backward:
            # numbered from the end: the nearest rows first; the page reads in order
            pages[parent_id] = PageRows(
                rows=got[:first][::-1], total=total, has_next=False, has_previous=more
            )
        else:
            pages[parent_id] = PageRows(rows=got[:first], total=total, has_next=more)
    return pages


async def fetch_pages(
    engine: AsyncEngine,
    statements: PageStatements,
    params: Params,
    parents: Iterable[int],
    args: PageArgs,
) -> tuple[dict[int, PageRows], Mapping[str, int]]:
    """One page per parent (``page_statements`` run with ``params``, which hold the row scope's
    values; ``page_params`` are added), rows as tuples, and each column's position."""
    wanted = sorted(set(parents))
    if not wanted:
        return {}, {}
    async with reader(engine).connect() as conn:
        return await _pages(
            conn, statements, {**params, **page_params(wanted, args)}, wanted, args, mappings=False
        )


def branch_param(name: str, branch: int) -> str:
    """The name that the parameter ``name`` of a page statement has in branch ``branch`` of a
    merged one (``merged_page_statement``)."""
    return f"{name}_{branch}"


def merged_page_statement(
    rows: Select[Any], branches: int, per_branch: Collection[str]
) -> Select[Any]:
    """``branches`` copies of a page statement's ``rows`` in one statement (``UNION ALL``), each
    with its own values of the parameters named in ``per_branch`` (``branch_param``) and its
    number in the column ``BRANCH``; ordered by branch, then as each copy is.

    One field of a connection asked with several values of its filter arguments (the same
    connection under several aliases: each course's students' submissions *in that course*)
    costs one round trip instead of one per value; each branch is the page statement each value
    would run on its own, so every page is the same.
    """

    def branch(n: int) -> Select[Any]:
        def own(element: ExternallyTraversible, **_kw: Any) -> ExternallyTraversible | None:
            if isinstance(element, BindParameter) and element.key in per_branch:
                return bindparam(branch_param(element.key, n), type_=element.type, required=True)
            return None

        copy = cast(Select[Any], replacement_traverse(rows.order_by(None), {}, own))
        return copy.add_columns(literal_column(str(n), Integer).label(BRANCH))

    merged = union_all(*(branch(n) for n in range(branches))).subquery()
    return select(merged).order_by(merged.c[BRANCH], merged.c[PARENT], merged.c.tavle_rn)


#: one branch of a merged page statement: its own parameters' values (named as in the page
#: statement) and its parents
PageGroup = tuple[Params, Iterable[int]]


async def fetch_page_groups(
    engine: AsyncEngine,
    statements: PageStatements,
    merged: Callable[[int], Select[Any]],
    params: Params,
    groups: Sequence[PageGroup],
    args: PageArgs,
) -> tuple[list[dict[int, PageRows]], Mapping[str, int]]:
    """``fetch_pages`` for each of ``groups`` (the same page arguments, each group its own values
    of some parameters and its parents), in one statement: ``merged(len(groups))``, a
    ``merged_page_statement`` of ``statements.rows``; rows as tuples, and each column's
    position. One group runs ``statements.rows`` itself; more than ``MAX_BRANCHES`` take a
    statement per ``MAX_BRANCHES``."""
    if len(groups) > MAX_BRANCHES:
        found: list[dict[int, PageRows]] = []
        columns: Mapping[str, int] = {}
        for start in range(0, len(groups), MAX_BRANCHES):
            chunk = groups[start : start + MAX_BRANCHES]
            more, columns = await fetch_page_groups(engine, statements, merged, params, chunk, args)
            found.extend(more)
        return found, columns
    if len(groups) == 1:
        own, parents = groups[0]
        one, columns = await fetch_pages(engine, statements, {**params, **own}, parents, args)
        return [one], columns
    wanted = [sorted(set(parents)) for _own, parents in groups]
    # each branch's parameters as its page statement takes them, then all under their merged
    # names; the page arguments' are the same in every branch
    branches = [
        {**own, **page_params(ids, args)} for (own, _), ids in zip(groups, wanted, strict=True)
    ]
    values: dict[str, Any] = {**params, **page_params((), args)}
    del values[PARENTS]
    for n, (own, _parents) in enumerate(groups):
        values.update({branch_param(name, n): value for name, value in own.items()})
        values[branch_param(PARENTS, n)] = wanted[n]
    async with reader(engine).connect() as conn:
        result = await conn.execute(merged(len(groups)), values)
        columns = _positions(result.keys())
        by_branch: list[list[Any]] = [[] for _ in groups]
        branch_at = columns[BRANCH]
        for row in result.all():
            by_branch[row[branch_at]].append(row)
        found = [
            await _paged(
                conn, statements, {**params, **own}, ids, args, rows, columns, mappings=False
            )
            for own, ids, rows in zip(branches, wanted, by_branch, strict=True)
        ]
    return found, columns


async def pages_by_parent(
    engine: AsyncEngine,
    stmt: Select[Any],
    parent: ColumnElement[int],
    key: ColumnElement[int],
    parents: Iterable[int],
    args: PageArgs,
    *,
    descending: bool | None = None,
) -> dict[int, PageRows]:
    """``page_statements`` of ``stmt`` run once: one page per parent, rows as mappings, in
    ``args``' ordering unless ``descending`` is given."""
    wanted = sorted(set(parents))
    if not wanted:
        return {}
    ordered, after, before, backward = page_shape(args)
    if descending is None:
        descending = ordered
    statements = page_statements(
        stmt, parent, key, descending=descending, after=after, before=before, backward=backward
    )
    async with reader(engine).connect() as conn:
        pages, _ = await _pages(
            conn, statements, page_params(wanted, args), wanted, args, mappings=True
        )
    return pages

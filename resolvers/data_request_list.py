"""``Query.dataRequests``: the data requests in the order a data protection officer works them.

Open requests (RECEIVED, ACCEPTED) that are overdue or due within ``SOON`` come first, then the
rest; within each group the nearest due date (the extended one where there is one) first, ties by
id. The cursors name a request; a page continues from that request's place in the order, worked
out again from its row, so paging does not depend on anything but the rows and the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from config import clock
from config.errors import BadUserInputError
from config.paging import PageArgs
from resolvers import kinds as k
from resolvers.context import RequestContext
from resolvers.materialize import keyed_page
from resolvers.records import Page
from resolvers.scopes import scoped_select
from store import tables as t
from store.db import reader
from store.tables import DataRequestKind, DataRequestStatus

#: how near a due date puts an open request at the top
SOON = timedelta(days=7)
OPEN = (DataRequestStatus.RECEIVED, DataRequestStatus.ACCEPTED)

_dr = t.data_requests.c
#: the date a request must be answered by: the extended one, once extended
effective_due = func.coalesce(_dr.extended_to, _dr.due_at)


def is_open() -> ColumnElement[bool]:
    return _dr.status.in_(OPEN)


def overdue(at: datetime) -> ColumnElement[bool]:
    """Open and past its (effective) due date at ``at``."""
    return and_(is_open(), effective_due < at)


def _urgency(at: datetime) -> ColumnElement[int]:
    """0 for an open request overdue or due within ``SOON`` of ``at``, else 1."""
    return case((and_(is_open(), effective_due <= at + SOON), 0), else_=1)


def _after(
    keys: tuple[ColumnElement[Any], ...], values: tuple[Any, ...], later: bool
) -> ColumnElement[bool]:
    """Rows after (``later``) or before the row whose sort keys are ``values``."""
    head, *rest = keys
    value, *others = values
    beyond: ColumnElement[bool] = head > value if later else head < value
    if not rest:
        return beyond
    return or_(beyond, and_(head == value, _after(tuple(rest), tuple(others), later)))


async def data_requests(
    ctx: RequestContext,
    args: PageArgs,
    status: DataRequestStatus | None = None,
    kind: DataRequestKind | None = None,
    overdue_only: bool | None = None,
) -> Page[Any]:
    """The visible data requests (system administrators), filtered, most urgent first."""
    at = clock.now()
    urgency = _urgency(at)
    keys: tuple[ColumnElement[Any], ...] = (urgency, effective_due, _dr.id)
    listed = scoped_select(k.DATA_REQUEST, ctx)
    viewer = ctx.viewer
    if viewer is None or not viewer.is_sysadmin:
        # The administrators' work list: the others' own requests are under User.dataRequests.
        return Page(records=[], sort_keys=[], total=0, has_next=False, args=args)
    if status is not None:
        listed = listed.where(_dr.status == DataRequestStatus(status))
    if kind is not None:
        listed = listed.where(_dr.kind == DataRequestKind(kind))
    if overdue_only is not None:
        listed = listed.where(overdue(at) if overdue_only else ~overdue(at))
    async with reader(ctx.engine).connect() as conn:
        total = (
            await conn.execute(select(func.count()).select_from(listed.subquery()))
        ).scalar_one()
        if not total:
            return Page(records=[], sort_keys=[], total=0, has_next=False, args=args)

        async def place(pk: int) -> tuple[Any, ...]:
            found = (await conn.execute(select(*keys).where(_dr.id == pk))).first()
            if found is None:
                raise BadUserInputError("The cursor names a data request that does not exist")
            return tuple(found)

        stmt = listed
        if args.after is not None:
            stmt = stmt.where(_after(keys, await place(args.after), later=True))
        if args.before is not None:
            stmt = stmt.where(_after(keys, await place(args.before), later=False))
        order = tuple(key.desc() for key in keys) if args.backward else keys
        rows = (await conn.execute(stmt.order_by(*order).limit(args.first + 1))).mappings().all()
    return await keyed_page(ctx, k.DATA_REQUEST, rows, args, total)

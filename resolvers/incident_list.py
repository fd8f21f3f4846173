"""``Query.incidents``: the register in the order a data protection officer works through it.

OPEN incidents first (the authority still to be told), the nearest report deadline first; then
REPORTED ones and then CLOSED ones, each the latest deadline first. Ties by id in the same
direction. A cursor names an incident; the next page continues from where that incident stands
now (one whose status changed meanwhile moves, with its place, to its new group).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from config.errors import BadUserInputError
from config.paging import PageArgs
from resolvers import kinds as k
from resolvers.context import RequestContext
from resolvers.materialize import keyed_page
from resolvers.records import Page
from resolvers.scopes import scoped_select
from store import tables as t
from store.db import reader
from store.tables import IncidentStatus

_i = t.incidents.c
#: 0 OPEN, 1 REPORTED, 2 CLOSED
_rank = case(
    (_i.status == IncidentStatus.OPEN, 0), (_i.status == IncidentStatus.REPORTED, 1), else_=2
)
_open = _rank == 0


def _follows(rank: int, due: Any, pk: int) -> ColumnElement[bool]:
    """Rows after the incident at (``rank``, ``due``, ``pk``) in the list's order."""
    if rank == 0:
        within = or_(_i.report_due_at > due, and_(_i.report_due_at == due, _i.id > pk))
    else:
        within = or_(_i.report_due_at < due, and_(_i.report_due_at == due, _i.id < pk))
    return or_(_rank > rank, and_(_rank == rank, within))


def _precedes(rank: int, due: Any, pk: int) -> ColumnElement[bool]:
    """Rows before the incident at (``rank``, ``due``, ``pk``) in the list's order."""
    if rank == 0:
        within = or_(_i.report_due_at < due, and_(_i.report_due_at == due, _i.id < pk))
    else:
        within = or_(_i.report_due_at > due, and_(_i.report_due_at == due, _i.id > pk))
    return or_(_rank < rank, and_(_rank == rank, within))


def _order(backward: bool) -> tuple[ColumnElement[Any], ...]:
    """The list's order (reversed when paging backwards). Within a rank the other rank's
    CASE columns are all NULL, so where a database puts NULLs does not matter."""
    open_due = case((_open, _i.report_due_at))
    open_id = case((_open, _i.id))
    done_due = case((~_open, _i.report_due_at))
    done_id = case((~_open, _i.id))
    if backward:
        return (_rank.desc(), open_due.desc(), open_id.desc(), done_due.asc(), done_id.asc())
    return (_rank.asc(), open_due.asc(), open_id.asc(), done_due.desc(), done_id.desc())


async def incidents(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """A page of the register (system administrators: the row rule is empty for others)."""
    kind = k.INCIDENT
    listed = scoped_select(kind, ctx)
    async with reader(ctx.engine).connect() as conn:
        total = (
            await conn.execute(select(func.count()).select_from(listed.subquery()))
        ).scalar_one()
        if not total:
            # nothing visible: the cursors are not looked at, so they tell nothing
            return Page(records=[], sort_keys=[], total=0, has_next=False, args=args)

        async def position(pk: int) -> tuple[int, Any, int]:
            found = (await conn.execute(select(_rank, _i.report_due_at).where(_i.id == pk))).first()
            if found is None:
                raise BadUserInputError("The cursor names an incident that is not in the list")
            return int(found[0]), found[1], pk

        stmt = listed
        if args.after is not None:
            stmt = stmt.where(_follows(*await position(args.after)))
        if args.before is not None:
            stmt = stmt.where(_precedes(*await position(args.before)))
        rows = (
            (await conn.execute(stmt.order_by(*_order(args.backward)).limit(args.first + 1)))
            .mappings()
            .all()
        )
    return await keyed_page(ctx, kind, rows, args, total)

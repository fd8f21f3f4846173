"""Top-level lists (``courses``, ``conversations`` ...): one scoped, paginated statement each,
answered as a page of records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal

from config.paging import PageArgs
from resolvers import kinds as k
from resolvers.context import RequestContext
from resolvers.fetch import pages_by_parent
from resolvers.kinds import Kind
from resolvers.materialize import records_of
from resolvers.records import Page
from resolvers.scopes import scoped_select
from store import tables as t
from store.tables import CourseState


async def _root_page(
    ctx: RequestContext,
    kind: Kind,
    args: PageArgs,
    where: ColumnElement[bool] | None = None,
    *,
    descending: bool = False,
) -> Page[Any]:
    parent = literal(0)
    stmt = scoped_select(kind, ctx)
    if where is not None:
        stmt = stmt.where(where)
    pages = await pages_by_parent(
        ctx.engine, stmt, parent, kind.key, [0], args, descending=descending
    )
    page = pages[0]
    return Page(
        records=await records_of(ctx, kind, page.rows),
        sort_keys=[row["tavle_key"] for row in page.rows],
        total=page.total,
        has_next=page.has_next,
    )


async def courses(
    ctx: RequestContext, args: PageArgs, state: CourseState | None = CourseState.ACTIVE
) -> Page[Any]:
    """Visible courses in ``state`` (None: in any state)."""
    where = None if state is None else t.courses.c.state == state
    return await _root_page(ctx, k.COURSE, args, where)


async def roster_imports(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """Import runs, newest first (system administrators: the row rule hides them from others)."""
    return await _root_page(ctx, k.ROSTER_IMPORT, args, descending=True)


async def conversations(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    # Only conversations the viewer takes part in, even for a system administrator: an inbox.
    viewer = ctx.require_viewer()
    inbox = k.CONVERSATION.key.in_(sorted(viewer.conversations))
    return await _root_page(ctx, k.CONVERSATION, args, inbox)


async def documents(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.DOCUMENT, args)


async def calendar_events(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.CALENDAR_EVENT, args)


async def recycle_bin(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.RECYCLE_BIN, args)


async def privacy_requests(
    ctx: RequestContext, subject_id: int | None, args: PageArgs
) -> Page[Any]:
    where = None if subject_id is None else t.privacy_requests.c.subject_id == subject_id
    return await _root_page(ctx, k.PRIVACY_REQUEST, args, where)


async def audit_log(ctx: RequestContext, subject_id: int | None, args: PageArgs) -> Page[Any]:
    where = None if subject_id is None else t.audit_entries.c.subject_id == subject_id
    return await _root_page(ctx, k.AUDIT_ENTRY, args, where)

"""Top-level lists (``courses``, ``conversations`` ...): one scoped, paginated statement each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, select

from resolvers import scopes as s
from resolvers.context import RequestContext
from resolvers.fetch import pages_by_parent
from resolvers.loaders import MATERIALIZE
from schema.connection import Connection, PageArgs, make_connection
from store import tables as t
from store.tables import CourseState


async def _root_page(
    ctx: RequestContext,
    scope: s.Scope,
    args: PageArgs,
    where: ColumnElement[bool] | None = None,
    *,
    descending: bool = False,
) -> Connection[Any]:
    parent = literal(0)
    stmt = s.scoped_select(scope, ctx)
    if where is not None:
        stmt = stmt.where(where)
    pages = await pages_by_parent(
        ctx.engine, stmt, parent, scope.key, [0], args, descending=descending
    )
    page = pages[0]
    nodes = await MATERIALIZE[scope.type_name](ctx, page.rows)
    return make_connection(nodes, [r["tavle_key"] for r in page.rows], page.total, page.has_next)


async def courses(
    ctx: RequestContext, args: PageArgs, state: CourseState | None = CourseState.ACTIVE
) -> Connection[Any]:
    """Visible courses in ``state`` (None: in any state)."""
    where = None if state is None else t.courses.c.state == state
    return await _root_page(ctx, s.COURSE, args, where)


async def roster_imports(ctx: RequestContext, args: PageArgs) -> Connection[Any]:
    """Import runs, newest first (system administrators: the row rule hides them from others)."""
    return await _root_page(ctx, s.ROSTER_IMPORT, args, descending=True)


async def conversations(ctx: RequestContext, args: PageArgs) -> Connection[Any]:
    # Only conversations the viewer takes part in, even for a system administrator: an inbox.
    viewer = ctx.require_viewer()
    cp = t.conversation_participants.c
    mine = select(cp.conversation_id).where(cp.person_id == viewer.person_id)
    scope = s.CONVERSATION
    inbox = s.Scope(
        scope.type_name,
        scope.source,
        scope.columns,
        scope.facts,
        scope.key,
        always=scope.key.in_(mine),
    )
    return await _root_page(ctx, inbox, args)


async def documents(ctx: RequestContext, args: PageArgs) -> Connection[Any]:
    return await _root_page(ctx, s.DOCUMENT, args)


async def calendar_events(ctx: RequestContext, args: PageArgs) -> Connection[Any]:
    return await _root_page(ctx, s.CALENDAR_EVENT, args)


async def recycle_bin(ctx: RequestContext, args: PageArgs) -> Connection[Any]:
    return await _root_page(ctx, s.RECYCLE_BIN, args)


async def privacy_requests(
    ctx: RequestContext, subject_id: int | None, args: PageArgs
) -> Connection[Any]:
    where = None if subject_id is None else t.privacy_requests.c.subject_id == subject_id
    return await _root_page(ctx, s.PRIVACY_REQUEST, args, where)


async def audit_log(ctx: RequestContext, subject_id: int | None, args: PageArgs) -> Connection[Any]:
    where = None if subject_id is None else t.audit_entries.c.subject_id == subject_id
    return await _root_page(ctx, s.AUDIT_ENTRY, args, where)

"""Top-level lists (``courses``, ``conversations`` ...): one scoped, paginated statement each,
answered as a page of records. Each is called with the request context, the page arguments and
its filters' values (``resolvers.root_fields``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, literal

from config.paging import PageArgs
from resolvers import kinds as k
from resolvers.context import RequestContext
from resolvers.fetch import KEY, PageStatements, fetch_pages, page_statements
from resolvers.kinds import Kind
from resolvers.materialize import records_of
from resolvers.records import Page
from store import tables as t
from store.idlists import ids_param, in_ids
from store.tables import CourseState

#: the parameter holding the value a root list's filter compares with
ROOT_VALUE = "tavle_root_value"
#: the one parent of a root list's page
_ROOT = literal(0)


@dataclass(frozen=True, eq=False)  # holds an SQL expression, which compares into SQL
class _Where:
    """A root list's filter: a condition naming its value as the parameter ``ROOT_VALUE``,
    built once, so each list's statements are built once per row scope (``Scope.derive``)."""

    clause: ColumnElement[bool]


async def _root_page(
    ctx: RequestContext,
    kind: Kind,
    args: PageArgs,
    where: _Where | None = None,
    value: Any = None,
    *,
    descending: bool = False,
) -> Page[Any]:
    viewing = ctx.loaders.viewing
    after = args.after is not None

    def build(stmt: Select[Any]) -> PageStatements:
        if where is not None:
            stmt = stmt.where(where.clause)
        return page_statements(stmt, _ROOT, kind.key, descending=descending, after=after)

    statements = viewing.scope(kind).derive(("root", where, descending, after), build)
    params = viewing.params if where is None else {**viewing.params, ROOT_VALUE: value}
    pages, columns = await fetch_pages(ctx.engine, statements, params, [0], args)
    page = pages[0]
    key_at = columns[KEY]
    return Page(
        records=await records_of(ctx, kind, page.rows, kind.layout(columns)),
        sort_keys=[row[key_at] for row in page.rows],
        total=page.total,
        has_next=page.has_next,
    )


_COURSE_STATE = _Where(t.courses.c.state == bindparam(ROOT_VALUE))
_INBOX = _Where(in_ids(k.CONVERSATION.key, ids_param(ROOT_VALUE)))
_REQUEST_SUBJECT = _Where(t.privacy_requests.c.subject_id == bindparam(ROOT_VALUE))
_ENTRY_SUBJECT = _Where(t.audit_entries.c.subject_id == bindparam(ROOT_VALUE))


async def courses(
    ctx: RequestContext, args: PageArgs, state: CourseState | None = CourseState.ACTIVE
) -> Page[Any]:
    """Visible courses in ``state`` (None: in any state)."""
    if state is None:
        return await _root_page(ctx, k.COURSE, args)
    return await _root_page(ctx, k.COURSE, args, _COURSE_STATE, state)


async def roster_imports(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """Import runs, newest first (system administrators: the row rule hides them from others)."""
    return await _root_page(ctx, k.ROSTER_IMPORT, args, descending=True)


async def conversations(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    # Only conversations the viewer takes part in, even for a system administrator: an inbox.
    viewer = ctx.require_viewer()
    return await _root_page(ctx, k.CONVERSATION, args, _INBOX, viewer.conversations)


async def documents(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.DOCUMENT, args)


async def calendar_events(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.CALENDAR_EVENT, args)


async def recycle_bin(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    return await _root_page(ctx, k.RECYCLE_BIN, args)


async def privacy_requests(
    ctx: RequestContext, args: PageArgs, subject_id: int | None = None
) -> Page[Any]:
    if subject_id is None:
        return await _root_page(ctx, k.PRIVACY_REQUEST, args)
    return await _root_page(ctx, k.PRIVACY_REQUEST, args, _REQUEST_SUBJECT, subject_id)


async def audit_log(
    ctx: RequestContext, args: PageArgs, subject_id: int | None = None
) -> Page[Any]:
    if subject_id is None:
        return await _root_page(ctx, k.AUDIT_ENTRY, args)
    return await _root_page(ctx, k.AUDIT_ENTRY, args, _ENTRY_SUBJECT, subject_id)

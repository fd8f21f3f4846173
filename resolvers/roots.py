"""Top-level lists (``courses``, ``conversations`` ...): one scoped, paginated statement each,
answered as a page of records. Each is called with the request context, the page arguments and
its filters' values (``resolvers.root_fields``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)

from config import clock
from config.errors import BadUserInputError
from config.paging import PageArgs
from resolvers import kinds as k
from resolvers.context import RequestContext
from resolvers.errors import forbidden
from resolvers.fetch import KEY, PageStatements, fetch_pages, page_shape, page_statements
from resolvers.field_sources import FIELD_SOURCES, Missing, Reference
from resolvers.kinds import Kind
from resolvers.materialize import keyed_page, records_of
from resolvers.records import Page, PseudonymRecord
from resolvers.scopes import scoped_select
from store import tables as t
from store.db import reader
from store.erasure_ledger import REPORTED_STATUS
from store.idlists import ids_param, in_ids
from store.privacy.retention import retention_registry
from store.tables import CourseState, PrivacyAction, PrivacyRequestStatus, ProcessingState, Role
from store.text import contains_pattern, matches

#: the parameter holding the value a root list's filter compares with
ROOT_VALUE = "tavle_root_value"
#: the one parent of a root list's page
_ROOT = literal(0)


@dataclass(frozen=True, eq=False)  # holds an SQL expression, which compares into SQL
class _Where:
    """A root list's filter: a condition naming its value as the parameter ``ROOT_VALUE``,
    built once, so each list's statements are built once per row scope (``Scope.derive``)."""

    clause: ColumnElement[bool]


async def _listed_page(
    ctx: RequestContext,
    kind: Kind,
    args: PageArgs,
    key: Hashable,
    conditions: Callable[[], Sequence[ColumnElement[bool]]],
    params: Mapping[str, Any],
) -> Page[Any]:
    """The page of a root list of ``kind``: the viewer's row scope narrowed by ``conditions()``
    (built once per scope and ``key``, which must name everything they put into the statement
    besides parameters), run with ``params`` beside the scope's own; ``args`` carry its ordering
    (``RootPage.descending`` is its default)."""
    viewing = ctx.loaders.viewing
    shape = page_shape(args)
    descending, after, before, backward = shape

    def build(stmt: Select[Any]) -> PageStatements:
        return page_statements(
            stmt.where(*conditions()),
            _ROOT,
            kind.key,
            descending=descending,
            after=after,
            before=before,
            backward=backward,
        )

    statements = viewing.scope(kind).derive((key, shape), build)
    pages, columns = await fetch_pages(
        ctx.engine, statements, {**viewing.params, **params}, [0], args
    )
    page = pages[0]
    key_at = columns[KEY]
    return Page(
        records=await records_of(ctx, kind, page.rows, kind.layout(columns)),
        sort_keys=[row[key_at] for row in page.rows],
        total=page.total,
        has_next=page.has_next,
        has_previous=page.has_previous,
        args=args,
    )


async def _root_page(
    ctx: RequestContext,
    kind: Kind,
    args: PageArgs,
    where: _Where | None = None,
    value: Any = None,
) -> Page[Any]:
    """The page of the root list, narrowed by ``where`` (its parameter ``value``) if given."""
    if where is None:
        return await _listed_page(ctx, kind, args, ("root", None), tuple, {})
    clause = where.clause
    return await _listed_page(
        ctx, kind, args, ("root", where), lambda: (clause,), {ROOT_VALUE: value}
    )


_COURSE_STATE = _Where(t.courses.c.state == bindparam(ROOT_VALUE))
_INBOX = _Where(in_ids(k.CONVERSATION.key, ids_param(ROOT_VALUE)))


async def courses(
    ctx: RequestContext, args: PageArgs, state: CourseState | None = CourseState.ACTIVE
) -> Page[Any]:
    """Visible courses in ``state`` (None: in any state)."""
    if state is None:
        return await _root_page(ctx, k.COURSE, args)
    return await _root_page(ctx, k.COURSE, args, _COURSE_STATE, state)


async def schools(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """Visible schools (a system administrator's: all of them), by id."""
    return await _root_page(ctx, k.SCHOOL, args)


async def roster_imports(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """Import runs, newest first (system administrators: the row rule hides them from others)."""
    return await _root_page(ctx, k.ROSTER_IMPORT, args)


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


_rq = t.privacy_requests.c
_REQUEST_FILTERS: dict[str, ColumnElement[bool]] = {
    "subject": _rq.subject_id == bindparam("tavle_requests_subject", type_=Integer),
    # the status the field shows (a finished erasure without its ledger entry: RUNNING)
    "status": bindparam("tavle_requests_status", type_=_rq.status.type) == REPORTED_STATUS,
}


def _action_param(n: int) -> str:
    """The parameter holding the ``n``-th action ``privacyRequests(action:)`` keeps."""
    return f"tavle_requests_action_{n}"


def _action_among(count: int) -> ColumnElement[bool]:
    """The request's action is one of ``count`` parameters (``_action_param``): the statement
    depends on how many actions are asked for (at most one per action), not on which; none
    asked for keeps no request."""
    if count == 0:
        return false()
    return _rq.action.in_(
        [bindparam(_action_param(n), type_=_rq.action.type) for n in range(count)]
    )


async def privacy_requests(
    ctx: RequestContext,
    args: PageArgs,
    subject_id: int | None = None,
    status: PrivacyRequestStatus | None = None,
    action: Sequence[PrivacyAction] | None = None,
) -> Page[Any]:
    """Privacy requests (system administrators: the row rule hides them from others), about a
    person (``subject_id``), in a status and of one of the actions ``action`` names (None: any;
    ``root_fields`` bounds the list); every filter given must hold."""
    if status is not None:
        status = PrivacyRequestStatus(getattr(status, "value", status))
    values = {"subject": subject_id, "status": status}
    given = tuple(name for name, value in values.items() if value is not None)
    if not given and action is None:
        return await _root_page(ctx, k.PRIVACY_REQUEST, args)
    params: dict[str, Any] = {f"tavle_requests_{name}": values[name] for name in given}
    actions = None
    if action is not None:
        kept = sorted({PrivacyAction(getattr(one, "value", one)) for one in action})
        params.update({_action_param(n): one for n, one in enumerate(kept)})
        actions = len(kept)
    return await _listed_page(
        ctx,
        k.PRIVACY_REQUEST,
        args,
        ("requests", given, actions),
        lambda: (
            *(_REQUEST_FILTERS[name] for name in given),
            *(() if actions is None else (_action_among(actions),)),
        ),
        params,
    )


#: the longest ``action`` ``auditLog`` filters by (the column's width)
ACTION_MAX = 64
_ae = t.audit_entries.c
_AUDIT_FILTERS: dict[str, ColumnElement[bool]] = {
    "subject": _ae.subject_id == bindparam("tavle_audit_subject", type_=Integer),
    "actor": _ae.actor_id == bindparam("tavle_audit_actor", type_=Integer),
    "action": _ae.action == bindparam("tavle_audit_action", type_=String),
    "since": _ae.at >= bindparam("tavle_audit_since", type_=t.audit_entries.c.at.type),
    "until": _ae.at < bindparam("tavle_audit_until", type_=t.audit_entries.c.at.type),
}


async def audit_log(
    ctx: RequestContext,
    args: PageArgs,
    subject_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[Any]:
    """Audit entries (system administrators: the row rule hides them from others), about a
    person (``subject_id``), by an actor, of one action, at or after ``since`` and before
    ``until``; every filter given must hold."""
    if action is not None:
        action = action.strip()
        if not action or len(action) > ACTION_MAX:
            raise BadUserInputError(
                f"'action' must be 1 to {ACTION_MAX} characters (an audit action such as "
                "PRIVACY_RESTRICT)"
            )
    if since is not None and until is not None and since >= until:
        raise BadUserInputError("'from' must be before 'to'")
    values = {
        "subject": subject_id,
        "actor": actor_id,
        "action": action,
        "since": since,
        "until": until,
    }
    given = tuple(name for name, value in values.items() if value is not None)
    if not given:
        return await _root_page(ctx, k.AUDIT_ENTRY, args)
    return await _listed_page(
        ctx,
        k.AUDIT_ENTRY,
        args,
        ("audit", given),
        lambda: tuple(_AUDIT_FILTERS[name] for name in given),
        {f"tavle_audit_{name}": values[name] for name in given},
    )


# --- the users directory (``Query.users``) --------------------------------------------------------

#: the longest search text ``users`` takes
SEARCH_MAX = 100
_ra = t.role_assignments.c
_SEARCH = bindparam("tavle_users_search", type_=String)
_SCHOOL = bindparam("tavle_users_school", type_=Integer)
_ROLE: BindParameter[Any] = bindparam("tavle_users_role")
_STATE: BindParameter[Any] = bindparam("tavle_users_state")
_IDENTIFIER = bindparam("tavle_users_identifier", type_=String)
#: the parameter holding the people ``users(ids:)`` asks for
_IDS = "tavle_users_ids"


def _directory_where(
    search: bool, school: bool, role: bool, identifier: bool = False, ids: bool = False
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [t.people.c.processing_state == _STATE]
    if ids:
        conditions.append(in_ids(t.people.c.id, ids_param(_IDS)))
    if identifier:
        # exact only (system administrators, who may read e-mail and national ids anyway):
        # the username, the e-mail address (any case) or the national id number
        conditions.append(
            or_(
                t.people.c.username == _IDENTIFIER,
                func.lower(t.people.c.email) == func.lower(_IDENTIFIER),
                t.people.c.national_id == _IDENTIFIER,
            )
        )
    if search:
        # names only: no caller may read a username (there is no such field), so matching it
        # would let a search find out, letter by letter, what it is
        full_name = t.people.c.given_name + literal(" ") + t.people.c.family_name
        conditions.append(
            or_(
                matches(t.people.c.given_name, _SEARCH),
                matches(t.people.c.family_name, _SEARCH),
                matches(full_name, _SEARCH),  # "Ola Nordmann"
            )
        )
    if school or role:
        assigned = select(_ra.id).where(_ra.person_id == t.people.c.id)
        if school:
            assigned = assigned.where(_ra.school_id == _SCHOOL)
        if role:
            assigned = assigned.where(_ra.role == _ROLE)
        conditions.append(exists(assigned))
    return conditions


async def users(
    ctx: RequestContext,
    args: PageArgs,
    search: str | None = None,
    school_id: int | None = None,
    role: Role | None = None,
    state: ProcessingState | None = None,
    identifier: str | None = None,
    ids: Sequence[int] | None = None,
) -> Page[Any]:
    """People the viewer may see (the User row rule), by name (``search``: a part of the given
    name, the family name or the full name "given family", case-insensitive), school and role.
    Active people unless ``state`` says: restricted people are in the recycle bin's row rule (system
    administrators), and erased people are never listed. ``identifier`` (system administrators
    only) is compared exactly with the username, the e-mail address and the national id. ``ids``:
    only these people (their keys; ``root_fields`` bounds the list), under the same rules."""
    if search is not None and len(search) > SEARCH_MAX:
        raise BadUserInputError(f"'search' must be at most {SEARCH_MAX} characters")
    if identifier is not None:
        if not ctx.require_viewer().is_sysadmin:
            raise forbidden("'identifier' is for system administrators only")
        identifier = identifier.strip()
        if not identifier or len(identifier) > SEARCH_MAX:
            raise BadUserInputError(
                f"'identifier' must be 1 to {SEARCH_MAX} characters (a username, an e-mail "
                "address or a national id number)"
            )
    state = ProcessingState.ACTIVE if state is None else ProcessingState(state)
    kind = k.USER if state is ProcessingState.ACTIVE else k.RECYCLE_BIN
    given = (
        bool(search),
        school_id is not None,
        role is not None,
        identifier is not None,
        ids is not None,
    )
    params: dict[str, Any] = {_STATE.key: state}
    if search:
        params[_SEARCH.key] = contains_pattern(search)
    if identifier is not None:
        params[_IDENTIFIER.key] = identifier
    if school_id is not None:
        params[_SCHOOL.key] = school_id
    if role is not None:
        params[_ROLE.key] = Role(getattr(role, "value", role))
    if ids is not None:
        params[_IDS] = sorted(set(ids))
    return await _listed_page(
        ctx, kind, args, ("users", given), lambda: _directory_where(*given), params
    )


# --- people whose retention has passed (``Query.expiredSubjects``) --------------------------------

_left = t.people.c.restricted_at


async def expired_subjects(ctx: RequestContext, args: PageArgs) -> Page[Any]:
    """Restricted people who left before the retention registry's cutoff (every category's
    retention has passed, ``store.privacy.retention``), ordered by leaving time, longest gone
    first (ties by id). The cursors name a person; the page continues from that person's
    leaving time, so a listed person who is erased meanwhile does not break paging (one whose
    restriction was lifted has no leaving time: BAD_USER_INPUT)."""
    cutoff = retention_registry(ctx.settings.retention_file).expiry_cutoff(clock.now())
    kind = k.RECYCLE_BIN
    listed = scoped_select(kind, ctx).where(_left.is_not(None), _left < cutoff)
    async with reader(ctx.engine).connect() as conn:
        total = (
            await conn.execute(select(func.count()).select_from(listed.subquery()))
        ).scalar_one()
        if not total:
            # nothing visible (everyone but system administrators): the cursors are not looked
            # at, so they tell nothing about anyone
            return Page(records=[], sort_keys=[], total=0, has_next=False, args=args)

        async def left_at(pk: int) -> Any:
            at = (await conn.execute(select(_left).where(t.people.c.id == pk))).scalar()
            if at is None:
                raise BadUserInputError("The cursor names a person who is no longer in the list")
            return at

        stmt = listed
        if args.after is not None:
            at = await left_at(args.after)
            stmt = stmt.where(or_(_left > at, and_(_left == at, t.people.c.id > args.after)))
        if args.before is not None:
            at = await left_at(args.before)
            stmt = stmt.where(or_(_left < at, and_(_left == at, t.people.c.id < args.before)))
        order = (_left.desc(), t.people.c.id.desc()) if args.backward else (_left, t.people.c.id)
        rows = (await conn.execute(stmt.order_by(*order).limit(args.first + 1))).mappings().all()
    return await keyed_page(ctx, kind, rows, args, total)


# --- a stand-in by its id (``node(id: "Pseudonym:...")``) ---------------------------------------

_p = t.people.c
#: the people who appear as stand-ins: anyone not active (restricted or erased)
_NOT_ACTIVE = select(_p.id).where(_p.processing_state != ProcessingState.ACTIVE)


def _authored() -> tuple[tuple[Kind, str], ...]:
    """Where stand-ins appear: the kinds whose references fall back to the pseudonym
    (``Missing.PSEUDONYM``), with the record attribute holding the person's id."""
    return tuple(
        (k.KINDS[source.coordinate.partition(".")[0]], source.key)
        for source in FIELD_SOURCES.values()
        if isinstance(source, Reference) and source.missing is Missing.PSEUDONYM
    )


async def pseudonym(ctx: RequestContext, label: str) -> PseudonymRecord | None:
    """The stand-in with ``label``, for a viewer who may see something it stands in for:
    a visible post, comment, assignment, message, document or calendar event by a restricted
    or erased person with that label. Else None (NOT_FOUND, as for any object not visible).

    The person is only looked for among the people who are not active, by their labels
    (computed here, never stored); what is handed back carries the label only."""
    if ctx.viewer is None:
        return None
    async with reader(ctx.engine).connect() as conn:
        people = (await conn.execute(_NOT_ACTIVE)).scalars().all()
        matching = [pk for pk in people if ctx.pseudonyms.label(pk) == label]
        if not matching:
            return None
        for kind, key in _authored():
            scoped = scoped_select(kind, ctx).subquery()
            found = await conn.execute(
                select(scoped.c.id).where(scoped.c[key].in_(matching)).limit(1)
            )
            if found.first() is not None:
                return ctx.pseudonym(matching[0])
    return None

"""The ``Query`` root's reads: declarations, not code, in ``ROOT_FIELDS`` by coordinate.

* ``Lookup``: one object by its global id: of one kind (``user(id:)``), of any kind a global id
  names (``node(id:)``: ``kind`` None). A malformed id is BAD_USER_INPUT; an id of another type
  and an object the viewer may not see are NOT_FOUND, an error of the field (not a bounded
  ``ProblemLog`` entry), worded ``config.ids.not_found`` unless the declaration words it.
* ``ViewerField``: the caller, as the people row rule shows them.
* ``RootPage``: a page of a top-level list (``resolvers.roots``), with its filter arguments.

The pure steps (``lookup_id``, ``lookup_found``, ``page_arguments``) hold the rules; the schema's
resolvers (``schema.sources``) and the compiled executor (``gateway.compiled``) compose them with
the loaders, so their answers, errors and wording are one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from config.errors import NotFoundError
from config.ids import PSEUDONYM_TYPE, expect_id, from_global_id, not_found, pseudonym_label
from config.paging import PageArgs, descending_of
from resolvers import data_request_list, incident_list, roots
from resolvers.context import RequestContext
from resolvers.kinds import NODE_KINDS
from resolvers.records import Page
from resolvers.services.input_limits import LIST_LIMITS, check_count

#: a top-level list: the page for the context, the page arguments and the filters' values
ListFunction = Callable[..., Awaitable[Page[Any]]]


@dataclass(frozen=True)
class Lookup:
    coordinate: str
    #: the kind the id must name; None: any kind a global id names (``NODE_KINDS``)
    kind: str | None
    #: the NOT_FOUND message for an object the viewer may not see (None: ``not_found``)
    not_visible: str | None = None


@dataclass(frozen=True)
class ViewerField:
    coordinate: str


@dataclass(frozen=True)
class RootFilter:
    """A filter argument; an ``ID`` argument names the type of the global id it takes. A list
    (of ids or of values, ``most`` set) holds at most ``most`` items
    (``input_limits.LIST_LIMITS``)."""

    argument: str
    id_of: str | None = None
    most: int | None = None

    def value(self, given: Any) -> Any:
        """The value handed to the list (None: not filtered); NOT_FOUND for an id of another
        type, BAD_USER_INPUT for a malformed one or a list over its limit."""
        if given is None:
            return given
        if self.most is not None:
            check_count(list(given), self.argument, self.most)
            if self.id_of is None:
                return list(given)
            return [expect_id(one, self.id_of) for one in given]
        if self.id_of is None:
            return given
        return expect_id(given, self.id_of)


@dataclass(frozen=True)
class RootPage:
    coordinate: str
    list: ListFunction
    filters: tuple[RootFilter, ...] = ()
    #: the filters are read before the page arguments (whose errors then come second)
    filters_first: bool = False
    #: the list's default order is newest first (``orderBy`` may change it)
    descending: bool = False


RootField = Lookup | ViewerField | RootPage

_SUBJECT = RootFilter("subject_id", "User")

ROOT_FIELDS: dict[str, RootField] = {
    field.coordinate: field
    for field in (
        ViewerField("Query.viewer"),
        Lookup("Query.node", None),
        Lookup("Query.user", "User"),
        Lookup("Query.school", "School"),
        Lookup("Query.course", "Course"),
        Lookup("Query.submission", "Submission"),
        Lookup("Query.assessment", "Assessment"),
        Lookup(
            "Query.privacyRequest",
            "PrivacyRequest",
            "No privacy request with that id is visible to you",
        ),
        RootPage("Query.courses", roots.courses, (RootFilter("state"),)),
        RootPage("Query.rosterImports", roots.roster_imports, descending=True),
        RootPage("Query.schools", roots.schools),
        RootPage("Query.conversations", roots.conversations),
        RootPage("Query.documents", roots.documents),
        RootPage("Query.calendarEvents", roots.calendar_events),
        RootPage("Query.recycleBin", roots.recycle_bin),
        RootPage("Query.expiredSubjects", roots.expired_subjects),
        RootPage(
            "Query.privacyRequests",
            roots.privacy_requests,
            (
                _SUBJECT,
                RootFilter("status"),
                RootFilter("action", most=LIST_LIMITS["Query.privacyRequests(action:)"]),
            ),
            filters_first=True,
        ),
        RootPage(
            "Query.auditLog",
            roots.audit_log,
            (
                _SUBJECT,
                RootFilter("actor_id", "User"),
                RootFilter("action"),
                RootFilter("since"),
                RootFilter("until"),
            ),
            filters_first=True,
        ),
        RootPage("Query.incidents", incident_list.incidents),
        RootPage(
            "Query.dataRequests",
            data_request_list.data_requests,
            (RootFilter("status"), RootFilter("kind"), RootFilter("overdue")),
            filters_first=True,
        ),
        RootPage(
            "Query.users",
            roots.users,
            (
                RootFilter("search"),
                RootFilter("school_id", "School"),
                RootFilter("role"),
                RootFilter("state"),
                RootFilter("identifier"),
                RootFilter("ids", "User", LIST_LIMITS["Query.users(ids:)"]),
            ),
            filters_first=True,
        ),
    )
}


def stand_in_label(field: Lookup, global_id: str) -> str | None:
    """The label of a stand-in's id (``Pseudonym:<label>``) given to ``node(id:)``; None for
    every other id or field (those go through ``lookup_id``). ``roots.pseudonym`` finds it."""
    return pseudonym_label(global_id) if field.kind is None else None


def lookup_id(field: Lookup, global_id: str) -> tuple[str, int]:
    """The kind and key ``global_id`` names, or the field's error."""
    kind = field.kind
    if kind is None:
        kind, _pk = from_global_id(global_id)
        if kind not in NODE_KINDS:
            raise not_found("object", global_id)
    return kind, expect_id(global_id, kind)


def lookup_found(field: Lookup, kind: str, global_id: str, found: Any | None) -> Any:
    """The record the loader found, or NOT_FOUND."""
    if found is None:
        if field.not_visible is not None:
            raise NotFoundError(field.not_visible)
        raise not_found(kind, global_id)
    return found


def stand_in_found(field: Lookup, global_id: str, found: Any | None) -> Any:
    """The stand-in ``roots.pseudonym`` found, or NOT_FOUND."""
    return lookup_found(field, PSEUDONYM_TYPE, global_id, found)


def viewer_key(ctx: RequestContext) -> int:
    """The caller's person id (the root guards deny ``viewer`` to anonymous callers first)."""
    return ctx.require_viewer().person_id


def page_arguments(
    ctx: RequestContext,
    field: RootPage,
    first: int | None,
    after: str | None,
    given: Sequence[Any],
    last: int | None = None,
    before: str | None = None,
    order: Any = None,
) -> tuple[PageArgs, tuple[Any, ...]]:
    """The page arguments and the filters' values (``given``: as sent, in declaration order),
    read in the declared order, each raising its error. ``order``: the ``orderBy`` given (None:
    the declared order); cursors must come from this list in this order."""

    def page() -> PageArgs:
        return ctx.page_args(
            first,
            after,
            last,
            before,
            connection=field.coordinate,
            descending=descending_of(order, field.descending),
        )

    if field.filters_first:
        values = _filter_values(field, given)
        return page(), values
    args = page()
    return args, _filter_values(field, given)


def _filter_values(field: RootPage, given: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(f.value(value) for f, value in zip(field.filters, given, strict=True))

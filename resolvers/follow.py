"""Following a field source (``resolvers.field_sources``) from one parent record.

The rules are pure steps, each a function of what is known at that point: the key a field is
loaded by under its parent (``reference_key``, ``key_of``, ``page_key``), the page arguments and
filter values of a connection (``page_arguments``), the outcome once the loader answered
(``after_load``) and once a missing person's processing state is known (``after_state``). The
generic resolvers below compose them with one ``DataLoader.load`` per parent; the compiled
executor (``gateway.compiled``) composes the same steps with one batch call per wave. Both hand
back records; the schema makes its objects of them (``schema.sources``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo
from strawberry.dataloader import DataLoader

from config.paging import PageArgs, descending_of
from resolvers.context import RequestContext
from resolvers.field_sources import Embedded, Missing, Reference, Related
from resolvers.loaders import Filters, PageKey
from resolvers.records import Page, PseudonymRecord
from store.tables import ProcessingState


class Step(enum.Enum):
    """What a reference needs next when the loader found nothing visible."""

    #: look the person's processing state up (``after_state``)
    LOOK_UP_STATE = "LOOK_UP_STATE"
    #: null, and NOT_FOUND at the field (``RequestContext.missing``)
    MISSING = "MISSING"


LOOK_UP_STATE, MISSING = Step.LOOK_UP_STATE, Step.MISSING


# --- references ---------------------------------------------------------------------------------


def reference_key(parent: Any, source: Reference) -> int | None:
    """The id of the object ``source`` points to from ``parent`` (None: the field is null)."""
    pk: int | None = getattr(parent, source.key)
    return pk


def reference_loader(ctx: RequestContext, source: Reference) -> DataLoader[int, Any]:
    """The loader of ``source``'s targets (widened by the field's own ``see`` lines: ``path``)."""
    return ctx.loaders.by_id(source.kind, source.coordinate if source.path else None)


def after_load(source: Reference, found: Any | None) -> Any | None:
    """The reference's outcome once its loader answered: the record, None, ``MISSING``, or
    ``LOOK_UP_STATE`` for a person who is not visible (restricted or erased ones are not
    ``MISSING``: ``after_state``)."""
    if found is not None or source.missing is Missing.NULL:
        return found
    if source.missing in (Missing.PSEUDONYM, Missing.HIDDEN):
        return LOOK_UP_STATE
    return MISSING


def after_state(
    ctx: RequestContext, source: Reference, pk: int, state: ProcessingState | None
) -> Any | None:
    """The outcome once the missing person's processing state is known.

    Restricted and erased people never resolve (docs/privacy-actions.md): where they authored
    something others still see, a stand-in with a stable pseudonym takes their place
    (``Missing.PSEUDONYM``); elsewhere (an assessor, a student) the field is null without an
    error (``Missing.HIDDEN``). Anyone else the viewer may not see is ``MISSING``.
    """
    if state is not None and state != ProcessingState.ACTIVE:
        return ctx.pseudonym(pk) if source.missing is Missing.PSEUDONYM else None
    return MISSING


# --- lists and pages ----------------------------------------------------------------------------


def is_stand_in(parent: Any) -> bool:
    """A pseudonym stand-in has nothing to follow: its list fields are null."""
    return isinstance(parent, PseudonymRecord)


def key_of(parent: Any, source: Related | Embedded) -> Any | None:
    """The key a list of ``source`` is loaded by under ``parent``; None under a stand-in (the
    field is null)."""
    return None if is_stand_in(parent) else getattr(parent, source.key)


def page_arguments(
    ctx: RequestContext,
    source: Related | Embedded,
    first: int | None,
    after: str | None,
    given: Sequence[Any],
    last: int | None = None,
    before: str | None = None,
    order: Any = None,
) -> tuple[PageArgs, Filters]:
    """A connection's page arguments, then its filters' values (``given``: the filter arguments
    as sent, in declaration order; ``Filter.value``), each raising its BAD_USER_INPUT or
    NOT_FOUND in that order. Read after ``is_stand_in``: a stand-in's connection is null before
    any argument is looked at. ``order``: its ``orderBy`` (None: the declared order); the
    cursors must come from this connection in this order."""
    args = ctx.page_args(
        first,
        after,
        last,
        before,
        connection=source.coordinate,
        descending=descending_of(order, source.descending),
    )
    values = tuple(f.value(value) for f, value in zip(source.filters, given, strict=True))
    return args, values


def page_loader(
    ctx: RequestContext, source: Related | Embedded, filters: Filters = ()
) -> DataLoader[PageKey, Page[Any]]:
    """The loader of ``source``'s pages (a kind's rows, or plumbing rows), for the filter
    arguments given in ``filters``; its keys are ``page_key`` s."""
    if isinstance(source, Embedded):
        return ctx.loaders.embedded_pages(source)
    return ctx.loaders.related_pages(source, filters)


def page_key(
    parent: Any, source: Related | Embedded, args: PageArgs, filters: Filters = ()
) -> PageKey:
    """The key of ``parent``'s page of ``source`` filtered by ``filters``' values."""
    return getattr(parent, source.key), args, filters


# --- the generic resolvers: one load per parent -------------------------------------------------


async def reference(
    ctx: RequestContext,
    info: GraphQLResolveInfo[Any] | strawberry.Info[Any, Any],
    parent: Any,
    source: Reference,
) -> Any | None:
    """The record ``source`` points to from ``parent``, or None (see ``Missing``)."""
    pk = reference_key(parent, source)
    if pk is None:
        return None
    outcome = after_load(source, await reference_loader(ctx, source).load(pk))
    if outcome is LOOK_UP_STATE:
        outcome = after_state(ctx, source, pk, await ctx.loaders.person_states.load(pk))
    if outcome is MISSING:
        ctx.missing(info, source.coordinate)
        return None
    return outcome


async def related_list(ctx: RequestContext, parent: Any, source: Related) -> list[Any] | None:
    key = key_of(parent, source)
    if key is None:
        return None
    found: list[Any] = await ctx.loaders.related_list(source).load(key)
    return found


async def related_page(
    ctx: RequestContext,
    parent: Any,
    source: Related | Embedded,
    args: PageArgs,
    filters: Filters = (),
) -> Page[Any] | None:
    """One page of ``source`` under ``parent``; ``filters`` are the values of its filter
    arguments in declaration order (``page_arguments``)."""
    if is_stand_in(parent):
        return None
    loader = page_loader(ctx, source, filters)
    found: Page[Any] = await loader.load(page_key(parent, source, args, filters))
    return found


async def embedded(ctx: RequestContext, parent: Any, source: Embedded) -> list[Any] | None:
    key = key_of(parent, source)
    if key is None:
        return None
    found: list[Any] = await ctx.loaders.embedded(source).load(key)
    return found

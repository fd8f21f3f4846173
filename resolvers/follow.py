"""Following a field source (``resolvers.field_sources``) from one parent record: the generic
resolvers behind every reference, list and connection field. They hand back records; the schema
makes its objects of them (``schema.sources``)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLResolveInfo

from config.paging import PageArgs
from resolvers.context import RequestContext
from resolvers.field_sources import Embedded, Missing, Reference, Related
from resolvers.loaders import Filters
from resolvers.materialize import pseudonym
from resolvers.records import Page, PseudonymRecord
from store.tables import ProcessingState


async def reference(
    ctx: RequestContext,
    info: GraphQLResolveInfo[Any] | strawberry.Info[Any, Any],
    parent: Any,
    source: Reference,
) -> Any | None:
    """The record ``source`` points to from ``parent``, or None (see ``Missing``).

    Restricted and erased people never resolve (docs/privacy-actions.md): where they authored
    something others still see, a stand-in with a stable pseudonym takes their place
    (``Missing.PSEUDONYM``); elsewhere (an assessor, a student) the field is null without an
    error (``Missing.HIDDEN``). Anyone else the viewer may not see is null + NOT_FOUND.
    """
    pk: int | None = getattr(parent, source.key)
    if pk is None:
        return None
    path = source.coordinate if source.path else None
    found = await ctx.loaders.by_id(source.kind, path).load(pk)
    if found is not None or source.missing is Missing.NULL:
        return found
    if source.missing in (Missing.PSEUDONYM, Missing.HIDDEN):
        state = await ctx.loaders.person_states.load(pk)
        if state is not None and state != ProcessingState.ACTIVE:
            if source.missing is Missing.PSEUDONYM:
                return pseudonym(ctx.pseudonyms, pk)
            return None
    ctx.missing(info, source.coordinate)
    return None


def is_stand_in(parent: Any) -> bool:
    """A pseudonym stand-in has nothing to follow: its list fields are null."""
    return isinstance(parent, PseudonymRecord)


async def related_list(ctx: RequestContext, parent: Any, source: Related) -> list[Any] | None:
    if is_stand_in(parent):
        return None
    found: list[Any] = await ctx.loaders.related_list(source).load(getattr(parent, source.key))
    return found


async def related_page(
    ctx: RequestContext, parent: Any, source: Related, args: PageArgs, filters: Filters = ()
) -> Page[Any] | None:
    """One page of ``source`` under ``parent``; ``filters`` are the values of its filter
    arguments in declaration order (``Filter.value``; None: not filtered)."""
    if is_stand_in(parent):
        return None
    loader = ctx.loaders.related_pages(source, filters)
    found: Page[Any] = await loader.load((getattr(parent, source.key), args))
    return found


async def embedded(ctx: RequestContext, parent: Any, source: Embedded) -> list[Any] | None:
    if is_stand_in(parent):
        return None
    found: list[Any] = await ctx.loaders.embedded(source).load(getattr(parent, source.key))
    return found

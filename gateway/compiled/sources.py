"""The compiled path's data sources, derived from the declarations the schema's resolvers follow.

``resolvers.field_sources`` declares where each reference, list and connection field reads its
data, ``resolvers.root_fields`` each read of the root; the schema's resolvers (``schema.sources``)
follow a declaration with the pure steps of ``resolvers.follow`` and ``resolvers.root_fields``
and one ``DataLoader.load`` per parent. Here the same declarations and the same steps become
:class:`~gateway.compiled.protocol.FieldSource` s that ask the request's own loaders
(``resolvers.loaders.Loaders``: the same row scopes, the same statements) for a whole wave's keys
at once through their batch functions (``DataLoader.load_fn``). They hand back records, which
the run completes with the types' declared values (``schema.values``).

A coordinate with no declaration is not fetched: the planner makes it a plain or computed field,
or leaves the operation to graphql-core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from gateway.compiled.protocol import (
    NULL,
    Again,
    BatchFunction,
    FieldSource,
    Missing,
    Prepared,
)
from resolvers import follow, root_fields, roots
from resolvers.context import RequestContext
from resolvers.field_sources import FIELD_SOURCES, Embedded, Reference, Related
from resolvers.loaders import Filters
from resolvers.root_fields import ROOT_FIELDS, Lookup, RootPage, ViewerField


class _Failing:
    """A source whose arguments failed: ``start`` raises the error for each parent."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def batch(self, keys: list[Any]) -> Sequence[Any]:  # pragma: no cover - never loads
        raise self.error

    def start(self, parent: Any) -> Any:
        raise self.error

    def finish(self, key: Any, loaded: Any) -> Any:  # pragma: no cover - never loads
        raise self.error


def _loaded(key: Any, loaded: Any) -> Any:
    return loaded


# --- declared fields (resolvers.field_sources) ------------------------------------------------


class ReferenceSource:
    """A ``Reference`` (``follow.reference``)."""

    def __init__(self, declared: Reference) -> None:
        self.declared = declared
        self.missing = Missing(declared.coordinate)

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        return _PreparedReference(self, ctx)


class _PreparedReference:
    __slots__ = ("batch", "ctx", "key", "source")

    def __init__(self, source: ReferenceSource, ctx: RequestContext) -> None:
        self.source = source
        self.ctx = ctx
        self.key = source.declared.key
        self.batch: BatchFunction = follow.reference_loader(ctx, source.declared).load_fn

    def start(self, parent: Any) -> Any:
        pk = getattr(parent, self.key)
        return NULL if pk is None else pk

    def finish(self, key: Any, loaded: Any) -> Any:
        outcome = follow.after_load(self.source.declared, loaded)
        if outcome is follow.LOOK_UP_STATE:
            states = self.ctx.loaders.person_states.load_fn
            return Again(states, key, partial(self._after_state, key))
        if outcome is follow.MISSING:
            return self.source.missing
        return outcome

    def _after_state(self, pk: int, state: Any) -> Any:
        outcome = follow.after_state(self.ctx, self.source.declared, pk, state)
        return self.source.missing if outcome is follow.MISSING else outcome


class _PreparedKeyed:
    """A list or embedded list: the parent's key, the loaded value as it is."""

    __slots__ = ("batch", "declared")

    def __init__(self, declared: Related | Embedded, batch: BatchFunction) -> None:
        self.declared = declared
        self.batch = batch

    def start(self, parent: Any) -> Any:
        key = follow.key_of(parent, self.declared)
        return NULL if key is None else key

    finish = staticmethod(_loaded)


class ListSource:
    """A ``Related`` list (``follow.related_list``)."""

    def __init__(self, declared: Related) -> None:
        self.declared = declared

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        return _PreparedKeyed(self.declared, ctx.loaders.related_list(self.declared).load_fn)


class EmbeddedSource:
    """An ``Embedded`` list (``follow.embedded``): plumbing records."""

    def __init__(self, declared: Embedded) -> None:
        self.declared = declared

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        return _PreparedKeyed(self.declared, ctx.loaders.embedded(self.declared).load_fn)


class PageSource:
    """A ``Related`` page (``schema.sources.connection``): null for a stand-in before any
    argument is looked at; then the page arguments, then the filters' values."""

    def __init__(self, declared: Related | Embedded) -> None:
        self.declared = declared
        self.filters = tuple(f.argument for f in declared.filters)

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        source = self.declared
        try:
            page, values = follow.page_arguments(
                ctx,
                source,
                args.get("first"),
                args.get("after"),
                [args.get(name) for name in self.filters],
                args.get("last"),
                args.get("before"),
                args.get("order_by"),
            )
        except Exception as error:
            return _StandInsFirst(_Failing(error))
        batch = follow.page_loader(ctx, source, values).load_fn
        return _PreparedPage(source, page, values, batch)


class _PreparedPage:
    __slots__ = ("batch", "declared", "page", "values")

    def __init__(
        self, declared: Related | Embedded, page: Any, values: Filters, batch: BatchFunction
    ) -> None:
        self.declared = declared
        self.page = page
        self.values = values
        self.batch = batch

    def start(self, parent: Any) -> Any:
        if follow.is_stand_in(parent):
            return NULL
        return follow.page_key(parent, self.declared, self.page, self.values)

    finish = staticmethod(_loaded)


class _StandInsFirst:
    """A page whose arguments failed: null under a stand-in, the error under anyone else."""

    __slots__ = ("batch", "failing")

    def __init__(self, failing: _Failing) -> None:
        self.failing = failing
        self.batch = failing.batch

    def start(self, parent: Any) -> Any:
        if follow.is_stand_in(parent):
            return NULL
        return self.failing.start(parent)

    def finish(self, key: Any, loaded: Any) -> Any:  # pragma: no cover - never loads
        return self.failing.finish(key, loaded)


# --- the root's reads (resolvers.root_fields) -------------------------------------------------


class LookupSource:
    """A ``Lookup``: by global id; NOT_FOUND is an error of the field."""

    def __init__(self, declared: Lookup) -> None:
        self.declared = declared

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        global_id = args["id"]
        label = root_fields.stand_in_label(self.declared, global_id)
        if label is not None:
            return _PreparedStandIn(self.declared, ctx, global_id, label)
        try:
            kind, pk = root_fields.lookup_id(self.declared, global_id)
        except Exception as error:
            return _Failing(error)
        return _PreparedLookup(self.declared, kind, global_id, pk, ctx.loaders.by_id(kind).load_fn)


class _PreparedLookup:
    __slots__ = ("batch", "declared", "global_id", "kind", "pk")

    def __init__(
        self, declared: Lookup, kind: str, global_id: str, pk: int, batch: BatchFunction
    ) -> None:
        self.declared = declared
        self.kind = kind
        self.global_id = global_id
        self.pk = pk
        self.batch = batch

    def start(self, parent: Any) -> Any:
        return self.pk

    def finish(self, key: Any, loaded: Any) -> Any:
        return root_fields.lookup_found(self.declared, self.kind, self.global_id, loaded)


class _PreparedStandIn:
    """``node(id:)`` of a stand-in's id (``roots.pseudonym``), called once (its key is 0)."""

    __slots__ = ("ctx", "declared", "global_id", "label")

    def __init__(self, declared: Lookup, ctx: RequestContext, global_id: str, label: str) -> None:
        self.declared = declared
        self.ctx = ctx
        self.global_id = global_id
        self.label = label

    async def batch(self, keys: list[Any]) -> Sequence[Any]:
        return [await roots.pseudonym(self.ctx, self.label)]

    def start(self, parent: Any) -> Any:
        return 0

    def finish(self, key: Any, loaded: Any) -> Any:
        return root_fields.stand_in_found(self.declared, self.global_id, loaded)


class ViewerSource:
    """``Query.viewer``."""

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        return _PreparedViewer(ctx)


class _PreparedViewer:
    __slots__ = ("batch", "ctx")

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.batch: BatchFunction = ctx.loaders.by_id("User").load_fn

    def start(self, parent: Any) -> Any:
        return root_fields.viewer_key(self.ctx)

    finish = staticmethod(_loaded)


class RootPageSource:
    """A ``RootPage``: the list's own statement, called once (its key is 0)."""

    def __init__(self, declared: RootPage) -> None:
        self.declared = declared
        self.filters = tuple(f.argument for f in declared.filters)

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        declared = self.declared
        try:
            page, values = root_fields.page_arguments(
                ctx,
                declared,
                args.get("first"),
                args.get("after"),
                [args.get(name) for name in self.filters],
                args.get("last"),
                args.get("before"),
                args.get("order_by"),
            )
        except Exception as error:
            return _Failing(error)
        return _PreparedRootPage(declared, ctx, page, values)


class _PreparedRootPage:
    __slots__ = ("ctx", "declared", "page", "values")

    def __init__(
        self, declared: RootPage, ctx: RequestContext, page: Any, values: tuple[Any, ...]
    ) -> None:
        self.declared = declared
        self.ctx = ctx
        self.page = page
        self.values = values

    async def batch(self, keys: list[Any]) -> Sequence[Any]:
        return [await self.declared.list(self.ctx, self.page, *self.values)]

    def start(self, parent: Any) -> Any:
        return 0

    finish = staticmethod(_loaded)


def source_for(coordinate: str) -> FieldSource | None:
    """The data source of the field at ``coordinate``, if it is declared."""
    declared = FIELD_SOURCES.get(coordinate)
    if isinstance(declared, Reference):
        return ReferenceSource(declared)
    if isinstance(declared, Related):
        return PageSource(declared) if declared.page else ListSource(declared)
    if isinstance(declared, Embedded):
        return PageSource(declared) if declared.page else EmbeddedSource(declared)
    root = ROOT_FIELDS.get(coordinate)
    if isinstance(root, Lookup):
        return LookupSource(root)
    if isinstance(root, ViewerField):
        return ViewerSource()
    if isinstance(root, RootPage):
        return RootPageSource(root)
    return None

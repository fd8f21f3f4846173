"""The compiled path's data sources, in this one module: derived from the field declarations,
plus the adapters of the root fields and of the synchronous resolvers.

**Declared fields.** ``resolvers.field_sources.FIELD_SOURCES`` declares, per coordinate, where a
reference, list or connection field reads its data; the schema's resolvers follow a declaration
with ``resolvers.follow`` and make their objects of the records with ``schema.registry``. Here
the same declarations become :class:`~gateway.compiled.protocol.FieldSource` s that ask the
request's own loaders (``resolvers.loaders.Loaders``: the same row scopes, the same statements)
for a whole wave's keys at once through their batch functions (``DataLoader.load_fn``), never
``DataLoader.load`` per object, and make the same objects of the records. What ``follow`` does
around a loader call (a stand-in has nothing to follow, a missing reference is ``NOT_FOUND``,
null, a pseudonym or hidden) is repeated here in terms of waves, from the same declaration.

**Root fields** (``schema.query``) are not declared: :data:`ROOTS` adapts the ones on the hot
path by hand, as the resolvers are written. **Synchronous resolvers** are called as they are,
with the record's object as ``self`` and an info holding the request context
(:data:`SYNC_RESOLVERS`: those known to read nothing else).

A coordinate that is not declared, not here and not a plain attribute is not planned: operations
selecting it run on graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import GraphQLField, GraphQLList, GraphQLNamedType, GraphQLNonNull
from strawberry.dataloader import DataLoader
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from config.ids import expect_id, from_global_id, not_found
from config.paging import PageArgs
from gateway.compiled.protocol import Call, Computed, Fetch, FieldSource, Missing
from resolvers import roots
from resolvers.context import RequestContext
from resolvers.field_sources import FIELD_SOURCES, Embedded, Reference, Related
from resolvers.field_sources import Missing as WhenMissing
from resolvers.follow import is_stand_in
from resolvers.kinds import NODE_KINDS
from resolvers.records import Page
from schema.connection import connection_of
from schema.registry import to_object
from store.tables import ProcessingState


def _first(values: Sequence[Any]) -> Any:
    return values[0]


def _record(parent: Any) -> Any:
    """The record a Strawberry object was made of (what the schema's resolvers follow)."""
    return parent.record


def _page_args(ctx: RequestContext, args: Mapping[str, Any]) -> PageArgs:
    return ctx.page_args(args.get("first"), args.get("after"))


def _object_or_none(values: Sequence[Any]) -> Any:
    found = values[0]
    return None if found is None else to_object(found)


def _objects(values: Sequence[Any]) -> Any:
    found = values[0]
    return None if found is None else [to_object(record) for record in found]


def _connection(values: Sequence[Any]) -> Any:
    page: Page[Any] | None = values[0]
    return None if page is None else connection_of(page, to_object)


# --- declared fields (resolvers.field_sources) ------------------------------------------------


@dataclass(frozen=True)
class ReferenceSource:
    """A ``Reference``: the object by the id in the parent record (``follow.reference``)."""

    declared: Reference

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        source = self.declared
        pk = getattr(_record(parent), source.key)
        if pk is None:
            return None
        path = source.coordinate if source.path else None
        loader = ctx.loaders.by_id(source.kind, path)
        return Fetch(loader.load_fn, (pk,), partial(self._found, ctx, pk))

    def _found(self, ctx: RequestContext, pk: int, values: Sequence[Any]) -> Any:
        found = values[0]
        missing = self.declared.missing
        if found is not None:
            return to_object(found)
        if missing is WhenMissing.NULL:
            return None
        if missing in (WhenMissing.PSEUDONYM, WhenMissing.HIDDEN):
            states = ctx.loaders.person_states.load_fn
            return Fetch(states, (pk,), partial(self._inactive, ctx, pk))
        return Missing(self.declared.coordinate)

    def _inactive(self, ctx: RequestContext, pk: int, values: Sequence[Any]) -> Any:
        state = values[0]
        if state is not None and state != ProcessingState.ACTIVE:
            if self.declared.missing is WhenMissing.PSEUDONYM:
                return to_object(ctx.pseudonym(pk))
            return None
        return Missing(self.declared.coordinate)


@dataclass(frozen=True)
class ListSource:
    """A ``Related`` list (``follow.related_list``)."""

    declared: Related

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        record = _record(parent)
        if is_stand_in(record):
            return None
        loader = ctx.loaders.related_list(self.declared)
        return Fetch(loader.load_fn, (getattr(record, self.declared.key),), _objects)


@dataclass(frozen=True)
class PageSource:
    """A ``Related`` page (``schema.sources.connection``): null for a stand-in before any
    argument is looked at; then the page arguments, then the filters' values."""

    declared: Related

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        record = _record(parent)
        if is_stand_in(record):
            return None
        source = self.declared
        page = _page_args(ctx, args)
        filters = tuple(f.value(args.get(f.argument)) for f in source.filters)
        loader = ctx.loaders.related_pages(source, filters)
        return Fetch(loader.load_fn, ((getattr(record, source.key), page),), _connection)


@dataclass(frozen=True)
class EmbeddedSource:
    """An ``Embedded`` list (``follow.embedded``), its objects made by ``make``."""

    declared: Embedded
    make: Callable[[Any], Any]

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        record = _record(parent)
        if is_stand_in(record):
            return None
        loader = ctx.loaders.embedded(self.declared)
        return Fetch(loader.load_fn, (getattr(record, self.declared.key),), self._made)

    def _made(self, values: Sequence[Any]) -> Any:
        found = values[0]
        return None if found is None else [self.make(record) for record in found]


def _item_class(field: GraphQLField) -> Any:
    """The Python class of a list field's items (a plumbing type with ``from_record``)."""
    type_: Any = field.type
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    assert isinstance(type_, GraphQLNamedType)
    definition = type_.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(definition, "origin", None)


# --- root fields (schema.query) ---------------------------------------------------------------


def _by_id(ctx: RequestContext, kind: str) -> DataLoader[Any, Any]:
    return ctx.loaders.by_id(kind)


@dataclass(frozen=True)
class Viewer:
    """``Query.viewer``: the caller, as the people row rule shows them."""

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        viewer = ctx.require_viewer()
        return Fetch(_by_id(ctx, "User").load_fn, (viewer.person_id,), _object_or_none)


def _found_or_not_found(type_name: str, global_id: str, values: Sequence[Any]) -> Any:
    found = values[0]
    if found is None:
        raise not_found(type_name, global_id)
    return to_object(found)


def _lookup(ctx: RequestContext, type_name: str, global_id: str) -> Fetch:
    """By global id; ``NOT_FOUND`` (an error of the field, not a ``ProblemLog`` entry) for
    anything the viewer may not see."""
    pk = expect_id(global_id, type_name)
    return Fetch(
        _by_id(ctx, type_name).load_fn,
        (pk,),
        partial(_found_or_not_found, type_name, global_id),
    )


@dataclass(frozen=True)
class Lookup:
    """``Query.course(id:)`` and its kin."""

    type_name: str

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        return _lookup(ctx, self.type_name, args["id"])


@dataclass(frozen=True)
class NodeLookup:
    """``Query.node(id:)``: any type addressable by a global id."""

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        global_id = args["id"]
        type_name, _pk = from_global_id(global_id)
        if type_name not in NODE_KINDS:
            raise not_found("object", global_id)
        return _lookup(ctx, type_name, global_id)


def _connection_of(page: Page[Any]) -> Any:
    return connection_of(page, to_object)


@dataclass(frozen=True)
class RootPage:
    """A root connection with its own statement (``resolvers.roots``)."""

    run: Callable[[RequestContext, PageArgs], Any]

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        page = _page_args(ctx, args)
        return Call(partial(self.run, ctx, page), _connection_of)


@dataclass(frozen=True)
class Courses:
    """``Query.courses(state:)``."""

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        page = _page_args(ctx, args)
        return Call(partial(roots.courses, ctx, page, args.get("state")), _connection_of)


ROOTS: Mapping[str, FieldSource] = {
    "Query.viewer": Viewer(),
    "Query.node": NodeLookup(),
    "Query.user": Lookup("User"),
    "Query.school": Lookup("School"),
    "Query.course": Lookup("Course"),
    "Query.submission": Lookup("Submission"),
    "Query.assessment": Lookup("Assessment"),
    "Query.courses": Courses(),
    "Query.rosterImports": RootPage(roots.roster_imports),
    "Query.conversations": RootPage(roots.conversations),
    "Query.documents": RootPage(roots.documents),
    "Query.calendarEvents": RootPage(roots.calendar_events),
}


def source_for(coordinate: str, field: GraphQLField) -> FieldSource | None:
    """The data source of the field at ``coordinate``, if it has one the compiled path knows."""
    declared = FIELD_SOURCES.get(coordinate)
    if isinstance(declared, Reference):
        return ReferenceSource(declared)
    if isinstance(declared, Related):
        return PageSource(declared) if declared.page else ListSource(declared)
    if isinstance(declared, Embedded):
        item = _item_class(field)
        make = getattr(item, "from_record", None)
        return None if make is None else EmbeddedSource(declared, make)
    return ROOTS.get(coordinate)


# --- synchronous resolvers --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ResolverInfo:
    """What the adapted synchronous resolvers read of Strawberry's ``Info``: the context."""

    context: RequestContext


@dataclass(frozen=True)
class SyncResolver:
    """A Strawberry field's own synchronous resolver, called with the object (as ``self``) and,
    if it asks for one, an info holding the request context."""

    function: Callable[..., Any]
    takes_self: bool
    info_name: str | None

    def value(self, ctx: RequestContext, parent: Any) -> Any:
        args = (parent,) if self.takes_self else ()
        if self.info_name is None:
            return self.function(*args)
        return self.function(*args, **{self.info_name: _ResolverInfo(ctx)})


#: Synchronous resolvers that read only their object and ``info.context``: national ids (audited
#: reads), answers (opened by teachers), the JSON columns of roster imports and privacy requests,
#: an export's download address, the privacy notice.
SYNC_RESOLVERS = frozenset(
    {
        "User.nationalId",
        "Submission.body",
        "RosterImport.counts",
        "RosterImport.conflicts",
        "RosterImport.fileDigests",
        "PrivacyRequest.effects",
        "PrivacyRequest.downloadUrl",
        "Query.privacyNotice",
    }
)


def computed(coordinate: str, field: StrawberryField) -> Computed | None:
    """The adapter of ``field``'s resolver, if it is one of :data:`SYNC_RESOLVERS`."""
    resolver = field.base_resolver
    if coordinate not in SYNC_RESOLVERS or resolver is None or resolver.is_async:
        return None
    function = resolver.wrapped_func
    if not callable(function):
        return None
    info = resolver.info_parameter
    return SyncResolver(
        function, resolver.self_parameter is not None, None if info is None else info.name
    )

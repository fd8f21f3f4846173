"""The generic resolvers of reference, list and connection fields, and of the root's reads.

Each field's resolver names its coordinate; where its data comes from is declared in
``resolvers.field_sources`` (``resolvers.root_fields`` for the root's) and followed by
``resolvers.follow``, which hands back records; these functions make the Strawberry objects of
them (``schema.registry.to_object``) and the connection of a page.
"""

from __future__ import annotations

from typing import Any, TypeVar

from config.ids import to_global_id
from resolvers import follow, root_fields, roots
from resolvers.context import Info
from resolvers.field_sources import FIELD_SOURCES, Embedded, Reference, Related
from resolvers.root_fields import ROOT_FIELDS, Lookup, RootPage, ViewerField
from schema.connection import Connection, connection_of
from schema.registry import to_object
from schema.values import object_of

T = TypeVar("T")


def _source(coordinate: str, shape: type[Any]) -> Any:
    source = FIELD_SOURCES[coordinate]
    if not isinstance(source, shape):
        raise TypeError(f"{coordinate} is declared as a {type(source).__name__}")
    return source


async def reference(info: Info, parent: Any, coordinate: str) -> Any:
    """The object the field at ``coordinate`` refers to from the record ``parent``, or None."""
    source: Reference = _source(coordinate, Reference)
    found = await follow.reference(info.context, info, parent, source)
    return None if found is None else to_object(found)


async def listed(info: Info, parent: Any, coordinate: str) -> list[Any] | None:
    """The objects of the list field at ``coordinate`` under the record ``parent``."""
    source: Related = _source(coordinate, Related)
    found = await follow.related_list(info.context, parent, source)
    return None if found is None else [to_object(record) for record in found]


async def connection(
    info: Info,
    parent: Any,
    coordinate: str,
    first: int | None,
    after: str | None,
    *filters: Any,
    last: int | None = None,
    before: str | None = None,
    order_by: Any = None,
) -> Connection[Any] | None:
    """The page of the connection field at ``coordinate`` under the record ``parent``;
    ``filters``: its filter arguments as given, in declaration order (``Related.filters``);
    ``order_by``: its ``orderBy`` (None: the declared order).
    A stand-in's connection is null before any argument is looked at."""
    source: Related = _source(coordinate, Related)
    if follow.is_stand_in(parent):
        return None
    args, values = follow.page_arguments(
        info.context, source, first, after, filters, last, before, order_by
    )
    page = await follow.related_page(info.context, parent, source, args, values)
    return None if page is None else connection_of(page, to_object)


async def embedded_connection(
    info: Info,
    parent: Any,
    coordinate: str,
    item: type[T],
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    order_by: Any = None,
) -> Connection[T] | None:
    """The page of plumbing objects (of type ``item``) of the connection at ``coordinate``
    under the record ``parent`` (an ``Embedded`` declared with ``page``)."""
    source: Embedded = _source(coordinate, Embedded)
    if follow.is_stand_in(parent):
        return None
    args, _ = follow.page_arguments(info.context, source, first, after, (), last, before, order_by)
    page = await follow.related_page(info.context, parent, source, args)
    return None if page is None else connection_of(page, lambda record: object_of(item, record))


async def embedded(info: Info, parent: Any, coordinate: str, item: type[T]) -> list[T] | None:
    """The plumbing objects (of type ``item``) of the field at ``coordinate`` under the record
    ``parent``, each made of its record."""
    source: Embedded = _source(coordinate, Embedded)
    found = await follow.embedded(info.context, parent, source)
    return None if found is None else [object_of(item, record) for record in found]


# --- the root's reads (resolvers.root_fields) ---------------------------------------------------


def _root(coordinate: str, shape: type[Any]) -> Any:
    field = ROOT_FIELDS[coordinate]
    if not isinstance(field, shape):
        raise TypeError(f"{coordinate} is declared as a {type(field).__name__}")
    return field


async def lookup(info: Info, coordinate: str, global_id: str) -> Any:
    """The object ``global_id`` names, for the lookup at ``coordinate``; else its error."""
    field: Lookup = _root(coordinate, Lookup)
    label = root_fields.stand_in_label(field, global_id)
    if label is not None:
        stand_in = await roots.pseudonym(info.context, label)
        return to_object(root_fields.stand_in_found(field, global_id, stand_in))
    kind, pk = root_fields.lookup_id(field, global_id)
    found = await info.context.loaders.by_id(kind).load(pk)
    return to_object(root_fields.lookup_found(field, kind, global_id, found))


async def acted_on(info: Info, coordinate: str, kind: str, pk: int) -> Any:
    """The object a mutation acted on, as the lookup at ``coordinate`` shows it to the caller."""
    return await lookup(info, coordinate, to_global_id(kind, pk))


async def viewer(info: Info, coordinate: str) -> Any:
    """The caller, or None if the people row rule does not show them."""
    _root(coordinate, ViewerField)
    found = await info.context.loaders.by_id("User").load(root_fields.viewer_key(info.context))
    return None if found is None else to_object(found)


async def root_page(
    info: Info,
    coordinate: str,
    first: int | None,
    after: str | None,
    *filters: Any,
    last: int | None = None,
    before: str | None = None,
    order_by: Any = None,
) -> Connection[Any]:
    """The page of the root list at ``coordinate``; ``filters``: its filter arguments as sent,
    in declaration order; ``order_by``: its ``orderBy`` (None: the declared order)."""
    field: RootPage = _root(coordinate, RootPage)
    args, values = root_fields.page_arguments(
        info.context, field, first, after, filters, last, before, order_by
    )
    return connection_of(await field.list(info.context, args, *values), to_object)

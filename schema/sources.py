"""The generic resolvers of reference, list and connection fields.

Each field's resolver names its coordinate; where its data comes from is declared in
``resolvers.field_sources`` and followed by ``resolvers.follow``, which hands back records; these
functions make the Strawberry objects of them (``schema.registry.to_object``) and the connection
of a page.
"""

from __future__ import annotations

from typing import Any

from resolvers import follow
from resolvers.context import Info
from resolvers.field_sources import FIELD_SOURCES, Embedded, Reference, Related
from schema.connection import Connection, connection_of
from schema.registry import to_object


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
) -> Connection[Any] | None:
    """The page of the connection field at ``coordinate`` under the record ``parent``;
    ``filters``: its filter arguments as given, in declaration order (``Related.filters``).
    A stand-in's connection is null before any argument is looked at."""
    source: Related = _source(coordinate, Related)
    if follow.is_stand_in(parent):
        return None
    args = info.context.page_args(first, after)
    values = tuple(f.value(given) for f, given in zip(source.filters, filters, strict=True))
    page = await follow.related_page(info.context, parent, source, args, values)
    return None if page is None else connection_of(page, to_object)


async def embedded(info: Info, parent: Any, coordinate: str, make: Any) -> list[Any] | None:
    """The plumbing objects of the field at ``coordinate`` under the record ``parent``, each
    made by ``make`` of its record."""
    source: Embedded = _source(coordinate, Embedded)
    found = await follow.embedded(info.context, parent, source)
    return None if found is None else [make(record) for record in found]

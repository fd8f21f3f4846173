"""Relay connections: ``XConnection { edges { cursor node } pageInfo totalCount }``."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, Generic, TypeVar

import strawberry

from config.paging import PageArgs
from resolvers.records import Page
from schema.values import attr, made_of, object_of, reads

NodeT = TypeVar("NodeT")


#: an edge's record: its page, the node's sort key and the node's record. The cursor (naming
#: the connection and ordering) is made of the first two when it is read (``_edge_cursor``): most
#: queries select none, and a large page has a thousand edges.
EdgeRecord = tuple[Page[Any], int, Any]


def edges_of(page: Page[Any]) -> list[EdgeRecord]:
    return [(page, key, record) for key, record in zip(page.sort_keys, page.records, strict=True)]


def _edge_cursor(edge: EdgeRecord) -> str:
    return edge[0].cursor(edge[1])


def _end_cursor(page: Page[Any]) -> str | None:
    keys = page.sort_keys
    return page.cursor(keys[-1]) if keys else None


def _start_cursor(page: Page[Any]) -> str | None:
    keys = page.sort_keys
    return page.cursor(keys[0]) if keys else None


def _same(page: Page[Any]) -> Page[Any]:
    return page


@made_of(
    Page,
    has_next_page=attr("has_next"),
    has_previous_page=attr("has_previous"),
    start_cursor=_start_cursor,
    end_cursor=_end_cursor,
)
@strawberry.type
class PageInfo:
    """Relay's page info. Paging forwards (``first``/``after``), ``hasNextPage`` says whether
    more follow and ``hasPreviousPage`` is false; paging backwards (``last``/``before``),
    ``hasPreviousPage`` says whether more precede and ``hasNextPage`` is false."""

    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool
    start_cursor: str | None


@reads(tuple, cursor=_edge_cursor, node=itemgetter(2))
@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@reads(Page, edges=edges_of, page_info=_same, total_count=attr("total"))
@strawberry.type
class Connection(Generic[NodeT]):
    """A page of records (``resolvers.records.Page``): the compiled path reads the page with
    the declared getters, the generic executor gets the objects of ``connection_of``."""

    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int


def connection_of(page: Page[Any], make: Callable[[Any], NodeT]) -> Connection[NodeT]:
    """The connection of a page of records, each node made by ``make`` of its record."""
    return Connection(
        edges=[Edge(cursor=_edge_cursor(edge), node=make(edge[2])) for edge in edges_of(page)],
        page_info=object_of(PageInfo, page),
        total_count=page.total,
    )


__all__ = ["Connection", "Edge", "EdgeRecord", "PageArgs", "PageInfo", "connection_of", "edges_of"]

"""Relay connections: ``XConnection { edges { cursor node } pageInfo totalCount }``."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, Generic, TypeVar

import strawberry

from config.paging import PageArgs, encode_cursor
from resolvers.records import Page
from schema.values import attr, made_of, object_of, reads

NodeT = TypeVar("NodeT")


#: an edge's record: the node's sort key (its cursor) and the node's record
EdgeRecord = tuple[int, Any]


def edges_of(page: Page[Any]) -> list[EdgeRecord]:
    return list(zip(page.sort_keys, page.records, strict=True))


def _cursor(edge: EdgeRecord) -> str:
    return encode_cursor(edge[0])


def _end_cursor(page: Page[Any]) -> str | None:
    keys = page.sort_keys
    return encode_cursor(keys[-1]) if keys else None


def _same(page: Page[Any]) -> Page[Any]:
    return page


@made_of(Page, has_next_page=attr("has_next"), end_cursor=_end_cursor)
@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@reads(tuple, cursor=_cursor, node=itemgetter(1))
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
        edges=[Edge(cursor=_cursor(edge), node=make(edge[1])) for edge in edges_of(page)],
        page_info=object_of(PageInfo, page),
        total_count=page.total,
    )


__all__ = ["Connection", "Edge", "EdgeRecord", "PageArgs", "PageInfo", "connection_of", "edges_of"]

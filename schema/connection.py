"""Relay connections: ``XConnection { edges { cursor node } pageInfo totalCount }``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from config.paging import PageArgs, encode_cursor
from resolvers.records import Page

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int


def make_connection(
    nodes: list[NodeT], sort_keys: list[int], total: int, has_next: bool
) -> Connection[NodeT]:
    edges = [Edge(cursor=encode_cursor(k), node=n) for n, k in zip(nodes, sort_keys, strict=True)]
    end = edges[-1].cursor if edges else None
    return Connection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=end), total_count=total
    )


def connection_of(page: Page[Any], make: Callable[[Any], NodeT]) -> Connection[NodeT]:
    """The connection of a page of records, each node made by ``make`` of its record."""
    return make_connection(
        [make(record) for record in page.records], list(page.sort_keys), page.total, page.has_next
    )


__all__ = ["Connection", "Edge", "PageArgs", "PageInfo", "connection_of", "make_connection"]

"""Relay connections: ``XConnection { edges { cursor node } pageInfo totalCount }``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError

from gateway.metrics import count_refusal

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


def encode_cursor(sort_key: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{sort_key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        prefix, _, key = raw.partition(":")
        if prefix != "cursor":
            raise ValueError(prefix)
        sort_key = int(key)
        # Sort keys are 32-bit ids; a larger number would make the database driver fail. Only
        # the canonical spelling counts, as for ids (schema/ids.py).
        if not 0 <= sort_key <= 2**31 - 1 or encode_cursor(sort_key) != cursor:
            raise ValueError(key)
        return sort_key
    except ValueError as exc:
        count_refusal("BAD_USER_INPUT")
        raise GraphQLError(
            f"'{cursor[:64]}' is not a valid cursor", extensions={"code": "BAD_USER_INPUT"}
        ) from exc


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first``/``after`` of one connection field."""

    first: int
    after: int | None

    @classmethod
    def parse(cls, first: int | None, after: str | None, default: int, maximum: int) -> PageArgs:
        if first is None:
            first = default
        if first < 0 or first > maximum:
            raise GraphQLError(
                f"'first' must be between 0 and {maximum}", extensions={"code": "BAD_USER_INPUT"}
            )
        return cls(first=first, after=decode_cursor(after))


def make_connection(
    nodes: list[NodeT], sort_keys: list[int], total: int, has_next: bool
) -> Connection[NodeT]:
    edges = [Edge(cursor=encode_cursor(k), node=n) for n, k in zip(nodes, sort_keys, strict=True)]
    end = edges[-1].cursor if edges else None
    return Connection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=end), total_count=total
    )

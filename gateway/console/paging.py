"""Paged lists (Relay cursors), newest first: the variables a page's address asks for and the
links to the pages either side of it (shown by ``templates/_paging.html``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import QueryParams


def cursor_variables(params: QueryParams, size: int) -> dict[str, Any]:
    """``last``/``before`` when the address pages back (``?before=``), else ``first``/``after``."""
    before = params.get("before")
    if before:
        return {"last": size, "before": before}
    return {"first": size, "after": params.get("after") or None}


def page_links(
    info: dict[str, Any], params: QueryParams, link: Callable[..., str]
) -> tuple[str | None, str | None]:
    """The links to the newer (previous) and older (next) page, None where there is none.

    ``link(before=cursor)`` or ``link(after=cursor)`` makes an address. Paging one way, the
    connection need not tell whether the other way has entries; the cursor followed here says
    it has."""
    before, after = params.get("before"), params.get("after")
    previous = (
        link(before=info["startCursor"])
        if info["startCursor"] and (info["hasPreviousPage"] or after)
        else None
    )
    following = (
        link(after=info["endCursor"])
        if info["endCursor"] and (info["hasNextPage"] or before)
        else None
    )
    return previous, following

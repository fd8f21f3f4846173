"""GraphiQL in development mode: its page and the files it loads, all served by the gateway.

The page (``GET /graphql`` asking for HTML, answered by ``gateway.graphql_admission``) loads
React, GraphiQL and its explorer plugin from ``/graphiql/assets/``, never from a CDN, so it works
without internet access. The files are the npm registry's UMD builds, unchanged, shipped in the
package (``gateway/static/graphiql/``, whose ``SOURCE.md`` names the versions and how to fetch
them again); the page checks each by its hash (subresource integrity).

The asset route exists only while GraphiQL is on (:func:`graphiql_routes`). Each file's name
carries its version, so an answer may be cached for a year (``immutable``); anything else under
the prefix is a 404.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from config.settings import Settings

FOLDER = Path(__file__).resolve().parent / "static" / "graphiql"
#: where the page finds its files (the page names them relative to ``/graphql``)
ASSETS_PREFIX = "/graphiql/assets"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: versioned file names never change content
CACHE_CONTROL = "public, max-age=31536000, immutable"


@cache
def graphiql_page() -> str:
    """The GraphiQL page's HTML."""
    return (FOLDER / "graphiql.html").read_text(encoding="utf-8")


@cache
def assets() -> dict[str, Path]:
    """The files the asset route serves, by name: the scripts and style sheets of the folder."""
    return {
        path.name: path
        for path in sorted(FOLDER.iterdir())
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


async def graphiql_asset(request: Request) -> Response:
    """One of GraphiQL's files, with its media type and a year's caching; else 404."""
    path = assets().get(request.path_params["name"])
    if path is None:
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": CACHE_CONTROL},
    )


def graphiql_routes(settings: Settings) -> list[BaseRoute]:
    """The asset route while GraphiQL is on; nothing otherwise."""
    if not settings.graphiql_enabled:
        return []
    return [Route(ASSETS_PREFIX + "/{name}", graphiql_asset, methods=["GET", "HEAD"])]

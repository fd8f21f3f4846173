"""The JSON error answers of the HTTP edge, shaped like GraphQL errors.

Every refusal at the edge answers ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``
with no ``data`` (the operation never ran), so a client reads it the way it reads any other
GraphQL error. The HTTP status says what kind of refusal it is; ``extensions.code`` names it:

- ``BAD_REQUEST`` (400): not a GraphQL request this gateway runs (body, JSON, content type,
  method, missing ``query`` ...). Errors *inside* a well-formed request keep their GraphQL codes
  (``GRAPHQL_PARSE_FAILED``, ``BAD_USER_INPUT`` ...) and HTTP 200.
- ``PAYLOAD_TOO_LARGE`` (413), ``RATE_LIMITED`` (429), ``METHOD_NOT_ALLOWED`` (405),
  ``NOT_FOUND`` (404), ``INTERNAL_SERVER_ERROR`` (500).

Each refusal, Starlette's 404 and 405 included, is counted (``gateway.metrics``: refusals by
code, a 429 as rate limited by scope) and logged in one line with its code and status, never
with the request's content or the caller's address. A 500 is not a refusal but the server's
own failure: the request log records it, with the exception.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import count_refusal

log = logging.getLogger("tavle.http")

BAD_REQUEST = "BAD_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
RATE_LIMITED = "RATE_LIMITED"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_FOUND = "NOT_FOUND"
INTERNAL = "INTERNAL_SERVER_ERROR"

_CODE_BY_STATUS = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: PAYLOAD_TOO_LARGE}


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extensions), status, headers=headers)


def refuse(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A refusal at the edge: counted, logged (code and status only), answered."""
    count_refusal(code)
    log.info("refused a request: %s (HTTP %d)", code, status)
    return error_response(status, code, message, headers=headers, **extensions)


def internal_error_response() -> JSONResponse:
    """The answer to an exception no handler took: HTTP 500 with a fixed message."""
    return error_response(500, INTERNAL, "Internal server error")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (an unknown path, a method a route does not take) as JSON,
    counted and logged like every refusal."""
    assert isinstance(exc, HTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, BAD_REQUEST)
    return refuse(exc.status_code, code, exc.detail, headers=dict(exc.headers or {}))


class InternalErrorMiddleware:
    """An exception no handler took: HTTP 500 with a fixed JSON message, sent from inside the
    security headers and CORS middleware so the answer carries their headers; the exception
    then goes on to be logged. Nothing is sent if the answer had already started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if not started:
                response = internal_error_response()
                await response(scope, receive, send)
            raise


EXCEPTION_HANDLERS = {HTTPException: http_error}

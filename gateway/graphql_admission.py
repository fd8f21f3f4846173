"""What ``/graphql`` lets through to authentication and the GraphQL layer: one GraphQL request
whose document parsed within the token limit.

The first stage of the route (``gateway.graphql_app.graphql_route``), before any authentication
work:

- ``GET`` (and ``HEAD``) serves GraphiQL, with its content security policy, when it is on and
  the client asks for a page; anything else over ``GET`` is refused (400, ``BAD_REQUEST``).
- A ``POST`` that is not one GraphQL request in a JSON body is refused (400, ``BAD_REQUEST``,
  ``gateway.http.graphql_request``).
- The document is parsed with the token limit (``gateway.limits.tokens``): over the limit, 400
  with ``TOO_MANY_TOKENS`` whatever the ``Accept`` header.

The JSON checks and the parse are CPU work, done in one of the GraphQL threads
(``gateway.limits.workers``), off the event loop and the client's share like its documents'; no
thread free and no room to wait for one, 503 with ``SERVER_BUSY``. What passed is kept in the
request's state for the stages after it: the checked request (``graphql_request``) and what the
parse gave, the document or its syntax error (``PARSED_DOCUMENT``), so the text is never parsed
again.
"""

from __future__ import annotations

from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http import GraphQLRequestData

from gateway.document_cache import parse_cached
from gateway.http.errors import BAD_REQUEST, error_response, refuse
from gateway.http.graphql_request import MalformedRequestError, check_content_type, graphql_request
from gateway.http.headers import graphiql_policy
from gateway.limits.extension import PARSED_DOCUMENT
from gateway.limits.refusal import SERVER_BUSY
from gateway.limits.workers import (
    BUSY_MESSAGE,
    RETRY_AFTER_SECONDS,
    ServerBusyError,
    client_of,
    record_busy,
)
from gateway.state import AppState

GET_REFUSED = (
    "Queries over GET are not accepted: POST /graphql with a JSON body (Content-Type: "
    "application/json)"
)
#: where the checked request waits for the GraphQL view (``request.state``)
GRAPHQL_REQUEST = "graphql_request"


def server_busy(operation_name: str | None) -> Response:
    """No GraphQL thread free and no room to wait for one: HTTP 503 with ``SERVER_BUSY``."""
    record_busy(operation_name)
    return error_response(
        503,
        SERVER_BUSY,
        BUSY_MESSAGE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        retryAfter=RETRY_AFTER_SECONDS,
    )


def _wants_page(request: Request) -> bool:
    """Strawberry's test for a browser asking for GraphiQL: a ``GET`` without a ``query``
    parameter that accepts HTML."""
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and request.query_params.get("query") is None
        and ("text/html" in accept or "*/*" in accept)
    )


class GraphQLAdmission:
    """The route's first stage: answers ``GET``, refuses what is not one parsed GraphQL request,
    and hands the rest on to ``app``."""

    def __init__(self, app: ASGIApp, state: AppState, graphiql_html: str | None = None) -> None:
        self.app = app
        self.state = state
        self.graphiql_html = graphiql_html
        self.graphiql_policy = graphiql_policy(graphiql_html) if graphiql_html else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            refusal = await self._refusal(Request(scope, receive))
        except ClientDisconnect:
            return  # the client left while sending its body: nobody to answer
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        """The answer that ends the request here, or None to hand it on."""
        if request.method in ("GET", "HEAD"):
            if self.graphiql_html and _wants_page(request):
                return HTMLResponse(
                    self.graphiql_html, headers={"Content-Security-Policy": self.graphiql_policy}
                )
            return refuse(400, BAD_REQUEST, GET_REFUSED)
        try:
            check_content_type(request.headers.get("content-type"))
            body = await request.body()
            checked = await self.state.graphql_workers.run(
                client_of(request.scope), graphql_request, body
            )
        except MalformedRequestError as error:
            return refuse(400, BAD_REQUEST, str(error))
        except ServerBusyError:
            return server_busy(None)
        setattr(request.state, GRAPHQL_REQUEST, checked)
        return await self._parse_document(request, checked)

    async def _parse_document(
        self, request: Request, checked: GraphQLRequestData
    ) -> Response | None:
        """The document parsed with the token limit; over it, 400 with ``TOO_MANY_TOKENS``. A
        text parsed before is not parsed again (``gateway.document_cache``)."""
        try:
            parsed = await self.state.graphql_workers.run(
                client_of(request.scope),
                parse_cached,
                checked.query or "",
                self.state.limits,
                checked.operation_name,
            )
        except ServerBusyError:
            return server_busy(checked.operation_name)
        if isinstance(parsed, GraphQLError):
            extensions = dict(parsed.extensions or {})
            return error_response(400, str(extensions.pop("code")), parsed.message, **extensions)
        setattr(request.state, PARSED_DOCUMENT, parsed)
        return None

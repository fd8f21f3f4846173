"""What ``/graphql`` lets through to authentication and the GraphQL layer: one GraphQL request
whose document parsed within the token limit.

The first stage of the route (``gateway.graphql_app.graphql_route``), before any authentication
work:

- ``GET`` (and ``HEAD``) serves GraphiQL, with its content security policy, when it is on and
  the client asks for a page. A ``GET`` naming a persisted query runs it (a query only, never a
  mutation: 405), its answer with caching headers (``gateway.persisted_queries``); anything
  else over ``GET`` is refused (400, ``BAD_REQUEST``).
- A ``POST`` that is not one GraphQL request in a JSON body is refused (400, ``BAD_REQUEST``,
  ``gateway.http.graphql_request``), except a file upload: a ``multipart/form-data`` body by
  the GraphQL multipart request spec, with a preflight header, whose ``operations`` are checked
  as a JSON body would be (``gateway.uploads``). An upload is the one request authenticated
  here, before its body is read: without a valid bearer token of an active person, 401 with
  ``UNAUTHENTICATED``, the body unread.
- Persisted queries (``gateway.persisted_queries``): a document sent by its id gets its text,
  an unknown id or, in safelist mode, an unlisted document is answered here, before parsing.
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

from gateway.authentication import CALLER_SCOPE_KEY, authenticate
from gateway.document_cache import parse_cached
from gateway.http.errors import BAD_REQUEST, error_response, refuse
from gateway.http.graphql_request import MalformedRequestError, check_content_type
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
from gateway.persisted_queries import (
    GetCacheHeaders,
    PersistedQueryError,
    Resolved,
    names_persisted_query,
)
from gateway.state import AppState
from gateway.uploads import (
    check_preflight,
    close_uploads,
    is_multipart,
    read_upload_request,
    with_files,
)

GET_REFUSED = (
    "Queries over GET are not accepted unless persisted (extensions.persistedQuery, documentId "
    "or doc_id): POST /graphql with a JSON body (Content-Type: application/json)"
)
UNAUTHENTICATED = "UNAUTHENTICATED"
UPLOAD_UNAUTHENTICATED = (
    "A file upload needs the bearer token of an active person (Authorization: Bearer ...)"
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
        and not names_persisted_query(request.query_params)
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
        request = Request(scope, receive)
        if request.method == "GET" and names_persisted_query(request.query_params):
            send = GetCacheHeaders(scope, send)
        try:
            try:
                refusal = await self._refusal(request)
            except ClientDisconnect:
                return  # the client left while sending its body: nobody to answer
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)
        finally:
            await close_uploads(request)  # an upload's spooled files (gateway/uploads.py)

    async def _refusal(self, request: Request) -> Response | None:
        """The answer that ends the request here, or None to hand it on."""
        if request.method in ("GET", "HEAD"):
            if self.graphiql_html and _wants_page(request):
                return HTMLResponse(
                    self.graphiql_html, headers={"Content-Security-Policy": self.graphiql_policy}
                )
            if request.method != "GET" or not names_persisted_query(request.query_params):
                return refuse(400, BAD_REQUEST, GET_REFUSED)
        persisted = self.state.persisted_queries
        try:
            if request.method == "GET":
                parameters = dict(request.query_params)
                resolved: Resolved = await self.state.graphql_workers.run(
                    client_of(request.scope), persisted.admit_get, parameters
                )
            elif is_multipart(request.headers.get("content-type")):
                # A file upload (gateway.uploads): only from a known caller, authenticated
                # before any of the body is read; its `operations` checked as a JSON body.
                check_preflight(request)
                unknown = await self._unknown_uploader(request)
                if unknown is not None:
                    return unknown
                upload = await read_upload_request(request, self.state.settings)
                resolved = with_files(
                    await self.state.graphql_workers.run(
                        client_of(request.scope), persisted.admit_post, upload.operations
                    ),
                    upload,
                )
            else:
                check_content_type(request.headers.get("content-type"))
                body = await request.body()
                resolved = await self.state.graphql_workers.run(
                    client_of(request.scope), persisted.admit_post, body
                )
        except MalformedRequestError as error:
            return refuse(400, BAD_REQUEST, str(error))
        except PersistedQueryError as error:
            return error.response()
        except ServerBusyError:
            return server_busy(None)
        checked = resolved.request
        setattr(request.state, GRAPHQL_REQUEST, checked)
        refusal = await self._parse_document(request, checked)
        if refusal is not None:
            return refusal
        parsed = getattr(request.state, PARSED_DOCUMENT, None)
        problem = persisted.after_parse(resolved, parsed, request.method)
        return None if problem is None else problem.response()

    async def _unknown_uploader(self, request: Request) -> Response | None:
        """Authenticate an upload's caller now, before its body is read (the scope keeps the
        caller for ``AuthenticationMiddleware``); 401 with ``UNAUTHENTICATED`` for anyone but
        an active person with a valid token. The body is never read: the answer closes the
        connection."""
        caller = await authenticate(self.state, request)
        request.scope[CALLER_SCOPE_KEY] = caller
        if caller.viewer is not None:
            return None
        headers = {"WWW-Authenticate": "Bearer", "Connection": "close"}
        if caller.refusal is None:
            return refuse(401, UNAUTHENTICATED, UPLOAD_UNAUTHENTICATED, headers=headers)
        # A refused token was counted and logged by ``authenticate`` already.
        return error_response(
            401, UNAUTHENTICATED, f"{UPLOAD_UNAUTHENTICATED}: {caller.refusal}", headers=headers
        )

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

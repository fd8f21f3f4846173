"""``/graphql``: the route's stages, and the GraphQL view at its end.

1. Admission (``gateway.graphql_admission``): ``GET`` answered, what is not one GraphQL request
   in a JSON body refused, the document parsed with the token limit.
2. Authentication (``gateway.authentication``): the caller, or why their token was refused, in
   the request's scope.
3. The view (:class:`TavleGraphQL`): the request context, execution within the timeout, error
   codes, and the response's media type.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import DocumentNode, OperationType, get_operation_ast
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.execution import ExecutionResult

from authz.problems import ProblemLog
from config.language import from_accept_language
from gateway.authentication import AuthenticationMiddleware, caller_of
from gateway.error_codes import count_refused_input, with_codes
from gateway.graphiql import graphiql_page
from gateway.graphql_admission import GRAPHQL_REQUEST, GraphQLAdmission
from gateway.http.errors import BAD_REQUEST, refuse
from gateway.limits.extension import PARSED_DOCUMENT
from gateway.limits.timeout import timed_out, within_timeout
from gateway.limits.tokens import ParsedDocument
from gateway.request_info import note_graphql_result
from gateway.state import AppState
from gateway.subscriptions import TransportWSHandler, connection_context
from resolvers.context import RequestContext

log = logging.getLogger("tavle.graphql")
GRAPHQL_RESPONSE = "application/graphql-response+json"


SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions are served over a WebSocket on /graphql (graphql-transport-ws), not over HTTP"
)


def _is_subscription(document: DocumentNode, operation_name: str | None) -> bool:
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


class _CheckedRequestAdapter(StarletteRequestAdapter):
    """Starlette's request adapter, with the request (and so its checked body) at hand."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class _SubResponse(Response):
    """Strawberry's sub-response (the status and headers set while the operation runs), with
    whether the caller accepts ``application/graphql-response+json``: decided from the request
    in ``get_sub_response``, applied in ``create_response``."""

    def __init__(self, graphql_response: bool) -> None:
        super().__init__()
        self.status_code = None  # type: ignore[assignment]  # unset until something sets it
        del self.headers["content-length"]
        self.graphql_response = graphql_response


class TavleGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with Tavle's context, the last stage of :func:`graphql_route`.

    It runs a request the stages before it admitted and authenticated: an invalid token does not
    fail the HTTP request, every field but ``privacyNotice`` then answers ``UNAUTHENTICATED``
    with the reason, through the same root guards as anonymous calls.
    """

    request_adapter_class = _CheckedRequestAdapter

    #: subscriptions: graphql-transport-ws only (gateway/subscriptions.py)
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, state: AppState, **kwargs: Any) -> None:
        settings = state.settings
        kwargs.setdefault("subscription_protocols", (GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        kwargs.setdefault(
            "connection_init_wait_timeout", timedelta(seconds=settings.subscription_init_seconds)
        )
        kwargs.setdefault("max_subscriptions_per_connection", settings.subscriptions_per_connection)
        kwargs.setdefault("allowed_origins", tuple(settings.cors_origins))
        super().__init__(state.schema, **kwargs)
        self.state = state

    @property
    def graphql_ide_html(self) -> str:
        """Tavle's GraphiQL page, whose files the gateway serves itself (``gateway.graphiql``)."""
        return graphiql_page()

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Never here: the admission serves GraphiQL's page, and a ``GET`` it hands on is a
        persisted query to run (``gateway.persisted_queries``), whatever its ``Accept``."""
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            # Strawberry's own refusals: an unknown operationName, several operations and none
            # named, an operation type the method does not allow.
            response = refuse(error.status_code, BAD_REQUEST, error.reason)
        await response(scope, receive, send)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Strawberry's execution, cancelled at ``TAVLE_EXECUTION_TIMEOUT_SECONDS``
        (``gateway.limits.timeout``). A document that did not parse is answered with the error
        its parse gave (``GRAPHQL_PARSE_FAILED`` for a syntax error) without Strawberry, which
        would parse the text again, on the event loop."""
        parsed = getattr(request.state, PARSED_DOCUMENT, None)
        if (
            isinstance(parsed, ParsedDocument)
            and parsed.error is not None
            and parsed.query == request_data.query
        ):
            return ExecutionResult(data=None, errors=[parsed.error])
        if (
            isinstance(parsed, ParsedDocument)
            and parsed.document is not None
            and parsed.query == request_data.query
            and _is_subscription(parsed.document, request_data.operation_name)
        ):
            raise HTTPException(400, SUBSCRIPTIONS_OVER_WEBSOCKET)
        return await within_timeout(
            super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            ),
            self.state.limits.timeout_seconds,
            request_data.operation_name,
        )

    def encode_json(self, data: object) -> str:
        """orjson instead of ``json.dumps``: the same compact JSON in a tenth of the time, which
        counts for large responses (a gradebook is about half a megabyte). The compiled
        executor leaves ``DateTime`` values as ``datetime`` objects for it: orjson writes them
        as ``isoformat`` does (``gateway.compiled.plan``). Text rather than bytes, because
        Strawberry sends bytes over a WebSocket as binary frames."""
        return orjson.dumps(data).decode()

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The body the admission read and checked (``gateway.graphql_admission``)."""
        assert isinstance(request, _CheckedRequestAdapter)
        checked: GraphQLRequestData = getattr(request.request.state, GRAPHQL_REQUEST)
        return checked

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        return _SubResponse(GRAPHQL_RESPONSE in request.headers.get("accept", ""))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        self.state.policy.refresh_if_changed()
        if isinstance(request, WebSocket):  # the caller is known at connection_init
            return connection_context(self.state, request)
        caller = caller_of(request)
        problems = ProblemLog(self.state.settings.max_field_errors, caller.refusal)
        context = RequestContext(
            engine=self.state.engine,
            policy=self.state.policy,
            settings=self.state.settings,
            viewer=caller.viewer,
            problems=problems,
            pseudonyms=self.state.pseudonyms,
            request=request,
            response=response,
            file_url_key=self.state.file_url_key,
            access_log=self.state.access_log.buffer,
            preferred_language=caller.preferred_language,
            accept_language=from_accept_language(request.headers.get("accept-language")),
        )
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            count_refused_input(result.errors)
            result.errors = with_codes(result.errors)
        note_graphql_result(result.data is not None, result.errors)
        response = await super().process_result(request, result)
        if (
            result.data is None
            and result.errors
            and all(e.path is None for e in result.errors)
            and not timed_out(result.errors)
        ):
            # A request error (the document did not parse or validate, a variable did not
            # coerce): execution never started, so the response has no "data" entry (GraphQL
            # spec, "Response Format"), which create_response turns into a 400 for
            # application/graphql-response+json. A TIMEOUT is not one: execution had started.
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        # Strawberry's create_response, with the body as orjson's bytes: ``encode_json``'s text
        # (for WebSocket frames) would be decoded here and encoded again by the response.
        response = Response(orjson.dumps(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        if isinstance(sub_response, _SubResponse) and sub_response.graphql_response:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            # GraphQL over HTTP: a request error (no "data" at all) is a 400 for this media type.
            # A status set on purpose (429 from the rate limit) stays.
            if (
                isinstance(response_data, dict)
                and "data" not in response_data
                and response.status_code == 200
            ):
                response.status_code = 400
        return response


def graphql_route(view: TavleGraphQL, path: str = "/graphql") -> Route:
    """``view`` behind its stages: admission, then authentication (the module's docstring)."""
    return Route(
        path,
        view,
        methods=["GET", "POST"],
        middleware=[
            Middleware(
                GraphQLAdmission,
                state=view.state,
                graphiql_html=view.graphql_ide_html if view.graphql_ide else None,
            ),
            Middleware(AuthenticationMiddleware, state=view.state),
        ],
    )


def graphql_websocket_route(view: TavleGraphQL, path: str = "/graphql") -> WebSocketRoute:
    """Subscriptions on the same path, over graphql-transport-ws (``gateway.subscriptions``):
    the caller authenticates in ``connection_init``, not by the HTTP middleware."""
    return WebSocketRoute(path, view)

"""``POST /graphql``: the request checked, authentication, the request context, and the response
media type."""

from __future__ import annotations

import logging
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.execution import ExecutionResult

from authz.problems import ProblemLog
from gateway.error_codes import count_refused_input, with_codes
from gateway.http.errors import BAD_REQUEST, error_response, refuse
from gateway.http.graphql_request import MalformedRequestError, check_content_type, graphql_request
from gateway.http.headers import graphiql_policy
from gateway.limits.extension import PARSED_DOCUMENT
from gateway.limits.refusal import SERVER_BUSY
from gateway.limits.timeout import timed_out, within_timeout
from gateway.limits.tokens import ParsedDocument, parse_within_limit
from gateway.limits.workers import (
    BUSY_MESSAGE,
    RETRY_AFTER_SECONDS,
    ServerBusyError,
    client_of,
    record_busy,
)
from gateway.request_auth import authenticate_request
from gateway.request_info import note_graphql_result
from gateway.state import AppState
from resolvers.context import RequestContext
from resolvers.loaders import Loaders
from resolvers.services.coursework import record_opened
from resolvers.viewer import load_viewer
from store import audit

log = logging.getLogger("tavle.graphql")
GRAPHQL_RESPONSE = "application/graphql-response+json"
GET_REFUSED = (
    "Queries over GET are not accepted: POST /graphql with a JSON body (Content-Type: "
    "application/json)"
)


class _CheckedRequestAdapter(StarletteRequestAdapter):
    """Starlette's request adapter, with the request (and so its checked body) at hand."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class TavleGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with Tavle's context.

    An invalid token does not fail the HTTP request: every field but ``privacyNotice`` then
    answers ``UNAUTHENTICATED`` with the reason, through the same root guards as anonymous calls.

    A request that is not one GraphQL request in a JSON body is refused (400, ``BAD_REQUEST``,
    ``gateway.http.graphql_request``) before any authentication work; ``GET`` serves GraphiQL
    (with its content security policy) or is refused the same way.
    """

    request_adapter_class = _CheckedRequestAdapter

    def __init__(self, state: AppState, *, bypass: bool = False, **kwargs: Any) -> None:
        schema = state.unguarded_schema if bypass else state.schema
        super().__init__(schema, **kwargs)
        self.state = state
        self.bypass = bypass
        self._ide_html = self.graphql_ide_html if self.graphql_ide else ""
        self._ide_policy = graphiql_policy(self._ide_html)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self._answer(Request(scope, receive))
        except ClientDisconnect:
            return  # the client left while sending its body: nobody to answer
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            if self.graphql_ide and self.should_render_graphql_ide(
                self.request_adapter_class(request)
            ):
                return await self.render_graphql_ide(request)
            return refuse(400, BAD_REQUEST, GET_REFUSED)
        try:
            check_content_type(request.headers.get("content-type"))
            body = await request.body()
            # decoding and checking the JSON is CPU work: in one of the GraphQL threads, off the
            # event loop, the client's share like its documents'
            request.state.graphql_request = await self.state.graphql_workers.run(
                client_of(request.scope), graphql_request, body
            )
        except MalformedRequestError as error:
            return refuse(400, BAD_REQUEST, str(error))
        except ServerBusyError:
            return self._server_busy(None)
        refused = await self._parse_document(request)
        if refused is not None:
            return refused
        try:
            return await self.run(request)
        except HTTPException as error:
            # Strawberry's own refusals: an unknown operationName, several operations and none
            # named, an operation type the method does not allow.
            return refuse(error.status_code, BAD_REQUEST, error.reason)

    @staticmethod
    def _server_busy(operation_name: str | None) -> Response:
        """No GraphQL thread free and no room to wait for one: HTTP 503 with ``SERVER_BUSY``."""
        record_busy(operation_name)
        return error_response(
            503,
            SERVER_BUSY,
            BUSY_MESSAGE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            retryAfter=RETRY_AFTER_SECONDS,
        )

    async def _parse_document(self, request: Request) -> Response | None:
        """The document parsed with the token limit (``gateway.limits.tokens``), before
        authentication and in one of the GraphQL threads (``gateway.limits.workers``): over the
        limit, HTTP 400 with ``TOO_MANY_TOKENS`` whatever the ``Accept`` header; no thread free
        and no room to wait, HTTP 503 with ``SERVER_BUSY``. What the parse gave, the document or
        its syntax error, is kept for the GraphQL layer, which does not parse the text again."""
        checked: GraphQLRequestData = request.state.graphql_request
        try:
            parsed = await self.state.graphql_workers.run(
                client_of(request.scope),
                parse_within_limit,
                checked.query or "",
                self.state.limits,
                checked.operation_name,
            )
        except ServerBusyError:
            return self._server_busy(checked.operation_name)
        if isinstance(parsed, GraphQLError):
            extensions = dict(parsed.extensions or {})
            return error_response(400, str(extensions.pop("code")), parsed.message, **extensions)
        setattr(request.state, PARSED_DOCUMENT, parsed)
        return None

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

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The body ``_answer`` read and checked (``run`` is only reached through it)."""
        assert isinstance(request, _CheckedRequestAdapter)
        checked: GraphQLRequestData = request.request.state.graphql_request
        return checked

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html, headers={"Content-Security-Policy": self._ide_policy})

    async def _authenticate(self, request: Request | WebSocket) -> tuple[int | None, str | None]:
        return await authenticate_request(self.state, request)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        self.state.policy.refresh_if_changed()
        person_id, reason = await self._authenticate(request)
        viewer = await load_viewer(self.state.engine, person_id) if person_id is not None else None
        accept = request.headers.get("accept", "")
        if isinstance(response, Response) and GRAPHQL_RESPONSE in accept:
            response.tavle_media_type = GRAPHQL_RESPONSE  # type: ignore[attr-defined]
        problems = ProblemLog(self.state.settings.max_field_errors, reason)
        context = RequestContext(
            engine=self.state.engine,
            policy=self.state.policy,
            settings=self.state.settings,
            viewer=viewer,
            problems=problems,
            loaders=None,  # type: ignore[arg-type]
            pseudonyms=self.state.pseudonyms,
            bypass=self.bypass,
            request=request,
            response=response,
        )
        context.loaders = Loaders(context)
        request.state.tavle_context = context
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        context: RequestContext | None = getattr(request.state, "tavle_context", None)
        if context is not None and result.errors and timed_out(result.errors):
            # Stopped at the timeout: the answer is "data": null, so no national id was
            # delivered and no answer shown; the reads the resolvers noted did not happen for
            # the caller, and are neither audited nor marked as opened.
            context.effects.drop()
        if context is not None and context.effects.audits and context.viewer is not None:
            await self._write_read_audit(context)
        if (
            context is not None
            and context.effects.opened_submissions
            and context.viewer is not None
        ):
            await record_opened(
                context.engine, context.viewer.person_id, context.effects.opened_submissions
            )
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

    async def _write_read_audit(self, context: RequestContext) -> None:
        assert context.viewer is not None
        async with context.engine.begin() as conn:
            for record in context.effects.audits:
                await audit.append(
                    conn,
                    audit.AuditEvent(
                        actor_id=context.viewer.person_id,
                        action=record.action,
                        target_type=record.target_type,
                        target_id=record.target_id,
                        subject_id=record.target_id,
                        trace_id=context.trace_id,
                    ),
                )
        context.effects.audits.clear()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "tavle_media_type", None) == GRAPHQL_RESPONSE:
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

"""``POST /graphql``: authentication, the request context, and the response media type."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.execution import ExecutionResult

from authz.problems import ProblemLog
from gateway.error_codes import with_codes
from gateway.request_auth import authenticate_request
from gateway.state import AppState
from resolvers.context import RequestContext
from resolvers.loaders import Loaders
from resolvers.services.coursework import record_opened
from resolvers.viewer import load_viewer
from store import audit

log = logging.getLogger("tavle.graphql")
GRAPHQL_RESPONSE = "application/graphql-response+json"


class TavleGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with Tavle's context.

    An invalid token does not fail the HTTP request: every field but ``privacyNotice`` then
    answers ``UNAUTHENTICATED`` with the reason, through the same root guards as anonymous calls.
    """

    def __init__(self, state: AppState, *, bypass: bool = False, **kwargs: Any) -> None:
        schema = state.unguarded_schema if bypass else state.schema
        super().__init__(schema, **kwargs)
        self.state = state
        self.bypass = bypass

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
        if context is not None and context.pending_audit and context.viewer is not None:
            await self._write_read_audit(context)
        if context is not None and context.opened_submissions and context.viewer is not None:
            await record_opened(
                context.engine, context.viewer.person_id, context.opened_submissions
            )
        if result.errors:
            result.errors = with_codes(result.errors)
        response = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # A request error (the document did not parse or validate, a variable did not
            # coerce): execution never started, so the response has no "data" entry (GraphQL
            # spec, "Response Format"), which create_response turns into a 400 for
            # application/graphql-response+json.
            response.pop("data", None)
        return response

    async def _write_read_audit(self, context: RequestContext) -> None:
        assert context.viewer is not None
        seen: set[tuple[str, str, int]] = set()
        async with context.engine.begin() as conn:
            for record in context.pending_audit:
                key = (record.action, record.target_type, record.target_id)
                if key in seen:
                    continue
                seen.add(key)
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
        context.pending_audit.clear()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "tavle_media_type", None) == GRAPHQL_RESPONSE:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            # GraphQL over HTTP: a request error (no "data" at all) is a 400 for this media type.
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response

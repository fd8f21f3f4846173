"""The console's only data path: GraphQL operations run in-process through the gateway's own
schema, as the signed-in administrator.

Each page's operation is executed by ``state.schema`` with a :class:`RequestContext` built for
the administrator's viewer exactly as ``/graphql`` builds one (``gateway.graphql_app``): the
same field guards and row rules, the same schema extensions (the person rate limit, the
operation limits and validation, the audit of what the reads leave behind), the same execution
timeout and error codes. Nothing the pages show is read any other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authz.problems import ProblemLog
from authz.viewer import Viewer
from config.language import from_accept_language
from gateway.error_codes import with_codes
from gateway.limits.timeout import within_timeout
from gateway.state import AppState
from resolvers.context import RequestContext


@dataclass(frozen=True)
class Answer:
    """An operation's ``data`` and its errors as (code, message) pairs."""

    data: dict[str, Any] | None
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: each error's ``extensions`` (in the order of ``errors``), e.g. MANAGED_BY_SOURCE's fields
    extensions: list[dict[str, Any]] = field(default_factory=list)

    def first_error(self) -> tuple[str, str] | None:
        return self.errors[0] if self.errors else None


async def run(
    state: AppState,
    request: Request,
    viewer: Viewer,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    preferred_language: str | None = None,
) -> Answer:
    """``document`` (one named operation) with ``variables``, as ``viewer``."""
    state.policy.refresh_if_changed()
    settings = state.settings
    context = RequestContext(
        engine=state.engine,
        policy=state.policy,
        settings=settings,
        viewer=viewer,
        problems=ProblemLog(settings.max_field_errors, None),
        pseudonyms=state.pseudonyms,
        request=request,
        response=Response(),
        file_url_key=state.file_url_key,
        access_log=state.access_log.buffer,
        preferred_language=preferred_language,
        accept_language=from_accept_language(request.headers.get("accept-language")),
    )
    result = await within_timeout(
        state.schema.execute(document, variable_values=variables, context_value=context),
        state.limits.timeout_seconds,
        None,
    )
    errors = with_codes(list(result.errors)) if result.errors else []
    return Answer(
        data=result.data,
        errors=[
            (str((error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")), error.message)
            for error in errors
        ],
        extensions=[dict(error.extensions or {}) for error in errors],
    )

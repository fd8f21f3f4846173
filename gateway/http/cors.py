"""CORS: which other origins' pages may call the gateway from a browser.

Off unless ``TAVLE_CORS_ORIGINS`` lists origins: then no answer carries CORS headers, and
browsers keep pages on other origins from reading any answer. With a list, Starlette's
``CORSMiddleware`` answers preflights for those origins only (methods ``GET`` and ``POST``,
request headers ``Authorization``, ``Content-Type``, ``Accept`` and Apollo Client's
``apollographql-client-name``/``-version``, ``apollo-require-preflight`` (or
``graphql-require-preflight``) and ``x-apollo-operation-name``), names the allowed origin
itself in ``Access-Control-Allow-Origin`` (``*`` only if the list is ``["*"]``), and lets
pages read ``Retry-After`` of a 429. Tavle's callers authenticate with a bearer token, not
cookies, so credentials are not allowed unless ``TAVLE_CORS_ALLOW_CREDENTIALS`` says so, and
never with ``*`` (the settings refuse that combination; it is also never sent).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response

from config.settings import Settings

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    # what Apollo Client sends: its client's name and version (``name``/``version`` options),
    # and the headers Apollo's CSRF prevention asks clients to send
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "graphql-require-preflight",
    "x-apollo-operation-name",
)
EXPOSED_HEADERS = ("Retry-After", "X-Request-Id", "traceresponse")
#: seconds a browser may keep a preflight's answer
PREFLIGHT_MAX_AGE = 600


class TavleCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, whose refusal of a preflight from an origin not listed carries no
    ``Access-Control-*`` header at all (Starlette's would still list the allowed methods and
    headers, telling any page what the gateway accepts)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return PlainTextResponse(
                "Disallowed CORS origin", status_code=400, headers={"Vary": "Origin"}
            )
        return super().preflight_response(request_headers)


def cors_middleware(settings: Settings) -> Middleware | None:
    origins = list(settings.cors_origins)
    if not origins:
        return None
    return Middleware(
        TavleCORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=settings.cors_allow_credentials and "*" not in origins,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )

"""Who is calling: the bearer token of a request, mapped to a person and their viewer, by an
ASGI middleware.

``AuthenticationMiddleware`` sits on the routes that need a caller (``POST /graphql`` and the
export download), so every entry point accepts exactly the same tokens. It never answers a
request itself: it puts a :class:`Caller` into the request's scope and hands the request on, and
the route decides what an anonymous caller or a refused token gets (on ``/graphql``, every field
but ``privacyNotice`` answers ``UNAUTHENTICATED`` with the reason; the download answers 401).

Finding the person and their viewer is one statement when the process's viewer cache holds
them (``resolvers.viewer_cache``), two otherwise.

On ``/graphql`` it comes after the request's admission (``gateway.graphql_admission``): a body
that is not one GraphQL request, or a document over the token limit, is refused before any
authentication work. A file upload is the exception: the admission authenticates it (with
:func:`authenticate`) before reading its body, and this middleware keeps the caller it found.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from authz.viewer import Viewer
from gateway.auth import AuthenticationError, Principal, SigningKeysUnavailableError
from gateway.metrics import count_refusal
from gateway.state import AppState

log = logging.getLogger("tavle.auth")

#: the scope key the middleware writes and :func:`caller_of` reads
CALLER_SCOPE_KEY = "tavle.caller"


@dataclass(frozen=True, slots=True)
class Caller:
    """The outcome of authenticating one request.

    ``viewer`` for a valid token of an active person (the process's viewer cache checked it
    against the database: ``resolvers.viewer_cache``); otherwise ``None``, with ``refusal``
    saying why the token was refused, or ``None`` too when no token was sent at all (an
    anonymous caller, not an error). The reason never quotes the token or names the person.
    """

    viewer: Viewer | None = None
    refusal: str | None = None
    #: the person's stored language (``config.language``; None: none chosen), for the words
    #: Tavle itself answers in (``RequestContext.language``)
    preferred_language: str | None = None

    @property
    def person_id(self) -> int | None:
        return None if self.viewer is None else self.viewer.person_id


ANONYMOUS = Caller()


class MissingAuthenticationError(RuntimeError):
    """A route read its caller without ``AuthenticationMiddleware`` in front of it: a wiring
    mistake, which must not pass for an anonymous caller."""


def caller_of(connection: HTTPConnection) -> Caller:
    """The caller ``AuthenticationMiddleware`` found for this request."""
    caller = connection.scope.get(CALLER_SCOPE_KEY)
    if not isinstance(caller, Caller):
        raise MissingAuthenticationError(
            f"no caller in the request scope: {connection.url.path} is not behind "
            "AuthenticationMiddleware"
        )
    return caller


async def authenticate(state: AppState, connection: HTTPConnection) -> Caller:
    """The caller of ``connection``. A refused token is counted (``UNAUTHENTICATED``) and
    logged with its reason."""
    authenticator = state.authenticator
    header = connection.headers.get("authorization")
    try:
        if state.settings.jwks_fetched:
            # Fetching a provider's keys is blocking I/O: keep it off the event loop.
            principal = await asyncio.to_thread(authenticator.authenticate, header)
        else:
            principal = authenticator.authenticate(header)
    except SigningKeysUnavailableError as exc:
        log.warning("signing keys unavailable: %s", exc.reason)
        return _refused(exc.reason)
    except AuthenticationError as exc:
        return _refused(exc.reason)
    if principal is None:
        return ANONYMOUS
    viewer, refusal, language = await _viewer_and_language(state, principal)
    if viewer is None:
        return _refused(refusal or "no person")
    return Caller(viewer=viewer, preferred_language=language)


async def viewer_of(state: AppState, principal: Principal) -> tuple[Viewer | None, str | None]:
    """The viewer of the person a verified token names, by its issuer's claim mappings in
    order (the first naming exactly one ACTIVE, enabled person wins), or ``None`` and why not.

    Every entry point (HTTP, websocket connections) finds the caller with this, never by
    ``principal.subject`` alone: with several mappings the subject may be an opaque id or a
    national id number, not a sourcedId or username. One statement (``find_caller_by``), two
    when the viewer has to be loaded.
    """
    viewer, refusal, _language = await _viewer_and_language(state, principal)
    return viewer, refusal


async def _viewer_and_language(
    state: AppState, principal: Principal
) -> tuple[Viewer | None, str | None, str | None]:
    """``viewer_of``, and the person's stored language, read in the same statement."""
    candidates = principal.candidates()
    viewer, match = await state.viewers.viewer_by(
        state.engine, [(candidate.kind, candidate.value) for candidate in candidates]
    )
    if viewer is None:
        return None, _no_person(principal, match.counts), None
    return viewer, None, match.preferred_language


def _no_person(principal: Principal, counts: tuple[int, ...]) -> str:
    """Why no person was found: each claim mapping tried (by name, never a value) and what it
    matched."""
    labels = [candidate.label for candidate in principal.candidates()]
    if not any(counts):
        return f"the token's subject is not an active person here (tried {', '.join(labels)})"
    outcomes = "; ".join(
        f"{label}: {'several people' if count > 1 else 'no match'}"
        for label, count in zip(labels, counts, strict=True)
    )
    return f"the token names no single active person here ({outcomes})"


def _refused(reason: str) -> Caller:
    count_refusal("UNAUTHENTICATED")
    log.info("bearer token refused: %s", reason)
    return Caller(refusal=reason)


class AuthenticationMiddleware:
    """Authenticates every HTTP request that reaches it and hands it on with its
    :class:`Caller` in the scope (``caller_of``); it refuses nothing itself."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An upload was authenticated by the admission already, before its body was read.
        if scope["type"] == "http" and not isinstance(scope.get(CALLER_SCOPE_KEY), Caller):
            scope[CALLER_SCOPE_KEY] = await authenticate(self.state, HTTPConnection(scope))
        await self.app(scope, receive, send)

"""Who is calling: the bearer token of an HTTP request or WebSocket, mapped to a person.

Shared by ``POST /graphql`` and the plain HTTP endpoints (export downloads), so every entry point
accepts exactly the same tokens.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import HTTPConnection

from gateway.auth import AuthenticationError, SigningKeysUnavailableError
from gateway.state import AppState
from resolvers.viewer import find_person_id

log = logging.getLogger("tavle.auth")


async def authenticate_request(
    state: AppState, request: HTTPConnection
) -> tuple[int | None, str | None]:
    """``(person id, None)`` for a valid token of an active person; ``(None, reason)`` otherwise.

    No ``Authorization`` header at all gives ``(None, None)``: an anonymous caller, not an error.
    """
    authenticator = state.authenticator
    header = request.headers.get("authorization")
    try:
        if state.settings.jwks_url is not None:
            # Fetching the provider's keys is blocking I/O: keep it off the event loop.
            principal = await asyncio.to_thread(authenticator.authenticate, header)
        else:
            principal = authenticator.authenticate(header)
    except SigningKeysUnavailableError as exc:
        log.warning("signing keys unavailable: %s", exc.reason)
        return None, exc.reason
    except AuthenticationError as exc:
        return None, exc.reason
    if principal is None:
        return None, None
    person_id = await find_person_id(state.engine, principal.subject)
    if person_id is None:
        return None, "the token's subject is not an active person here"
    return person_id, None

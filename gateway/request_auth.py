"""Who is calling: the bearer token of an HTTP request or WebSocket, mapped to a person.

Shared by ``POST /graphql`` and the plain HTTP endpoints (export downloads), so every entry point
accepts exactly the same tokens.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import HTTPConnection

from gateway.auth import AuthenticationError, SigningKeysUnavailableError
from gateway.metrics import count_refusal
from gateway.state import AppState
from resolvers.viewer import find_person_id

log = logging.getLogger("tavle.auth")


async def authenticate_request(
    state: AppState, request: HTTPConnection
) -> tuple[int | None, str | None]:
    """``(person id, None)`` for a valid token of an active person; ``(None, reason)`` otherwise.

    No ``Authorization`` header at all gives ``(None, None)``: an anonymous caller, not an error.
    A refused token is counted (``UNAUTHENTICATED``) and logged with its reason, which never
    quotes the token or names the person.
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
        return None, _refused(exc.reason)
    except AuthenticationError as exc:
        return None, _refused(exc.reason)
    if principal is None:
        return None, None
    person_id = await find_person_id(state.engine, principal.subject)
    if person_id is None:
        return None, _refused("the token's subject is not an active person here")
    return person_id, None


def _refused(reason: str) -> str:
    count_refusal("UNAUTHENTICATED")
    log.info("bearer token refused: %s", reason)
    return reason

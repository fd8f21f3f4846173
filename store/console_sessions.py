"""The admin console's sign-in sessions (``console_sessions``; gateway/console, docs/console.md).

A session id is 256 random bits, given to the browser in a cookie and stored here only as its
SHA-256 digest: whoever reads the table cannot present a session. Each session has its own CSRF
token, an absolute end (``expires_at``) and an idle timeout counted from ``last_seen_at``; a
session found past either is deleted on the spot. Times come from ``config.clock``.

This is the console's sign-in state, not data its pages show: those come from the GraphQL schema
as the signed-in administrator.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config import clock
from store import tables as t
from store.tables import ProcessingState, Role

_s = t.console_sessions.c
_p = t.people.c
_ra = t.role_assignments.c

#: bytes of randomness in a session id and in a CSRF token
TOKEN_BYTES = 32


def digest(session_id: str) -> str:
    """What is stored of a session id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A live session: whose it is (``person_id``, and their roster ``sourced_id``, by which the
    gateway finds their viewer as it finds a token's person), its CSRF token and language."""

    person_id: int
    sourced_id: str
    csrf_token: str
    language: str | None
    method: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """How long a session may go unused, and how long it may last at all."""

    idle: timedelta
    absolute: timedelta


async def create(
    conn: AsyncConnection, person_id: int, method: str, language: str | None, lifetimes: Lifetimes
) -> str:
    """A new session for ``person_id``; its id (to go in the cookie, nowhere else)."""
    session_id = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    await conn.execute(
        t.console_sessions.insert().values(
            id_digest=digest(session_id),
            person_id=person_id,
            csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
            language=language,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes.absolute,
        )
    )
    return session_id


async def find(
    conn: AsyncConnection, session_id: str, lifetimes: Lifetimes, *, touch: bool = True
) -> ConsoleSession | None:
    """The live session ``session_id`` names (its use noted in ``last_seen_at`` unless not
    ``touch``), or None: unknown, or past its idle timeout or absolute end (then deleted)."""
    key = digest(session_id)
    row = (
        await conn.execute(
            select(
                _s.person_id,
                _p.sourced_id,
                _s.csrf_token,
                _s.language,
                _s.method,
                _s.last_seen_at,
                _s.expires_at,
            )
            .join(t.people, _p.id == _s.person_id)
            .where(_s.id_digest == key)
        )
    ).first()
    if row is None:
        return None
    now = clock.now()
    person_id, sourced_id, csrf, language, method, last_seen, expires = row
    if now >= expires or now >= last_seen + lifetimes.idle:
        await conn.execute(delete(t.console_sessions).where(_s.id_digest == key))
        return None
    if touch:
        await conn.execute(
            update(t.console_sessions).where(_s.id_digest == key).values(last_seen_at=now)
        )
    return ConsoleSession(person_id, sourced_id, csrf, language, method, expires)


async def end(conn: AsyncConnection, session_id: str) -> None:
    """Sign-out: the session is gone."""
    await conn.execute(delete(t.console_sessions).where(_s.id_digest == digest(session_id)))


async def set_language(conn: AsyncConnection, session_id: str, language: str) -> None:
    await conn.execute(
        update(t.console_sessions)
        .where(_s.id_digest == digest(session_id))
        .values(language=language)
    )


async def delete_expired(conn: AsyncConnection, lifetimes: Lifetimes) -> int:
    """Deletes every session past its end or idle timeout (done at each sign-in); how many."""
    now = clock.now()
    result = await conn.execute(
        delete(t.console_sessions).where(
            (_s.expires_at <= now) | (_s.last_seen_at <= now - lifetimes.idle)
        )
    )
    return int(result.rowcount or 0)


async def development_administrators(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(username, display name) of every ACTIVE, enabled system administrator, by username:
    the one-click list of the console's development sign-in only (never with OpenID Connect)."""
    rows = await conn.execute(
        select(_p.username, _p.given_name, _p.family_name)
        .where(
            _p.processing_state == ProcessingState.ACTIVE,
            _p.enabled.is_(True),
            _p.username.is_not(None),
            select(_ra.id)
            .where(_ra.person_id == _p.id, _ra.role == Role.SYSTEM_ADMINISTRATOR)
            .exists(),
        )
        .order_by(_p.username)
    )
    return [
        (str(username), " ".join(part for part in (given, family) if part))
        for username, given, family in rows
    ]

"""Keyed digests of an erased person's identifiers (school-year.md rule 7).

An erased person's tombstone keeps ``HMAC-SHA-256(pseudonym key, identifier)`` of their roster
``sourcedId``, username and national id: enough for the roster import to recognise the same
person in a later file and refuse to create them again, but nothing a reader of the database can
turn back into the identifier without the server's key.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t

SOURCED_ID = "sourced_id"
USERNAME = "username"
NATIONAL_ID = "national_id"


def identity_digest(key: bytes, kind: str, value: str) -> str:
    """The digest of one identifier; ``kind`` keeps equal strings of different kinds apart."""
    normalised = value.strip().lower() if kind == USERNAME else value.strip()
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


async def keep_erased_identity(conn: AsyncConnection, person_id: int, key: bytes) -> None:
    """Store the digests of the person's identifiers on their row, before erasure clears them."""
    p = t.people.c
    row = (
        await conn.execute(
            select(p.sourced_id, p.username, p.national_id).where(p.id == person_id)
        )
    ).one_or_none()
    if row is None:
        return
    values = {
        f"erased_{kind}_digest": identity_digest(key, kind, value) if value else None
        for kind, value in (
            (SOURCED_ID, row.sourced_id),
            (USERNAME, row.username),
            (NATIONAL_ID, row.national_id),
        )
    }
    await conn.execute(update(t.people).where(p.id == person_id).values(**values))

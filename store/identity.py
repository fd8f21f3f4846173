"""Keyed digests of an erased person's identifiers (docs/school-year.md rule 7).

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
        await conn.execute(select(p.sourced_id, p.username, p.national_id).where(p.id == person_id))
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
    if row.sourced_id:
        await _scrub_import_records(conn, row.sourced_id)


#: what an erased person's sourcedId becomes in the import records' conflict texts
ERASED_MENTION = "'(an erased person)'"


async def _scrub_import_records(conn: AsyncConnection, sourced_id: str) -> None:
    """Remove the person's sourcedId from the roster import records' conflict texts (rectified
    fields that were kept, and the like): after erasure nothing readable names them."""
    r = t.roster_imports.c
    quoted = f"'{sourced_id}'"
    rows = (
        await conn.execute(
            select(r.id, r.conflicts).where(r.conflicts.contains(quoted, autoescape=True))
        )
    ).all()
    for import_id, conflicts in rows:
        await conn.execute(
            update(t.roster_imports)
            .where(r.id == import_id)
            .values(conflicts=conflicts.replace(quoted, ERASED_MENTION))
        )

"""academicSessions.csv into ``academic_sessions``: upserted by sourcedId, never deleted.

Sessions are the calendar of past and present school years; a session that leaves the file (or
is marked ``tobedeleted``) is kept, because last year's courses still point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.changes import ChangeLog
from roster.dbutil import ROW_ID, insert_rows, update_rows
from roster.errors import RosterError
from roster.records import SessionRecord
from roster.report import Counts
from store.tables import academic_sessions

_s = academic_sessions.c


async def session_ids(conn: AsyncConnection) -> dict[str, int]:
    return {
        sourced_id: session_id
        for sourced_id, session_id in await conn.execute(select(_s.sourced_id, _s.id))
    }


async def sync_sessions(
    conn: AsyncConnection, records: Sequence[SessionRecord], counts: Counts, log: ChangeLog
) -> dict[str, int]:
    """Upsert the active sessions; return every session's id by sourcedId."""
    existing = {
        row["sourced_id"]: row for row in (await conn.execute(select(academic_sessions))).mappings()
    }
    await insert_rows(
        conn,
        academic_sessions,
        [
            {
                "sourced_id": record.sourced_id,
                "title": record.title,
                "type": record.type,
                "start_date": record.start_date,
                "end_date": record.end_date,
                "school_year": record.school_year,
                "parent_id": None,  # below, once every session has an id
            }
            for record in records
            if record.sourced_id not in existing
        ],
    )
    ids = await session_ids(conn)
    updates: list[dict[str, Any]] = []
    for record in records:
        parent_id = None
        if record.parent is not None:
            if record.parent not in ids:
                raise RosterError(
                    vocab.SESSIONS, record.line, f"unknown parentSourcedId '{record.parent}'"
                )
            parent_id = ids[record.parent]
        wanted = {
            "title": record.title,
            "type": record.type,
            "start_date": record.start_date,
            "end_date": record.end_date,
            "school_year": record.school_year,
            "parent_id": parent_id,
        }
        row = existing.get(record.sourced_id)
        session_id = ids[record.sourced_id]
        if row is None:
            counts.created += 1
            log.record("SESSION_CREATED", "AcademicSession", session_id)
            if parent_id is not None:
                updates.append({ROW_ID: session_id, **wanted})
        elif any(row[column] != value for column, value in wanted.items()):
            counts.updated += 1
            log.record("SESSION_UPDATED", "AcademicSession", session_id)
            updates.append({ROW_ID: session_id, **wanted})
        else:
            counts.unchanged += 1
    await update_rows(conn, academic_sessions, updates)
    return ids

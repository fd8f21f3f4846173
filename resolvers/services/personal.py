"""Writes on a person's own material: documents, calendar events, preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from authz.relations import Facts
from resolvers import kinds as k
from resolvers.errors import bad_input
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id, now, optional_text, require_text
from resolvers.services.files import claim_files
from store import tables as t
from store.tables import DataSource


async def create_document(
    actor: Actor, title: str, body: str | None, course_id: int | None, file_id: int | None = None
) -> int:
    title = require_text(title, "title", limits.TITLE)
    body = optional_text(body, "body", limits.DOCUMENT_BODY)
    me = actor.viewer.person_id
    async with actor.engine.begin() as conn:
        actor.require(
            Facts(owner=me), "Mutation.createDocument", "documents are created for yourself"
        )
        if course_id is not None:
            course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
            actor.require(
                Facts(course=course_id, school=course["school_id"]),
                "Mutation.createDocument.course",
                "only members of the course may share a document to it",
            )
            await actor.require_active_course(conn, course)
        if file_id is not None:
            await claim_files(conn, me, [file_id])  # the viewer's own, attached nowhere yet
        result = await conn.execute(
            t.documents.insert().values(
                owner_id=me,
                course_id=course_id,
                title=title,
                body=body,
                file_id=file_id,
                created_at=now(),
                source=DataSource.PERSON,
            )
        )
        document_id = inserted_id(result)
        await actor.audit(conn, "CREATE_DOCUMENT", "Document", document_id)
    return document_id


async def create_calendar_event(
    actor: Actor, title: str, starts_at: datetime, ends_at: datetime, course_id: int | None
) -> int:
    title = require_text(title, "title", limits.TITLE)
    if ends_at < starts_at:
        raise bad_input("'endsAt' must not be before 'startsAt'")
    me = actor.viewer.person_id
    async with actor.engine.begin() as conn:
        actor.require(
            Facts(owner=me), "Mutation.createCalendarEvent", "events are created for yourself"
        )
        if course_id is not None:
            course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
            actor.require(
                Facts(course=course_id, school=course["school_id"]),
                "Mutation.createCalendarEvent.course",
                "only a teacher of the course may create a course event",
            )
            await actor.require_active_course(conn, course)
        result = await conn.execute(
            t.calendar_events.insert().values(
                owner_id=me,
                course_id=course_id,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                source=DataSource.PERSON,
            )
        )
        event_id = inserted_id(result)
        await actor.audit(conn, "CREATE_CALENDAR_EVENT", "CalendarEvent", event_id)
    return event_id


async def _require_room_for(conn: AsyncConnection, person_id: int, key: str) -> None:
    """A new key only while the person keeps fewer than ``PREFERENCES_PER_PERSON`` (the list
    is read whole by ``User.preferences``, so it must stay bounded). The person's row is locked
    first, so two new keys saved at the same moment are counted one after the other."""
    # FOR NO KEY UPDATE: serialises the counts without blocking rows that merely reference
    # the person (their foreign-key checks take FOR KEY SHARE)
    await conn.execute(
        select(t.people.c.id).where(t.people.c.id == person_id).with_for_update(key_share=True)
    )
    p = t.preferences.c
    kept = await conn.execute(
        select(func.count(), func.count().filter(p.key == key)).where(p.person_id == person_id)
    )
    total, same = kept.one()
    if not same and total >= limits.PREFERENCES_PER_PERSON:
        raise bad_input(
            f"A person keeps at most {limits.PREFERENCES_PER_PERSON} preferences; "
            "change one of them instead of adding a new key"
        )


def _upsert_preference(dialect: str, person_id: int, key: str, value: str | None) -> Insert:
    """One statement, so two saves of the same preference at the same moment (two tabs, a
    double click) cannot both insert: the later one updates. Both backends speak
    ``INSERT ... ON CONFLICT DO UPDATE``."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    at = now()
    statement = insert(t.preferences).values(
        person_id=person_id, key=key, value=value, updated_at=at
    )
    return statement.on_conflict_do_update(
        index_elements=[t.preferences.c.person_id, t.preferences.c.key],
        set_={"value": value, "updated_at": at},
    )


async def set_preference(actor: Actor, key: str, value: str | None) -> tuple[str, str | None]:
    key = require_text(key, "key", limits.PREFERENCE_KEY)
    value = optional_text(value, "value", limits.PREFERENCE_VALUE)
    me = actor.viewer.person_id
    actor.require(Facts(owner=me), "Mutation.setPreference", "preferences are your own")
    async with actor.engine.begin() as conn:
        await _require_room_for(conn, me, key)
        await conn.execute(_upsert_preference(conn.dialect.name, me, key, value))
        await actor.audit(conn, "SET_PREFERENCE", "User", me, subject_id=me)
    return key, value

"""Corrections and deletions of contributions: posts, comments, documents, calendar events,
assignments and direct messages (docs/access-policy.md, "Editing and deleting").

Each loads its target through the row rules (``NOT_FOUND`` if invisible), checks its ``call``
line against the viewer's relations to the target (the author ``self``, a teacher of the course,
the school's leaders and superusers for course content), refuses archived courses, writes and
appends an audit entry (ids only: no text of what was changed) in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import Settings
from resolvers import kinds as k
from resolvers.errors import bad_input, conflict, forbidden
from resolvers.fetch import Row
from resolvers.kinds import Kind
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, now, optional_text, require_text
from store import tables as t
from store.filestore import storage_of
from store.filestore.deletions import delete_files, drain


@dataclass(frozen=True)
class Unchanged:
    """An optional argument the caller left out: the stored value stays."""


#: the value of an optional argument left out (``None`` is an explicit null: clear the value)
UNCHANGED: Any = Unchanged()


def _given(value: object) -> bool:
    return not isinstance(value, Unchanged)


async def _target(
    actor: Actor, conn: AsyncConnection, kind: Kind, pk: int, mutation: str, what: str
) -> Row:
    """The row ``pk`` of ``kind`` if visible (else NOT_FOUND), the viewer allowed ``mutation`` on
    it (else FORBIDDEN), and its course, if it has one, active (else COURSE_ARCHIVED)."""
    row = await actor.visible_row(conn, kind, pk, kind.type_name)
    actor.require(kind.facts.facts_of(row), mutation, what)
    if row.get("course_id") is not None:
        await actor.require_active_course(conn, row)
    return row


def _changed(**values: object) -> dict[str, Any]:
    """The values the caller gave (left-out arguments dropped)."""
    return {name: value for name, value in values.items() if _given(value)}


def _detail(changed: dict[str, Any]) -> str | None:
    """The audit entry's detail: the names of the changed fields, never their values."""
    return ",".join(sorted(changed)) or None


# --- posts and comments ---------------------------------------------------------------------


async def update_post(actor: Actor, post_id: int, body: str) -> None:
    body = require_text(body, "body", limits.POST_BODY)
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.POST,
            post_id,
            "Mutation.updatePost",
            "only the author, a teacher of the course or the school's leaders may edit a post",
        )
        await conn.execute(update(t.posts).where(t.posts.c.id == post_id).values(body=body))
        await actor.audit(conn, "UPDATE_POST", "Post", post_id)


async def delete_post(actor: Actor, post_id: int) -> None:
    """Delete a post and, with it, every comment on it (they answer the post)."""
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.POST,
            post_id,
            "Mutation.deletePost",
            "only the author, a teacher of the course or the school's leaders may delete a post",
        )
        await conn.execute(t.comments.delete().where(t.comments.c.post_id == post_id))
        await conn.execute(t.posts.delete().where(t.posts.c.id == post_id))
        await actor.audit(conn, "DELETE_POST", "Post", post_id)


async def update_comment(actor: Actor, comment_id: int, body: str) -> None:
    body = require_text(body, "body", limits.COMMENT_BODY)
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.COMMENT,
            comment_id,
            "Mutation.updateComment",
            "only the author, a teacher of the course or the school's leaders may edit a comment",
        )
        await conn.execute(
            update(t.comments).where(t.comments.c.id == comment_id).values(body=body)
        )
        await actor.audit(conn, "UPDATE_COMMENT", "Comment", comment_id)


async def delete_comment(actor: Actor, comment_id: int) -> None:
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.COMMENT,
            comment_id,
            "Mutation.deleteComment",
            "only the author, a teacher of the course or the school's leaders may delete a comment",
        )
        await conn.execute(t.comments.delete().where(t.comments.c.id == comment_id))
        await actor.audit(conn, "DELETE_COMMENT", "Comment", comment_id)


# --- documents and calendar events ------------------------------------------------------------


async def update_document(
    actor: Actor, document_id: int, title: Any = UNCHANGED, body: Any = UNCHANGED
) -> None:
    """``title`` and ``body`` left out stay; a null ``body`` clears it (a null title is refused)."""
    if _given(title):
        if title is None:
            raise bad_input("'title' must not be null")
        title = require_text(title, "title", limits.TITLE)
    if _given(body):
        body = optional_text(body, "body", limits.DOCUMENT_BODY)
    changed = _changed(title=title, body=body)
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.DOCUMENT,
            document_id,
            "Mutation.updateDocument",
            "only the owner, a teacher of the course or the school's leaders may edit a document",
        )
        if changed:
            await conn.execute(
                update(t.documents).where(t.documents.c.id == document_id).values(**changed)
            )
        await actor.audit(conn, "UPDATE_DOCUMENT", "Document", document_id, detail=_detail(changed))


async def delete_document(actor: Actor, document_id: int, settings: Settings) -> None:
    """Deletes the document and the uploaded file it carries: the file's row in the same
    transaction, its bytes once that has committed (``store.filestore.deletions``)."""
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.DOCUMENT,
            document_id,
            "Mutation.deleteDocument",
            "only the owner, a teacher of the course or the school's leaders may delete a document",
        )
        file_id = (
            await conn.execute(select(t.documents.c.file_id).where(t.documents.c.id == document_id))
        ).scalar_one_or_none()
        await conn.execute(t.documents.delete().where(t.documents.c.id == document_id))
        if file_id is not None:
            await delete_files(conn, t.files.c.id == file_id)
        await actor.audit(conn, "DELETE_DOCUMENT", "Document", document_id)
    if file_id is not None:
        await drain(actor.engine, storage_of(settings))


async def update_calendar_event(
    actor: Actor,
    event_id: int,
    title: Any = UNCHANGED,
    starts_at: Any = UNCHANGED,
    ends_at: Any = UNCHANGED,
) -> None:
    """Fields left out stay; none may be null. The event must still end no earlier than it
    starts."""
    if _given(title):
        if title is None:
            raise bad_input("'title' must not be null")
        title = require_text(title, "title", limits.TITLE)
    for name, value in (("startsAt", starts_at), ("endsAt", ends_at)):
        if value is None:
            raise bad_input(f"'{name}' must not be null")
    changed = _changed(title=title, starts_at=starts_at, ends_at=ends_at)
    async with actor.engine.begin() as conn:
        row = await _target(
            actor,
            conn,
            k.CALENDAR_EVENT,
            event_id,
            "Mutation.updateCalendarEvent",
            "only the owner, a teacher of the course or the school's leaders may edit an event",
        )
        starts: datetime = changed.get("starts_at") or row["starts_at"]
        ends: datetime = changed.get("ends_at") or row["ends_at"]
        if _aware(ends) < _aware(starts):
            raise bad_input("'endsAt' must not be before 'startsAt'")
        if changed:
            await conn.execute(
                update(t.calendar_events)
                .where(t.calendar_events.c.id == event_id)
                .values(**changed)
            )
        await actor.audit(
            conn, "UPDATE_CALENDAR_EVENT", "CalendarEvent", event_id, detail=_detail(changed)
        )


async def delete_calendar_event(actor: Actor, event_id: int) -> None:
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.CALENDAR_EVENT,
            event_id,
            "Mutation.deleteCalendarEvent",
            "only the owner, a teacher of the course or the school's leaders may delete an event",
        )
        await conn.execute(t.calendar_events.delete().where(t.calendar_events.c.id == event_id))
        await actor.audit(conn, "DELETE_CALENDAR_EVENT", "CalendarEvent", event_id)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- assignments --------------------------------------------------------------------------------


async def update_assignment(
    actor: Actor,
    assignment_id: int,
    title: Any = UNCHANGED,
    instructions: Any = UNCHANGED,
    due_at: Any = UNCHANGED,
) -> None:
    """Fields left out stay; a null ``instructions`` or ``dueAt`` clears it (a null title is
    refused). Answers already handed in keep their status (``LATE`` stays ``LATE``)."""
    if _given(title):
        if title is None:
            raise bad_input("'title' must not be null")
        title = require_text(title, "title", limits.TITLE)
    if _given(instructions):
        instructions = optional_text(instructions, "instructions", limits.INSTRUCTIONS)
    changed = _changed(title=title, instructions=instructions, due_at=due_at)
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.ASSIGNMENT,
            assignment_id,
            "Mutation.updateAssignment",
            "only a teacher of the course or the school's leaders may edit an assignment",
        )
        if changed:
            await conn.execute(
                update(t.assignments).where(t.assignments.c.id == assignment_id).values(**changed)
            )
        await actor.audit(
            conn, "UPDATE_ASSIGNMENT", "Assignment", assignment_id, detail=_detail(changed)
        )


async def delete_assignment(actor: Actor, assignment_id: int) -> None:
    """Delete an assignment nobody has answered. One with answers is refused (CONFLICT): the
    answers are the students' work and assessments may refer to them."""
    async with actor.engine.begin() as conn:
        await _target(
            actor,
            conn,
            k.ASSIGNMENT,
            assignment_id,
            "Mutation.deleteAssignment",
            "only a teacher of the course or the school's leaders may delete an assignment",
        )
        s = t.submissions.c
        if conn.dialect.name == "postgresql":
            # A first answer arriving meanwhile waits for the delete, then finds no assignment.
            await conn.execute(
                select(t.assignments.c.id)
                .where(t.assignments.c.id == assignment_id)
                .with_for_update()
            )
        answers = (
            await conn.execute(
                select(func.count())
                .select_from(t.submissions)
                .where(s.assignment_id == assignment_id)
            )
        ).scalar_one()
        if answers:
            raise conflict(
                "The assignment has answers from students, so it cannot be deleted; edit it instead"
            )
        await conn.execute(t.assignments.delete().where(t.assignments.c.id == assignment_id))
        await actor.audit(conn, "DELETE_ASSIGNMENT", "Assignment", assignment_id)


# --- direct messages ----------------------------------------------------------------------------


async def delete_message(actor: Actor, message_id: int, window: timedelta) -> None:
    """Delete one of the viewer's own messages, within ``window`` of sending it."""
    async with actor.engine.begin() as conn:
        row = await actor.visible_row(conn, k.MESSAGE, message_id, "Message")
        actor.require(
            k.MESSAGE.facts.facts_of(row),
            "Mutation.deleteMessage",
            "only the author may delete a message",
        )
        if now() - _aware(row["sent_at"]) > window:
            minutes = int(window.total_seconds() // 60)
            raise forbidden(f"A message can be deleted only within {minutes} minutes of sending it")
        await conn.execute(t.messages.delete().where(t.messages.c.id == message_id))
        await actor.audit(conn, "DELETE_MESSAGE", "Message", message_id)

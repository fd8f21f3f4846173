"""Editing and deleting: corrections of contributions and registrations, returned answers and
read notifications. Each checks its write rule in ``resolvers.services`` and audits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import strawberry

from config.ids import expect_id, to_global_id
from resolvers.context import Info
from resolvers.services import corrections, edits
from resolvers.services.edits import UNCHANGED
from schema.assessment import Assessment
from schema.communication import Comment, Post
from schema.coursework import Assignment, Submission
from schema.enums import AssessmentKind
from schema.material import CalendarEvent, Document
from schema.mutation import _created
from schema.user import Notification
from schema.values import made_of, object_of


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """What was deleted: its type and internal id."""

    type_name: str
    pk: int


def _deleted_id(record: DeletedRecord) -> str:
    return to_global_id(record.type_name, record.pk)


@made_of(DeletedRecord, id=_deleted_id)
@strawberry.type(description="What a deletion answers: the id of the object deleted.")
class Deleted:
    id: strawberry.ID


@strawberry.input
class AssessmentUpdateInput:
    """Left out: kept as it is; null: cleared."""

    grade: str | None = strawberry.UNSET
    comment: str | None = strawberry.UNSET


def _given(value: Any) -> Any:
    """An argument left out becomes the services' ``UNCHANGED``."""
    return UNCHANGED if value is strawberry.UNSET else value


def _deleted(type_name: str, pk: int) -> Deleted:
    return object_of(Deleted, DeletedRecord(type_name, pk))


@strawberry.type
class EditMutation:
    @strawberry.mutation
    async def update_post(self, info: Info, id: strawberry.ID, body: str) -> Post:
        pk = expect_id(id, "Post")
        await edits.update_post(info.context.actor(), pk, body)
        found: Post = await _created(info, "Post", pk)
        return found

    @strawberry.mutation
    async def delete_post(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "Post")
        await edits.delete_post(info.context.actor(), pk)
        return _deleted("Post", pk)

    @strawberry.mutation
    async def update_comment(self, info: Info, id: strawberry.ID, body: str) -> Comment:
        pk = expect_id(id, "Comment")
        await edits.update_comment(info.context.actor(), pk, body)
        found: Comment = await _created(info, "Comment", pk)
        return found

    @strawberry.mutation
    async def delete_comment(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "Comment")
        await edits.delete_comment(info.context.actor(), pk)
        return _deleted("Comment", pk)

    @strawberry.mutation
    async def update_document(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = strawberry.UNSET,
        body: str | None = strawberry.UNSET,
    ) -> Document:
        pk = expect_id(id, "Document")
        await edits.update_document(info.context.actor(), pk, _given(title), _given(body))
        found: Document = await _created(info, "Document", pk)
        return found

    @strawberry.mutation
    async def delete_document(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "Document")
        await edits.delete_document(info.context.actor(), pk, info.context.settings)
        return _deleted("Document", pk)

    @strawberry.mutation
    async def update_calendar_event(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = strawberry.UNSET,
        starts_at: datetime | None = strawberry.UNSET,
        ends_at: datetime | None = strawberry.UNSET,
    ) -> CalendarEvent:
        pk = expect_id(id, "CalendarEvent")
        await edits.update_calendar_event(
            info.context.actor(), pk, _given(title), _given(starts_at), _given(ends_at)
        )
        found: CalendarEvent = await _created(info, "CalendarEvent", pk)
        return found

    @strawberry.mutation
    async def delete_calendar_event(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "CalendarEvent")
        await edits.delete_calendar_event(info.context.actor(), pk)
        return _deleted("CalendarEvent", pk)

    @strawberry.mutation
    async def update_assignment(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = strawberry.UNSET,
        instructions: str | None = strawberry.UNSET,
        due_at: datetime | None = strawberry.UNSET,
    ) -> Assignment:
        pk = expect_id(id, "Assignment")
        await edits.update_assignment(
            info.context.actor(), pk, _given(title), _given(instructions), _given(due_at)
        )
        found: Assignment = await _created(info, "Assignment", pk)
        return found

    @strawberry.mutation
    async def delete_assignment(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "Assignment")
        await edits.delete_assignment(info.context.actor(), pk)
        return _deleted("Assignment", pk)

    @strawberry.mutation
    async def delete_message(self, info: Info, id: strawberry.ID) -> Deleted:
        pk = expect_id(id, "Message")
        window = timedelta(seconds=info.context.settings.message_delete_window_seconds)
        await edits.delete_message(info.context.actor(), pk, window)
        return _deleted("Message", pk)

    @strawberry.mutation
    async def update_assessment(
        self, info: Info, id: strawberry.ID, input: AssessmentUpdateInput
    ) -> Assessment:
        pk = expect_id(id, "Assessment")
        await corrections.update_assessment(
            info.context.actor(), pk, _given(input.grade), _given(input.comment)
        )
        found: Assessment = await _created(info, "Assessment", pk)
        return found

    @strawberry.mutation
    async def withdraw_assessment(self, info: Info, id: strawberry.ID, reason: str) -> Deleted:
        pk = expect_id(id, "Assessment")
        await corrections.withdraw_assessment(info.context.actor(), pk, reason)
        return _deleted("Assessment", pk)

    @strawberry.mutation
    async def unpublish_assessments(
        self, info: Info, course_id: strawberry.ID, kind: AssessmentKind
    ) -> list[Assessment]:
        ids = await corrections.unpublish_assessments(
            info.context.actor(), expect_id(course_id, "Course"), kind
        )
        found = await info.context.loaders.by_id("Assessment").load_many(ids)
        return [object_of(Assessment, a) for a in found if a is not None]

    @strawberry.mutation
    async def return_submission(
        self, info: Info, id: strawberry.ID, comment: str | None = strawberry.UNSET
    ) -> Submission:
        pk = expect_id(id, "Submission")
        await corrections.return_submission(
            info.context.actor(), pk, None if comment is strawberry.UNSET else comment
        )
        found: Submission = await _created(info, "Submission", pk)
        return found

    @strawberry.mutation(
        description="Mark notifications read: the given ones (each your own), "
        "or every unread one when ids is left out. Returns those that changed."
    )
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = strawberry.UNSET
    ) -> list[Notification]:
        given = None if ids is strawberry.UNSET or ids is None else ids
        changed = await corrections.mark_notifications_read(
            info.context.actor(),
            None if given is None else [expect_id(i, "Notification") for i in given],
        )
        found = await info.context.loaders.by_id("Notification").load_many(changed)
        return [object_of(Notification, n) for n in found if n is not None]

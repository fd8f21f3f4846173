"""The learning mutations. Each checks its write rule in ``resolvers.services`` and audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from config.ids import expect_id, not_found
from resolvers.context import Info
from resolvers.services import communication, coursework, personal
from resolvers.services.coursework import AttachmentData
from schema.assessment import Assessment
from schema.communication import Comment, Message, Post
from schema.coursework import Assignment, Submission
from schema.enums import AssessmentKind
from schema.material import CalendarEvent, Document
from schema.registry import to_object
from schema.user import Preference
from schema.values import object_of
from store.filestore import storage_of


@strawberry.input
class CreateAssignmentInput:
    course_id: strawberry.ID
    title: str
    instructions: str | None = None
    due_at: datetime | None = None


@strawberry.input
class AttachmentInput:
    filename: str
    content_type: str | None = None
    size_bytes: int | None = None


@strawberry.input
class SubmitAnswerInput:
    assignment_id: strawberry.ID
    body: str
    attachments: list[AttachmentInput] | None = None
    #: uploaded files (uploadFile) to attach: the viewer's own, attached nowhere yet
    attachment_ids: list[strawberry.ID] | None = None


@strawberry.input
class AssessInput:
    student_id: strawberry.ID
    course_id: strawberry.ID
    kind: AssessmentKind
    submission_id: strawberry.ID | None = None
    grade: str | None = None
    comment: str | None = None


async def _created(info: Info, type_name: str, pk: int) -> Any:
    found = await info.context.loaders.by_id(type_name).load(pk)
    if found is None:  # written but not readable back: the caller lacks the row rule
        raise not_found(type_name, str(pk))
    return to_object(found)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_assignment(self, info: Info, input: CreateAssignmentInput) -> Assignment:
        pk = await coursework.create_assignment(
            info.context.actor(),
            expect_id(input.course_id, "Course"),
            input.title,
            input.instructions,
            input.due_at,
        )
        found: Assignment = await _created(info, "Assignment", pk)
        return found

    @strawberry.mutation
    async def submit_answer(self, info: Info, input: SubmitAnswerInput) -> Submission:
        attachments = [
            AttachmentData(a.filename, a.content_type, a.size_bytes)
            for a in (input.attachments or [])
        ]
        pk = await coursework.submit_answer(
            info.context.actor(),
            expect_id(input.assignment_id, "Assignment"),
            input.body,
            attachments,
            [expect_id(i, "FileRef") for i in input.attachment_ids or []],
            storage_of(info.context.settings),
        )
        found: Submission = await _created(info, "Submission", pk)
        return found

    @strawberry.mutation
    async def assess(self, info: Info, input: AssessInput) -> Assessment:
        pk = await coursework.assess(
            info.context.actor(),
            expect_id(input.student_id, "User"),
            expect_id(input.course_id, "Course"),
            input.kind,
            expect_id(input.submission_id, "Submission") if input.submission_id else None,
            input.grade,
            input.comment,
        )
        found: Assessment = await _created(info, "Assessment", pk)
        return found

    @strawberry.mutation
    async def publish_assessments(
        self, info: Info, course_id: strawberry.ID, kind: AssessmentKind
    ) -> list[Assessment]:
        ids = await coursework.publish_assessments(
            info.context.actor(), expect_id(course_id, "Course"), kind
        )
        found = await info.context.loaders.by_id("Assessment").load_many(ids)
        return [object_of(Assessment, a) for a in found if a is not None]

    @strawberry.mutation
    async def create_post(self, info: Info, course_id: strawberry.ID, body: str) -> Post:
        pk = await communication.create_post(
            info.context.actor(), expect_id(course_id, "Course"), body
        )
        found: Post = await _created(info, "Post", pk)
        return found

    @strawberry.mutation
    async def comment_on_post(self, info: Info, post_id: strawberry.ID, body: str) -> Comment:
        pk = await communication.comment_on_post(
            info.context.actor(), expect_id(post_id, "Post"), body
        )
        found: Comment = await _created(info, "Comment", pk)
        return found

    @strawberry.mutation
    async def send_message(
        self,
        info: Info,
        body: str,
        recipient_ids: list[strawberry.ID] | None = None,
        conversation_id: strawberry.ID | None = None,
    ) -> Message:
        pk = await communication.send_message(
            info.context.actor(),
            body,
            [expect_id(r, "User") for r in recipient_ids] if recipient_ids else None,
            expect_id(conversation_id, "Conversation") if conversation_id else None,
        )
        if recipient_ids:
            # A new conversation: the viewer takes part in it from now on (Viewer.conversations).
            await info.context.reload_viewer()
        found: Message = await _created(info, "Message", pk)
        return found

    @strawberry.mutation
    async def create_document(
        self,
        info: Info,
        title: str,
        body: str | None = None,
        course_id: strawberry.ID | None = None,
        file_id: strawberry.ID | None = None,
    ) -> Document:
        pk = await personal.create_document(
            info.context.actor(),
            title,
            body,
            expect_id(course_id, "Course") if course_id else None,
            expect_id(file_id, "FileRef") if file_id else None,
        )
        found: Document = await _created(info, "Document", pk)
        return found

    @strawberry.mutation
    async def create_calendar_event(
        self,
        info: Info,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        course_id: strawberry.ID | None = None,
    ) -> CalendarEvent:
        pk = await personal.create_calendar_event(
            info.context.actor(),
            title,
            starts_at,
            ends_at,
            expect_id(course_id, "Course") if course_id else None,
        )
        found: CalendarEvent = await _created(info, "CalendarEvent", pk)
        return found

    @strawberry.mutation
    async def set_preference(self, info: Info, key: str, value: str | None = None) -> Preference:
        stored_key, stored_value = await personal.set_preference(info.context.actor(), key, value)
        return Preference(key=stored_key, value=stored_value)

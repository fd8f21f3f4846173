"""Assignments and submissions (student answers with attachment metadata)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.context import Info, RequestContext
from resolvers.records import AssignmentRecord, AttachmentRecord, SubmissionRecord
from schema import sources
from schema.connection import Connection
from schema.course import Course
from schema.enums import Ordering, SubmissionStatus
from schema.files import FileRef
from schema.node import Node
from schema.registry import kind_type
from schema.user import User
from schema.values import made_of, node_id, record_field
from store import access_log

if TYPE_CHECKING:
    from schema.assessment import Assessment

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]


@kind_type("Assignment")
@made_of(AssignmentRecord, id=node_id("Assignment"))
@strawberry.type
class Assignment(Node):
    id: strawberry.ID
    title: str | None
    instructions: str | None
    due_at: datetime | None
    created_at: datetime | None
    record: strawberry.Private[AssignmentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Assignment.course")
        return found

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Assignment.author")
        return found

    @strawberry.field
    async def submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[Submission] | None:
        return await sources.connection(
            info,
            self.record,
            "Assignment.submissions",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )


@made_of(AttachmentRecord)
@strawberry.type
class Attachment:
    filename: str
    content_type: str | None
    size_bytes: int | None
    record: strawberry.Private[AttachmentRecord]

    @strawberry.field(
        description="The uploaded file, if the attachment carries one (null while its owner's "
        "data is restricted)."
    )
    async def file(self, info: Info) -> FileRef | None:
        found: FileRef | None = await sources.reference(info, self.record, "Attachment.file")
        return found


def _submission_body(record: SubmissionRecord, ctx: RequestContext) -> str | None:
    # A teacher of the course opening the answer is the activity the student sees in
    # lastOpenedAt/lastOpenedBy (docs/access-policy.md); written once per request, afterwards.
    relations = record.relations
    if "course_teacher" in relations and "self" not in relations:
        ctx.effects.submission_opened(record.pk, (record.last_opened_by_id, record.last_opened_at))
    body = record.body
    if body is not None:
        # read by staff: an entry in the staff access log (docs/privacy-actions.md)
        ctx.effects.person_data_read(ctx.viewer, record.student_id, access_log.SUBMISSION)
    return body


@kind_type("Submission")
@made_of(SubmissionRecord, id=node_id("Submission"))
@strawberry.type
class Submission(Node):
    id: strawberry.ID
    status: SubmissionStatus | None
    submitted_at: datetime | None
    last_opened_at: datetime | None
    record: strawberry.Private[SubmissionRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    body = record_field(_submission_body)

    @strawberry.field
    async def assignment(self, info: Info) -> Assignment | None:
        found: Assignment | None = await sources.reference(
            info, self.record, "Submission.assignment"
        )
        return found

    @strawberry.field
    async def student(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Submission.student")
        return found

    @strawberry.field
    async def last_opened_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Submission.lastOpenedBy")
        return found

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment] | None:
        return await sources.embedded(info, self.record, "Submission.attachments", Attachment)

    @strawberry.field(
        description="The submission's assessments, oldest first, at most 100 (all of them: "
        "`assessmentsConnection`)."
    )
    async def assessments(self, info: Info) -> list[AssessmentT] | None:
        return await sources.listed(info, self.record, "Submission.assessments")

    @strawberry.field(
        description="The submission's assessments, a page at a time, oldest first by default."
    )
    async def assessments_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[AssessmentT] | None:
        return await sources.connection(
            info,
            self.record,
            "Submission.assessmentsConnection",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )


__all__ = ["Assignment", "Attachment", "Submission"]

"""Assignments and submissions (student answers with attachment metadata)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.context import Info
from schema.connection import Connection
from schema.course import Course
from schema.enums import SubmissionStatus
from schema.node import Node
from schema.user import User, person

if TYPE_CHECKING:
    from schema.assessment import Assessment

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]


async def _course(info: Info, course_pk: int, coordinate: str) -> Course | None:
    found: Course | None = await info.context.loaders.courses.load(course_pk)
    if found is None:
        info.context.missing(info, coordinate)
    return found


@strawberry.type
class Assignment(Node):
    id: strawberry.ID
    title: str | None
    instructions: str | None
    due_at: datetime | None
    created_at: datetime | None
    pk: strawberry.Private[int]
    course_pk: strawberry.Private[int]
    author_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        return await _course(info, self.course_pk, "Assignment.course")

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await person(info, self.author_pk, "Assignment.author", when_inactive="pseudonym")

    @strawberry.field
    async def submissions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Submission] | None:
        args = info.context.page_args(first, after)
        return await info.context.loaders.submissions_by_assignment.load((self.pk, args))


@strawberry.type
class Attachment:
    filename: str
    content_type: str | None
    size_bytes: int | None


@strawberry.type
class Submission(Node):
    id: strawberry.ID
    status: SubmissionStatus | None
    submitted_at: datetime | None
    last_opened_at: datetime | None
    body_value: strawberry.Private[str | None]
    pk: strawberry.Private[int]
    assignment_pk: strawberry.Private[int]
    student_pk: strawberry.Private[int]
    last_opened_by_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    def body(self, info: Info) -> str | None:
        # A teacher of the course opening the answer is the activity the student sees in
        # lastOpenedAt/lastOpenedBy (docs/access-policy.md); written once per request, afterwards.
        if "course_teacher" in self.tavle_rels and "self" not in self.tavle_rels:
            info.context.effects.submission_opened(self.pk)
        return self.body_value

    @strawberry.field
    async def assignment(self, info: Info) -> Assignment | None:
        found: Assignment | None = await info.context.loaders.assignments.load(self.assignment_pk)
        if found is None:
            info.context.missing(info, "Submission.assignment")
        return found

    @strawberry.field
    async def student(self, info: Info) -> User | None:
        return await person(info, self.student_pk, "Submission.student", when_inactive="hidden")

    @strawberry.field
    async def last_opened_by(self, info: Info) -> User | None:
        return await person(
            info, self.last_opened_by_pk, "Submission.lastOpenedBy", when_inactive="hidden"
        )

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment] | None:
        return await info.context.loaders.attachments_by_submission.load(self.pk)

    @strawberry.field
    async def assessments(self, info: Info) -> list[AssessmentT] | None:
        return await info.context.loaders.assessments_by_submission.load(self.pk)


__all__ = ["Assignment", "Attachment", "Submission", "_course"]

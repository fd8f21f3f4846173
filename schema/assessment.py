"""Assessments: a teacher's registration about a student."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info
from schema.course import Course
from schema.coursework import Submission, _course
from schema.enums import AssessmentKind, CourseState
from schema.node import Node
from schema.user import User, person


@strawberry.type
class Assessment(Node):
    id: strawberry.ID
    kind: AssessmentKind | None
    grade: str | None
    comment: str | None
    assessor_name: str | None
    published: bool | None
    created_at: datetime | None
    #: snapshots of the course's code and name: they survive the course's deletion
    course_code: str | None
    course_name: str | None
    pk: strawberry.Private[int]
    student_pk: strawberry.Private[int]
    #: None once the course has been deleted (docs/school-year.md rule 10)
    course_pk: strawberry.Private[int | None]
    #: the course's state (None without a course), for the write paths' archived checks
    course_state: strawberry.Private[CourseState | None]
    submission_pk: strawberry.Private[int | None]
    assessor_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def student(self, info: Info) -> User | None:
        return await person(info, self.student_pk, "Assessment.student", when_inactive="hidden")

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        if self.course_pk is None:  # the course was deleted: not an invisible reference
            return None
        return await _course(info, self.course_pk, "Assessment.course")

    @strawberry.field
    async def assessor(self, info: Info) -> User | None:
        return await person(info, self.assessor_pk, "Assessment.assessor", when_inactive="hidden")

    @strawberry.field
    async def submission(self, info: Info) -> Submission | None:
        if self.submission_pk is None:
            return None
        found: Submission | None = await info.context.loaders.submissions.load(self.submission_pk)
        if found is None:
            info.context.missing(info, "Assessment.submission")
        return found

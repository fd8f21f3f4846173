"""Assessments: a teacher's registration about a student."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info, RequestContext
from resolvers.records import AssessmentRecord
from schema import sources
from schema.course import Course
from schema.coursework import Submission
from schema.enums import AssessmentKind
from schema.node import Node
from schema.registry import kind_type
from schema.user import User
from schema.values import made_of, node_id, record_field
from store import access_log


# The grade and the comment are what an assessment says about the student: a staff member
# receiving either gets an entry in the staff access log (docs/privacy-actions.md).
def _grade(record: AssessmentRecord, ctx: RequestContext) -> str | None:
    grade = record.grade
    if grade is not None:
        ctx.effects.person_data_read(ctx.viewer, record.student_id, access_log.ASSESSMENT)
    return grade


def _comment(record: AssessmentRecord, ctx: RequestContext) -> str | None:
    comment = record.comment
    if comment is not None:
        ctx.effects.person_data_read(ctx.viewer, record.student_id, access_log.ASSESSMENT)
    return comment


@kind_type("Assessment")
@made_of(AssessmentRecord, id=node_id("Assessment"))
@strawberry.type
class Assessment(Node):
    id: strawberry.ID
    kind: AssessmentKind | None
    grade = record_field(_grade)
    comment = record_field(_comment)
    assessor_name: str | None
    published: bool | None
    created_at: datetime | None
    #: snapshots of the course's code and name: they survive the course's deletion
    course_code: str | None
    course_name: str | None
    record: strawberry.Private[AssessmentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def student(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Assessment.student")
        return found

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Assessment.course")
        return found

    @strawberry.field
    async def assessor(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Assessment.assessor")
        return found

    @strawberry.field
    async def submission(self, info: Info) -> Submission | None:
        found: Submission | None = await sources.reference(
            info, self.record, "Assessment.submission"
        )
        return found

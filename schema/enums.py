"""GraphQL enums, sharing the data layer's Python enums so values never drift."""

from __future__ import annotations

import strawberry

from store import tables

Role = strawberry.enum(tables.Role, name="Role")
CourseRole = strawberry.enum(tables.CourseRole, name="CourseRole")
AssessmentKind = strawberry.enum(tables.AssessmentKind, name="AssessmentKind")
SubmissionStatus = strawberry.enum(tables.SubmissionStatus, name="SubmissionStatus")
ProcessingState = strawberry.enum(tables.ProcessingState, name="ProcessingState")

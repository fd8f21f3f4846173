"""GraphQL enums: the data layer's Python enums, registered with Strawberry, so values never drift.

``strawberry.enum`` registers the class in place and returns it, so the names exported here are
the ``store.tables`` classes themselves and type-check as such.
"""

from __future__ import annotations

import strawberry

from config.paging import Ordering
from store.privacy.base import DataCategory, Outcome
from store.tables import (
    AcademicSessionType,
    AssessmentKind,
    CourseRole,
    CourseState,
    DataRequestKind,
    DataRequestStatus,
    ExportFormat,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestChannel,
    RequestOrigin,
    Role,
    SubmissionStatus,
)

for _enum in (
    Role,
    CourseRole,
    AssessmentKind,
    SubmissionStatus,
    ProcessingState,
    DataCategory,
    Outcome,
    PrivacyAction,
    PrivacyRequestStatus,
    ExportFormat,
    CourseState,
    AcademicSessionType,
    RequestOrigin,
    Ordering,
    DataRequestKind,
    DataRequestStatus,
    RequestChannel,
):
    strawberry.enum(_enum, name=_enum.__name__)

__all__ = [
    "AcademicSessionType",
    "AssessmentKind",
    "CourseRole",
    "CourseState",
    "DataCategory",
    "DataRequestKind",
    "DataRequestStatus",
    "ExportFormat",
    "Ordering",
    "Outcome",
    "PrivacyAction",
    "PrivacyRequestStatus",
    "ProcessingState",
    "RequestChannel",
    "RequestOrigin",
    "Role",
    "SubmissionStatus",
]

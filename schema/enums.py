"""GraphQL enums: the data layer's Python enums, registered with Strawberry, so values never drift.

``strawberry.enum`` registers the class in place and returns it, so the names exported here are
the ``store.tables`` classes themselves and type-check as such.
"""

from __future__ import annotations

import strawberry

from store.privacy.base import DataCategory, Outcome
from store.tables import (
    AssessmentKind,
    CourseRole,
    ExportFormat,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
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
):
    strawberry.enum(_enum, name=_enum.__name__)

__all__ = [
    "AssessmentKind",
    "CourseRole",
    "DataCategory",
    "ExportFormat",
    "Outcome",
    "PrivacyAction",
    "PrivacyRequestStatus",
    "ProcessingState",
    "Role",
    "SubmissionStatus",
]

"""Records: what the data layer hands upwards, one frozen class per object type.

A record holds the object's key (``pk``), the values its kind selects (named as the kind's
column labels, ``resolvers.kinds``) and ``relations``, the viewer's relations to the object,
computed once when the record is made (``resolvers.materialize``), so field guards only look them
up. Records know nothing of GraphQL: the schema makes its objects from them (``from_record``).

Plumbing records (a person's roles, an answer's attachments ...) have no relations: they only
appear under a field of an object the viewer may read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from config.paging import PageArgs, encode_cursor
from store.tables import (
    AcademicSessionType,
    AssessmentKind,
    CourseState,
    DataRequestKind,
    DataRequestStatus,
    ExportFormat,
    IncidentScopeKind,
    IncidentStatus,
    ItemStatus,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestChannel,
    RequestOrigin,
    Role,
    SubmissionStatus,
)

Row = Mapping[str, Any]
Relations = frozenset[str]


class Record(Protocol):
    """What every record of a kind has."""

    @property
    def pk(self) -> int: ...

    @property
    def relations(self) -> Relations: ...


def display_name(given: str | None, family: str | None) -> str | None:
    name = " ".join(part for part in (given, family) if part)
    return name or None


@dataclass(frozen=True, slots=True)
class UserRecord:
    pk: int
    given_name: str | None
    family_name: str | None
    email: str | None
    national_id: str | None
    processing_state: ProcessingState
    #: a ``config.language`` code, or None: none chosen
    preferred_language: str | None
    relations: Relations

    @property
    def display_name(self) -> str | None:
        return display_name(self.given_name, self.family_name)


#: What the viewer holds on a pseudonym stand-in (docs/privacy-actions.md, "Pseudonyms").
PSEUDONYM_RELATIONS: Relations = frozenset({"row", "anyone", "authenticated", "pseudonym"})


@dataclass(frozen=True, slots=True)
class PseudonymRecord:
    """The stand-in for a restricted or erased author: a stable label, nothing else.

    It has no key of the person (``pk`` is -1), so nothing nested under it can reach the
    person's rows.
    """

    label: str
    display_name: str
    pk: int = -1
    relations: Relations = PSEUDONYM_RELATIONS


@dataclass(frozen=True, slots=True)
class SchoolRecord:
    pk: int
    name: str | None
    code: str | None
    state: CourseState
    relations: Relations


@dataclass(frozen=True, slots=True)
class CourseRecord:
    pk: int
    code: str | None
    name: str | None
    is_homeroom: bool | None
    school_id: int
    state: CourseState
    archived_at: datetime | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    pk: int
    course_id: int
    author_id: int | None
    title: str | None
    instructions: str | None
    due_at: datetime | None
    created_at: datetime | None
    school_id: int
    course_state: CourseState
    relations: Relations


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    pk: int
    assignment_id: int
    student_id: int
    status: SubmissionStatus | None
    submitted_at: datetime | None
    body: str | None
    last_opened_at: datetime | None
    last_opened_by_id: int | None
    course_id: int
    school_id: int
    course_state: CourseState
    relations: Relations


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    pk: int
    student_id: int
    #: None once the course has been deleted (docs/school-year.md rule 10)
    course_id: int | None
    submission_id: int | None
    assessor_id: int | None
    assessor_name: str | None
    kind: AssessmentKind | None
    grade: str | None
    comment: str | None
    published: bool | None
    created_at: datetime | None
    school_id: int | None
    #: snapshots of the course's code and name: they survive the course's deletion
    course_code: str | None
    course_name: str | None
    #: the course's state (None without a course)
    course_state: CourseState | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class PostRecord:
    pk: int
    course_id: int
    author_id: int | None
    body: str | None
    created_at: datetime | None
    school_id: int
    course_state: CourseState
    relations: Relations


@dataclass(frozen=True, slots=True)
class CommentRecord:
    pk: int
    post_id: int
    author_id: int | None
    body: str | None
    created_at: datetime | None
    course_id: int
    school_id: int
    course_state: CourseState
    relations: Relations


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    pk: int
    relations: Relations


@dataclass(frozen=True, slots=True)
class MessageRecord:
    pk: int
    conversation_id: int
    author_id: int | None
    body: str | None
    sent_at: datetime | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    pk: int
    owner_id: int | None
    course_id: int | None
    title: str | None
    body: str | None
    school_id: int | None
    course_state: CourseState | None
    #: the uploaded file the document carries, if any
    file_id: int | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class FileRefRecord:
    pk: int
    owner_id: int | None
    filename: str
    content_type: str | None
    size_bytes: int | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class CalendarEventRecord:
    pk: int
    owner_id: int | None
    course_id: int | None
    title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    school_id: int | None
    course_state: CourseState | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class AcademicSessionRecord:
    pk: int
    title: str | None
    type: AcademicSessionType | None
    start_date: date | None
    end_date: date | None
    parent_id: int | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class PrivacyRequestRecord:
    pk: int
    action: PrivacyAction
    status: PrivacyRequestStatus
    subject_id: int | None
    origin: RequestOrigin
    course_id: int | None
    requested_by_id: int | None
    confirmed_by_id: int | None
    justification: str
    created_at: datetime
    completed_at: datetime | None
    effects: str
    format: ExportFormat | None
    file_name: str | None
    expires_at: datetime | None
    error: str | None
    #: a school erasure's school; the people of a batch or school erasure, counted by result
    school_id: int | None
    items_total: int
    items_pending: int
    items_erased: int
    items_skipped: int
    items_failed: int
    relations: Relations


@dataclass(frozen=True, slots=True)
class PrivacyRequestItemRecord:
    """One person of a batch or school erasure and their result (``privacy_request_items``)."""

    subject_id: int | None
    status: ItemStatus
    basis: str
    reason: str | None
    effects: str
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class DataRequestRecord:
    """A data subject's request (docs/data-requests.md); ``released_export_id`` and
    ``released_export_expires_at``: its newest finished export released to the requester."""

    pk: int
    kind: DataRequestKind
    status: DataRequestStatus
    channel: RequestChannel
    subject_id: int | None
    requested_by_id: int | None
    message: str | None
    received_at: datetime
    due_at: datetime
    extended_to: datetime | None
    extension_reason: str | None
    identity_verified: bool
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str | None
    completed_at: datetime | None
    released_export_id: int | None
    released_export_expires_at: datetime | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class AuditEntryRecord:
    pk: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: int | None
    justification: str | None
    trace_id: str | None
    roster_import_id: int | None
    #: what changed (field names, never values), on roster import entries
    detail: str | None
    hash: str
    #: the person the entry is about (a privacy action's subject), if any
    subject_id: int | None
    #: SHA-256 of the justification (kept when erasure blanks the text)
    justification_digest: str | None
    relations: Relations


@dataclass(frozen=True, slots=True)
class RosterImportRecord:
    pk: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    source: str | None
    mode: str | None
    actor: str | None
    file_digests: str
    counts: str
    conflicts: str
    relations: Relations


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """A notification addressed to one person (``owner``: the only one who sees it)."""

    pk: int
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None
    relations: Relations


# --- Plumbing: rows that only appear under an authorised parent field --------------------------


@dataclass(frozen=True, slots=True)
class RoleAssignmentRecord:
    role: Role
    school_id: int | None


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    filename: str
    content_type: str | None
    size_bytes: int | None
    #: the uploaded file the attachment carries, if any
    file_id: int | None = None


@dataclass(frozen=True, slots=True)
class PreferenceRecord:
    key: str
    value: str | None


# --- Pages --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """A personal data breach in the incident register (system administrators only)."""

    pk: int
    description: str
    detected_at: datetime
    recorded_at: datetime
    recorded_by_id: int | None
    report_due_at: datetime
    status: IncidentStatus
    #: JSON list of DataCategory values
    categories: str
    scope_kind: IncidentScopeKind
    scope_school_id: int | None
    #: JSON list of course ids (COURSES scope)
    scope_course_ids: str | None
    scope_staff_id: int | None
    scope_from: datetime | None
    scope_to: datetime | None
    actions_taken: str | None
    authority_notified_at: datetime | None
    people_notified_at: datetime | None
    updated_at: datetime
    affected_count: int
    relations: Relations


@dataclass(frozen=True, slots=True)
class IncidentPersonRecord:
    """One affected person of an incident (plumbing: only under ``Incident.affectedPeople``)."""

    person_id: int
    reason: str
    notified_at: datetime | None


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of a list: the records, each one's sort key (for its cursor), the number of
    visible rows in the whole list, and whether more follow."""

    records: Sequence[R]
    sort_keys: Sequence[int]
    total: int
    has_next: bool
    #: paging backwards (``last``): whether more precede
    has_previous: bool = False
    #: the page's connection and ordering: its cursors name them (``config.paging``)
    args: PageArgs | None = None

    def cursor(self, sort_key: int) -> str:
        return encode_cursor(sort_key) if self.args is None else self.args.cursor(sort_key)

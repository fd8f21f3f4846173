"""The database schema, as SQLAlchemy Core tables.

Core (not ORM entities) because the hot read paths build GraphQL objects straight from rows
(ORM entities cost about four times more per row: README, "Design"). Migrations in
``store/migrations`` create exactly these tables; a test compares the two.

Every personal datum records where it came from (``DataSource``): the roster import, the person
themself, or a registration by staff. People's name and contact fields carry one source column
each, because rectification and re-import treat them field by field.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(enum.StrEnum):
    SYSTEM_ADMINISTRATOR = "SYSTEM_ADMINISTRATOR"
    SUPERUSER = "SUPERUSER"
    SCHOOL_LEADER = "SCHOOL_LEADER"
    TEACHER = "TEACHER"
    STUDENT = "STUDENT"
    GUARDIAN = "GUARDIAN"


class CourseRole(enum.StrEnum):
    TEACHER = "TEACHER"
    STUDENT = "STUDENT"


class ProcessingState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    RESTRICTED = "RESTRICTED"
    ERASED = "ERASED"


class DataSource(enum.StrEnum):
    """Where a datum came from (GDPR art. 14(2)(f) and the export's provenance column)."""

    ROSTER = "ROSTER"
    PERSON = "PERSON"
    REGISTRATION = "REGISTRATION"
    ADMINISTRATOR = "ADMINISTRATOR"


class PrivacyAction(enum.StrEnum):
    EXPORT = "EXPORT"
    RESTRICT = "RESTRICT"
    LIFT_RESTRICTION = "LIFT_RESTRICTION"
    ERASE = "ERASE"
    RECTIFY = "RECTIFY"
    #: explicit deletion of an archived course (docs/school-year.md rule 10); no subject person
    DELETE_COURSE = "DELETE_COURSE"
    #: erasure of several people at once (a list, or everyone whose retention has expired); the
    #: people are the request's ``privacy_request_items``
    ERASE_BATCH = "ERASE_BATCH"
    #: erasure of a school at the end of its contract (``school_id``): the people only at that
    #: school (the items) and the school's courses with their content
    ERASE_SCHOOL = "ERASE_SCHOOL"
    #: one archive of a whole school for the controller (docs/privacy-actions.md, "School
    #: export"); no subject person, ``school_id`` set
    EXPORT_SCHOOL = "EXPORT_SCHOOL"


class RequestOrigin(enum.StrEnum):
    """Who started a privacy request: an administrator, the roster import, or the person."""

    ADMINISTRATOR = "ADMINISTRATOR"
    ROSTER = "ROSTER"
    DATA_SUBJECT = "DATA_SUBJECT"


class DataRequestKind(enum.StrEnum):
    """What a data subject asks for (GDPR art. 15-21): a data request (docs/data-requests.md)."""

    ACCESS = "ACCESS"
    ERASURE = "ERASURE"
    RECTIFICATION = "RECTIFICATION"
    RESTRICTION = "RESTRICTION"
    OBJECTION = "OBJECTION"
    OTHER = "OTHER"


class DataRequestStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class RequestChannel(enum.StrEnum):
    """How a data request reached the school: in Tavle, or registered by an administrator."""

    SELF_SERVICE = "SELF_SERVICE"
    LETTER = "LETTER"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    IN_PERSON = "IN_PERSON"


class CourseState(enum.StrEnum):
    """Courses and schools that leave the roster are archived (read-only), never deleted."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class AcademicSessionType(enum.StrEnum):
    SCHOOL_YEAR = "SCHOOL_YEAR"
    TERM = "TERM"
    SEMESTER = "SEMESTER"
    GRADING_PERIOD = "GRADING_PERIOD"


class PrivacyRequestStatus(enum.StrEnum):
    #: a batch or school erasure whose combined preview the job worker is still computing
    #: (resolvers/services/batch_erasure.py); it becomes AWAITING_CONFIRMATION when done
    PREVIEWING = "PREVIEWING"
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ExportFormat(enum.StrEnum):
    XML = "XML"
    JSON = "JSON"


class AssessmentKind(enum.StrEnum):
    FEEDBACK = "FEEDBACK"
    GOAL_ACHIEVEMENT = "GOAL_ACHIEVEMENT"
    REMARK = "REMARK"
    ABSENCE = "ABSENCE"
    HALF_YEAR = "HALF_YEAR"
    FINAL = "FINAL"


class SubmissionStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    LATE = "LATE"
    RETURNED = "RETURNED"


class AccessKind(enum.StrEnum):
    """What a staff member read about another person (``access_log.what``)."""

    SUBMISSION = "SUBMISSION"
    ASSESSMENT = "ASSESSMENT"
    NATIONAL_ID = "NATIONAL_ID"
    EXPORT = "EXPORT"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native PG enum type): adding a member needs no type migration.
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive values; without this the API would print
    ``2026-11-23T10:00:00`` on SQLite and ``2026-11-23T10:00:00+00:00`` on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        tzinfo = value.tzinfo
        if tzinfo is UTC:  # asyncpg's timestamptz: already what is wanted
            return value  # type: ignore[no-any-return]
        if tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _ts(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable)


schools = Table(
    "schools",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("code", String(64)),
    Column("org_type", String(32), nullable=False),
    Column("parent_id", ForeignKey("schools.id")),
    Column("state", _enum(CourseState), nullable=False, default=CourseState.ACTIVE),
    _ts("archived_at", nullable=True),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), nullable=False, unique=True),
    Column("username", String(255), unique=True),
    Column("given_name", String(255)),
    Column("family_name", String(255)),
    Column("email", String(320)),
    Column("national_id", String(32), index=True),
    # The Feide login (eduPersonPrincipalName, "name@school.no") from the roster's userIds
    # ({Feide:...}); tokens from Feide are matched against it (config.oidc claim mappings).
    Column("feide_id", String(255), index=True),
    Column("given_name_source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    Column("family_name_source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    Column("email_source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    Column("national_id_source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    Column("enabled", Boolean, nullable=False, default=True),
    # "nb" or "en": the language of the person's notifications and privacy notice; null = not
    # chosen (Bokmål, or the request's Accept-Language where there is one).
    Column("preferred_language", String(8)),
    Column(
        "processing_state",
        _enum(ProcessingState),
        nullable=False,
        default=ProcessingState.ACTIVE,
    ),
    _ts("created_at"),
    _ts("updated_at"),
    # When the person entered the recycle bin / was erased (docs/privacy-actions.md).
    _ts("restricted_at", nullable=True),
    _ts("erased_at", nullable=True),
    # On a tombstone only: HMAC-SHA-256 (pseudonym key) of the erased person's roster sourcedId,
    # username and national id, so a later import does not create them again (docs/school-year.md
    # rule 7) while nothing readable links the tombstone to them.
    Column("erased_sourced_id_digest", String(64), index=True),
    Column("erased_username_digest", String(64), index=True),
    Column("erased_national_id_digest", String(64), index=True),
)

role_assignments = Table(
    "role_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), unique=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("role", _enum(Role), nullable=False),
    # NULL for SYSTEM_ADMINISTRATOR, which is global.
    Column("school_id", ForeignKey("schools.id", ondelete="CASCADE")),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    UniqueConstraint("person_id", "role", "school_id", name="uq_role_assignments_person_role"),
)

guardianships = Table(
    "guardianships",
    metadata,
    Column("guardian_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("student_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    Index("ix_guardianships_student", "student_id"),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), nullable=False, unique=True),
    Column("school_id", ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code", String(64)),
    Column("name", String(255), nullable=False),
    Column("is_homeroom", Boolean, nullable=False, default=False),
    Column("state", _enum(CourseState), nullable=False, default=CourseState.ACTIVE),
    _ts("archived_at", nullable=True),
)

academic_sessions = Table(
    "academic_sessions",
    metadata,
    # OneRoster academicSessions.csv: school years, terms, semesters, grading periods.
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), nullable=False, unique=True),
    Column("title", String(255), nullable=False),
    Column("type", _enum(AcademicSessionType), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("parent_id", ForeignKey("academic_sessions.id", ondelete="SET NULL")),
    Column("school_year", String(16)),
)

course_terms = Table(
    "course_terms",
    metadata,
    # classes.csv termSourcedIds: the sessions a course runs in.
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("session_id", ForeignKey("academic_sessions.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_course_terms_session", "session_id"),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sourced_id", String(255), unique=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("role", _enum(CourseRole), nullable=False),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.ROSTER),
    # Memberships end, they are not deleted (docs/school-year.md rule 3); only rows with no end time
    # grant access. NULL start: enrolled before start times were recorded.
    _ts("started_at", nullable=True),
    _ts("ended_at", nullable=True),
    UniqueConstraint("course_id", "person_id", "role", name="uq_enrolments_course_person_role"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("title", String(500), nullable=False),
    Column("instructions", Text),
    _ts("due_at", nullable=True),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "assignment_id",
        ForeignKey("assignments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("student_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", _enum(SubmissionStatus), nullable=False),
    _ts("submitted_at"),
    Column("body", Text, nullable=False),
    _ts("last_opened_at", nullable=True),
    Column("last_opened_by_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
    # When an assessment first referred to this answer; NULL while none has. An assessed answer
    # is not replaced by a resubmission unless it is RETURNED (docs/access-policy.md).
    _ts("assessed_at", nullable=True),
)

files = Table(
    "files",
    metadata,
    # Uploaded files (uploadFile): the bytes live in the file storage (store/filestore) under
    # ``storage_key`` (random, never the person's file name); a row is owned by its uploader and
    # referenced by at most one attachment or document.
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(128), nullable=False, unique=True),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

file_deletions = Table(
    "file_deletions",
    metadata,
    # Bytes to delete from the file storage: written in the transaction that deletes their
    # ``files`` rows (erasure, course deletion), drained after it commits
    # (store/filestore/deletions.py). A random key only, no personal data.
    Column("storage_key", String(128), primary_key=True),
    _ts("queued_at"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "submission_id",
        ForeignKey("submissions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(255)),
    Column("size_bytes", Integer),
    # The uploaded file this attachment carries (NULL: metadata only, as before uploads).
    Column("file_id", ForeignKey("files.id", ondelete="SET NULL"), unique=True),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("student_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    # NULL once the course has been deleted (docs/school-year.md rule 10): the assessment stays,
    # with the snapshots below, until the student is erased.
    Column("course_id", ForeignKey("courses.id", ondelete="SET NULL"), index=True),
    Column("school_id", ForeignKey("schools.id"), index=True),
    Column("course_code", String(64)),
    Column("course_name", String(255)),
    Column("submission_id", ForeignKey("submissions.id", ondelete="SET NULL"), index=True),
    Column("assessor_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    # Snapshot of the assessor's name at registration: survives the assessor's erasure.
    Column("assessor_name", String(511)),
    Column("kind", _enum(AssessmentKind), nullable=False),
    Column("grade", String(64)),
    Column("comment", Text),
    Column("published", Boolean, nullable=False),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.REGISTRATION),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("body", Text, nullable=False),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("body", Text, nullable=False),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    _ts("created_at"),
)

conversation_participants = Table(
    "conversation_participants",
    metadata,
    Column(
        "conversation_id",
        ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_conversation_participants_person", "person_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("author_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("body", Text, nullable=False),
    _ts("sent_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    # NULL: a private document, visible to its owner only.
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), index=True),
    Column("title", String(500), nullable=False),
    Column("body", Text),
    _ts("created_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
    # The uploaded file this document carries (NULL: a text document).
    Column("file_id", ForeignKey("files.id", ondelete="SET NULL"), unique=True),
)

calendar_events = Table(
    "calendar_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    # NULL: a personal event, visible to its owner only.
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), index=True),
    Column("title", String(500), nullable=False),
    _ts("starts_at"),
    _ts("ends_at"),
    Column("source", _enum(DataSource), nullable=False, default=DataSource.PERSON),
)

preferences = Table(
    "preferences",
    metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text),
    _ts("updated_at"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(64), nullable=False),
    Column("message", Text, nullable=False),
    _ts("created_at"),
    _ts("read_at", nullable=True),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    # Entries refer to people by internal id only, never by name (docs/privacy-actions.md), so
    # erasure needs no rewrite of the log.
    Column("id", Integer, primary_key=True),
    _ts("at"),
    Column("actor_id", Integer),
    Column("action", String(64), nullable=False),
    Column("target_type", String(64)),
    Column("target_id", Integer),
    Column("subject_id", Integer, index=True),
    Column("justification", Text),
    Column("trace_id", String(32)),
    # SHA-256 (hex) of the justification: the hash covers it, not the text, so erasure can set
    # the text to NULL (store/audit.py). ``hash_format`` 1 marks entries from before that, whose
    # hash covers the text; ``legacy_seal`` checks them once their text is gone.
    Column("justification_digest", String(64)),
    Column("hash_format", Integer, nullable=False, server_default="1", default=2),
    Column("legacy_seal", String(64)),
    # Roster import entries: the run they belong to, and what changed (field names, never values).
    Column("roster_import_id", Integer, index=True),
    Column("detail", String(255)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

privacy_requests = Table(
    "privacy_requests",
    metadata,
    # A privacy action and, for the slow ones (export, large erasures), its background job: the
    # row is the job, claimed by a worker through the database (no broker).
    Column("id", Integer, primary_key=True),
    Column("action", _enum(PrivacyAction), nullable=False),
    Column("status", _enum(PrivacyRequestStatus), nullable=False, index=True),
    Column("subject_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("origin", _enum(RequestOrigin), nullable=False, default=RequestOrigin.ADMINISTRATOR),
    Column("course_id", ForeignKey("courses.id", ondelete="SET NULL"), index=True),
    Column("requested_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    Column("confirmed_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    Column("justification", Text, nullable=False),
    _ts("created_at"),
    _ts("completed_at", nullable=True),
    # JSON list of {category, outcome, count}: the preview before confirmation, the result after.
    Column("effects", Text, nullable=False, default="[]"),
    Column("format", _enum(ExportFormat)),
    Column("file_name", String(255)),
    _ts("expires_at", nullable=True),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(128)),
    _ts("lease_until", nullable=True),
    # False while a completed erasure's erasure-ledger entry is still to be written
    # (store/erasure_ledger.py); the job worker and `tavle privacy reapply-erasures` write it.
    Column("ledger_written", Boolean, nullable=False, default=False),
    # The school of a whole-school action (school export, school erasure); null for the others.
    Column("school_id", ForeignKey("schools.id", ondelete="SET NULL"), index=True),
    # The data request this action fulfils (docs/data-requests.md); null for the others.
    Column("data_request_id", ForeignKey("data_requests.id", ondelete="SET NULL"), index=True),
    # When a system administrator released a finished export to the person who asked for it
    # (``releaseExport``): from then on that person may download it too.
    _ts("released_at", nullable=True),
)

data_requests = Table(
    "data_requests",
    metadata,
    # A data subject's request (GDPR art. 12-21) and its handling: the record of compliance.
    # ``message`` (and the reasons) are free text that may hold personal data: erasure blanks them
    # and keeps the rest (store/privacy/providers/data_requests.py).
    Column("id", Integer, primary_key=True),
    Column("kind", _enum(DataRequestKind), nullable=False),
    Column("status", _enum(DataRequestStatus), nullable=False, index=True),
    Column("channel", _enum(RequestChannel), nullable=False),
    Column("subject_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    # the person who asked: the subject, or a guardian for a child
    Column("requested_by_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    # the system administrator who registered a request received outside Tavle (letter ...)
    Column("registered_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    Column("message", Text),
    _ts("received_at"),
    # received_at + 1 calendar month (art. 12(3)); extended_to: due_at + 2 months, once
    _ts("due_at"),
    _ts("extended_to", nullable=True),
    Column("extension_reason", Text),
    Column("identity_verified", Boolean, nullable=False, default=False),
    Column("identity_verified_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    Column("decided_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    _ts("decided_at", nullable=True),
    Column("decision_reason", Text),
    _ts("completed_at", nullable=True),
)

data_request_reminders = Table(
    "data_request_reminders",
    metadata,
    # One row per day the reminder about open data requests was sent: the key makes the daily
    # reminder happen once however many job workers run (resolvers/services/data_requests.py).
    Column("reminded_on", Date, primary_key=True),
    _ts("sent_at"),
)

roster_imports = Table(
    "roster_imports",
    metadata,
    # One row per import run (docs/school-year.md rule 6), written in the import's own transaction.
    Column("id", Integer, primary_key=True),
    _ts("started_at"),
    _ts("finished_at", nullable=True),
    Column("status", String(32), nullable=False),
    # the folder's or package's name (not its path), and "bulk" or "delta" per file
    Column("source", String(255)),
    Column("mode", String(32), nullable=False),
    # "cli:<os user>" or "job:archive-ended"
    Column("actor", String(255), nullable=False),
    # JSON: {file name: sha256}, [{kind, count}], [conflict text]
    Column("file_digests", Text, nullable=False, default="{}"),
    Column("counts", Text, nullable=False, default="[]"),
    Column("conflicts", Text, nullable=False, default="[]"),
)

recreate_allowances = Table(
    "recreate_allowances",
    metadata,
    # `tavle roster allow-recreate`: the import may create a person again whose sourcedId has
    # this digest, although they match an erased person (docs/school-year.md rule 7).
    Column("sourced_id_digest", String(64), primary_key=True),
    _ts("allowed_at"),
)

viewer_epoch = Table(
    "viewer_epoch",
    metadata,
    # One row (id 1), raised in the same transaction by every write that changes what a viewer
    # is made of: the triggers of migration 0005 say which. The gateway's viewer cache
    # (resolvers/viewer_cache.py) reads it once per request.
    Column("id", Integer, primary_key=True),
    Column("epoch", BigInteger, nullable=False),
)

submission_versions = Table(
    "submission_versions",
    metadata,
    # An assessed answer a student replaced after a teacher returned it (RETURNED): the text as
    # it was assessed, kept so the assessments that referred to it still have what they judged.
    Column("id", Integer, primary_key=True),
    Column(
        "submission_id",
        ForeignKey("submissions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("body", Text, nullable=False),
    _ts("submitted_at"),
    _ts("assessed_at"),
    _ts("replaced_at"),
)

assessment_revisions = Table(
    "assessment_revisions",
    metadata,
    # The grade and comment an assessment had before a correction (updateAssessment), one row
    # per correction; the audit entry of the correction names the changed fields and this row.
    Column("id", Integer, primary_key=True),
    Column(
        "assessment_id",
        ForeignKey("assessments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("grade", String(64)),
    Column("comment", Text),
    _ts("revised_at"),
)

access_log = Table(
    "access_log",
    metadata,
    # The staff access log (store/access_log.py): one row per (staff member, person, kind) per
    # GraphQL operation or download. No foreign keys: the entries are deleted with either side's
    # erasure (privacy provider "access-log") and by the daily retention purge.
    Column("id", Integer, primary_key=True),
    _ts("at"),
    Column("staff_id", Integer, nullable=False),
    Column("person_id", Integer, nullable=False),
    # an AccessKind, as a plain string
    Column("what", String(16), nullable=False),
    # the GraphQL operation name or the download's route; never variables or values
    Column("operation", String(128)),
    Index("ix_access_log_at", "at"),
    Index("ix_access_log_staff_id_at", "staff_id", "at"),
    Index("ix_access_log_person_id", "person_id"),
)


class IncidentStatus(enum.StrEnum):
    """A personal data breach in the incident register (docs/incidents.md)."""

    #: recorded; the authority (Datatilsynet) is still to be told
    OPEN = "OPEN"
    #: reported to the authority (``authority_notified_at``); follow-up may go on
    REPORTED = "REPORTED"
    #: nothing more to do
    CLOSED = "CLOSED"


class IncidentScopeKind(enum.StrEnum):
    """How an incident's affected people were defined (exactly one per incident)."""

    SCHOOL = "SCHOOL"
    COURSES = "COURSES"
    PERSONS = "PERSONS"
    READ_BY = "READ_BY"


incidents = Table(
    "incidents",
    metadata,
    # The incident register (GDPR art. 33(5)): one row per personal data breach, kept for
    # accountability. ``description`` is free text that may name people: like a justification it
    # is never logged, and the audit log holds its digest only (resolvers/services/incidents.py).
    Column("id", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    _ts("detected_at"),
    _ts("recorded_at"),
    Column("recorded_by_id", ForeignKey("people.id", ondelete="SET NULL")),
    # detected_at + 72 hours: when the authority must have been told (art. 33(1))
    _ts("report_due_at"),
    Column("status", _enum(IncidentStatus), nullable=False, index=True),
    # JSON list of the data categories involved (store.privacy.base.DataCategory values)
    Column("categories", Text, nullable=False, default="[]"),
    # The scope as given, by internal ids: the school, the courses (JSON list), or whose reads
    # (staff member and period); PERSONS are the rows of incident_people themselves.
    Column("scope_kind", _enum(IncidentScopeKind), nullable=False),
    Column("scope_school_id", ForeignKey("schools.id", ondelete="SET NULL")),
    Column("scope_course_ids", Text),
    Column("scope_staff_id", ForeignKey("people.id", ondelete="SET NULL")),
    _ts("scope_from", nullable=True),
    _ts("scope_to", nullable=True),
    Column("actions_taken", Text),
    _ts("authority_notified_at", nullable=True),
    _ts("people_notified_at", nullable=True),
    _ts("updated_at"),
)

incident_people = Table(
    "incident_people",
    metadata,
    # The people an incident's scope resolved to when it was recorded. An erased person's row
    # stays and points at their tombstone (the register keeps its counts; the API shows them as
    # pseudonyms).
    Column("id", Integer, primary_key=True),
    Column(
        "incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("person_id", ForeignKey("people.id"), nullable=False, index=True),
    # why they are affected: SCHOOL_MEMBER, GUARDIAN_OF_STUDENT, ENROLLED, NAMED, READ_BY_STAFF
    Column("reason", String(32), nullable=False),
    # when notifyAffected told them; null: not (yet) told, or erased when it ran
    _ts("notified_at", nullable=True),
    UniqueConstraint("incident_id", "person_id", name="uq_incident_people_incident_person"),
)


class ItemStatus(enum.StrEnum):
    """One person's part of a batch or school erasure (``privacy_request_items.status``)."""

    PENDING = "PENDING"
    ERASED = "ERASED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


privacy_request_items = Table(
    "privacy_request_items",
    metadata,
    # The people of a batch or school erasure (resolvers/services/batch_erasure.py), frozen when
    # the request is made, and each one's result: the job worker erases them one transaction per
    # person, so a restarted job goes on with the PENDING ones.
    Column("id", Integer, primary_key=True),
    Column(
        "request_id",
        ForeignKey("privacy_requests.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # never dangles: an erased person's row stays as a tombstone
    Column("subject_id", ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("status", _enum(ItemStatus), nullable=False),
    # why the person is in the batch, which the job checks again before erasing them: LISTED
    # (named by the administrator), EXPIRED (their retention had passed), SCHOOL (only at the
    # school being erased)
    Column("basis", String(16), nullable=False),
    # SKIPPED/FAILED: a fixed code (ALREADY_ERASED, NO_LONGER_EXPIRED, ...), never personal data
    Column("reason", String(64)),
    # JSON list of {category, outcome, count}: what erasing this person did
    Column("effects", Text, nullable=False, default="[]"),
    _ts("done_at", nullable=True),
    # False while an ERASED item's erasure-ledger entry is still to be written
    Column("ledger_written", Boolean, nullable=False, default=False),
    UniqueConstraint("request_id", "subject_id", name="uq_privacy_request_items_request_subject"),
)

daily_runs = Table(
    "daily_runs",
    metadata,
    # Daily upkeep that must happen once a day however many job workers run: the first worker to
    # insert (task, day) does it, in the same transaction; the others hit the primary key.
    Column("task", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    _ts("done_at"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    # The admin console's sign-in sessions (gateway/console, docs/console.md). The session id is
    # kept only as its SHA-256 digest; the CSRF token is per session. ``expires_at`` is the
    # absolute end, the idle timeout counts from ``last_seen_at``.
    Column("id_digest", String(64), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    # the console language chosen with its switch ("nb" or "en"); null: none chosen
    Column("language", String(8)),
    # how the administrator signed in: "oidc" or "development"
    Column("method", String(16), nullable=False),
    _ts("created_at"),
    _ts("last_seen_at"),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

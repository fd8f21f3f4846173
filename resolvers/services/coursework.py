"""Writes on coursework: assignments, submissions, assessments and their publication."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graphql import GraphQLError
from sqlalchemy import ColumnElement, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.relations import Facts
from resolvers import kinds as k
from resolvers.effects import OpenedStamp
from resolvers.errors import bad_input, conflict, not_found
from resolvers.fetch import Row
from resolvers.records import display_name
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id, now, optional_text, require_text
from resolvers.services.files import claim_files
from store import tables as t
from store.db import reader
from store.filestore import FileStorage
from store.filestore.deletions import delete_files, drain
from store.idlists import in_ids
from store.tables import AssessmentKind, CourseRole, DataSource, SubmissionStatus

#: how fresh a teacher's own "opened" stamp may be before re-reading it writes a new one
OPENED_RESOLUTION = timedelta(minutes=5)

UNPUBLISHED_KINDS = frozenset({AssessmentKind.HALF_YEAR, AssessmentKind.FINAL})
#: the policy line for registering an assessment in a course of the student's, unseen
ASSESS_IN_STUDENT_COURSE = "Mutation.assess.studentCourse"


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


async def create_assignment(
    actor: Actor,
    course_id: int,
    title: str,
    instructions: str | None = None,
    due_at: datetime | None = None,
) -> int:
    title = require_text(title, "title", limits.TITLE)
    instructions = optional_text(instructions, "instructions", limits.INSTRUCTIONS)
    async with actor.engine.begin() as conn:
        course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
        actor.require(
            Facts(course=course_id, school=course["school_id"]),
            "Mutation.createAssignment",
            "only a teacher of the course may create assignments",
        )
        await actor.require_active_course(conn, course)
        result = await conn.execute(
            t.assignments.insert().values(
                course_id=course_id,
                author_id=actor.viewer.person_id,
                title=title,
                instructions=instructions,
                due_at=due_at,
                created_at=now(),
                source=DataSource.PERSON,
            )
        )
        assignment_id = inserted_id(result)
        await actor.audit(conn, "CREATE_ASSIGNMENT", "Assignment", assignment_id)
    return assignment_id


@dataclass(frozen=True)
class AttachmentData:
    filename: str
    content_type: str | None = None
    size_bytes: int | None = None


def open_for_resubmission() -> ColumnElement[bool]:
    """Whether the student may still replace their answer: nobody has assessed it, or a teacher
    returned it to them (``RETURNED``) after assessing it."""
    sub = t.submissions.c
    return or_(sub.assessed_at.is_(None), sub.status == SubmissionStatus.RETURNED)


def answer_assessed() -> GraphQLError:
    return conflict(
        "Your answer has been assessed, so it can no longer be replaced; your teacher can "
        "return it to you if you should submit again"
    )


async def submit_answer(
    actor: Actor,
    assignment_id: int,
    body: str,
    attachments: list[AttachmentData] | None = None,
    file_ids: list[int] | None = None,
    storage: FileStorage | None = None,
) -> int:
    """Submit (or resubmit, replacing the earlier answer) the viewer's answer to an assignment.

    A resubmission deletes the uploaded files of the earlier answer that it does not attach
    again (``store.filestore.deletions``: the rows in this transaction, the bytes from
    ``storage`` after it commits, or by the job worker's next drain without one).

    An answer that has been assessed is not replaced (CONFLICT) unless it was returned: the
    replacement is a compare-and-set on the submission row, which the assessment's own write of
    ``assessed_at`` contends for (``assess``), so of the two at the same moment one waits for the
    other and never overwrites what it did not see.
    """
    if not limits.check_text(body, "body", limits.ANSWER_BODY).strip():
        raise bad_input("'body' must not be blank")
    limits.check_count(attachments or [], "attachments", limits.ATTACHMENTS_PER_ANSWER)
    limits.check_count(
        [*(attachments or []), *(file_ids or [])], "attachments", limits.ATTACHMENTS_PER_ANSWER
    )
    for attachment in attachments or []:
        require_text(attachment.filename, "attachments.filename", limits.ATTACHMENT_FILENAME)
        optional_text(
            attachment.content_type, "attachments.contentType", limits.ATTACHMENT_CONTENT_TYPE
        )
        if attachment.size_bytes is not None and attachment.size_bytes < 0:
            raise bad_input("'attachments.sizeBytes' must not be negative")
    me = actor.viewer.person_id
    detached: set[int] = set()
    async with actor.engine.begin() as conn:
        assignment = await actor.visible_row(conn, k.ASSIGNMENT, assignment_id, "Assignment")
        actor.require(
            Facts(course=assignment["course_id"], school=assignment["school_id"]),
            "Mutation.submitAnswer",
            "only a student enrolled in the course may submit an answer",
        )
        await actor.require_active_course(conn, assignment)
        at = now()
        due = _aware(assignment["due_at"])
        status = (
            SubmissionStatus.LATE if due is not None and at > due else SubmissionStatus.SUBMITTED
        )
        sub = t.submissions.c
        if conn.dialect.name == "postgresql":
            # Two first submissions at the same moment would both find no answer and insert
            # two; the lock (two 32-bit keys, a key space of its own) makes the second wait and
            # then replace the first. SQLite writers are serialised by BEGIN IMMEDIATE.
            await conn.execute(select(func.pg_advisory_xact_lock(assignment_id, me)))
        existing = (
            await conn.execute(
                select(sub.id).where(sub.assignment_id == assignment_id, sub.student_id == me)
            )
        ).scalar()
        if existing is None:
            result = await conn.execute(
                t.submissions.insert().values(
                    assignment_id=assignment_id,
                    student_id=me,
                    status=status,
                    submitted_at=at,
                    body=body,
                    source=DataSource.PERSON,
                )
            )
            submission_id = inserted_id(result)
        else:
            submission_id = int(existing)
            # An assessed answer that was returned: its text is kept as it was assessed.
            await conn.execute(
                t.submission_versions.insert().from_select(
                    ["submission_id", "body", "submitted_at", "assessed_at", "replaced_at"],
                    select(
                        sub.id,
                        sub.body,
                        sub.submitted_at,
                        sub.assessed_at,
                        literal(at, t.submission_versions.c.replaced_at.type),
                    ).where(
                        sub.id == submission_id,
                        sub.assessed_at.is_not(None),
                        open_for_resubmission(),
                    ),
                )
            )
            replaced = await conn.execute(
                update(t.submissions)
                .where(sub.id == submission_id, open_for_resubmission())
                .values(status=status, submitted_at=at, body=body, assessed_at=None)
            )
            if replaced.rowcount != 1:
                still_there = await conn.execute(select(sub.id).where(sub.id == submission_id))
                if still_there.first() is None:  # its course was deleted meanwhile
                    raise not_found("No Assignment with that id is visible to you")
                raise answer_assessed()
            att = t.attachments.c
            detached = set(
                (
                    await conn.execute(
                        select(att.file_id).where(
                            att.submission_id == submission_id, att.file_id.is_not(None)
                        )
                    )
                ).scalars()
            )
            await conn.execute(t.attachments.delete().where(att.submission_id == submission_id))
        if file_ids:
            # The viewer's own uploads, attached nowhere else (checked after the earlier
            # answer's attachments are gone, so resubmitting the same files works).
            carried = await claim_files(conn, me, file_ids)
            await conn.execute(
                t.attachments.insert(),
                [
                    {
                        "submission_id": submission_id,
                        "filename": f.filename,
                        "content_type": f.content_type,
                        "size_bytes": f.size_bytes,
                        "file_id": f.id,
                    }
                    for f in carried
                ],
            )
        if attachments:
            await conn.execute(
                t.attachments.insert(),
                [
                    {
                        "submission_id": submission_id,
                        "filename": a.filename.strip(),
                        "content_type": a.content_type,
                        "size_bytes": a.size_bytes,
                    }
                    for a in attachments
                ],
            )
        # The earlier answer's uploads this one does not carry again: deleted with the answer
        # they belonged to (their rows here, their bytes once this commits).
        dropped = detached - set(file_ids or [])
        if dropped:
            await delete_files(conn, t.files.c.id.in_(sorted(dropped)))
        await actor.audit(conn, "SUBMIT_ANSWER", "Submission", submission_id, subject_id=me)
    if dropped and storage is not None:
        await drain(actor.engine, storage)
    return submission_id


async def _assessed_course(
    actor: Actor, conn: AsyncConnection, course_id: int, student_id: int
) -> Row:
    """The course an assessment is registered in, if the viewer may register in it at all.

    Usually a course the viewer may see. The policy's ``Mutation.assess.studentCourse`` line
    names who may instead register in any course the student is enrolled in without being a
    member of it, by their relation to the student: the contact teacher (docs/access-policy.md,
    write rule of ``assess``). For them the student's enrolment is enough.
    """
    if actor.allows(Facts(student=student_id), ASSESS_IN_STUDENT_COURSE):
        c, e = t.courses.c, t.enrolments.c
        found = (
            await conn.execute(
                select(c.school_id, c.state)
                .join(t.enrolments, e.course_id == c.id)
                .where(
                    c.id == course_id,
                    e.person_id == student_id,
                    e.role == CourseRole.STUDENT,
                    e.ended_at.is_(None),
                )
            )
        ).first()
        if found is not None:
            return {"id": course_id, "school_id": found.school_id, "state": found.state}
    return await actor.visible_row(conn, k.COURSE, course_id, "Course")


async def assess(
    actor: Actor,
    student_id: int,
    course_id: int,
    kind: AssessmentKind,
    submission_id: int | None = None,
    grade: str | None = None,
    comment: str | None = None,
) -> int:
    grade = optional_text(grade, "grade", limits.GRADE)
    comment = optional_text(comment, "comment", limits.ASSESSMENT_COMMENT)
    async with actor.engine.begin() as conn:
        assessment_id = await register_assessment(
            actor, conn, student_id, course_id, kind, submission_id, grade, comment
        )
        await audit_assessment(actor, conn, assessment_id, student_id)
    return assessment_id


async def audit_assessment(
    actor: Actor, conn: AsyncConnection, assessment_id: int, student_id: int
) -> None:
    """The audit entry of ``register_assessment``'s assessment (ids only)."""
    await actor.audit(conn, "ASSESS", "Assessment", assessment_id, subject_id=student_id)


async def register_assessment(
    actor: Actor,
    conn: AsyncConnection,
    student_id: int,
    course_id: int,
    kind: AssessmentKind,
    submission_id: int | None,
    grade: str | None,
    comment: str | None,
) -> int:
    """Register an assessment inside the caller's transaction, with every check of ``assess``
    (``grade`` and ``comment`` already checked by ``optional_text``); returns its id. The caller
    writes the audit entry (``audit_assessment``), last in its transaction: the audit log's lock
    is then taken after every row lock this takes."""
    course = await _assessed_course(actor, conn, course_id, student_id)
    await actor.visible_row(conn, k.USER, student_id, "User")
    actor.require(
        Facts(course=course_id, school=course["school_id"], student=student_id),
        f"Mutation.assess.{kind}",
        f"a {kind} assessment needs a teacher of the course"
        + (" or the student's contact teacher" if kind in ("REMARK", "ABSENCE") else ""),
    )
    await actor.require_active_course(conn, course)
    e = t.enrolments.c
    enrolled = (
        await conn.execute(
            select(e.id).where(
                e.course_id == course_id,
                e.person_id == student_id,
                e.role == CourseRole.STUDENT,
                e.ended_at.is_(None),
            )
        )
    ).first()
    if enrolled is None:
        raise bad_input("The student is not enrolled in this course")
    if submission_id is not None:
        sub, a = t.submissions.c, t.assignments.c
        match = (
            await conn.execute(
                select(sub.id)
                .join(t.assignments, a.id == sub.assignment_id)
                .where(
                    sub.id == submission_id,
                    sub.student_id == student_id,
                    a.course_id == course_id,
                )
            )
        ).first()
        if match is None:
            raise bad_input("The submission is not this student's answer in this course")
        # Marks the answer assessed (it can no longer be replaced) and takes its row: a
        # resubmission racing this assessment waits for it, then finds the mark.
        await conn.execute(
            update(t.submissions)
            .where(sub.id == submission_id)
            .values(assessed_at=func.coalesce(sub.assessed_at, now()))
        )
    p = t.people.c
    names = (
        await conn.execute(
            select(p.given_name, p.family_name).where(p.id == actor.viewer.person_id)
        )
    ).one()
    # The course's school, code and name are copied: the assessment outlives an explicit
    # deletion of the course (docs/school-year.md rule 10).
    c = t.courses.c
    of_course = (
        await conn.execute(select(c.school_id, c.code, c.name).where(c.id == course_id))
    ).one()
    result = await conn.execute(
        t.assessments.insert().values(
            student_id=student_id,
            course_id=course_id,
            school_id=of_course.school_id,
            course_code=of_course.code,
            course_name=of_course.name,
            submission_id=submission_id,
            assessor_id=actor.viewer.person_id,
            assessor_name=display_name(names.given_name, names.family_name),
            kind=kind,
            grade=grade,
            comment=comment,
            published=kind not in UNPUBLISHED_KINDS,
            created_at=now(),
            source=DataSource.REGISTRATION,
        )
    )
    return inserted_id(result)


async def record_opened(
    engine: AsyncEngine, teacher_id: int, opened: Mapping[int, OpenedStamp]
) -> None:
    """Stamp ``lastOpenedAt``/``lastOpenedBy`` on answers a teacher of the course just read.

    A teacher paging through a gradebook reads the same answers again and again: a stamp by the
    same teacher younger than ``OPENED_RESOLUTION`` is left as it is, so re-reads write nothing.
    They do not begin a write transaction either (on SQLite that takes the database's write
    lock): the answers to stamp are found by a read first. ``opened`` holds each answer's stamp
    (``lastOpenedBy`` id, ``lastOpenedAt``) as the request read it: an answer whose stamp read
    as such a stamp already is not looked at again (the request's own read answered that
    moments ago), so a re-read of a stamped gradebook sends no statement at all. The write checks
    each answer's stamp again, so of two requests stamping the same answer at once the second
    changes nothing.
    """
    at = now()
    oldest = at - OPENED_RESOLUTION
    submission_ids = [
        pk for pk, stamp in opened.items() if not _stamped_since(stamp, teacher_id, oldest)
    ]
    if not submission_ids:
        return
    s = t.submissions.c
    stale = or_(
        s.last_opened_by_id.is_(None),
        s.last_opened_by_id != teacher_id,
        s.last_opened_at.is_(None),
        s.last_opened_at < oldest,
    )
    async with reader(engine).connect() as conn:
        due = (
            (await conn.execute(select(s.id).where(in_ids(s.id, sorted(submission_ids)), stale)))
            .scalars()
            .all()
        )
    if not due:
        return
    async with engine.begin() as conn:
        await conn.execute(
            update(t.submissions)
            .where(in_ids(s.id, sorted(due)), stale)
            .values(last_opened_at=at, last_opened_by_id=teacher_id)
        )


def _stamped_since(stamp: OpenedStamp, teacher_id: int, oldest: datetime) -> bool:
    """Whether ``stamp`` is ``teacher_id``'s, made at ``oldest`` or later (the negation of the
    statements' ``stale``)."""
    by, opened_at = stamp
    return by == teacher_id and opened_at is not None and opened_at >= oldest


async def publish_assessments(actor: Actor, course_id: int, kind: AssessmentKind) -> list[int]:
    """Publish every unpublished assessment of ``kind`` in the course; returns their ids."""
    async with actor.engine.begin() as conn:
        course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
        actor.require(
            Facts(course=course_id, school=course["school_id"]),
            "Mutation.publishAssessments",
            "only a school leader of the course's school may publish assessments",
        )
        await actor.require_active_course(conn, course)
        x = t.assessments.c
        ids = list(
            (
                await conn.execute(
                    select(x.id)
                    .where(x.course_id == course_id, x.kind == kind, x.published.is_(False))
                    .order_by(x.id)
                )
            ).scalars()
        )
        if ids:
            await conn.execute(update(t.assessments).where(x.id.in_(ids)).values(published=True))
        await actor.audit(conn, "PUBLISH_ASSESSMENTS", "Course", course_id)
    return ids

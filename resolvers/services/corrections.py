"""Corrections of registrations: assessments corrected, withdrawn or unpublished, answers
returned to the student, and notifications marked read (docs/access-policy.md, "Editing and
deleting").

An assessment is corrected by whoever may register it (the ``assess`` rule of its kind, repeated
as ``Mutation.updateAssessment.<KIND>`` and ``Mutation.withdrawAssessment.<KIND>``). The grade
and comment it had are kept in ``assessment_revisions`` (personal data of the student, covered by
the ASSESSMENTS privacy provider); the audit entry names the changed fields and the revision row,
never the values, because audit entries hold no personal data and are kept through erasure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authz.relations import Facts
from config.errors import JustificationRequiredError
from resolvers import kinds as k
from resolvers.errors import bad_input, not_found
from resolvers.events import Event, publish
from resolvers.fetch import Row
from resolvers.services import input_limits as limits
from resolvers.services import notices
from resolvers.services.actor import Actor, inserted_id, now, optional_text
from resolvers.services.coursework import (
    UNPUBLISHED_KINDS,
    audit_assessment,
    register_assessment,
)
from resolvers.services.edits import UNCHANGED, Unchanged
from store import tables as t
from store.idlists import in_ids
from store.tables import AssessmentKind, SubmissionStatus


async def _notify(conn: AsyncConnection, person_id: int, kind: str) -> Event:
    """A notification for ``person_id`` in their language; the event to publish once the
    transaction has committed."""
    (event,) = await notices.notify(conn, [person_id], kind)
    return event


async def _assessment(
    actor: Actor, conn: AsyncConnection, assessment_id: int, mutation: str, what: str
) -> Row:
    row = await actor.visible_row(conn, k.ASSESSMENT, assessment_id, "Assessment")
    kind = AssessmentKind(row["kind"])
    actor.require(k.ASSESSMENT.facts.facts_of(row), f"{mutation}.{kind}", what)
    await actor.require_active_course(conn, row)
    return row


async def update_assessment(
    actor: Actor, assessment_id: int, grade: Any = UNCHANGED, comment: Any = UNCHANGED
) -> None:
    """Correct an assessment's grade and/or comment (left out: kept; null: cleared)."""
    changed: dict[str, Any] = {}
    if not isinstance(grade, Unchanged):
        changed["grade"] = optional_text(grade, "grade", limits.GRADE)
    if not isinstance(comment, Unchanged):
        changed["comment"] = optional_text(comment, "comment", limits.ASSESSMENT_COMMENT)
    notified: Event | None = None
    async with actor.engine.begin() as conn:
        row = await _assessment(
            actor,
            conn,
            assessment_id,
            "Mutation.updateAssessment",
            "only a teacher who may register this assessment may correct it",
        )
        x = t.assessments.c
        # The values being replaced, read under the row's lock (PostgreSQL; SQLite's writers are
        # serialised): of two corrections at once, the second keeps what the first wrote.
        old = (
            (
                await conn.execute(
                    select(x.grade, x.comment).where(x.id == assessment_id).with_for_update()
                )
            )
            .mappings()
            .one()
        )
        changed = {name: v for name, v in changed.items() if v != old[name]}
        if not changed:
            await actor.audit(
                conn, "UPDATE_ASSESSMENT", "Assessment", assessment_id, row["student_id"]
            )
            return
        await conn.execute(update(t.assessments).where(x.id == assessment_id).values(**changed))
        result = await conn.execute(
            t.assessment_revisions.insert().values(
                assessment_id=assessment_id,
                grade=old["grade"],
                comment=old["comment"],
                revised_at=now(),
            )
        )
        revision_id = inserted_id(result)
        await actor.audit(
            conn,
            "UPDATE_ASSESSMENT",
            "Assessment",
            assessment_id,
            row["student_id"],
            detail=f"{','.join(sorted(changed))};revision={revision_id}",
        )
        if row["published"]:
            notified = await _notify(
                conn,
                row["student_id"],
                "ASSESSMENT_CORRECTED",
            )
    if notified is not None:
        await publish(actor.engine, notified)


async def withdraw_assessment(actor: Actor, assessment_id: int, reason: str) -> None:
    """Delete an assessment (with its earlier revisions); the reason goes to the audit entry.
    The student is told when the assessment had been published.

    An answer that no other assessment refers to any longer is no longer assessed: its
    ``assessed_at`` is cleared, so the student may replace it again. The answer's row is locked
    first (PostgreSQL; SQLite's writers are serialised), the same row ``assess`` marks before it
    inserts: an assessment of the same answer at the same moment is either counted here or
    marks the answer again after this has committed."""
    if not reason or not reason.strip():
        raise JustificationRequiredError("A reason is required to withdraw an assessment")
    reason = limits.check_text(reason, "reason", limits.JUSTIFICATION).strip()
    notified: Event | None = None
    async with actor.engine.begin() as conn:
        row = await _assessment(
            actor,
            conn,
            assessment_id,
            "Mutation.withdrawAssessment",
            "only a teacher who may register this assessment may withdraw it",
        )
        submission_id = row["submission_id"]
        sub = t.submissions.c
        if submission_id is not None:
            await conn.execute(select(sub.id).where(sub.id == submission_id).with_for_update())
        await conn.execute(
            t.assessment_revisions.delete().where(
                t.assessment_revisions.c.assessment_id == assessment_id
            )
        )
        x = t.assessments.c
        await conn.execute(t.assessments.delete().where(x.id == assessment_id))
        if submission_id is not None:
            others = (
                await conn.execute(select(x.id).where(x.submission_id == submission_id).limit(1))
            ).first()
            if others is None:
                await conn.execute(
                    update(t.submissions).where(sub.id == submission_id).values(assessed_at=None)
                )
        await actor.audit(
            conn,
            "WITHDRAW_ASSESSMENT",
            "Assessment",
            assessment_id,
            row["student_id"],
            justification=reason,
        )
        if row["published"]:
            notified = await _notify(
                conn,
                row["student_id"],
                "ASSESSMENT_WITHDRAWN",
            )
    if notified is not None:
        await publish(actor.engine, notified)


async def unpublish_assessments(actor: Actor, course_id: int, kind: AssessmentKind) -> list[int]:
    """Take back the publication of every published assessment of ``kind`` (HALF_YEAR or FINAL
    only: the others are published when registered) in the course; returns their ids."""
    if kind not in UNPUBLISHED_KINDS:
        raise bad_input("Only HALF_YEAR and FINAL assessments are published, and unpublished")
    async with actor.engine.begin() as conn:
        course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
        actor.require(
            Facts(course=course_id, school=course["school_id"]),
            "Mutation.unpublishAssessments",
            "only a school leader of the course's school may unpublish assessments",
        )
        await actor.require_active_course(conn, course)
        x = t.assessments.c
        ids = list(
            (
                await conn.execute(
                    select(x.id)
                    .where(x.course_id == course_id, x.kind == kind, x.published.is_(True))
                    .order_by(x.id)
                )
            ).scalars()
        )
        if ids:
            await conn.execute(
                update(t.assessments).where(in_ids(x.id, ids)).values(published=False)
            )
        await actor.audit(conn, "UNPUBLISH_ASSESSMENTS", "Course", course_id, detail=str(kind))
    return ids


async def return_submission(actor: Actor, submission_id: int, comment: str | None) -> None:
    """Return an answer to its student (``RETURNED``): they may submit again, and the assessed
    text is kept when they do (``submission_versions``). A comment is registered as published
    ``FEEDBACK`` on the answer, so the student sees it with the answer's assessments.

    The return and its feedback are one transaction, with every check of ``assess`` on the
    feedback: if the feedback cannot be registered (the student's enrolment has ended, say),
    the answer is not returned and nobody is told. The student is notified once it committed."""
    comment = optional_text(comment, "comment", limits.ASSESSMENT_COMMENT)
    if comment is not None and not comment.strip():
        comment = None
    async with actor.engine.begin() as conn:
        row = await actor.visible_row(conn, k.SUBMISSION, submission_id, "Submission")
        actor.require(
            k.SUBMISSION.facts.facts_of(row),
            "Mutation.returnSubmission",
            "only a teacher of the course may return an answer",
        )
        await actor.require_active_course(conn, row)
        student_id = row["student_id"]
        await conn.execute(
            update(t.submissions)
            .where(t.submissions.c.id == submission_id)
            .values(status=SubmissionStatus.RETURNED)
        )
        feedback_id = None
        if comment is not None:
            feedback_id = await register_assessment(
                actor,
                conn,
                student_id,
                row["course_id"],
                AssessmentKind.FEEDBACK,
                submission_id,
                None,
                comment,
            )
        notified = await _notify(
            conn,
            student_id,
            "SUBMISSION_RETURNED",
        )
        # The audit entries last: the audit log's lock after every row lock of the write.
        await actor.audit(conn, "RETURN_SUBMISSION", "Submission", submission_id, student_id)
        if feedback_id is not None:
            await audit_assessment(actor, conn, feedback_id, student_id)
    await publish(actor.engine, notified)


async def mark_notifications_read(actor: Actor, ids: list[int] | None) -> list[int]:
    """Mark the viewer's notifications read: ``ids`` (each must be the viewer's own, else
    NOT_FOUND), or every unread one when ``ids`` is None. Returns the ids of those that changed,
    in id order."""
    me = actor.viewer.person_id
    n = t.notifications.c
    actor.require(Facts(owner=me), "Mutation.markNotificationsRead", "notifications are your own")
    async with actor.engine.begin() as conn:
        if ids is not None:
            wanted = sorted(set(ids))
            own = set(
                (
                    await conn.execute(select(n.id).where(in_ids(n.id, wanted), n.person_id == me))
                ).scalars()
            )
            if own != set(wanted):
                raise not_found("No Notification with that id is visible to you")
            target = in_ids(n.id, wanted)
        else:
            target = n.person_id == me
        changed = sorted(
            (
                await conn.execute(
                    select(n.id).where(target, n.person_id == me, n.read_at.is_(None))
                )
            ).scalars()
        )
        if changed:
            await conn.execute(
                update(t.notifications).where(in_ids(n.id, changed)).values(read_at=now())
            )
        await actor.audit(conn, "MARK_NOTIFICATIONS_READ", "User", me, subject_id=me)
    return changed

"""``ASSESSMENTS``: teachers' registrations about a student, and those a teacher gave.

Tables: ``assessments``, ``assessment_revisions`` (an assessment's grade and comment before
each correction).

Exported (art. 15/20)
    * ``assessment_received``: every registration **about** the person as a student (feedback,
      goal achievement, remark, absence, half-year and final assessment), with kind, grade,
      comment, course, the linked submission's id, whether it is published, and
      ``assessor_name``: the assessor's name is part of the registration (docs/privacy-actions.md:
      "the assessor's name on an assessment is part of the registration and stays"). Unpublished
      registrations are included too: an access request covers all stored data about the
      person, whether or not it is shown to them in the product yet.
    * ``assessment_revision``: for those registrations, the grade and comment each had before
      a correction, and when it was corrected.
    * ``assessment_given``: every registration the person gave **as a teacher**, as their
      contribution: id, course, kind, whether published, and when. Left out on purpose: the
      student's identity, the grade and the comment. Those are the student's personal data (a
      registration about the student); handing them to the teacher through an access request
      would disclose another person's data (art. 15(4)), and the teacher's right of access is
      satisfied by the fact and circumstances of their own registration.

Restriction
    * KEPT: registrations the person gave as a teacher stay visible and are **not**
      anonymised (``assessorName`` still shows the name): they matter for the students' rights.
    * HIDDEN: registrations about the person as a student.

Erasure
    * Kept: registrations given by the person; ``assessor_id`` and the ``assessor_name``
      snapshot stay, so the student can still see who assessed them (Education Act ch. 3).
    * Deleted: registrations about the person (``student_id`` = subject), with their earlier
      grades and comments (``assessment_revisions``; counted with the registration).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any


def _about(subject_id: int) -> ColumnElement[bool]:
    return t.assessments.c.student_id == subject_id


def _given(subject_id: int) -> ColumnElement[bool]:
    # A registration about oneself (never made by the product) counts as "about", not "given".
    a = t.assessments.c
    return and_(a.assessor_id == subject_id, a.student_id != subject_id)


class AssessmentsProvider:
    category = DataCategory.ASSESSMENTS
    tables = frozenset({"assessments", "assessment_revisions"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.ASSESSED, Check.REVISIONS, Check.ASSESSOR):
            return  # a school export found nothing of theirs here
        a, c = t.assessments.c, t.courses.c
        # An outer join with the snapshots as fallback: an assessment outlives the explicit
        # deletion of its course (docs/school-year.md rule 10) and must still be exported.
        joined = t.assessments.outerjoin(t.courses, c.id == a.course_id)
        code = func.coalesce(c.code, a.course_code).label("course_code")
        name = func.coalesce(c.name, a.course_name).label("course_name")
        received = (
            select(
                a.id,
                code,
                name,
                a.kind,
                a.grade,
                a.comment,
                a.published,
                a.assessor_name,
                a.submission_id,
                a.created_at,
                a.source,
            )
            .select_from(joined)
            .where(_about(subject_id))
            .order_by(a.id)
        )
        async for row in stream_rows(conn, received, (Check.ASSESSED, subject_id)):
            yield ExportItem(
                kind="assessment_received",
                fields={
                    "id": row.id,
                    "course_code": row.course_code,
                    "course_name": row.course_name,
                    "kind": row.kind,
                    "grade": row.grade,
                    "comment": row.comment,
                    "published": row.published,
                    "assessor_name": row.assessor_name,
                    "submission_id": row.submission_id,
                    "created_at": row.created_at,
                },
                source=row.source,
            )

        r = t.assessment_revisions.c
        revisions = (
            select(r.id, r.assessment_id, r.grade, r.comment, r.revised_at, a.source)
            .join(t.assessments, a.id == r.assessment_id)
            .where(_about(subject_id))
            .order_by(r.id)
        )
        async for row in stream_rows(conn, revisions, (Check.REVISIONS, subject_id)):
            yield ExportItem(
                kind="assessment_revision",
                fields={
                    "id": row.id,
                    "assessment_id": row.assessment_id,
                    "grade": row.grade,
                    "comment": row.comment,
                    "revised_at": row.revised_at,
                },
                source=row.source,
            )

        given = (
            select(
                a.id,
                code,
                name,
                a.kind,
                a.published,
                a.created_at,
                a.source,
            )
            .select_from(joined)
            .where(_given(subject_id))
            .order_by(a.id)
        )
        async for row in stream_rows(conn, given, (Check.ASSESSOR, subject_id)):
            # No student, grade or comment: those are the student's data (module docstring).
            yield ExportItem(
                kind="assessment_given",
                fields={
                    "id": row.id,
                    "course_code": row.course_code,
                    "course_name": row.course_name,
                    "kind": row.kind,
                    "published": row.published,
                    "created_at": row.created_at,
                },
                source=row.source,
            )

    async def _counts(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int]:
        """(given by the subject, about the subject)."""
        return (
            await count(conn, t.assessments, _given(subject_id)),
            await count(conn, t.assessments, _about(subject_id)),
        )

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        given, about = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.KEPT, given), (Outcome.HIDDEN, about)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        given, about = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.KEPT, given), (Outcome.DELETED, about)])

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        about = select(t.assessments.c.id).where(_about(subject_id))
        await conn.execute(
            t.assessment_revisions.delete().where(t.assessment_revisions.c.assessment_id.in_(about))
        )
        await conn.execute(t.assessments.delete().where(_about(subject_id)))
        return found

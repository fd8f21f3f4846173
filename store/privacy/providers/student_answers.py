"""``STUDENT_ANSWERS``: the person's submissions with their attachments.

Tables: ``submissions``, ``attachments``, ``submission_versions``.

Exported (art. 15/20)
    * ``submission``: each answer the person handed in (assignment id and title, course,
      status, time, body, and when it was last opened), with its ``attachment`` children
      (file name, content type, size: the metadata the platform stores). Who last opened the
      submission is left out: that is the opener's (a teacher's) identity, not the student's
      data.
    * ``submission_version``: each earlier, assessed text of one of the person's answers that
      they replaced after it was returned (submission id, body, when submitted, assessed and
      replaced).
    * ``opened_submission``: the person's own activity trail on other people's submissions
      (``last_opened_by``, e.g. a teacher opening an answer): the submission's id and when.
      The submission itself is the student's data and is not included.

Restriction
    HIDDEN: submissions and their attachments are not visible to anyone.

Erasure
    * Deleted: the person's submissions and, explicitly first, their attachments and earlier
      versions ("deleted permanently, attachments included"). Assessments still pointing at one
      of these submissions get ``submission_id`` NULL; those are registrations about this same
      student and are deleted by ``ASSESSMENTS`` anyway, but clearing the reference makes the
      order of the two categories irrelevant.
    * Scrubbed: on other people's submissions, ``last_opened_by_id`` = the person is set to
      NULL (the erased person's activity trail); the student keeps ``last_opened_at``, which is
      about their own contribution. Each scrubbed reference counts as one DELETED item.
    * Kept: nothing of the person's answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any


def _own(subject_id: int) -> ColumnElement[bool]:
    return t.submissions.c.student_id == subject_id


def _opened_by(subject_id: int) -> ColumnElement[bool]:
    s = t.submissions.c
    return and_(s.last_opened_by_id == subject_id, s.student_id != subject_id)


class StudentAnswersProvider:
    category = DataCategory.STUDENT_ANSWERS
    tables = frozenset({"submissions", "attachments", "submission_versions"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.ANSWERS, Check.VERSIONS, Check.OPENED):
            return  # a school export found nothing of theirs here
        s, a, c, f = t.submissions.c, t.assignments.c, t.courses.c, t.attachments.c
        answers = (
            select(
                s.id,
                s.assignment_id,
                a.title.label("assignment_title"),
                c.code.label("course_code"),
                c.name.label("course_name"),
                s.status,
                s.submitted_at,
                s.last_opened_at,
                s.body,
                s.source,
                f.id.label("attachment_id"),
                f.filename,
                f.content_type,
                f.size_bytes,
            )
            .select_from(
                t.submissions.join(t.assignments, a.id == s.assignment_id)
                .join(t.courses, c.id == a.course_id)
                .outerjoin(t.attachments, f.submission_id == s.id)
            )
            .where(_own(subject_id))
            .order_by(s.id, f.id)
        )
        # One row per attachment: rows of one submission arrive together and are grouped, so
        # only one submission (with its few attachments) is held at a time.
        current: ExportItem | None = None
        async for row in stream_rows(conn, answers, (Check.ANSWERS, subject_id)):
            if current is None or current.fields["id"] != row.id:
                if current is not None:
                    yield current
                current = ExportItem(
                    kind="submission",
                    fields={
                        "id": row.id,
                        "assignment_id": row.assignment_id,
                        "assignment_title": row.assignment_title,
                        "course_code": row.course_code,
                        "course_name": row.course_name,
                        "status": row.status,
                        "submitted_at": row.submitted_at,
                        "last_opened_at": row.last_opened_at,
                        "body": row.body,
                    },
                    source=row.source,
                )
            if row.attachment_id is not None:
                current.children.append(
                    ExportItem(
                        kind="attachment",
                        fields={
                            "id": row.attachment_id,
                            "filename": row.filename,
                            "content_type": row.content_type,
                            "size_bytes": row.size_bytes,
                        },
                        # Attachments have no source column: they came with the submission.
                        source=row.source,
                    )
                )
        if current is not None:
            yield current

        sv = t.submission_versions.c
        versions = (
            select(
                sv.id, sv.submission_id, sv.body, sv.submitted_at, sv.assessed_at, sv.replaced_at
            )
            .join(t.submissions, s.id == sv.submission_id)
            .where(_own(subject_id))
            .order_by(sv.id)
        )
        async for row in stream_rows(conn, versions, (Check.VERSIONS, subject_id)):
            yield ExportItem(
                kind="submission_version",
                fields={
                    "id": row.id,
                    "submission_id": row.submission_id,
                    "body": row.body,
                    "submitted_at": row.submitted_at,
                    "assessed_at": row.assessed_at,
                    "replaced_at": row.replaced_at,
                },
                source="PERSON",
            )

        opened = select(s.id, s.last_opened_at).where(_opened_by(subject_id)).order_by(s.id)
        async for row in stream_rows(conn, opened, (Check.OPENED, subject_id)):
            yield ExportItem(
                kind="opened_submission",
                fields={"submission_id": row.id, "last_opened_at": row.last_opened_at},
                # The person's own action (opening the answer), recorded by the platform.
                source="PERSON",
            )

    async def _counts(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int, int]:
        """(own submissions, their attachments and earlier versions, trail entries on others'
        submissions)."""
        s = t.submissions.c
        own_ids = select(s.id).where(_own(subject_id))
        return (
            await count(conn, t.submissions, _own(subject_id)),
            await count(conn, t.attachments, t.attachments.c.submission_id.in_(own_ids))
            + await count(
                conn, t.submission_versions, t.submission_versions.c.submission_id.in_(own_ids)
            ),
            await count(conn, t.submissions, _opened_by(subject_id)),
        )

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        submissions, attachments, _trail = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.HIDDEN, submissions + attachments)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        submissions, attachments, trail = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.DELETED, submissions + attachments + trail)])

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        s = t.submissions.c
        own_ids = select(s.id).where(_own(subject_id))
        await conn.execute(t.attachments.delete().where(t.attachments.c.submission_id.in_(own_ids)))
        await conn.execute(
            t.submission_versions.delete().where(t.submission_versions.c.submission_id.in_(own_ids))
        )
        await conn.execute(
            update(t.assessments)
            .where(t.assessments.c.submission_id.in_(own_ids))
            .values(submission_id=None)
        )
        await conn.execute(t.submissions.delete().where(_own(subject_id)))
        await conn.execute(
            update(t.submissions).where(_opened_by(subject_id)).values(last_opened_by_id=None)
        )
        return found

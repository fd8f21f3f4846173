"""``TEACHING_MATERIAL``: assignments the person authored and documents/notes they own.

Tables: ``assignments``, ``documents``.

Exported (art. 15/20)
    * ``assignment``: each assignment the person authored (course code and name, title,
      instructions, due date, creation time). Other people's answers to it are not included:
      they are the students' data (category ``STUDENT_ANSWERS`` of *their* exports).
    * ``document``: each document the person owns, private (``PRIVATE``, no course) or shared
      to a course (``SHARED``), with title and body.

Restriction
    * PSEUDONYMISED: assignments and shared documents stay visible to the course, author shown
      as a pseudonym (the course still needs the material).
    * HIDDEN: private documents, which only the person could see anyway.

Erasure
    * Deleted: private documents (``course_id`` NULL): accessible only to the person, so
      nobody else has a legitimate need for them.
    * Kept, pseudonymised: assignments and shared documents keep ``author_id`` / ``owner_id``
      pointing at the erased tombstone and are rendered with a pseudonym. Students' answers and
      the course's teaching depend on them; the material itself is not about the person.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any

PRIVATE = "PRIVATE"
SHARED = "SHARED"


class TeachingMaterialProvider:
    category = DataCategory.TEACHING_MATERIAL
    tables = frozenset({"assignments", "documents"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.ASSIGNMENTS, Check.DOCUMENTS):
            return  # a school export found nothing of theirs here
        a, c = t.assignments.c, t.courses.c
        assignments = (
            select(
                a.id,
                c.code.label("course_code"),
                c.name.label("course_name"),
                a.title,
                a.instructions,
                a.due_at,
                a.created_at,
                a.source,
            )
            .select_from(t.assignments.join(t.courses, c.id == a.course_id))
            .where(a.author_id == subject_id)
            .order_by(a.id)
        )
        async for row in stream_rows(conn, assignments, (Check.ASSIGNMENTS, subject_id)):
            yield ExportItem(
                kind="assignment",
                fields={
                    "id": row.id,
                    "course_code": row.course_code,
                    "course_name": row.course_name,
                    "title": row.title,
                    "instructions": row.instructions,
                    "due_at": row.due_at,
                    "created_at": row.created_at,
                },
                source=row.source,
            )

        d = t.documents.c
        documents = (
            select(
                d.id,
                d.course_id,
                c.code.label("course_code"),
                c.name.label("course_name"),
                d.title,
                d.body,
                d.created_at,
                d.source,
            )
            .select_from(t.documents.outerjoin(t.courses, c.id == d.course_id))
            .where(d.owner_id == subject_id)
            .order_by(d.id)
        )
        async for row in stream_rows(conn, documents, (Check.DOCUMENTS, subject_id)):
            yield ExportItem(
                kind="document",
                fields={
                    "id": row.id,
                    "visibility": PRIVATE if row.course_id is None else SHARED,
                    "course_code": row.course_code,
                    "course_name": row.course_name,
                    "title": row.title,
                    "body": row.body,
                    "created_at": row.created_at,
                },
                source=row.source,
            )

    async def _counts(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int, int]:
        """(assignments, shared documents, private documents) of the subject."""
        d = t.documents.c
        return (
            await count(conn, t.assignments, t.assignments.c.author_id == subject_id),
            await count(conn, t.documents, d.owner_id == subject_id, d.course_id.is_not(None)),
            await count(conn, t.documents, d.owner_id == subject_id, d.course_id.is_(None)),
        )

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        assignments, shared, private = await self._counts(conn, subject_id)
        return effects(
            self.category,
            [(Outcome.PSEUDONYMISED, assignments + shared), (Outcome.HIDDEN, private)],
        )

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        assignments, shared, private = await self._counts(conn, subject_id)
        return effects(
            self.category,
            [(Outcome.PSEUDONYMISED, assignments + shared), (Outcome.DELETED, private)],
        )

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        d = t.documents.c
        await conn.execute(
            t.documents.delete().where(d.owner_id == subject_id, d.course_id.is_(None))
        )
        return found

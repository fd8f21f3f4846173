"""What corrections leave behind is the student's data: an assessment's earlier grades and
comments (``assessment_revisions``) and an assessed answer's earlier text
(``submission_versions``) are exported with the student's assessments and answers and erased with
them, on SQLite and PostgreSQL (a copy of the demo school)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from test_providers import erase, n, person, run

from store import tables as t
from store.privacy.base import DataCategory
from store.privacy.providers import PROVIDERS, provider_for


async def _history(conn: AsyncConnection, student: int) -> tuple[int, int]:
    """A revision of one of ``student``'s assessments and a version of one of their answers."""
    a, s = t.assessments.c, t.submissions.c
    assessment = (
        await conn.execute(select(a.id).where(a.student_id == student).order_by(a.id).limit(1))
    ).scalar_one()
    answer = (
        await conn.execute(select(s.id).where(s.student_id == student).order_by(s.id).limit(1))
    ).scalar_one()
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    await conn.execute(
        t.assessment_revisions.insert().values(
            assessment_id=assessment, grade="2", comment="Før retting", revised_at=at
        )
    )
    await conn.execute(
        t.submission_versions.insert().values(
            submission_id=answer,
            body="Vurdert tekst",
            submitted_at=at,
            assessed_at=at,
            replaced_at=at,
        )
    )
    return assessment, answer


def test_history_is_exported_with_the_student(demo_copy: str) -> None:
    async def body(conn: AsyncConnection) -> None:
        ola = await person(conn, "elev.ola")
        assessment, answer = await _history(conn, ola)
        revisions = [
            item.fields
            async for item in provider_for(DataCategory.ASSESSMENTS).export(conn, ola)
            if item.kind == "assessment_revision"
        ]
        assert [(r["assessment_id"], r["grade"], r["comment"]) for r in revisions] == [
            (assessment, "2", "Før retting")
        ]
        versions = [
            item.fields
            async for item in provider_for(DataCategory.STUDENT_ANSWERS).export(conn, ola)
            if item.kind == "submission_version"
        ]
        assert [(v["submission_id"], v["body"]) for v in versions] == [(answer, "Vurdert tekst")]
        # The teacher who gave the assessment gets none of it (the student's data).
        hansen = await person(conn, "larer.hansen")
        for provider in PROVIDERS:
            async for item in provider.export(conn, hansen):
                assert item.kind not in ("assessment_revision", "submission_version")

    run(demo_copy, body, commit=False)


def test_history_is_erased_with_the_student(demo_copy: str) -> None:
    async def body(conn: AsyncConnection) -> None:
        ola = await person(conn, "elev.ola")
        await _history(conn, ola)
        jakob = await person(conn, "elev.jakob")
        await _history(conn, jakob)
        await erase(conn, ola)
        r, v = t.assessment_revisions.c, t.submission_versions.c
        a, s = t.assessments.c, t.submissions.c
        assert await n(conn, t.assessment_revisions) == 1  # Jakob's stays
        assert await n(conn, t.submission_versions) == 1
        kept_revision = (await conn.execute(select(r.assessment_id))).scalar_one()
        kept_version = (await conn.execute(select(v.submission_id))).scalar_one()
        assert (
            await conn.execute(select(a.student_id).where(a.id == kept_revision))
        ).scalar_one() == jakob
        assert (
            await conn.execute(select(s.student_id).where(s.id == kept_version))
        ).scalar_one() == jakob

    run(demo_copy, body, commit=False)

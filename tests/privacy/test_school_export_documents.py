"""Every person's document in a school export is byte for byte their own export
(store/privacy/school_export.py, store/privacy/providers/_presence.py).

The school export checks a page of members at a time for which providers' statements can find
anything and skips the others; what it writes must be exactly what ``write_export`` writes for
the person alone (same request id and time), for every member of every demo school, in both
formats, also when the members span several pages.

The demo has no rows at all of some kinds (notifications, the access log, incidents, corrected
assessments and answers, opened answers, files, data requests), so a copy of it gets some first,
each kind for a member of its own: every check finds someone, and a statement checked with the
wrong check (or a check missing one of its keys) loses a row of some member's document. Once a
school export is over, also one that failed, nothing is skipped any more.
"""

from __future__ import annotations

import asyncio
import errno
import io
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest
from sqlalchemy import Column, ColumnElement, FromClause, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import store.privacy.providers._presence as presence
import store.privacy.school_members as school_members
from config.settings import Settings
from store import tables as t
from store.db import make_engine
from store.privacy.export import write_export
from store.privacy.providers._presence import KEYS, Check, may_have_rows
from store.privacy.school_export import write_school_export

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

GENERATED_AT = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
REQUEST_ID = 7
SEEDED_AT = datetime.fromisoformat("2026-02-02T09:30:00+00:00")

#: The checks the demo finds nobody for: ``_seed`` gives each a member of its own.
SEEDED = (
    Check.NOTIFICATIONS,
    Check.ACCESS_LOG,
    Check.INCIDENTS,
    Check.REVISIONS,
    Check.VERSIONS,
    Check.OPENED,
    Check.FILES,
    Check.DATA_REQUESTS,
)


async def _person(conn: AsyncConnection, username: str) -> int:
    p = t.people.c
    return int((await conn.execute(select(p.id).where(p.username == username))).scalar_one())


async def _first(conn: AsyncConnection, column: Column[int], where: ColumnElement[bool]) -> int:
    stmt = select(column).where(where).order_by(column).limit(1)
    return int((await conn.execute(stmt)).scalar_one())


async def _seed(conn: AsyncConnection) -> None:
    """Rows of each kind the demo has none of, in both schools, each kind for another member
    (so no two of these checks find the same people)."""
    a, s, g = t.assessments.c, t.submissions.c, t.guardianships.c
    at = SEEDED_AT
    # A notification for a student (Bjølsen).
    jakob = await _person(conn, "elev.jakob")
    await conn.execute(
        t.notifications.insert().values(
            person_id=jakob, kind="RESTRICTION_LIFTED", message="Oppheving", created_at=at
        )
    )
    # A teacher read a student's answers (Bjølsen).
    amina = await _person(conn, "elev.amina")
    berg = await _person(conn, "larer.berg")
    await conn.execute(
        t.access_log.insert().values(
            at=at, staff_id=berg, person_id=amina, what="SUBMISSION", operation="Gradebook"
        )
    )
    # An incident that named a student (Bjølsen).
    sara = await _person(conn, "elev.sara")
    incident = (
        await conn.execute(
            t.incidents.insert()
            .values(
                description="Feilsendt liste",
                detected_at=at,
                recorded_at=at,
                report_due_at=at + timedelta(hours=72),
                status="OPEN",
                categories='["PERSONAL_DATA"]',
                scope_kind="PERSONS",
                updated_at=at,
            )
            .returning(t.incidents.c.id)
        )
    ).scalar_one()
    await conn.execute(
        t.incident_people.insert().values(
            incident_id=incident, person_id=sara, reason="NAMED", notified_at=at
        )
    )
    # A corrected assessment of a student (Bjølsen).
    ola = await _person(conn, "elev.ola")
    await conn.execute(
        t.assessment_revisions.insert().values(
            assessment_id=await _first(conn, a.id, a.student_id == ola),
            grade="2",
            comment="Før retting",
            revised_at=at,
        )
    )
    # An assessed answer a student replaced (Sagene).
    nora = await _person(conn, "elev.nora")
    await conn.execute(
        t.submission_versions.insert().values(
            submission_id=await _first(conn, s.id, s.student_id == nora),
            body="Vurdert tekst",
            submitted_at=at,
            assessed_at=at,
            replaced_at=at,
        )
    )
    # A teacher opened a student's answer (Sagene): the teacher's own trail.
    sofie = await _person(conn, "elev.sofie")
    nilsen = await _person(conn, "larer.nilsen")
    await conn.execute(
        update(t.submissions)
        .where(s.id == await _first(conn, s.id, s.student_id == sofie))
        .values(last_opened_by_id=nilsen, last_opened_at=at)
    )
    # A file a guardian uploaded (Sagene); the test exports without a storage, so only its row.
    tone = await _person(conn, "foresatt.tone")
    await conn.execute(
        t.files.insert().values(
            owner_id=tone,
            filename="samtykke.pdf",
            content_type="application/pdf",
            size_bytes=3,
            sha256="0" * 64,
            storage_key="seeded-file",
            created_at=at,
            source="PERSON",
        )
    )
    # A student's data request, made by their guardian (Sagene): both keys find someone.
    lukas = await _person(conn, "elev.lukas")
    guardian = await _first(conn, g.guardian_id, g.student_id == lukas)
    await conn.execute(
        t.data_requests.insert().values(
            kind="ACCESS",
            status="RECEIVED",
            channel="SELF_SERVICE",
            subject_id=lukas,
            requested_by_id=guardian,
            message="Innsyn",
            received_at=at,
            due_at=at + timedelta(days=28),
            identity_verified=False,
        )
    )


@pytest.fixture
def seeded(demo_copy: str) -> str:
    """A copy of the demo school with rows of every kind (``_seed``)."""

    async def main() -> None:
        engine = make_engine(demo_copy)
        try:
            async with engine.begin() as conn:
                await _seed(conn)
        finally:
            await engine.dispose()

    asyncio.run(main())
    return demo_copy


async def _found_by(
    conn: AsyncConnection, key: Column[int] | tuple[Column[int], FromClause], ids: Sequence[int]
) -> frozenset[int]:
    """The people of ``ids`` one key of a check finds (as ``_presence`` reads it)."""
    column, joined = key if isinstance(key, tuple) else (key, key.table)
    stmt = select(column).select_from(joined).where(column.in_(ids)).distinct()
    return frozenset(int(i) for i in (await conn.execute(stmt)).scalars())


async def _assert_every_check_finds_someone(conn: AsyncConnection, members: Sequence[int]) -> None:
    """Every check finds a member; each of the seeded ones a member none of the others finds
    (a statement checked with another of them would be skipped for that member); each key of a
    check a member its other keys do not find (a check without it would skip them)."""
    found = {check: await presence._having_rows(conn, check, members) for check in Check}
    assert [check for check in Check if not found[check]] == []
    for check in SEEDED:
        for other in SEEDED:
            assert other == check or found[check] - found[other], (check, other)
    for check, keys in KEYS.items():
        by_key = [await _found_by(conn, key, members) for key in keys]
        for i, mine in enumerate(by_key):
            others = frozenset[int]().union(*(o for j, o in enumerate(by_key) if j != i))
            assert mine - others, (check, i)


def _compare(url: str, fmt: Literal["XML", "JSON"], folder: Path) -> int:
    """Export each school, then each person alone; the number of documents compared. Every
    check finds some of the members (``_assert_every_check_finds_someone``)."""

    async def main() -> int:
        notices = Settings().privacy_notices()
        engine = make_engine(url)
        compared = 0
        members: list[int] = []
        try:
            async with engine.connect() as conn:
                s = t.schools.c
                schools = list(
                    (await conn.execute(select(s.id).where(s.org_type == "school"))).scalars()
                )
                for school in schools:
                    archive = folder / f"school-{school}-{fmt}.zip"
                    with archive.open("w+b") as out:
                        await write_school_export(
                            conn,
                            int(school),
                            fmt,
                            out,
                            notices,
                            GENERATED_AT,
                            REQUEST_ID,
                            storage=None,
                            spool_dir=folder,
                        )
                    # Over: the exports alone below skip nothing.
                    assert presence._KNOWN.get() is None
                    with zipfile.ZipFile(archive) as zipped:
                        names = [n for n in zipped.namelist() if n.startswith("people/")]
                        for name in names:
                            person = int(name.split("/")[1].split(".")[0])
                            alone = io.BytesIO()
                            await write_export(
                                conn, person, fmt, alone, notices, GENERATED_AT, REQUEST_ID
                            )
                            assert zipped.read(name) == alone.getvalue(), name
                            compared += 1
                            members.append(person)
                await _assert_every_check_finds_someone(conn, members)
        finally:
            await engine.dispose()
        return compared

    return asyncio.run(main())


@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_every_persons_document_is_their_own_export(
    seeded: str, tmp_path: Path, fmt: Literal["XML", "JSON"]
) -> None:
    assert _compare(seeded, fmt, tmp_path) > 0


def test_the_same_when_the_members_span_several_pages(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(school_members, "PAGE", 7)
    assert _compare(seeded, "XML", tmp_path) > 7


class _FullDisk(io.BytesIO):
    """An archive with room for ``room`` bytes only: writing more fails (and so does every
    write after). ``failed_in_a_page``: whether the first failure came while a page's checks
    were in force."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room
        self.failed_in_a_page: bool | None = None

    def write(self, data: ReadableBuffer, /) -> int:
        if self.tell() + memoryview(data).nbytes > self.room:
            if self.failed_in_a_page is None:
                self.failed_in_a_page = presence._KNOWN.get() is not None
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_nothing_is_skipped_after_a_school_export_that_failed(demo: str, tmp_path: Path) -> None:
    async def main() -> None:
        engine = make_engine(demo)
        try:
            async with engine.connect() as conn:
                s = t.schools.c
                school = (
                    await conn.execute(
                        select(s.id).where(s.org_type == "school").order_by(s.id).limit(1)
                    )
                ).scalar_one()
                out = _FullDisk(room=4096)
                with pytest.raises(OSError, match="No space left"):
                    await write_school_export(
                        conn,
                        int(school),
                        "XML",
                        out,
                        Settings().privacy_notices(),
                        GENERATED_AT,
                        REQUEST_ID,
                        storage=None,
                        spool_dir=tmp_path,
                    )
                assert out.failed_in_a_page is True
                assert presence._KNOWN.get() is None
        finally:
            await engine.dispose()

    asyncio.run(main())


def test_nothing_is_skipped_outside_a_school_export() -> None:
    assert all(may_have_rows(check, 1) for check in Check)

"""Every person's document in a school export is byte for byte their own export
(store/privacy/school_export.py, store/privacy/providers/_presence.py).

The school export checks a page of members at a time for which providers' statements can find
anything and skips the others; what it writes must be exactly what ``write_export`` writes for
the person alone (same request id and time), for every member of every demo school, in both
formats, also when the members span several pages.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import select

import store.privacy.school_members as school_members
from config.settings import Settings
from store import tables as t
from store.db import make_engine
from store.privacy.export import write_export
from store.privacy.providers._presence import Check, may_have_rows
from store.privacy.school_export import write_school_export

GENERATED_AT = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
REQUEST_ID = 7


def _compare(url: str, fmt: Literal["XML", "JSON"], folder: Path) -> int:
    """Export each school, then each person alone; the number of documents compared."""

    async def main() -> int:
        notices = Settings().privacy_notices()
        engine = make_engine(url)
        compared = 0
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
        finally:
            await engine.dispose()
        return compared

    return asyncio.run(main())


@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_every_persons_document_is_their_own_export(
    demo: str, tmp_path: Path, fmt: Literal["XML", "JSON"]
) -> None:
    assert _compare(demo, fmt, tmp_path) > 0


def test_the_same_when_the_members_span_several_pages(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(school_members, "PAGE", 7)
    assert _compare(demo, "XML", tmp_path) > 7


def test_nothing_is_skipped_outside_a_school_export() -> None:
    assert all(may_have_rows(check, 1) for check in Check)

"""The school export: one zip archive with everything Tavle holds about a school's people and
courses, for the controller (docs/privacy-actions.md, "School export").

The archive is written entry by entry through ``zipfile`` (deflated, ZIP64 allowed), each entry
streamed by the same writers as the single exports, so neither the archive nor the school's
people are ever in memory at once:

``people/<person id>.<xml|json>``
    every member of the school (``store.privacy.school_members``), exactly the document the
    per-person export writes (``store.privacy.export.write_export``); restricted people are
    included, erased people (tombstones) are not;
``courses/<course id>.<xml|json>``
    each course of the school, archived ones too (``store.privacy.course_document``);
``courses/<course id>/files/<file id>-<name>``
    the bytes of the files carried by documents shared to the course;
``manifest.json`` (last)
    format, generation time, school, counts, and every entry above with its size and SHA-256
    (of the entry's content, uncompressed).

The manifest's entry list is spooled to an anonymous temporary file while the entries are
written, then copied into the archive, so it does not grow in memory either. Entry names carry
internal ids only; nothing is logged but ids and counts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from config.settings import PrivacyNoticeSettings
from store import tables as t
from store.filestore.base import FileStorage
from store.privacy.base import DataCategory, Effect, Outcome
from store.privacy.course_document import course_files, write_course_document
from store.privacy.export import FORMAT_VERSION, plain, write_export
from store.privacy.providers._presence import known_rows
from store.privacy.providers.files import exporting_bytes_from
from store.privacy.school_members import erased_members, school_member_pages
from store.tables import ProcessingState

log = logging.getLogger("tavle.privacy.school_export")

MANIFEST = "manifest.json"
#: Courses read per round trip.
COURSE_PAGE = 500
_COPY_BYTES = 64 * 1024


class NotASchoolError(LookupError):
    """The id names no school (or an organisation that is not a school)."""


@dataclass
class SchoolExportResult:
    people: int = 0
    restricted: int = 0
    erased_skipped: int = 0
    courses: int = 0
    course_items: int = 0
    files: int = 0
    missing_files: int = 0
    entries: int = 0
    #: items of the people's documents, per category (as the per-person export counts them)
    categories: dict[DataCategory, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "people": self.people,
            "people_restricted": self.restricted,
            "people_erased_skipped": self.erased_skipped,
            "courses": self.courses,
            "course_items": self.course_items,
            "course_files": self.files,
            "course_files_missing": self.missing_files,
            "entries": self.entries,
        }

    def effects(self) -> list[dict[str, Any]]:
        """The request's effects: per category (KEPT) and the archive's own counts by item."""
        lines: list[dict[str, Any]] = [
            {"category": c.value, "outcome": Outcome.KEPT.value, "count": n}
            for c, n in self.categories.items()
            if n > 0
        ]
        for item, category, n in (
            ("PERSON", DataCategory.PERSONAL_DATA, self.people),
            ("COURSE", DataCategory.TEACHING_MATERIAL, self.courses),
            ("FILE", DataCategory.FILES, self.files),
        ):
            lines.append(
                {
                    "category": category.value,
                    "outcome": Outcome.KEPT.value,
                    "count": n,
                    "item": item,
                }
            )
        return lines


class _Digesting:
    """A write-only stream into an open zip entry that hashes and counts what passes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


class _Archive:
    """The zip being written and the spooled manifest entries."""

    def __init__(self, out: IO[bytes], spool: IO[bytes], generated_at: datetime) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.spool = spool
        self.stamp = generated_at.timetuple()[:6]
        self.count = 0

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=cast(Any, self.stamp))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    @contextmanager
    def entry(self, name: str, kind: str, **described: Any) -> Iterator[_Digesting]:
        """An entry to write to; on success its line goes to the manifest."""
        # force_zip64: the size is not known in advance and may pass 4 GiB (a file's bytes).
        with self.zip.open(self._info(name), "w", force_zip64=True) as raw:
            stream = _Digesting(raw)
            yield stream
        line = {
            "name": name,
            "kind": kind,
            **described,
            "bytes": stream.size,
            "sha256": stream.sha256.hexdigest(),
        }
        self.spool.write((json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        self.count += 1

    def finish(self, head: dict[str, Any]) -> None:
        """Write the manifest (``head`` and the spooled entries) last, and close the archive."""
        with self.zip.open(self._info(MANIFEST), "w", force_zip64=True) as raw:
            raw.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2].encode("utf-8"))
            raw.write(b',\n "entries": [')
            self.spool.seek(0)
            first = True
            for line in self.spool:
                raw.write((b"" if first else b",") + b"\n  " + line.rstrip(b"\n"))
                first = False
            raw.write(b"\n ]\n}\n")
        self.zip.close()


async def school_row(conn: AsyncConnection, school_id: int) -> Any:
    """The school's row; :class:`NotASchoolError` for an unknown id or a non-school org."""
    s = t.schools.c
    row = (
        await conn.execute(
            select(s.id, s.sourced_id, s.name, s.code, s.org_type, s.state).where(s.id == school_id)
        )
    ).first()
    if row is None or row.org_type != "school":
        raise NotASchoolError(school_id)
    return row


async def _course_ids(conn: AsyncConnection, school_id: int) -> list[int]:
    c = t.courses.c
    ids: list[int] = []
    after = 0
    while True:
        page = (
            await conn.execute(
                select(c.id)
                .where(c.school_id == school_id, c.id > after)
                .order_by(c.id)
                .limit(COURSE_PAGE)
            )
        ).scalars()
        chunk = [int(i) for i in page]
        ids.extend(chunk)  # ints only: a school has hundreds of courses, not millions
        if len(chunk) < COURSE_PAGE:
            return ids
        after = chunk[-1]


def _read(storage: FileStorage, key: str) -> bytes | None:
    try:
        return storage.get(key)
    except FileNotFoundError:
        return None


async def write_school_export(
    conn: AsyncConnection,
    school_id: int,
    fmt: Literal["XML", "JSON"],
    out: IO[bytes],
    notices: Mapping[str, PrivacyNoticeSettings],
    generated_at: datetime,
    request_id: int,
    *,
    storage: FileStorage | None,
    spool_dir: Path | None = None,
) -> SchoolExportResult:
    """Write the school's archive to ``out`` (a seekable file); what it holds, counted.

    Reads only. ``storage`` is where files' bytes are read from (``None``: none are included,
    as in the per-person export without a storage). ``spool_dir`` holds the manifest's
    temporary entry list (an unnamed file; the system's temporary folder when ``None``).
    ``notices`` is the art. 15 information by language: each person's document is in their
    own language (``write_export``).
    """
    school = await school_row(conn, school_id)
    suffix = "xml" if fmt == "XML" else "json"
    result = SchoolExportResult(erased_skipped=await erased_members(conn, school_id))
    with (
        tempfile.TemporaryFile(dir=spool_dir) as spool,
        exporting_bytes_from(storage),
    ):
        archive = _Archive(out, spool, generated_at)
        async for page in school_member_pages(conn, school_id):
            # A page's members the providers' statements would find nothing for are known
            # first, so those statements are not run (the documents are the same).
            async with known_rows(conn, [member.person_id for member in page]):
                for member in page:
                    with archive.entry(
                        f"people/{member.person_id}.{suffix}",
                        "person",
                        person_id=member.person_id,
                        processing_state=member.processing_state.value,
                    ) as stream:
                        effects: list[Effect] = await write_export(
                            conn,
                            member.person_id,
                            fmt,
                            cast(BinaryIO, stream),
                            notices,
                            generated_at,
                            request_id,
                        )
                    for effect in effects:
                        result.categories[effect.category] = (
                            result.categories.get(effect.category, 0) + effect.count
                        )
                    result.people += 1
                    result.restricted += member.processing_state == ProcessingState.RESTRICTED
        for course_id in await _course_ids(conn, school_id):
            with archive.entry(f"courses/{course_id}.{suffix}", "course", course_id=course_id) as s:
                result.course_items += await write_course_document(
                    conn, course_id, fmt, cast(BinaryIO, s), generated_at, request_id
                )
            result.courses += 1
            if storage is None:
                continue
            async for name, key in course_files(conn, course_id):
                data = await asyncio.to_thread(_read, storage, key)
                if data is None:
                    result.missing_files += 1
                    continue
                with archive.entry(name, "file", course_id=course_id) as stream:
                    stream.write(data)
                del data
                result.files += 1
        result.entries = archive.count
        archive.finish(
            {
                "format_version": FORMAT_VERSION,
                "kind": "tavle_school_export",
                "request_id": request_id,
                "generated_at": plain(generated_at),
                "format": fmt,
                "school": {
                    "id": school.id,
                    "sourced_id": school.sourced_id,
                    "name": school.name,
                    "code": school.code,
                    "state": plain(school.state),
                },
                "counts": result.counts(),
            }
        )
    log.info(
        "school export written: request %s, %s",
        request_id,
        ", ".join(f"{k}={v}" for k, v in result.counts().items()),
    )
    return result

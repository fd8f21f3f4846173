"""One course's content as a document of the school export (docs/privacy-actions.md).

The document is written in the export's format (XML or JSON) with the same item encoding as the
per-person export (``store.privacy.export.item_element`` / ``item_json``): every item has a
``kind``, a ``source`` (provenance) and its fields, NULL as ``xsi:nil`` / ``null``. Sections:

``course``
    the course itself and the terms it runs in;
``enrolments``
    who is or was enrolled, by person id, with role and start and end;
``assignments``, ``materials``, ``posts``, ``comments``, ``calendar``
    the course's content: assignments, documents shared to the course (with their file's
    name, type, size, SHA-256 and the archive entry holding its bytes), posts, the comments on
    them (by ``post_id``), and course events.

People appear by internal id only (``author_id``, ``owner_id``, ``person_id``): their own
documents in the same archive say who they are. Students' answers are not repeated here: they
are in each student's document. Rows are streamed section by section; one item is held at a
time.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, BinaryIO, Literal

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import ExportItem
from store.privacy.export import FORMAT_VERSION, XSI, item_element, item_json, lexical, plain
from store.privacy.providers._common import stream_rows
from store.tables import DataSource

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_entry(course_id: int, file_id: int, filename: str) -> str:
    """The archive entry of a course file's bytes: ids and a tamed file name, never a path."""
    tame = _SAFE.sub("_", filename).strip("._")[:80] or "file"
    return f"courses/{course_id}/files/{file_id}-{tame}"


def _rows(
    stmt: Select[Any], kind: Callable[[Any], ExportItem]
) -> Callable[[AsyncConnection], AsyncIterator[ExportItem]]:
    async def items(conn: AsyncConnection) -> AsyncIterator[ExportItem]:
        async for row in stream_rows(conn, stmt):
            yield kind(row)

    return items


def _course(course_id: int) -> Callable[[AsyncConnection], AsyncIterator[ExportItem]]:
    c, ct, s = t.courses.c, t.course_terms.c, t.academic_sessions.c

    async def items(conn: AsyncConnection) -> AsyncIterator[ExportItem]:
        row = (await conn.execute(select(t.courses).where(c.id == course_id))).one()
        yield ExportItem(
            "course",
            {
                "id": row.id,
                "sourced_id": row.sourced_id,
                "school_id": row.school_id,
                "code": row.code,
                "name": row.name,
                "is_homeroom": row.is_homeroom,
                "state": row.state,
                "archived_at": row.archived_at,
            },
            DataSource.ROSTER,
        )
        terms = (
            select(s.id, s.sourced_id, s.title, s.type, s.start_date, s.end_date)
            .join(t.course_terms, ct.session_id == s.id)
            .where(ct.course_id == course_id)
            .order_by(s.start_date, s.id)
        )
        async for term in stream_rows(conn, terms):
            yield ExportItem(
                "term",
                {
                    "id": term.id,
                    "sourced_id": term.sourced_id,
                    "title": term.title,
                    "type": term.type,
                    "start_date": term.start_date.isoformat(),
                    "end_date": term.end_date.isoformat(),
                },
                DataSource.ROSTER,
            )

    return items


def _sections(
    course_id: int,
) -> list[tuple[str, Callable[[AsyncConnection], AsyncIterator[ExportItem]]]]:
    e, a, d, f = t.enrolments.c, t.assignments.c, t.documents.c, t.files.c
    p, cm, ev = t.posts.c, t.comments.c, t.calendar_events.c
    enrolments = select(t.enrolments).where(e.course_id == course_id).order_by(e.id)
    assignments = select(t.assignments).where(a.course_id == course_id).order_by(a.id)
    materials = (
        select(
            d.id,
            d.owner_id,
            d.title,
            d.body,
            d.created_at,
            d.source,
            d.file_id,
            f.filename,
            f.content_type,
            f.size_bytes,
            f.sha256,
        )
        .outerjoin(t.files, f.id == d.file_id)
        .where(d.course_id == course_id)
        .order_by(d.id)
    )
    posts = select(t.posts).where(p.course_id == course_id).order_by(p.id)
    comments = (
        select(t.comments)
        .where(cm.post_id.in_(select(p.id).where(p.course_id == course_id)))
        .order_by(cm.post_id, cm.id)
    )
    events = select(t.calendar_events).where(ev.course_id == course_id).order_by(ev.id)
    return [
        ("course", _course(course_id)),
        (
            "enrolments",
            _rows(
                enrolments,
                lambda r: ExportItem(
                    "enrolment",
                    {
                        "id": r.id,
                        "person_id": r.person_id,
                        "role": r.role,
                        "started_at": r.started_at,
                        "ended_at": r.ended_at,
                    },
                    r.source,
                ),
            ),
        ),
        (
            "assignments",
            _rows(
                assignments,
                lambda r: ExportItem(
                    "assignment",
                    {
                        "id": r.id,
                        "author_id": r.author_id,
                        "title": r.title,
                        "instructions": r.instructions,
                        "due_at": r.due_at,
                        "created_at": r.created_at,
                    },
                    r.source,
                ),
            ),
        ),
        (
            "materials",
            _rows(
                materials,
                lambda r: ExportItem(
                    "document",
                    {
                        "id": r.id,
                        "owner_id": r.owner_id,
                        "title": r.title,
                        "body": r.body,
                        "created_at": r.created_at,
                        "file_id": r.file_id,
                        "filename": r.filename,
                        "content_type": r.content_type,
                        "size_bytes": r.size_bytes,
                        "sha256": r.sha256,
                        "archive_entry": None
                        if r.file_id is None
                        else file_entry(course_id, r.file_id, r.filename),
                    },
                    r.source,
                ),
            ),
        ),
        (
            "posts",
            _rows(
                posts,
                lambda r: ExportItem(
                    "post",
                    {
                        "id": r.id,
                        "author_id": r.author_id,
                        "body": r.body,
                        "created_at": r.created_at,
                    },
                    r.source,
                ),
            ),
        ),
        (
            "comments",
            _rows(
                comments,
                lambda r: ExportItem(
                    "comment",
                    {
                        "id": r.id,
                        "post_id": r.post_id,
                        "author_id": r.author_id,
                        "body": r.body,
                        "created_at": r.created_at,
                    },
                    r.source,
                ),
            ),
        ),
        (
            "calendar",
            _rows(
                events,
                lambda r: ExportItem(
                    "calendar_event",
                    {
                        "id": r.id,
                        "owner_id": r.owner_id,
                        "title": r.title,
                        "starts_at": r.starts_at,
                        "ends_at": r.ends_at,
                    },
                    r.source,
                ),
            ),
        ),
    ]


def _header(course_id: int, request_id: int, generated_at: Any) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "request_id": request_id,
        "course_id": course_id,
        "generated_at": plain(generated_at),
    }


async def write_course_document(
    conn: AsyncConnection,
    course_id: int,
    fmt: Literal["XML", "JSON"],
    out: BinaryIO,
    generated_at: Any,
    request_id: int,
) -> int:
    """Write the course's document to ``out``; the number of items written."""
    header = _header(course_id, request_id, generated_at)
    n = 0
    if fmt == "JSON":

        def put(text: str) -> None:
            out.write(text.encode("utf-8"))

        put('{\n"course_export": ' + json.dumps(header, ensure_ascii=False) + ',\n"data": {')
        for index, (name, items) in enumerate(_sections(course_id)):
            put(("," if index else "") + "\n" + json.dumps(name) + ": [")
            first = True
            async for item in items(conn):
                put(("" if first else ",") + "\n" + json.dumps(item_json(item), ensure_ascii=False))
                first = False
                n += 1
            put("\n]")
        put("\n}\n}\n")
        return n
    attributes = {k: lexical(v) or "" for k, v in header.items()}
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("tavle_course_export", attributes, nsmap={"xsi": XSI}):
            with xf.element("data"):
                for name, items in _sections(course_id):
                    xf.write("\n")
                    with xf.element(name):
                        async for item in items(conn):
                            xf.write("\n", item_element(item))
                            n += 1
                        xf.write("\n")
                    xf.flush()
                xf.write("\n")
            xf.write("\n")
    out.write(b"\n")
    return n


async def course_files(conn: AsyncConnection, course_id: int) -> AsyncIterator[tuple[str, str]]:
    """(archive entry, storage key) of every file carried by a document shared to the course."""
    d, f = t.documents.c, t.files.c
    stmt = (
        select(f.id, f.filename, f.storage_key)
        .join(t.documents, d.file_id == f.id)
        .where(d.course_id == course_id)
        .order_by(f.id)
    )
    async for row in stream_rows(conn, stmt):
        yield file_entry(course_id, row.id, row.filename), row.storage_key

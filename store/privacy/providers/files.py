"""``FILES``: the files the person uploaded (``uploadFile``), with their bytes.

Tables: ``files`` (the bytes themselves live in the file storage, ``store.filestore``).

Exported (art. 15/20)
    * ``uploaded_file``: each file the person uploaded: name, media type, size, SHA-256, upload
      time, the attachment or document that carries it (ids, if any), and the bytes themselves,
      base64-encoded (``content_base64``; nil only if the export runs without a storage, or the
      bytes are missing from it).

Restriction
    HIDDEN: the files are not listed (``Attachment.file`` and ``Document.file`` are null) and
    their download links are refused, for everyone, until the restriction is lifted.

Erasure
    Deleted: every file row of the person in the erasure's transaction, the bytes queued in the
    same transaction and deleted from the storage after it commits
    (``store.filestore.deletions``). Attachments and documents that carried them keep their
    other data as their own categories decide, without the file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.filestore.base import FileStorage
from store.filestore.deletions import delete_files
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any

#: the storage an export reads the bytes from, set by ``exporting_bytes_from`` around it
_EXPORT_STORAGE: ContextVar[FileStorage | None] = ContextVar("tavle_export_storage", default=None)


@contextlib.contextmanager
def exporting_bytes_from(storage: FileStorage | None) -> Iterator[None]:
    token = _EXPORT_STORAGE.set(storage)
    try:
        yield
    finally:
        _EXPORT_STORAGE.reset(token)


def _read(storage: FileStorage, key: str) -> bytes | None:
    try:
        return storage.get(key)
    except FileNotFoundError:
        return None


class FilesProvider:
    category = DataCategory.FILES
    tables = frozenset({"files"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.FILES):
            return  # a school export found nothing of theirs here
        f, a, d = t.files.c, t.attachments.c, t.documents.c
        rows = (
            select(
                f.id,
                f.filename,
                f.content_type,
                f.size_bytes,
                f.sha256,
                f.created_at,
                f.storage_key,
                f.source,
                select(a.id).where(a.file_id == f.id).scalar_subquery().label("attachment_id"),
                select(d.id).where(d.file_id == f.id).scalar_subquery().label("document_id"),
            )
            .where(f.owner_id == subject_id)
            .order_by(f.id)
        )
        storage = _EXPORT_STORAGE.get()
        async for row in stream_rows(conn, rows, (Check.FILES, subject_id)):
            data = (
                None
                if storage is None
                else await asyncio.to_thread(_read, storage, row.storage_key)
            )
            yield ExportItem(
                kind="uploaded_file",
                fields={
                    "id": row.id,
                    "filename": row.filename,
                    "content_type": row.content_type,
                    "size_bytes": row.size_bytes,
                    "sha256": row.sha256,
                    "created_at": row.created_at,
                    "attachment_id": row.attachment_id,
                    "document_id": row.document_id,
                    "content_base64": None if data is None else base64.b64encode(data).decode(),
                },
                source=row.source,
            )

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await count(conn, t.files, t.files.c.owner_id == subject_id)
        return effects(self.category, [(Outcome.HIDDEN, found)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await count(conn, t.files, t.files.c.owner_id == subject_id)
        return effects(self.category, [(Outcome.DELETED, found)])

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        deleted = await delete_files(conn, t.files.c.owner_id == subject_id)
        return effects(self.category, [(Outcome.DELETED, deleted)])

"""Uploaded files: ``FileRef``, the ``Upload`` scalar and ``uploadFile`` (docs/interfaces.md,
"Uploads")."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.file_uploads import Upload

from config.ids import not_found, to_global_id
from resolvers.context import Info, RequestContext
from resolvers.records import FileRefRecord
from resolvers.services import files
from schema.node import Node
from schema.registry import kind_type, to_object
from schema.values import made_of, node_id, record_field
from store.filestore import storage_of

#: the route of downloads (``gateway.files``)
DOWNLOAD_PATH = "/files/"


def _download_url(record: FileRefRecord, ctx: RequestContext) -> str | None:
    """A link that downloads the file for this viewer, for ``TAVLE_FILE_URL_SECONDS``."""
    if ctx.viewer is None or not ctx.file_url_key:
        return None
    token = files.sign_download(
        ctx.file_url_key, record.pk, ctx.viewer.person_id, ctx.settings.file_url_seconds
    )
    return f"{DOWNLOAD_PATH}{to_global_id('FileRef', record.pk)}?token={token}"


@kind_type("FileRef")
@made_of(FileRefRecord, id=node_id("FileRef"))
@strawberry.type
class FileRef(Node):
    id: strawberry.ID
    filename: str
    content_type: str | None
    size_bytes: int | None
    record: strawberry.Private[FileRefRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    download_url = record_field(
        _download_url,
        description="GET this path on the gateway to download the file: a link for the viewer "
        "who asked, expiring after TAVLE_FILE_URL_SECONDS.",
    )


def _limits(ctx: RequestContext) -> files.FileLimits:
    settings = ctx.settings
    return files.FileLimits(
        max_bytes=settings.max_file_bytes,
        allowed_types=frozenset(t.lower() for t in settings.allowed_file_types),
        quota_bytes=settings.file_quota_bytes,
    )


@strawberry.type
class FileMutation:
    @strawberry.mutation(
        description="Store a file sent as a multipart request (GraphQL multipart request spec); "
        "attach it afterwards by its id (SubmitAnswerInput.attachmentIds, createDocument's "
        "fileId)."
    )
    async def upload_file(self, info: Info, file: Upload) -> FileRef:
        ctx = info.context
        limit = ctx.settings.max_file_bytes
        # Read one byte past the limit at most: a larger file is refused without holding it.
        data = await file.read(limit + 1)  # type: ignore[attr-defined]
        if asyncio.iscoroutine(data):  # pragma: no cover - synchronous file objects
            data = await data
        pk = await files.upload_file(
            ctx.actor(),
            storage_of(ctx.settings),
            _limits(ctx),
            getattr(file, "filename", None),
            getattr(file, "content_type", None),
            bytes(data),
        )
        found = await ctx.loaders.by_id("FileRef").load(pk)
        if found is None:  # stored, but not readable back (the owner's own: not expected)
            raise not_found("FileRef", str(pk))
        made: FileRef = to_object(found)
        return made


__all__ = ["FileMutation", "FileRef"]

"""Uploaded files: the checks on an upload, storing it, attaching it, and who may download it.

An upload (``uploadFile``) is checked before anything is stored: its size against
``TAVLE_MAX_FILE_BYTES``, its declared media type against ``TAVLE_ALLOWED_FILE_TYPES`` and its
first bytes against the declared type (``sniff``: PDF, PNG, JPEG, plain text, Office Open XML
and OpenDocument text), its name sanitised (``safe_filename``), and the owner's quota
(``TAVLE_FILE_QUOTA_BYTES``). Refusals are ``BAD_USER_INPUT``. The bytes are written to the
storage under a fresh random key first, then the row is inserted; if the insert fails the bytes
are deleted again, so a refusal or failure leaves nothing behind.

A file is owned by its uploader and can be attached once: to one of their answers
(``submitAnswer(input: {attachmentIds})``) or one of their documents (``createDocument(fileId:)``).
``claim_files`` locks the file rows, so two claims of one file at the same moment attach it once.
The quota is summed with the owner's ``people`` row locked, so parallel uploads cannot together
pass it.

Downloads go through ``GET /files/<id>?token=...`` (``gateway.files``): the token is an HMAC of
the file, the viewer it was given to and its expiry (``sign_download``); the route checks it,
then ``downloadable`` checks again that the person is active and may still read the field that
lists the file.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.policy import Policy
from authz.relations import Facts, relations_of
from authz.viewer import Viewer
from resolvers import kinds as k
from resolvers.errors import bad_input, not_found
from resolvers.scopes import scoped_select
from resolvers.services.actor import Actor, inserted_id, now
from store import tables as t
from store.filestore import FileStorage, new_storage_key
from store.tables import DataSource, ProcessingState

UPLOAD_FILE = "Mutation.uploadFile"

# --- what a file is -------------------------------------------------------------------------

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"

#: the folder inside an Office Open XML package that says which kind of document it is
_OOXML_PART = {DOCX: "word/", XLSX: "xl/", PPTX: "ppt/"}
#: plain text: no control characters but tab, line feed, carriage return and form feed
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _odf_mimetype(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.namelist()[:1] != ["mimetype"]:
                return None
            return archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, ValueError, OSError, KeyError):
        return None


def sniff(content_type: str, data: bytes) -> bool | None:
    """Whether ``data`` looks like ``content_type``; None for a type with no check here."""
    if content_type == PDF:
        return data.startswith(b"%PDF-")
    if content_type == PNG:
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == JPEG:
        return data.startswith(b"\xff\xd8\xff")
    if content_type == TEXT:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return _CONTROL.search(text) is None
    if content_type in _OOXML_PART:
        names = _zip_names(data)
        return (
            names is not None
            and "[Content_Types].xml" in names
            and any(n.startswith(_OOXML_PART[content_type]) for n in names)
        )
    if content_type == ODT:
        return _zip_names(data) is not None and _odf_mimetype(data) == ODT
    return None


def media_type(declared: str | None) -> str:
    """The declared media type without parameters, lower-cased (``text/plain; charset=utf-8``
    is ``text/plain``)."""
    return (declared or "").split(";", 1)[0].strip().lower()


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"*/:<>?\\|]+')


def safe_filename(name: str | None) -> str:
    """A file name fit to show and to send in ``Content-Disposition``: the last path segment,
    NFC, without control or path characters, without leading dots, at most 255 characters (the
    extension kept); ``file`` if nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _UNSAFE.sub("_", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn"))
    text = text.strip().lstrip(".").strip()
    if not text:
        return "file"
    if len(text) > 255:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            text = stem[: 254 - len(extension)] + "." + extension
        else:
            text = text[:255]
    return text


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    allowed_types: frozenset[str]
    quota_bytes: int  # 0: none


def check_upload(
    limits: FileLimits, filename: str | None, declared: str | None, data: bytes
) -> tuple[str, str]:
    """(safe file name, media type) of an acceptable upload; BAD_USER_INPUT otherwise."""
    if not data:
        raise bad_input("The file is empty")
    if len(data) > limits.max_bytes:
        raise bad_input(f"The file is larger than the limit of {limits.max_bytes} bytes")
    kind = media_type(declared)
    if kind not in limits.allowed_types:
        raise bad_input(
            f"Files of type {kind[:100]!r} are not accepted; accepted: "
            + ", ".join(sorted(limits.allowed_types))
        )
    if sniff(kind, data) is False:
        raise bad_input(f"The file's content is not {kind}: its type and content do not match")
    return safe_filename(filename), kind


async def _lock_owner(conn: AsyncConnection, owner: int) -> None:
    """Lock the owner's ``people`` row until the transaction ends (nothing on SQLite, whose
    write transactions never overlap)."""
    p = t.people.c
    await conn.execute(select(p.id).where(p.id == owner).with_for_update())


async def _used_bytes(conn: AsyncConnection, owner: int) -> int:
    f = t.files.c
    found = await conn.execute(
        select(func.coalesce(func.sum(f.size_bytes), 0)).where(f.owner_id == owner)
    )
    return int(found.scalar_one())


async def upload_file(
    actor: Actor,
    storage: FileStorage,
    limits: FileLimits,
    filename: str | None,
    declared: str | None,
    data: bytes,
) -> int:
    """Store an upload for the viewer; the new file's id."""
    me = actor.viewer.person_id
    actor.require(Facts(owner=me), UPLOAD_FILE, "files are uploaded for yourself")
    name, kind = check_upload(limits, filename, declared, data)
    if limits.quota_bytes:
        async with actor.engine.connect() as conn:
            if await _used_bytes(conn, me) + len(data) > limits.quota_bytes:
                raise bad_input(f"Your files would exceed your quota of {limits.quota_bytes} bytes")
    key = new_storage_key()
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(storage.put, key, data)
    try:
        async with actor.engine.begin() as conn:
            if limits.quota_bytes:
                # Parallel uploads of one person queue on their row (PostgreSQL; SQLite writers
                # are serialised by BEGIN IMMEDIATE), so each sums what the others committed.
                await _lock_owner(conn, me)
                if await _used_bytes(conn, me) + len(data) > limits.quota_bytes:
                    raise bad_input(
                        f"Your files would exceed your quota of {limits.quota_bytes} bytes"
                    )
            result = await conn.execute(
                t.files.insert().values(
                    owner_id=me,
                    filename=name,
                    content_type=kind,
                    size_bytes=len(data),
                    sha256=digest,
                    storage_key=key,
                    created_at=now(),
                    source=DataSource.PERSON,
                )
            )
            file_id = inserted_id(result)
            await actor.audit(conn, "UPLOAD_FILE", "FileRef", file_id, subject_id=me)
    except BaseException:
        # Nothing is kept of a refused or failed upload (a crash right here leaves bytes no row
        # refers to: ``tavle files sweep`` removes those).
        await asyncio.to_thread(storage.delete, key)
        raise
    return file_id


async def claim_files(conn: AsyncConnection, owner: int, file_ids: Sequence[int]) -> list[Any]:
    """The rows of ``file_ids`` if each is the owner's and attached nowhere yet; otherwise
    BAD_USER_INPUT (NOT_FOUND for a file that is not theirs: others' files are not revealed)."""
    if len(set(file_ids)) != len(file_ids):
        raise bad_input("The same file is given twice")
    if not file_ids:
        return []
    f, a, d = t.files.c, t.attachments.c, t.documents.c
    # The file rows stay locked until the caller's transaction ends (PostgreSQL; SQLite writers
    # are serialised by BEGIN IMMEDIATE): a second claim of the same file waits, then sees the
    # first one's attachment and is refused.
    rows = {
        row.id: row
        for row in (
            await conn.execute(
                select(f.id, f.filename, f.content_type, f.size_bytes)
                .where(f.id.in_(list(file_ids)), f.owner_id == owner)
                .order_by(f.id)
                .with_for_update()
            )
        ).all()
    }
    for file_id in file_ids:
        if file_id not in rows:
            raise not_found("No FileRef with that id is yours")
    used = (
        await conn.execute(
            select(a.file_id)
            .where(a.file_id.in_(list(file_ids)))
            .union_all(select(d.file_id).where(d.file_id.in_(list(file_ids))))
        )
    ).first()
    if used is not None:
        raise bad_input("A file can be attached once: that file is attached already")
    return [rows[file_id] for file_id in file_ids]


# --- download links -------------------------------------------------------------------------


def _signature(key: bytes, file_id: int, viewer_id: int, expires: int) -> str:
    mac = hmac.new(key, f"file:{file_id}:{viewer_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


#: expiries are rounded up to this many seconds, so the links given out within one window (by
#: either executor, to the same viewer) are the same link
LINK_WINDOW = 60


def sign_download(key: bytes, file_id: int, viewer_id: int, seconds: int) -> str:
    """The token of a download link for ``viewer_id``, valid for ``seconds`` from now (up to
    ``LINK_WINDOW`` more)."""
    expires = -(-(int(time.time()) + seconds) // LINK_WINDOW) * LINK_WINDOW
    return f"{viewer_id}.{expires}.{_signature(key, file_id, viewer_id, expires)}"


def check_download(key: bytes, file_id: int, token: str) -> int | None:
    """The viewer a valid, unexpired token was given to; None for any other token."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not key:
        return None
    viewer_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time():
        return None
    if not hmac.compare_digest(parts[2], _signature(key, file_id, viewer_id, expires)):
        return None
    return viewer_id


@dataclass(frozen=True)
class StoredFile:
    id: int
    filename: str
    content_type: str
    size_bytes: int
    storage_key: str
    #: the student whose answer the file is attached to (None: not an answer's file), for the
    #: staff access log
    answer_of: int | None = None


async def _active(conn: AsyncConnection, person_id: int | None) -> bool:
    if person_id is None:
        return False
    p = t.people.c
    found = await conn.execute(
        select(p.id).where(
            p.id == person_id,
            p.enabled.is_(True),
            p.processing_state == ProcessingState.ACTIVE,
        )
    )
    return found.first() is not None


async def downloadable(
    engine: AsyncEngine, policy: Policy, viewer: Viewer, file_id: int
) -> StoredFile | None:
    """The file if ``viewer`` may download it now: they are active, the file's owner is active
    (a restricted person's files are hidden), and they may read the field that lists it
    (``Submission.attachments`` and ``Attachment.file`` of its answer, ``Document.file`` of its
    document, or, attached nowhere, it is their own). None otherwise."""
    f, a, d, s = t.files.c, t.attachments.c, t.documents.c, t.submissions.c
    actor = Actor(engine=engine, policy=policy, viewer=viewer)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    f.id,
                    f.owner_id,
                    f.filename,
                    f.content_type,
                    f.size_bytes,
                    f.storage_key,
                    select(a.submission_id).where(a.file_id == f.id).scalar_subquery().label("sid"),
                    select(d.id).where(d.file_id == f.id).scalar_subquery().label("did"),
                    select(s.student_id)
                    .join(t.attachments, a.submission_id == s.id)
                    .where(a.file_id == f.id)
                    .scalar_subquery()
                    .label("student"),
                ).where(f.id == file_id)
            )
        ).first()
        if row is None:
            return None
        if not await _active(conn, viewer.person_id) or not await _active(conn, row.owner_id):
            return None
        if row.sid is not None:
            allowed = await _field_readable(
                conn, actor, k.SUBMISSION, row.sid, ("Submission.attachments", "Attachment.file")
            )
        elif row.did is not None:
            allowed = await _field_readable(conn, actor, k.DOCUMENT, row.did, ("Document.file",))
        else:
            allowed = row.owner_id == viewer.person_id
    if not allowed:
        return None
    return StoredFile(
        row.id, row.filename, row.content_type, row.size_bytes, row.storage_key, row.student
    )


async def _field_readable(
    conn: AsyncConnection, actor: Actor, kind: k.Kind, pk: int, fields: tuple[str, ...]
) -> bool:
    found = (
        (await conn.execute(scoped_select(kind, actor).where(kind.key == pk))).mappings().first()
    )
    if found is None:
        return False
    relations = relations_of(actor.viewer, kind.facts.facts_of(dict(found)))
    # Attachment is plumbing: its fields are read with the row relation alone (authz.guard).
    return policy_reads(actor.policy, relations, fields[0]) and all(
        policy_reads(actor.policy, frozenset({"row"}), field) for field in fields[1:]
    )


def policy_reads(policy: Policy, relations: frozenset[str], coordinate: str) -> bool:
    return policy.allows(relations, coordinate, "read")

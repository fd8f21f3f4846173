"""``GET /privacy/exports/{requestId}``: download a finished export (docs/interfaces.md, HTTP).

System administrators may download (the ``call`` line of ``Http.downloadExport`` in
``authz/policy.csv``), and so may the person who asked for an export in an ACCESS data request
once a system administrator released it to them (``releaseExport``, the line's ``self``); the
caller comes from ``gateway.authentication``'s middleware on the route. Anyone else gets the
same 403 whether the export exists or not, so they learn nothing about which exports exist.
Then: unknown id → 404, not finished → 409, past ``expires_at`` → 410 (and the file is deleted
on the spot rather than at the next sweep), otherwise the file, streamed from disk in chunks of
``CHUNK_BYTES`` (never read whole: a school's archive can be gigabytes), and a
``DOWNLOAD_EXPORT`` audit entry. A person's export (``EXPORT``) is XML or JSON, a school's
(``EXPORT_SCHOOL``) a zip archive (docs/privacy-actions.md, "School export").
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import IO

from graphql import GraphQLError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from authz.relations import Facts, relations_of
from authz.viewer import Viewer
from config import clock
from config.ids import expect_id, to_global_id
from gateway.authentication import caller_of
from gateway.state import AppState
from resolvers.services import data_requests
from store import access_log, audit, jobs
from store import tables as t
from store.tables import ExportFormat, PrivacyAction, PrivacyRequestStatus

log = logging.getLogger("tavle.exports")

CHUNK_BYTES = 64 * 1024
MEDIA_TYPES = {ExportFormat.XML: "application/xml", ExportFormat.JSON: "application/json"}
ZIP = "application/zip"
#: exports are personal data: no cache, proxy or browser history may keep a copy
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

#: the policy's line for this endpoint (``authz/policy.csv``, "HTTP endpoints")
DOWNLOAD_EXPORT = "Http.downloadExport"
#: the operation the staff access log records for a download
DOWNLOAD_ROUTE = "GET /privacy/exports/{requestId}"
NO_TARGET = Facts()

_r = t.privacy_requests.c


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers={**PRIVATE_HEADERS, **headers},
    )


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


async def _released_to_caller(state: AppState, request_text: str, viewer: Viewer) -> bool:
    """Whether the export was released to the caller (``releaseExport``: they asked for it in
    an ACCESS data request): the policy's ``self`` line of ``Http.downloadExport`` with the
    requester as the export's owner (docs/data-requests.md)."""
    try:
        request_id = expect_id(request_text, "PrivacyRequest")
    except GraphQLError:
        return False
    async with state.engine.connect() as conn:
        requester = await data_requests.released_to(conn, request_id)
    if requester is None:
        return False
    facts = Facts(owner=requester)
    return state.policy.allows(relations_of(viewer, facts), DOWNLOAD_EXPORT, "call")


async def download_export(request: Request) -> Response:
    state: AppState = request.app.state.tavle
    caller = caller_of(request)
    viewer = caller.viewer
    if viewer is None:
        return _error(
            401,
            "UNAUTHENTICATED",
            caller.refusal or "a system administrator's bearer token is required",
            **{"WWW-Authenticate": "Bearer"},
        )
    return await serve_export(state, request.path_params["requestId"], viewer)


async def serve_export(state: AppState, request_text: str, viewer: Viewer) -> Response:
    """The export ``request_text`` (a PrivacyRequest id) for ``viewer``, already authenticated:
    the policy check, the lookups, the audit entry and the file (the module docstring). The
    admin console's download streams through here with its session's viewer."""
    person_id = viewer.person_id
    # Before the export is looked up, so the relations are the caller's own (no target's facts).
    if not state.policy.allows(
        relations_of(viewer, NO_TARGET), DOWNLOAD_EXPORT, "call"
    ) and not await _released_to_caller(state, request_text, viewer):
        # the same answer whether the export exists or not
        return _error(
            403,
            "FORBIDDEN",
            "only system administrators, and the person an export was released to, may "
            "download exports",
        )

    try:
        request_id = expect_id(request_text, "PrivacyRequest")
    except GraphQLError:
        return _error(404, "NOT_FOUND", "no such export")
    async with state.engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    _r.action, _r.status, _r.subject_id, _r.format, _r.file_name, _r.expires_at
                ).where(_r.id == request_id, _r.action.in_(jobs.EXPORT_ACTIONS))
            )
        ).first()
    if row is None:
        return _error(404, "NOT_FOUND", "no such export")
    if row.status != PrivacyRequestStatus.COMPLETED:
        return _error(409, "NOT_READY", f"the export is not available: it is {row.status}")

    export_dir = state.settings.export_dir
    now = clock.now()
    if row.expires_at is not None and row.expires_at < now:
        await jobs.expire_exports(state.engine, export_dir, now, only=request_id)
        return _error(410, "EXPIRED", "the export has expired and its file was deleted")
    if row.file_name is None:
        return _error(410, "EXPIRED", "the export file is no longer available")
    path = jobs.export_path(export_dir, row.file_name)
    try:
        # Opened before the response starts: a sweep deleting the file meanwhile cannot cut the
        # download short (the open handle keeps the data until it is closed).
        handle = await asyncio.to_thread(path.open, "rb")
    except FileNotFoundError:
        log.warning("privacy request %d: export file missing", request_id)
        return _error(410, "EXPIRED", "the export file is no longer available")
    try:
        size = os.fstat(handle.fileno()).st_size
        async with state.engine.begin() as conn:
            await audit.append(
                conn,
                audit.AuditEvent(
                    actor_id=person_id,
                    action="DOWNLOAD_EXPORT",
                    target_type="PrivacyRequest",
                    target_id=request_id,
                    subject_id=row.subject_id,
                ),
            )
    except BaseException:
        handle.close()
        raise
    subject = row.subject_id
    if subject is not None and subject != person_id and subject not in viewer.children:
        # A person's export read by staff: an entry in the staff access log (by the route, never
        # the request's id; docs/privacy-actions.md, "Staff access log").
        state.access_log.add(now, person_id, {(subject, access_log.EXPORT)}, DOWNLOAD_ROUTE)

    export_format = ExportFormat(row.format or ExportFormat.JSON)
    # The canonical id, not the path's text: base64 decoding tolerates stray characters, which
    # must not reach a header.
    global_id = to_global_id("PrivacyRequest", request_id)
    if row.action == PrivacyAction.EXPORT_SCHOOL:
        file_name, media_type = f"tavle-school-export-{global_id}.zip", ZIP
    else:
        file_name = f"tavle-export-{global_id}.{export_format.lower()}"
        media_type = MEDIA_TYPES[export_format]
    return StreamingResponse(
        _chunks(handle),
        media_type=media_type,
        headers={
            **PRIVATE_HEADERS,
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{file_name}"',
        },
    )

"""``GET /files/{fileId}?token=...``: download an uploaded file (docs/interfaces.md, "Uploads").

A browser link cannot carry an ``Authorization`` header, so the link itself is the credential:
``FileRef.downloadUrl`` gives the viewer who asked a token, an HMAC (key ``file-url-key`` in the
data folder, or ``gateway.keyfile``) of the file, the viewer's person id and an expiry
(``TAVLE_FILE_URL_SECONDS``). The route checks the token, then again that the person is still
active and may still read the field that lists the file (``resolvers.services.files.
downloadable``): a link of a person since restricted, or to an answer since moved out of the
teacher's course, stops working at once.

Every refusal is the same 404 (an unknown file, a bad, expired or someone else's token, a file no
longer visible), so a link tells nothing about other files. The file is sent as an attachment
with its sanitised name, ``X-Content-Type-Options: nosniff``, and ``Cache-Control: private,
no-store``: no shared cache keeps a copy.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from config import clock
from config.ids import expect_id
from gateway.state import AppState
from resolvers.services.files import check_download, downloadable, safe_filename
from resolvers.viewer import load_viewer
from store import access_log, audit
from store.filestore import storage_of

log = logging.getLogger("tavle.files")

#: the operation the staff access log records for a download
ROUTE = "GET /files/{fileId}"

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    # A file opened from the link runs nothing of the gateway's origin (an HTML or SVG file
    # declared as something else, say).
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def _not_found() -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "NOT_FOUND", "message": "no such file, or the link has expired"}},
        status_code=404,
        headers=PRIVATE_HEADERS,
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266, 8187)."""
    name = safe_filename(filename)
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download_file(request: Request) -> Response:
    state: AppState = request.app.state.tavle
    try:
        file_id = expect_id(request.path_params["fileId"], "FileRef")
    except GraphQLError:
        return _not_found()
    person_id = check_download(state.file_url_key, file_id, request.query_params.get("token", ""))
    if person_id is None:
        return _not_found()
    viewer = await load_viewer(state.engine, person_id)
    found = await downloadable(state.engine, state.policy, viewer, file_id)
    if found is None:
        return _not_found()
    try:
        data = await asyncio.to_thread(storage_of(state.settings).get, found.storage_key)
    except FileNotFoundError:
        log.warning("file %d: bytes missing from the storage", file_id)
        return _not_found()
    async with state.engine.begin() as conn:
        await audit.append(
            conn,
            audit.AuditEvent(
                actor_id=person_id, action="DOWNLOAD_FILE", target_type="FileRef", target_id=file_id
            ),
        )
    student = found.answer_of
    if student is not None and student != person_id and student not in viewer.children:
        # An answer's file received by staff, as its body would be through the API: an entry in
        # the staff access log (docs/privacy-actions.md, "Staff access log").
        state.access_log.add(clock.now(), person_id, {(student, access_log.SUBMISSION)}, ROUTE)
    return Response(
        data,
        media_type=found.content_type,
        headers={**PRIVATE_HEADERS, "Content-Disposition": content_disposition(found.filename)},
    )

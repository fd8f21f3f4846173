"""HTTP 413 for a request body over ``TAVLE_MAX_BODY_BYTES``, before the body is read.

A pure ASGI middleware, so it runs before any parsing and before authentication. A body with a
``Content-Length`` over the limit is refused at once, from the header alone (the HTTP server
guarantees that the body is exactly that long). A body without one (``Transfer-Encoding:
chunked``) is read here chunk by chunk and refused as soon as the count passes the limit, so at
most the limit plus one chunk is ever held; a body within the limit is handed on unchanged.

The refusal closes the connection (``Connection: close``): the rest of the body is never read.

A file upload (a ``multipart/form-data`` ``POST`` to ``/graphql``, ``gateway.uploads``) may be
larger: up to ``multipart_max_bytes`` (``TAVLE_MAX_FILE_BYTES`` plus 64 KiB), and only that. Its
chunked body is not held here but handed on as it arrives, counted: the admission authenticates
the caller before it reads any of it, and writes the file parts to a temporary file as they
come. Past the limit the request is refused (413, if nothing was answered yet) and the
application sees the client leave.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http.errors import PAYLOAD_TOO_LARGE, refuse


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:  # the HTTP server refuses these; nothing to decide here
                return None
    return None


#: room in an upload's body beside the file: the operations, the map, the part headers
MULTIPART_OVERHEAD = 64 * 1024
#: the one route that takes uploads
UPLOAD_PATH = "/graphql"


def multipart_limit(max_body_bytes: int, max_file_bytes: int) -> int:
    """The largest multipart body of ``POST /graphql``."""
    return max(max_body_bytes, max_file_bytes + MULTIPART_OVERHEAD)


def _is_upload(scope: Scope) -> bool:
    if scope.get("method") != "POST" or scope.get("path") != UPLOAD_PATH:
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"multipart/form-data")
    return False


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = _is_upload(scope)
        limit = self.multipart_max_bytes if upload else self.max_bytes
        declared = _declared_length(scope)
        if declared is not None:
            if declared > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        if upload:
            await self._counted(scope, receive, send, limit)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; there is nobody to answer
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body: Message | None = {
            "type": "http.request",
            "body": b"".join(chunks),
            "more_body": False,
        }

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Hand a chunked body on as it arrives; past ``limit``, answer 413 (unless the
        application has started its answer) and tell the application the client left."""
        size = 0
        over = False
        answered = False

        async def counting() -> Message:
            nonlocal size, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    if not answered:
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            nonlocal answered
            if over:
                return  # the refusal was the answer
            answered = True
            await send(message)

        await self.app(scope, counting, sending)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = refuse(
            413,
            PAYLOAD_TOO_LARGE,
            f"The request body is larger than the limit of {limit} bytes",
            headers={"Connection": "close"},
            limit=limit,
        )
        await response(scope, receive, send)

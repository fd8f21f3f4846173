"""HTTP 413 for a request body over ``TAVLE_MAX_BODY_BYTES``, before the body is read.

A pure ASGI middleware, so it runs before any parsing and before authentication. A body with a
``Content-Length`` over the limit is refused at once, from the header alone (the HTTP server
guarantees that the body is exactly that long). A body without one (``Transfer-Encoding:
chunked``) is read here chunk by chunk and refused as soon as the count passes the limit, so at
most the limit plus one chunk is ever held; a body within the limit is handed on unchanged.

The refusal closes the connection (``Connection: close``): the rest of the body is never read.
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


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; there is nobody to answer
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
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

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = refuse(
            413,
            PAYLOAD_TOO_LARGE,
            f"The request body is larger than the limit of {self.max_bytes} bytes",
            headers={"Connection": "close"},
            limit=self.max_bytes,
        )
        await response(scope, receive, send)

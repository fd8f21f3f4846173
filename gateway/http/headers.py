"""Security headers on every answer, and the content security policy of GraphiQL.

Every answer gets ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.
Unless the answer sets its own: ``Cache-Control: no-store`` (GraphQL answers, export downloads
and error answers can all carry personal data, and nothing the gateway serves is worth caching),
``X-Frame-Options: DENY`` and a content security policy that allows nothing at all
(``default-src 'none'; frame-ancestors 'none'``): a JSON answer needs no scripts, styles or
frames. GraphiQL's page sets the policy it needs (:func:`graphiql_policy`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: set on every answer, replacing what a handler set
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
#: the policy of every answer that is not an HTML page with needs of its own
LOCKED_DOWN_POLICY = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: set on every answer that does not set them itself
DEFAULT_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", LOCKED_DOWN_POLICY),
    ("X-Frame-Options", "DENY"),
)


def add_security_headers(message: Message) -> None:
    """The security headers into an answer's ``http.response.start`` message."""
    headers = MutableHeaders(scope=message)
    for name, value in SECURITY_HEADERS:
        headers[name] = value
    for name, value in DEFAULT_HEADERS:
        headers.setdefault(name, value)


class SecurityHeadersMiddleware:
    """Adds the security headers to the start of every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["'](https://[^"']+)["']""")


def _origins(html: str) -> list[str]:
    found: list[str] = []
    for url in _EXTERNAL_URL.findall(html):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in found:
            found.append(origin)
    return found


def graphiql_policy(html: str) -> str:
    """The content security policy for GraphiQL's page ``html``, derived from the page itself.

    Scripts: the inline ones by their SHA-256 hash (exactly the page's own), and the files from
    the gateway itself (``gateway.graphiql``) or from the origins the page names (none today),
    with subresource integrity on each file; no ``eval``. Styles from the same places, plus
    inline styles (GraphiQL styles elements at run time). Images
    from the gateway and ``data:`` URLs (the page's icon), requests to the gateway only, and no
    framing by any page (``frame-ancestors 'none'``, against clickjacking).
    """
    hashes = [
        "'sha256-"
        + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        + "'"
        for script in _INLINE_SCRIPT.findall(html)
    ]
    origins = _origins(html)
    directives = [
        "default-src 'none'",
        " ".join(["script-src", "'self'", *origins, *hashes]),
        " ".join(["style-src", "'self'", *origins, "'unsafe-inline'"]),
        " ".join(["font-src", *origins, "data:"]),
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)

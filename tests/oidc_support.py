"""The test identity provider's side of production (OIDC) authentication: its issuer and
audience, the claims of its tokens, and a real HTTP server that publishes its signing keys."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ISSUER = "https://idp.example.test"
AUDIENCE = "tavle-gateway"


def claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a valid token from ``ISSUER`` for ``AUDIENCE``: larer.hansen, issued now,
    valid for five minutes. ``overrides`` replace or add claims; one set to None is left out."""
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "larer.hansen",
        "iat": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving ``document`` (a JWKS) at ``/jwks``, 404 at any
    other path, and recording the path of every request in ``requests``.

    Tests may change ``document`` while it runs. ``stop`` closes its port (the provider is
    unreachable); ``start`` opens the same port again.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.requests: list[str] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks"

    @property
    def fetches(self) -> int:
        """How many times the key set has been fetched."""
        return self.requests.count("/jwks")

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if self.path != "/jwks":
                    self.send_error(404)
                    return
                body = json.dumps(owner.document).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the port (nothing to do when it is closed already)."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

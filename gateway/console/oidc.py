"""Signing in to the console with OpenID Connect: the authorization code flow with PKCE.

1. ``/admin/login`` makes a random ``state``, ``nonce`` and PKCE ``code_verifier``, keeps them
   in a short-lived ``HttpOnly`` cookie for the callback path (``SameSite=Lax``: the provider's
   redirect back is a cross-site navigation) and sends the browser to the provider's
   ``authorization_endpoint`` (from its discovery document) with the S256 ``code_challenge``.
2. ``/admin/callback`` checks ``state`` against the cookie in constant time, exchanges the code
   at the ``token_endpoint`` (httpx; the client secret, when there is one, as
   ``client_secret_post``) and validates the ID token with the gateway's own verifier for
   bearer tokens (``Authenticator.verify_id_token``: the issuer's JWKS, algorithms, lifetime),
   with the console's client id as audience, and its ``nonce``. The person is found by the
   issuer's claim mappings, exactly as for a bearer token (``gateway.authentication.viewer_of``).

The provider must be one of the trusted issuers (``TAVLE_OIDC_ISSUER(S)``), over https (http only
on loopback, for local providers and tests).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from config.settings import Settings
from gateway.auth import AuthenticationError, Authenticator, Principal, is_loopback

#: how long a sign-in may take between leaving for the provider and coming back
PENDING_SECONDS = 600
DISCOVERY_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10.0


class SignInError(Exception):
    """Signing in failed; ``reason`` is short, fixed text without any token or personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    """What the callback needs from the start of a sign-in."""

    state: str
    nonce: str
    verifier: str
    started: float

    def encode(self) -> str:
        raw = json.dumps([self.state, self.nonce, self.verifier, self.started])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, value: str | None) -> Pending | None:
        if not value:
            return None
        try:
            state, nonce, verifier, started = json.loads(base64.urlsafe_b64decode(value))
            return cls(str(state), str(nonce), str(verifier), float(started))
        except (ValueError, TypeError):
            return None


def _checked_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SignInError(f"the provider's {what} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SignInError(f"the provider's {what} must use https")
    return url


class ConsoleOidc:
    """The console's OpenID Connect client (module docstring)."""

    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        assert settings.console_oidc_client_id and settings.console_oidc_redirect_uri
        self.client_id = settings.console_oidc_client_id
        self.client_secret = settings.console_oidc_client_secret.get_secret_value()
        self.redirect_uri = settings.console_oidc_redirect_uri
        self.scope = settings.console_oidc_scope
        self.issuer = _issuer_of(settings)
        self.authenticator = authenticator
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, authenticator: Authenticator) -> ConsoleOidc | None:
        """The client when the console's OpenID Connect settings and a trusted issuer are set."""
        if not settings.jwks_configured or not settings.console_oidc_client_id:
            return None
        if not settings.console_oidc_redirect_uri:
            raise ValueError("TAVLE_CONSOLE_OIDC_REDIRECT_URI is required with a client id")
        return cls(settings, authenticator)

    @property
    def provider_name(self) -> str:
        return urlsplit(self.issuer).hostname or self.issuer

    async def discovery(self) -> dict[str, Any]:
        """The provider's discovery document (kept for an hour)."""
        async with self._lock:
            kept = self._discovery
            if kept is not None and time.monotonic() < kept[0] + DISCOVERY_SECONDS:
                return kept[1]
            url = _checked_url(
                self.issuer.rstrip("/") + "/.well-known/openid-configuration", "issuer"
            )
            try:
                async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
                    response = await client.get(url)
                    response.raise_for_status()
                    document = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise SignInError("the provider's discovery document is unavailable") from error
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                raise SignInError("the provider's discovery document names another issuer")
            for name in ("authorization_endpoint", "token_endpoint"):
                if not isinstance(document.get(name), str):
                    raise SignInError(f"the provider's discovery document has no {name}")
                _checked_url(document[name], name)
            self._discovery = (time.monotonic(), document)
            return document

    async def begin(self) -> tuple[str, Pending]:
        """The provider's authorization URL for a new sign-in, and what the callback needs."""
        document = await self.discovery()
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),
            started=time.time(),
        )
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        endpoint = str(document["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{query}", pending

    async def finish(
        self, pending: Pending | None, state: str | None, code: str | None, error: str | None
    ) -> Principal:
        """The principal the provider's answer names, or :class:`SignInError`."""
        if error:
            raise SignInError("the provider refused the sign-in")
        if pending is None or time.time() > pending.started + PENDING_SECONDS:
            raise SignInError("the sign-in was not started here or took too long")
        if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SignInError("the answer does not belong to this sign-in (state)")
        if not code:
            raise SignInError("the provider sent no authorization code")
        document = await self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": pending.verifier,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
                response = await client.post(
                    str(document["token_endpoint"]),
                    data=form,
                    headers={"Accept": "application/json"},
                )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as failure:
            raise SignInError("the provider's token endpoint is unavailable") from failure
        if response.status_code != 200 or not isinstance(answer, dict):
            raise SignInError("the provider refused the authorization code")
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("the provider sent no ID token")
        try:
            principal, claims = await asyncio.to_thread(
                self.authenticator.verify_id_token, id_token, self.client_id, self.issuer
            )
        except AuthenticationError as failure:
            raise SignInError(f"the ID token was refused ({failure.reason})") from failure
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), pending.nonce.encode()
        ):
            raise SignInError("the ID token does not belong to this sign-in (nonce)")
        return principal


def _issuer_of(settings: Settings) -> str:
    trusted = (
        [entry.issuer for entry in settings.oidc_issuers]
        if settings.oidc_issuers is not None
        else [settings.oidc_issuer]
        if settings.oidc_issuer
        else []
    )
    issuer = settings.console_oidc_issuer or (trusted[0] if trusted else None)
    if issuer is None or issuer not in trusted:
        raise ValueError("TAVLE_CONSOLE_OIDC_ISSUER must be one of the trusted issuers")
    return issuer

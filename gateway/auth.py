"""Authentication of ``Authorization: Bearer <JWT>`` headers.

Exactly one of two token issuers is active, chosen from :class:`~gateway.settings.Settings`:

* **OIDC** (production) when a JWKS is configured (``jwks_file`` or ``jwks_url``): tokens are
  verified against the provider's public keys, selected by the token header's ``kid``, with a
  fixed allow-list of asymmetric algorithms, and ``exp``, ``iss`` and ``aud`` are required.
* **Development** when ``settings.dev_auth_enabled``: HS256 tokens minted locally by
  ``tavle token`` with a development key.

No database access happens here: a :class:`Principal` only carries the value of the configured
claim; the gateway maps it to a person. Token contents and claim values are never logged, and
:class:`AuthenticationError` reasons never contain them either, so they are safe to return to
the client.

``authenticate`` is synchronous and may block (a JWKS fetch over the network), so callers on an
event loop run it in a worker thread.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import jwt
from jwt.types import Options

from gateway.keyfile import KeyFileError, load_or_create_key
from gateway.settings import Settings

__all__ = [
    "DEVELOPMENT_AUDIENCE",
    "DEVELOPMENT_ISSUER",
    "AuthConfigurationError",
    "AuthenticationError",
    "Authenticator",
    "Principal",
    "SigningKeysUnavailableError",
]

logger = logging.getLogger(__name__)

DEVELOPMENT_ISSUER: Final = "tavle-development"
DEVELOPMENT_AUDIENCE: Final = "tavle"
DEVELOPMENT_ALGORITHM: Final = "HS256"
DEV_SECRET_FILENAME: Final = "dev-secret"
DEV_SECRET_BYTES: Final = 32
"""HS256 keys shorter than the hash output (32 bytes) are weak; PyJWT warns about them."""

CLOCK_SKEW_LEEWAY_SECONDS: Final = 30
MAX_TOKEN_LENGTH: Final = 16 * 1024
"""Larger headers are refused before any parsing; real ID/access tokens are a few KiB."""

JWKS_FETCH_TIMEOUT_SECONDS: Final = 10.0
JWKS_CACHE_LIFESPAN_SECONDS: Final = 300.0

ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {
        "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512",
        "ES256", "ES256K", "ES384", "ES512", "ES521",
        "EdDSA",
    }
)  # fmt: skip
"""Algorithms that may appear in ``oidc_algorithms``.

Symmetric (HS*) algorithms are excluded on purpose: with a JWKS, an HMAC "secret" would be a
public key, which is the algorithm-confusion attack. ``none`` is never acceptable.
"""


class AuthenticationError(Exception):
    """A bearer token was presented but is not acceptable.

    ``reason`` is short, precise and contains nothing from the token, so it can be shown to the
    client (e.g. in ``errors[].message`` with code ``UNAUTHENTICATED``) and logged.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SigningKeysUnavailableError(AuthenticationError):
    """The provider's JWKS could not be fetched, so no token can be verified right now.

    A subclass of :class:`AuthenticationError` so that the request is refused as
    unauthenticated by default; callers may catch it separately to report a server-side
    problem (e.g. in ``/readyz`` or logs) rather than a client mistake.
    """


class AuthConfigurationError(Exception):
    """The authentication settings are inconsistent or unsafe; raised at construction."""


@dataclass(frozen=True)
class Principal:
    """Who presented a valid token.

    ``subject`` is the value of the configured claim (``oidc_user_claim``, or ``sub`` for
    development tokens): a roster ``sourcedId`` or username, which the gateway maps to a person.
    """

    subject: str
    method: Literal["oidc", "development"]


# --------------------------------------------------------------------------------------------
# Error mapping


def _reason_for(error: jwt.PyJWTError) -> str:
    """Translate a PyJWT exception into a fixed, non-personal reason.

    PyJWT messages are not used verbatim because some of them echo header values.
    Subclasses are tested before their bases (``InvalidSignatureError`` is a ``DecodeError``).
    """
    if isinstance(error, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "token not yet valid"
    if isinstance(error, jwt.InvalidAudienceError):
        return "invalid audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "invalid issuer"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing claim: {error.claim}"
    if isinstance(error, jwt.InvalidIssuedAtError):
        return "invalid claim: iat"
    if isinstance(error, jwt.exceptions.InvalidSubjectError):
        return "invalid claim: sub"
    if isinstance(error, jwt.exceptions.InvalidJTIError):
        return "invalid claim: jti"
    if isinstance(error, jwt.InvalidSignatureError):
        return "signature verification failed"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "algorithm not allowed"
    if isinstance(error, jwt.InvalidKeyError):
        return "unusable signing key"
    if isinstance(error, jwt.DecodeError):
        return "malformed token"
    return "invalid token"


def _bearer_token(authorization_header: str) -> str:
    """Extract the token from ``Bearer <token>`` (scheme case-insensitive, RFC 7235)."""
    parts = authorization_header.strip().split()
    if len(parts) != 2:
        raise AuthenticationError("malformed Authorization header")
    scheme, token = parts
    if scheme.lower() != "bearer":
        raise AuthenticationError("unsupported authorization scheme")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationError("token too large")
    return token


def _subject_from(claims: dict[str, Any], claim: str) -> str:
    value = claims.get(claim)
    if value is None:
        raise AuthenticationError(f"missing claim: {claim}")
    if not isinstance(value, str) or not value.strip():
        raise AuthenticationError(f"invalid claim: {claim}")
    return value


# --------------------------------------------------------------------------------------------
# OIDC (JWKS) verification


class _JwksKeys:
    """Signing keys from a JWKS, looked up by ``kid``.

    Either a fixed set read once from a file (restart the gateway after a key rotation), or a
    :class:`jwt.PyJWKClient` that caches the remote set for a few minutes and refetches it,
    at most every 30 seconds, when an unknown ``kid`` appears (key rotation at the provider).
    """

    def __init__(self, *, jwks_file: Path | None, jwks_url: str | None) -> None:
        self._fixed: dict[str, jwt.PyJWK] | None = None
        self._client: jwt.PyJWKClient | None = None
        if jwks_file is not None:
            self._fixed = self._load_file(jwks_file)
        elif jwks_url is not None:
            self._client = self._make_client(jwks_url)
        else:  # pragma: no cover - guarded by the caller
            raise AuthConfigurationError("no JWKS configured")

    @staticmethod
    def _load_file(path: Path) -> dict[str, jwt.PyJWK]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise AuthConfigurationError(
                f"cannot read TAVLE_JWKS_FILE {str(path)!r}: {error.strerror}"
            ) from error
        try:
            key_set = jwt.PyJWKSet.from_json(text)
        except (ValueError, AttributeError, jwt.PyJWTError) as error:
            raise AuthConfigurationError(
                f"TAVLE_JWKS_FILE {str(path)!r} is not a usable JWK Set: {error}"
            ) from error
        keys: dict[str, jwt.PyJWK] = {}
        for key in key_set.keys:
            # Same filter as PyJWKClient: signing keys that can be selected by kid.
            if key.public_key_use in ("sig", None) and key.key_id and key.key_id not in keys:
                keys[key.key_id] = key
        if not keys:
            raise AuthConfigurationError(
                f"TAVLE_JWKS_FILE {str(path)!r} holds no signing key with a 'kid'"
            )
        return keys

    @staticmethod
    def _make_client(url: str) -> jwt.PyJWKClient:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AuthConfigurationError("TAVLE_JWKS_URL must be an http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            # Keys fetched over plain HTTP could be swapped in transit, letting anyone mint
            # tokens. Loopback is allowed for local providers and tests.
            raise AuthConfigurationError("TAVLE_JWKS_URL must use https (http only on loopback)")
        return jwt.PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=JWKS_CACHE_LIFESPAN_SECONDS,
            timeout=JWKS_FETCH_TIMEOUT_SECONDS,
            headers={"User-Agent": "tavle-gateway"},
        )

    def get(self, kid: str) -> jwt.PyJWK:
        if self._fixed is not None:
            key = self._fixed.get(kid)
            if key is None:
                raise AuthenticationError("unknown signing key")
            return key
        assert self._client is not None
        # Fetch (or take from the cache) first, so that an unreachable provider is not
        # reported as an unknown key.
        self._fetch_signing_keys()
        try:
            # Looks in the cached set, refetching once (rate-limited) for an unknown kid.
            return self._client.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError) as error:
            logger.warning("JWKS refresh failed: %s", error)
            raise SigningKeysUnavailableError("signing keys unavailable") from error
        except jwt.PyJWKClientError as error:
            raise AuthenticationError("unknown signing key") from error

    def _fetch_signing_keys(self) -> None:
        assert self._client is not None
        try:
            self._client.get_signing_keys()
        except jwt.PyJWTError as error:
            logger.warning("JWKS fetch failed: %s", error)
            raise SigningKeysUnavailableError("signing keys unavailable") from error


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _OidcVerifier:
    def __init__(self, settings: Settings) -> None:
        if settings.jwks_file is not None and settings.jwks_url is not None:
            raise AuthConfigurationError("set only one of TAVLE_JWKS_FILE and TAVLE_JWKS_URL")
        if not settings.oidc_issuer:
            raise AuthConfigurationError("TAVLE_OIDC_ISSUER is required when a JWKS is configured")
        if not settings.oidc_audience:
            raise AuthConfigurationError(
                "TAVLE_OIDC_AUDIENCE is required when a JWKS is configured"
            )
        if not settings.oidc_user_claim:
            raise AuthConfigurationError("TAVLE_OIDC_USER_CLAIM must not be empty")
        self._algorithms = _validated_algorithms(settings.oidc_algorithms)
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._user_claim = settings.oidc_user_claim
        self._keys = _JwksKeys(jwks_file=settings.jwks_file, jwks_url=settings.jwks_url)

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason_for(error)) from error
        algorithm = header.get("alg")
        # Checked before any key lookup: rejects "none", HS* (including HS256 "signed" with
        # the provider's public key) and anything else outside the allow-list.
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise AuthenticationError("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("missing key id")
        key = self._keys.get(kid)
        # A JWK is bound to one algorithm (its "alg", or the default for its key type);
        # verifying with whatever the token header claims would defeat that binding.
        if algorithm != key.algorithm_name:
            raise AuthenticationError("algorithm does not match signing key")
        options: Options = {
            "require": ["exp", "iss", "aud"],
            "enforce_minimum_key_length": True,
        }
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_LEEWAY_SECONDS,
                options=options,
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason_for(error)) from error
        return Principal(subject=_subject_from(claims, self._user_claim), method="oidc")


def _validated_algorithms(configured: list[str]) -> frozenset[str]:
    if not configured:
        raise AuthConfigurationError("TAVLE_OIDC_ALGORITHMS must name at least one algorithm")
    refused = sorted(set(configured) - ASYMMETRIC_ALGORITHMS)
    if refused:
        raise AuthConfigurationError(
            f"TAVLE_OIDC_ALGORITHMS may only contain asymmetric algorithms "
            f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); refused: {', '.join(refused)}"
        )
    return frozenset(configured)


# --------------------------------------------------------------------------------------------
# Development tokens


class _DevelopmentTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> _DevelopmentTokens:
        configured = settings.dev_secret.get_secret_value()
        if configured:
            secret = configured.encode("utf-8")
            if len(secret) < DEV_SECRET_BYTES:
                raise AuthConfigurationError(
                    f"TAVLE_DEV_SECRET must be at least {DEV_SECRET_BYTES} bytes long"
                )
            return cls(secret)
        return cls(_load_or_create_dev_secret(settings.data_dir / DEV_SECRET_FILENAME))

    def mint(self, subject: str, ttl_seconds: int) -> str:
        if not subject:
            raise ValueError("subject must not be empty")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        now = int(time.time())
        claims = {
            "iss": DEVELOPMENT_ISSUER,
            "aud": DEVELOPMENT_AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=DEVELOPMENT_ALGORITHM)

    def verify(self, token: str) -> Principal:
        options: Options = {"require": ["exp", "iss", "aud", "sub"]}
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[DEVELOPMENT_ALGORITHM],
                audience=DEVELOPMENT_AUDIENCE,
                issuer=DEVELOPMENT_ISSUER,
                leeway=CLOCK_SKEW_LEEWAY_SECONDS,
                options=options,
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason_for(error)) from error
        return Principal(subject=_subject_from(claims, "sub"), method="development")


def _load_or_create_dev_secret(path: Path) -> bytes:
    try:
        return load_or_create_key(path, DEV_SECRET_BYTES, "development signing key")
    except KeyFileError as error:
        raise AuthConfigurationError(str(error)) from error


# --------------------------------------------------------------------------------------------
# Public entry point


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`Principal`.

    Build it once per process with :meth:`from_settings`; it is safe to share between threads.
    """

    def __init__(self, settings: Settings) -> None:
        self._oidc: _OidcVerifier | None = None
        self._development: _DevelopmentTokens | None = None
        if settings.jwks_configured:
            self._oidc = _OidcVerifier(settings)
        elif settings.dev_auth_enabled:
            self._development = _DevelopmentTokens.from_settings(settings)
        logger.info("Bearer authentication: %s", self.method or "disabled")

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """Validate the authentication settings and build an authenticator.

        Raises :class:`AuthConfigurationError` for an unusable configuration (for example a
        JWKS without ``oidc_issuer``/``oidc_audience``, or a symmetric algorithm in
        ``oidc_algorithms``). With ``jwks_file`` the file is read here; with ``jwks_url`` the
        keys are fetched on first use. With development authentication the development key is
        read or created here.
        """
        return cls(settings)

    @property
    def method(self) -> Literal["oidc", "development"] | None:
        """Which tokens are accepted; ``None`` when bearer tokens are refused altogether."""
        if self._oidc is not None:
            return "oidc"
        if self._development is not None:
            return "development"
        return None

    def authenticate(self, authorization_header: str | None) -> Principal | None:
        """Return the principal for ``authorization_header``.

        ``None`` (no header) means an anonymous request. Anything else must be a valid bearer
        token: otherwise :class:`AuthenticationError` is raised. May block on a JWKS fetch.
        """
        if authorization_header is None:
            return None
        token = _bearer_token(authorization_header)
        if self._oidc is not None:
            verifier: _OidcVerifier | _DevelopmentTokens = self._oidc
        elif self._development is not None:
            verifier = self._development
        else:
            raise AuthenticationError("bearer authentication is not configured")
        try:
            return verifier.verify(token)
        except AuthenticationError as error:
            logger.debug("Bearer token rejected: %s", error.reason)
            raise

    def mint_development_token(self, subject: str, ttl_seconds: int = 8 * 3600) -> str:
        """Sign a development token for ``subject`` (a roster sourcedId or username).

        Raises :class:`AuthenticationError` when development authentication is disabled,
        which includes every configuration with a JWKS.
        """
        if self._development is None:
            raise AuthenticationError("development authentication is disabled")
        return self._development.mint(subject, ttl_seconds)

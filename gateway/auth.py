"""Authentication of ``Authorization: Bearer <JWT>`` headers.

Exactly one of two token sources is active, chosen from :class:`~config.settings.Settings`:

* **OIDC** (production) when trusted issuers are configured: the single issuer of
  ``jwks_file``/``jwks_url`` with ``oidc_issuer``/``oidc_audience``, or the list
  ``oidc_issuers`` (Feide and ID-porten at once). The token's ``iss`` picks the issuer (one no
  entry has is refused); its signature is verified against that issuer's keys only, selected by
  the token header's ``kid``, with that issuer's allow-list of asymmetric algorithms, and
  ``exp``, ``iat``, ``iss`` and ``aud`` (one of the issuer's audiences) are required.
* **Development** when ``settings.dev_auth_enabled``: HS256 tokens minted locally by
  ``tavle token`` with a development key.

No database access happens here: a :class:`Principal` carries the issuer's claim mappings that
the token has a claim for, in order, with their values (:class:`Identifier`); the gateway maps
them to a person (``gateway.authentication.viewer_of``). Token contents and claim values are
never logged, and :class:`AuthenticationError` reasons never contain them either, so they are
safe to return to the client.

Signing keys change (docs/operations.md, "Signing keys and rotation"), for each issuer on its
own: a JWKS file is re-read when it changes, checked at most once a second; a JWKS URL is cached
for ``jwks_cache_seconds`` and fetched again early, at most every ``jwks_refresh_seconds``, when
a token names an unknown ``kid``. While an issuer's keys cannot be loaded its tokens are refused
and :meth:`Authenticator.signing_keys_problem` says why (``/readyz`` answers 503).

``authenticate`` is synchronous and may block (a JWKS fetch over the network), so callers on an
event loop run it in a worker thread.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import jwt
from jwt.types import Options

from config.oidc import ASYMMETRIC_ALGORITHMS, ClaimMapping, IdentifierKind, OidcIssuer
from config.settings import Settings
from gateway.keyfile import KeyFileError, load_or_create_key

__all__ = [
    "DEVELOPMENT_AUDIENCE",
    "DEVELOPMENT_ISSUER",
    "LEGACY_IDENTIFIER",
    "AuthConfigurationError",
    "AuthenticationError",
    "Authenticator",
    "Identifier",
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
JWKS_FILE_CHECK_SECONDS: Final = 1.0
"""A JWKS file is looked at (one ``stat``) at most this often; it is read only when it changed."""
JWKS_RETRY_SECONDS: Final = 2.0
"""After a failed JWKS fetch, requests are refused at once for this long instead of each waiting
for the provider's timeout; then the next request or readiness check tries again."""
DEVELOPMENT_TOKEN_SECONDS: Final = 8 * 3600
"""Lifetime of a token from ``tavle token`` (shortened to the maximum token lifetime)."""

LEGACY_IDENTIFIER: Final[IdentifierKind] = "sourced_id_or_username"
"""What the single-issuer ``oidc_user_claim`` and development tokens' ``sub`` are compared with."""


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


@dataclass(frozen=True, slots=True)
class Identifier:
    """One claim mapping applied to a token: the mapping's ``label`` (``claim->identifier``,
    which names no person), the kind of roster identifier and the claim's value."""

    label: str
    kind: IdentifierKind
    value: str = field(repr=False)


@dataclass(frozen=True)
class Principal:
    """Who presented a valid token.

    ``identifiers``: the issuer's claim mappings whose claim the token carries, in the
    configured order, each with the claim's value; the gateway picks the first that names
    exactly one active person. ``subject`` is the first one's value (for development tokens and
    the single-issuer settings, the only one: a roster ``sourcedId`` or username). ``issuer`` is
    the token's ``iss``. Values are left out of ``repr``: they may be national id numbers.
    """

    subject: str = field(repr=False)
    method: Literal["oidc", "development"]
    identifiers: tuple[Identifier, ...] = field(default=(), compare=False, repr=False)
    issuer: str | None = field(default=None, compare=False)

    def candidates(self) -> tuple[Identifier, ...]:
        """The identifiers to look the person up by (``subject`` as a sourcedId or username
        when none were given)."""
        if self.identifiers:
            return self.identifiers
        return (Identifier(f"sub->{LEGACY_IDENTIFIER}", LEGACY_IDENTIFIER, self.subject),)


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


def _check_lifetime(claims: dict[str, Any], maximum_seconds: int) -> None:
    """Refuse tokens valid for longer than ``maximum_seconds`` (``exp - iat``).

    PyJWT has checked both claims are present and integers (``int()`` accepts them), ``iat`` is
    not in the future and ``exp`` not in the past, so a token passing this check expires at
    most ``maximum_seconds`` (plus the clock-skew leeway) from now.
    """
    if int(claims["exp"]) - int(claims["iat"]) > maximum_seconds:
        raise AuthenticationError("token lifetime exceeds the maximum")


def _subject_from(claims: dict[str, Any], claim: str) -> str:
    value = claims.get(claim)
    if value is None:
        raise AuthenticationError(f"missing claim: {claim}")
    if not isinstance(value, str) or not value.strip():
        raise AuthenticationError(f"invalid claim: {claim}")
    return value


def _identifiers_from(
    claims: dict[str, Any], mappings: Sequence[ClaimMapping]
) -> tuple[Identifier, ...]:
    """The mappings whose claim the token carries, with its value, in the configured order.

    A mapped claim that is present but not a non-empty string refuses the token; a token with
    none of the mapped claims is refused naming them (names only, never values).
    """
    found: list[Identifier] = []
    for mapping in mappings:
        value = claims.get(mapping.claim)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise AuthenticationError(f"invalid claim: {mapping.claim}")
        found.append(Identifier(mapping.label, mapping.identifier, value))
    if not found:
        names = ", ".join(dict.fromkeys(mapping.claim for mapping in mappings))
        raise AuthenticationError(f"missing claim: {names}")
    return tuple(found)


# --------------------------------------------------------------------------------------------
# OIDC (JWKS) verification


def _signing_keys(key_set: jwt.PyJWKSet) -> dict[str, jwt.PyJWK]:
    """Keys usable for signatures that can be selected by ``kid`` (PyJWKClient's filter)."""
    keys: dict[str, jwt.PyJWK] = {}
    for key in key_set.keys:
        if key.public_key_use in ("sig", None) and key.key_id and key.key_id not in keys:
            keys[key.key_id] = key
    return keys


class _UnusableKeysError(Exception):
    """The JWKS could not be read or holds no usable signing key; the message says which."""


class _FileKeys:
    """Signing keys from a JWKS file, re-read whenever the file changes.

    The file is looked at (one ``stat``: device, inode, size and modification time) at most
    every ``check_seconds``, and read only when one of them changed, so replacing the file, or
    rewriting it, takes effect within about a second in every process. A file that cannot be
    read at start is a configuration error. One that later becomes unreadable or invalid is not
    worked around with the keys read before: they may be the very keys the change removed. Every
    token is refused (``signing keys unavailable``) and :meth:`problem` reports it until a usable
    file is back.
    """

    def __init__(
        self,
        path: Path,
        check_seconds: float = JWKS_FILE_CHECK_SECONDS,
        *,
        setting: str = "TAVLE_JWKS_FILE",
    ) -> None:
        self._path = path
        self._setting = setting
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._seen = self._stamp()
        try:
            self._keys: dict[str, jwt.PyJWK] | None = self._read()
        except _UnusableKeysError as error:
            raise AuthConfigurationError(str(error)) from error
        self._problem: str | None = None
        self._next_check = time.monotonic() + check_seconds

    def _stamp(self) -> tuple[int, int, int, int] | None:
        try:
            status = os.stat(self._path)
        except OSError:
            return None
        return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)

    def _read(self) -> dict[str, jwt.PyJWK]:
        name = str(self._path)
        try:
            text = self._path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            detail = error.strerror if isinstance(error, OSError) else "not UTF-8"
            raise _UnusableKeysError(f"cannot read {self._setting} {name!r}: {detail}") from error
        try:
            key_set = jwt.PyJWKSet.from_json(text)
        except (ValueError, AttributeError, TypeError, jwt.PyJWTError) as error:
            raise _UnusableKeysError(
                f"{self._setting} {name!r} is not a usable JWK Set: {error}"
            ) from error
        keys = _signing_keys(key_set)
        if not keys:
            raise _UnusableKeysError(f"{self._setting} {name!r} holds no signing key with a 'kid'")
        return keys

    def _refresh(self) -> None:
        if time.monotonic() < self._next_check:
            return
        with self._lock:
            if time.monotonic() < self._next_check:
                return
            self._next_check = time.monotonic() + self._check_seconds
            # Stat before reading: a write that finishes after the read changes the stamp
            # again, so the next check reads the finished file.
            stamp = self._stamp()
            if stamp == self._seen:
                return
            self._seen = stamp
            try:
                keys = self._read()
            except _UnusableKeysError as error:
                self._keys, self._problem = None, str(error)
                logger.error("%s; refusing every bearer token until it is usable", error)
                return
            self._keys, self._problem = keys, None
            logger.info("Signing keys reloaded from %s: %d key(s)", self._path, len(keys))

    def get(self, kid: str) -> jwt.PyJWK:
        self._refresh()
        keys = self._keys
        if keys is None:
            raise SigningKeysUnavailableError("signing keys unavailable")
        key = keys.get(kid)
        if key is None:
            raise AuthenticationError("unknown signing key")
        return key

    def problem(self) -> str | None:
        self._refresh()
        return self._problem


class _RemoteKeys:
    """Signing keys from a JWKS URL, cached for ``cache_seconds``.

    The set is fetched on first use and again once it is older than ``cache_seconds`` (so a key
    the provider removed stops working within that time); a token naming a ``kid`` the cached
    set lacks (the provider rotated to a new key) makes it fetch early, at most once every
    ``refresh_seconds``, so tokens with made-up ``kid`` values cannot make the gateway hammer
    the provider. When the cached set has expired and a fetch fails, every token is refused,
    and for :data:`JWKS_RETRY_SECONDS` no new fetch is tried: requests fail at once instead of
    each waiting for the provider's timeout.

    ``jwt.PyJWKClient`` does the HTTP part (timeout, no redirects, JSON object check). Its own
    cache is not used: it serialises every lookup behind a fetch, and a failed refresh does not
    start its cooldown, so an unreachable provider would be asked again on every request.
    Lookups here read the cache without a lock; only fetches are serialised.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float,
        refresh_seconds: float,
        setting: str = "TAVLE_JWKS_URL",
    ) -> None:
        self._url = url
        self._setting = setting
        self._client = jwt.PyJWKClient(
            url,
            cache_jwk_set=False,
            timeout=JWKS_FETCH_TIMEOUT_SECONDS,
            headers={"User-Agent": "tavle-gateway"},
        )
        self._cache_seconds = cache_seconds
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        #: (monotonic time of the fetch, keys): replaced as a whole, so readers need no lock
        self._cached: tuple[float, dict[str, jwt.PyJWK]] | None = None
        self._retry_at = 0.0
        self._next_forced = 0.0
        self._problem: str | None = None

    def _fresh(self) -> dict[str, jwt.PyJWK] | None:
        cached = self._cached
        if cached is None or time.monotonic() >= cached[0] + self._cache_seconds:
            return None
        return cached[1]

    def _fetch(self, *, forced: bool) -> dict[str, jwt.PyJWK]:
        """The current keys, fetched now unless another thread just did (or, when ``forced``,
        unless the last fetch was less than ``refresh_seconds`` ago)."""
        with self._lock:
            now = time.monotonic()
            fresh = self._fresh()
            if fresh is not None and (not forced or now < self._next_forced):
                return fresh
            if now < self._retry_at:
                raise SigningKeysUnavailableError("signing keys unavailable")
            self._next_forced = now + self._refresh_seconds
            try:
                keys = _signing_keys(jwt.PyJWKSet.from_dict(self._client.fetch_data()))
                if not keys:
                    raise _UnusableKeysError("it holds no signing key with a 'kid'")
            except (jwt.PyJWTError, _UnusableKeysError, ValueError, TypeError) as error:
                self._retry_at = time.monotonic() + JWKS_RETRY_SECONDS
                self._problem = f"cannot load the signing keys from {self._setting}: {error}"
                logger.warning("%s", self._problem)
                raise SigningKeysUnavailableError("signing keys unavailable") from error
            if self._problem is not None:
                logger.info("Signing keys from %s are available again", self._setting)
            self._cached = (time.monotonic(), keys)
            self._problem = None
            return keys

    def get(self, kid: str) -> jwt.PyJWK:
        keys = self._fresh() or self._fetch(forced=False)
        key = keys.get(kid)
        if key is None:
            key = self._fetch(forced=True).get(kid)
        if key is None:
            raise AuthenticationError("unknown signing key")
        return key

    def problem(self) -> str | None:
        if self._fresh() is not None:
            return None
        try:
            self._fetch(forced=False)
        except SigningKeysUnavailableError:
            return self._problem or f"cannot load the signing keys from {self._setting}"
        return None


def _make_remote_keys(url: str, settings: Settings, setting: str = "TAVLE_JWKS_URL") -> _RemoteKeys:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuthConfigurationError(f"{setting} must be an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # Keys fetched over plain HTTP could be swapped in transit, letting anyone mint
        # tokens. Loopback is allowed for local providers and tests.
        raise AuthConfigurationError(f"{setting} must use https (http only on loopback)")
    return _RemoteKeys(
        url,
        cache_seconds=settings.jwks_cache_seconds,
        refresh_seconds=settings.jwks_refresh_seconds,
        setting=setting,
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine: plain http is allowed there."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _IssuerVerifier:
    """Tokens of one trusted issuer: its keys, audience(s), algorithms and claim mappings."""

    def __init__(self, issuer: OidcIssuer, keys: _FileKeys | _RemoteKeys, settings: Settings):
        self.issuer = issuer.issuer
        self.algorithms = frozenset(issuer.algorithms)
        self._audience = list(issuer.audience)
        self._mappings = tuple(issuer.claims)
        self._max_lifetime = settings.max_token_lifetime_seconds
        self.keys = keys

    def verify(self, token: str, algorithm: str, kid: str) -> Principal:
        return self.principal(self.claims(token, algorithm, kid, self._audience))

    def claims(self, token: str, algorithm: str, kid: str, audience: list[str]) -> dict[str, Any]:
        """The verified claims of ``token`` for one of ``audience``."""
        # Only this issuer's keys are looked at: a token naming issuer A signed with issuer B's
        # key finds no key (or the wrong one) and fails.
        key = self.keys.get(kid)
        # A JWK is bound to one algorithm (its "alg", or the default for its key type);
        # verifying with whatever the token header claims would defeat that binding.
        if algorithm != key.algorithm_name:
            raise AuthenticationError("algorithm does not match signing key")
        options: Options = {
            "require": ["exp", "iat", "iss", "aud"],
            "enforce_minimum_key_length": True,
        }
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_LEEWAY_SECONDS,
                options=options,
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason_for(error)) from error
        _check_lifetime(claims, self._max_lifetime)
        return claims

    def principal(self, claims: dict[str, Any]) -> Principal:
        """Who verified ``claims`` name, by this issuer's claim mappings."""
        identifiers = _identifiers_from(claims, self._mappings)
        return Principal(
            subject=identifiers[0].value,
            method="oidc",
            identifiers=identifiers,
            issuer=self.issuer,
        )


def _legacy_issuer(settings: Settings) -> tuple[OidcIssuer, _FileKeys | _RemoteKeys]:
    """The single-issuer settings (``TAVLE_JWKS_*``, ``TAVLE_OIDC_*``) as one issuer."""
    if settings.jwks_file is not None and settings.jwks_url is not None:
        raise AuthConfigurationError("set only one of TAVLE_JWKS_FILE and TAVLE_JWKS_URL")
    if not settings.oidc_issuer:
        raise AuthConfigurationError("TAVLE_OIDC_ISSUER is required when a JWKS is configured")
    if not settings.oidc_audience:
        raise AuthConfigurationError("TAVLE_OIDC_AUDIENCE is required when a JWKS is configured")
    if not settings.oidc_user_claim:
        raise AuthConfigurationError("TAVLE_OIDC_USER_CLAIM must not be empty")
    algorithms = _validated_algorithms(settings.oidc_algorithms)
    issuer = OidcIssuer(
        issuer=settings.oidc_issuer,
        jwks_url=settings.jwks_url,
        jwks_file=settings.jwks_file,
        audience=[settings.oidc_audience],
        algorithms=sorted(algorithms),
        claims=[ClaimMapping(claim=settings.oidc_user_claim, identifier=LEGACY_IDENTIFIER)],
    )
    keys: _FileKeys | _RemoteKeys
    if settings.jwks_file is not None:
        keys = _FileKeys(settings.jwks_file)
    else:
        assert settings.jwks_url is not None
        keys = _make_remote_keys(settings.jwks_url, settings)
    return issuer, keys


def _listed_issuer(
    position: int, issuer: OidcIssuer, settings: Settings
) -> tuple[OidcIssuer, _FileKeys | _RemoteKeys]:
    """One entry of ``TAVLE_OIDC_ISSUERS`` (already validated by the settings)."""
    where = f"TAVLE_OIDC_ISSUERS[{position}] ({issuer.issuer})"
    if issuer.jwks_file is not None:
        return issuer, _FileKeys(issuer.jwks_file, setting=f"{where} jwks_file")
    assert issuer.jwks_url is not None
    return issuer, _make_remote_keys(issuer.jwks_url, settings, f"{where} jwks_url")


class _OidcVerifier:
    """Tokens of the trusted issuers; the token's ``iss`` picks the issuer."""

    def __init__(self, settings: Settings) -> None:
        configured = (
            [_listed_issuer(n, entry, settings) for n, entry in enumerate(settings.oidc_issuers)]
            if settings.oidc_issuers is not None
            else [_legacy_issuer(settings)]
        )
        self._issuers = {
            issuer.issuer: _IssuerVerifier(issuer, keys, settings) for issuer, keys in configured
        }
        self._algorithms = frozenset().union(*(v.algorithms for v in self._issuers.values()))

    def signing_keys_problem(self) -> str | None:
        """Every issuer's problem, one per line; None when all issuers' keys are usable."""
        problems = [
            problem
            for verifier in self._issuers.values()
            if (problem := verifier.keys.problem()) is not None
        ]
        return "; ".join(problems) if problems else None

    def verify(self, token: str) -> Principal:
        verifier, algorithm, kid = self._verifier_of(token)
        return verifier.verify(token, algorithm, kid)

    def verify_id_token(
        self, token: str, audience: str, issuer: str
    ) -> tuple[Principal, dict[str, Any]]:
        """An OpenID Connect ID token of ``issuer`` for the client ``audience`` (the admin
        console's sign-in): the issuer's keys, algorithms, lifetime and claim mappings as for
        bearer tokens, but the client's audience; a token of any other trusted issuer is
        refused (no mix-up), and one for several audiences must name the client in ``azp``.
        Its claims too, for the caller's ``nonce`` check."""
        verifier, algorithm, kid = self._verifier_of(token)
        if verifier is not self._issuers.get(issuer):
            raise AuthenticationError("invalid issuer")
        claims = verifier.claims(token, algorithm, kid, [audience])
        audiences = claims.get("aud")
        if isinstance(audiences, list) and len(audiences) > 1 and claims.get("azp") != audience:
            raise AuthenticationError("invalid authorized party")
        return verifier.principal(claims), claims

    def _verifier_of(self, token: str) -> tuple[_IssuerVerifier, str, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason_for(error)) from error
        algorithm = header.get("alg")
        # Checked before anything else: rejects "none", HS* (including HS256 "signed" with
        # a provider's public key) and anything else outside every issuer's allow-list.
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise AuthenticationError("algorithm not allowed")
        verifier = self._issuers.get(_unverified_issuer(token))
        if verifier is None:
            raise AuthenticationError("invalid issuer")
        if algorithm not in verifier.algorithms:
            raise AuthenticationError("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("missing key id")
        return verifier, algorithm, kid


def _unverified_issuer(token: str) -> str:
    """The token's ``iss``, read before verification only to pick whose keys verify it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AuthenticationError(_reason_for(error)) from error
    issuer = claims.get("iss")
    if issuer is None:
        raise AuthenticationError("missing claim: iss")
    if not isinstance(issuer, str):
        raise AuthenticationError("invalid issuer")
    return issuer


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
    def __init__(self, secret: bytes, max_lifetime_seconds: int) -> None:
        self._secret = secret
        self._max_lifetime = max_lifetime_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> _DevelopmentTokens:
        configured = settings.dev_secret.get_secret_value()
        if configured:
            secret = configured.encode("utf-8")
            if len(secret) < DEV_SECRET_BYTES:
                raise AuthConfigurationError(
                    f"TAVLE_DEV_SECRET must be at least {DEV_SECRET_BYTES} bytes long"
                )
            return cls(secret, settings.max_token_lifetime_seconds)
        return cls(
            _load_or_create_dev_secret(settings.data_dir / DEV_SECRET_FILENAME),
            settings.max_token_lifetime_seconds,
        )

    def mint(self, subject: str, ttl_seconds: int | None) -> str:
        if not subject:
            raise ValueError("subject must not be empty")
        if ttl_seconds is None:
            ttl_seconds = min(DEVELOPMENT_TOKEN_SECONDS, self._max_lifetime)
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if ttl_seconds > self._max_lifetime:
            raise ValueError(
                f"ttl_seconds exceeds the maximum token lifetime ({self._max_lifetime} s, "
                "TAVLE_MAX_TOKEN_LIFETIME_SECONDS)"
            )
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
        options: Options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
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
        _check_lifetime(claims, self._max_lifetime)
        subject = _subject_from(claims, "sub")
        return Principal(
            subject=subject,
            method="development",
            identifiers=(Identifier(f"sub->{LEGACY_IDENTIFIER}", LEGACY_IDENTIFIER, subject),),
            issuer=DEVELOPMENT_ISSUER,
        )


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
        ``oidc_algorithms``; ``oidc_issuers`` is validated by the settings already). Each JWKS
        file is read here (and again whenever it changes); keys at a URL are fetched on first
        use. With development
        authentication the development key is read or created here.
        """
        return cls(settings)

    def signing_keys_problem(self) -> str | None:
        """Why some trusted issuer's signing keys cannot be used now (every such issuer's
        problem, joined by ``; ``), or None when all of them can.

        Always None without a JWKS (development tokens or none). With a JWKS URL this may
        fetch the key set when the cached one has expired, so it may block like
        :meth:`authenticate`. The text names the setting and the failure, never a token.
        """
        if self._oidc is None:
            return None
        return self._oidc.signing_keys_problem()

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

    def verify_id_token(
        self, token: str, audience: str, issuer: str
    ) -> tuple[Principal, dict[str, Any]]:
        """An ID token of the trusted ``issuer`` for the client ``audience`` (``_OidcVerifier``);
        :class:`AuthenticationError` without trusted issuers. May block on a JWKS fetch."""
        if self._oidc is None:
            raise AuthenticationError("OpenID Connect is not configured")
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError("token too large")
        return self._oidc.verify_id_token(token, audience, issuer)

    def mint_development_token(self, subject: str, ttl_seconds: int | None = None) -> str:
        """Sign a development token for ``subject`` (a roster sourcedId or username).

        It is valid for ``ttl_seconds``, by default 8 hours or the maximum token lifetime if
        that is shorter; a longer ``ttl_seconds`` than the maximum is a ``ValueError``.
        Raises :class:`AuthenticationError` when development authentication is disabled,
        which includes every configuration with a JWKS.
        """
        if self._development is None:
            raise AuthenticationError("development authentication is disabled")
        return self._development.mint(subject, ttl_seconds)

"""Trusted token issuers (``TAVLE_OIDC_ISSUERS``) and how their tokens name a person.

Each issuer (Feide, ID-porten, a municipality's own provider ...) has its own signing keys (a
JWKS URL or file), audience(s), accepted algorithms and an ordered list of claim mappings: which
claim of its tokens is compared with which of a person's roster identifiers. The setting is
JSON, validated here, so a bad configuration stops the gateway at start with a message that
names the issuer and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The roster identifiers a token claim can be compared with. ``sourced_id_or_username`` is
#: either of the two (the meaning of the single-issuer ``TAVLE_OIDC_USER_CLAIM``).
IdentifierKind = Literal[
    "sourced_id", "username", "feide_id", "national_id", "sourced_id_or_username"
]
IDENTIFIER_KINDS: Final[tuple[str, ...]] = (
    "sourced_id",
    "username",
    "feide_id",
    "national_id",
    "sourced_id_or_username",
)

ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {
        "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512",
        "ES256", "ES256K", "ES384", "ES512", "ES521",
        "EdDSA",
    }
)  # fmt: skip
"""Algorithms a JWKS-verified token may use.

Symmetric (HS*) algorithms are excluded on purpose: with a JWKS, an HMAC "secret" would be a
public key, which is the algorithm-confusion attack. ``none`` is never acceptable.
"""

DEFAULT_ALGORITHMS: Final = ("RS256", "ES256", "PS256")
MAPPING_ARROW: Final = "->"


class ClaimMapping(BaseModel):
    """One claim of the token compared with one kind of roster identifier.

    Written as ``"claim->identifier"`` (``"pid->national_id"``) or as an object
    ``{"claim": ..., "identifier": ...}``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim: str = Field(min_length=1)
    identifier: IdentifierKind

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            claim, arrow, identifier = value.rpartition(MAPPING_ARROW)
            if not arrow:
                raise ValueError(
                    f"a claim mapping is written 'claim{MAPPING_ARROW}identifier', e.g. "
                    f"'sub{MAPPING_ARROW}username'; got {value!r}"
                )
            return {"claim": claim.strip(), "identifier": identifier.strip()}
        return value

    @property
    def label(self) -> str:
        """``claim->identifier``: names the mapping (never a value) in reasons and logs."""
        return f"{self.claim}{MAPPING_ARROW}{self.identifier}"


class OidcIssuer(BaseModel):
    """One trusted issuer of bearer tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1, description="The exact `iss` of its tokens.")
    jwks_url: str | None = None
    jwks_file: Path | None = None
    audience: list[str] = Field(min_length=1, description="Accepted `aud` values (any one).")
    algorithms: list[str] = Field(default=list(DEFAULT_ALGORITHMS), min_length=1)
    claims: list[ClaimMapping] = Field(
        default_factory=lambda: [ClaimMapping(claim="sub", identifier="sourced_id_or_username")],
        min_length=1,
        description="Tried in order: the first whose claim is in the token and names exactly "
        "one active person decides who the caller is. Required when several issuers are listed.",
    )

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("audience")
    @classmethod
    def _no_empty_audience(cls, value: list[str]) -> list[str]:
        if any(not audience.strip() for audience in value):
            raise ValueError("an audience must not be empty")
        return value

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = sorted(set(value) - ASYMMETRIC_ALGORITHMS)
        if refused:
            raise ValueError(
                f"only asymmetric algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}) are "
                f"accepted; refused: {', '.join(refused)}"
            )
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> OidcIssuer:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError(f"issuer {self.issuer!r}: set exactly one of jwks_url and jwks_file")
        return self


def check_distinct_issuers(issuers: list[OidcIssuer]) -> list[OidcIssuer]:
    """The token's ``iss`` picks its issuer, so two entries may not share one. With more than
    one issuer, each entry names its ``claims``: the default (``sub`` compared with a sourcedId
    or username) is seldom right for any but one of them (Feide's and ID-porten's ``sub`` are
    opaque ids), and one left out by mistake would match people by the wrong claim."""
    seen: set[str] = set()
    for entry in issuers:
        if entry.issuer in seen:
            raise ValueError(f"issuer {entry.issuer!r} is listed more than once")
        seen.add(entry.issuer)
    if len(issuers) > 1:
        for entry in issuers:
            if "claims" not in entry.model_fields_set:
                raise ValueError(
                    f"issuer {entry.issuer!r}: with several issuers each entry must list its "
                    f"'claims' (e.g. [\"sub{MAPPING_ARROW}sourced_id\"])"
                )
    return issuers

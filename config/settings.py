"""Settings, read from the environment (prefix ``TAVLE_``, plus the plain ``DATABASE_URL``).

Every setting is listed in the README's settings table; keep the two in step.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.language import BOKMAAL, LANGUAGES
from config.oidc import OidcIssuer, check_distinct_issuers

DEFAULT_DATA_DIR = Path("data")
#: a CORS origin: scheme, host and an optional port, nothing after them
_ORIGIN = re.compile(r"https?://[^/\s?#]+")


class PrivacyNoticeSettings(BaseModel):
    """The art. 13/14 information shown by the public ``privacyNotice`` query."""

    controller: str = (
        "Oslo kommune, Utdanningsetaten (the school owner), postmottak@ude.oslo.kommune.no"
    )
    data_protection_officer: str = (
        "Personvernombud, Utdanningsetaten, personvernombud@ude.oslo.kommune.no"
    )
    purposes: list[str] = [
        "Teaching, learning and assessment under the Education Act",
        "Communication between school, students and guardians",
        "Administration of courses, groups and enrolments",
    ]
    legal_basis: str = (
        "GDPR art. 6(1)(e) (a task carried out in the public interest / exercise of official "
        "authority), with the Norwegian Education Act and its regulations ch. 3 (assessment)"
    )
    categories: list[str] = [
        "Personal data: names, email, national identity number, roles, guardian links, enrolments",
        "Communication: messages, course posts and comments",
        "Teaching material: assignments, documents and notes",
        "Assessments: feedback, goal achievement, remarks, absence, half-year and final "
        "assessments",
        "Calendar entries",
        "Student answers: submissions and attachments",
        "Files you uploaded (attached to answers or documents), with their content",
    ]
    sources: list[str] = [
        "The school administrative system (roster import)",
        "The person themself",
        "Registrations by teachers and school staff",
    ]
    recipients: list[str] = [
        "Teachers, school leaders and staff at the school, as the access policy allows",
        "Guardians, for their own children",
        "The platform provider as data processor under a data processing agreement",
    ]
    third_country_transfers: str = "None: all data is stored and processed within the EEA."
    # Exports carry this text; the public notice lists the retention registry's periods instead
    # (TAVLE_RETENTION_FILE, store/privacy/retention.py).
    retention: str = (
        "As long as you are a student, employee or guardian at the school; afterwards deleted "
        "as the school owner's retention rules require"
    )
    rights: list[str] = [
        "Access to your data (art. 15) and a portable copy (art. 20)",
        "Rectification (art. 16)",
        "Erasure (art. 17)",
        "Restriction of processing (art. 18)",
        "Complaint to the supervisory authority, Datatilsynet",
    ]
    automated_decision_making: str = "No automated decision-making or profiling takes place."


class BokmaalPrivacyNoticeSettings(PrivacyNoticeSettings):
    """The same information in Norwegian Bokmål (``TAVLE_PRIVACY_NOTICE_NB__<FIELD>``); a field
    configured in one language only is shown in both (``Settings.privacy_notice_in``)."""

    controller: str = "Oslo kommune, Utdanningsetaten (skoleeier), postmottak@ude.oslo.kommune.no"
    data_protection_officer: str = (
        "Personvernombudet, Utdanningsetaten, personvernombud@ude.oslo.kommune.no"
    )
    purposes: list[str] = [
        "Opplæring, læring og vurdering etter opplæringsloven",
        "Kommunikasjon mellom skolen, elevene og de foresatte",
        "Administrasjon av fag, grupper og hvem som er med i dem",
    ]
    legal_basis: str = (
        "Personvernforordningen (GDPR) art. 6 nr. 1 bokstav e (utførelse av en oppgave i "
        "allmennhetens interesse eller utøvelse av offentlig myndighet), sammen med "
        "opplæringsloven og forskrift til opplæringsloven kapittel 3 (vurdering)"
    )
    categories: list[str] = [
        "Personopplysninger: navn, e-postadresse, fødselsnummer, roller, koblinger mellom "
        "foresatte og barn, hvilke fag og grupper du er med i",
        "Kommunikasjon: meldinger, innlegg og kommentarer i fag",
        "Undervisningsmateriell: oppgaver, dokumenter og notater",
        "Vurderinger: tilbakemeldinger, måloppnåelse, anmerkninger, fravær, halvårsvurderinger "
        "og standpunktvurderinger",
        "Kalenderoppføringer",
        "Elevbesvarelser: innleveringer og vedlegg",
        "Filer du har lastet opp (vedlegg til besvarelser eller dokumenter), med innholdet",
    ]
    sources: list[str] = [
        "Skolens administrative system (overført ved import)",
        "Deg selv",
        "Registreringer gjort av lærere og andre ansatte ved skolen",
    ]
    recipients: list[str] = [
        "Lærere, skoleledere og andre ansatte ved skolen, så langt tilgangsreglene tillater",
        "Foresatte, for egne barn",
        "Leverandøren av plattformen, som databehandler etter en databehandleravtale",
    ]
    third_country_transfers: str = "Ingen: alle opplysninger lagres og behandles innenfor EØS."
    retention: str = (
        "Så lenge du er elev, ansatt eller foresatt ved skolen; deretter slettes opplysningene "
        "slik skoleeierens regler for oppbevaring krever"
    )
    rights: list[str] = [
        "Innsyn i opplysningene om deg (art. 15) og en kopi du kan ta med deg "
        "(dataportabilitet, art. 20)",
        "Retting (art. 16)",
        "Sletting (art. 17)",
        "Begrensning av behandlingen (art. 18)",
        "Klage til tilsynsmyndigheten, Datatilsynet",
    ]
    automated_decision_making: str = (
        "Det treffes ingen automatiserte avgjørelser, og det foregår ingen profilering."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TAVLE_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR, description="Local folder for the embedded database and exports."
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "TAVLE_DATABASE_URL"),
        description="SQLAlchemy URL; unset means an embedded SQLite file in data_dir.",
    )
    dev_auth: bool = Field(
        default=True, description="Accept development tokens minted by `tavle token`."
    )
    dev_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HS256 key for development tokens; unset means a random key kept in data_dir.",
    )
    graphiql: bool = Field(
        default=True, description="Serve GraphiQL on GET /graphql (only with development login on)."
    )
    jwks_url: str | None = Field(default=None, description="OIDC provider's JWKS URL.")
    jwks_file: Path | None = Field(
        default=None, description="OIDC provider's JWKS as a local file."
    )
    oidc_issuer: str | None = Field(default=None, description="Expected `iss` of bearer tokens.")
    oidc_audience: str | None = Field(default=None, description="Expected `aud` of bearer tokens.")
    oidc_algorithms: list[str] = Field(
        default=["RS256", "ES256", "PS256"],
        description="Allowed JWT signature algorithms (asymmetric only).",
    )
    oidc_user_claim: str = Field(
        default="sub", description="Claim mapped to a person's roster sourcedId or username."
    )
    oidc_issuers: list[OidcIssuer] | None = Field(
        default=None,
        description="Several trusted issuers as JSON (issuer, jwks_url or jwks_file, audience, "
        "algorithms, claims); replaces the single-issuer settings above.",
    )
    jwks_cache_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How long keys fetched from TAVLE_JWKS_URL are used before fetching them "
        "again (a key the provider removed stops working within this time).",
    )
    jwks_refresh_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Least time between early fetches of TAVLE_JWKS_URL caused by tokens naming "
        "an unknown `kid` (a key the provider just added).",
    )
    max_token_lifetime_seconds: int = Field(
        default=24 * 3600,
        ge=60,
        description="Bearer tokens whose `exp - iat` exceeds this are refused; `iat` is "
        "required. Also caps development tokens.",
    )
    policy_file: Path | None = Field(
        default=None, description="Casbin policy CSV; default: the shipped authz/policy.csv."
    )
    retention_file: Path | None = Field(
        default=None,
        description="Retention registry CSV (per data category: how long after a person left, "
        "purpose, legal basis); default: the shipped store/privacy/retention.csv.",
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key for pseudonym labels; unset means a random key kept in data_dir.",
    )
    export_ttl_days: int = Field(
        default=7, ge=1, description="Days a finished export can be downloaded before deletion."
    )
    erasure_ledger: Path | None = Field(
        default=None,
        description="Append-only file of keyed digests of erased people, outside the database, "
        "read by `tavle privacy reapply-erasures` after a restore; default: "
        "data_dir/erasure-ledger.jsonl.",
    )
    access_log_retention: str = Field(
        default="P12M",
        description="How long the staff access log keeps its entries (ISO 8601 duration of "
        "years, months, weeks and days); older ones are deleted by the job worker's daily run.",
    )
    access_log_flush_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the staff access log's buffered entries are written (one "
        "multi-row INSERT); a process killed hard loses at most this much of the log.",
    )
    require_second_administrator: bool = Field(
        default=True,
        description="An erasure must be confirmed by another system administrator (four eyes).",
    )
    erasure_background_rows: int = Field(
        default=5000,
        description="Erasures touching more rows than this run as a background job.",
    )
    job_poll_seconds: float = Field(default=1.0, description="How often the job worker polls.")
    job_lease_seconds: int = Field(
        default=300,
        description="A RUNNING job whose lease is older than this is taken over (crashed worker).",
    )
    jobs_enabled: bool = Field(default=True, description="Run the background job worker in serve.")
    shutdown_grace_seconds: int = Field(
        default=20,
        ge=0,
        description="On SIGTERM, how long requests in flight and a running job may take to "
        "finish before they are cut off (the job is queued again at once).",
    )
    privacy_notice: PrivacyNoticeSettings = Field(
        default_factory=PrivacyNoticeSettings,
        description="Privacy notice fields, e.g. TAVLE_PRIVACY_NOTICE__CONTROLLER.",
    )
    privacy_notice_nb: BokmaalPrivacyNoticeSettings = Field(
        default_factory=BokmaalPrivacyNoticeSettings,
        description="The privacy notice's fields in Norwegian Bokmål, e.g. "
        "TAVLE_PRIVACY_NOTICE_NB__CONTROLLER (the others: English).",
    )
    max_field_errors: int = Field(
        default=50, description="Cap on FORBIDDEN entries per response (one per field coordinate)."
    )
    max_page_size: int = Field(default=500, description="Largest `first` a connection accepts.")
    default_page_size: int = Field(default=100, description="Page size when `first` is omitted.")
    compiled_execution: bool = Field(
        default=True,
        description="Run read queries through their cached plans (gateway/compiled/): one "
        "batched statement per data source and level, the response built from the records; "
        "mutations and queries with fields it does not plan run on graphql-core (false: every "
        "operation does).",
    )
    # Subscriptions over graphql-transport-ws (docs/interfaces.md, "Subscriptions").
    subscriptions_per_connection: int = Field(
        default=10, ge=1, description="Most operations one WebSocket connection may run at once."
    )
    subscriptions_per_person: int = Field(
        default=20,
        ge=1,
        description="Most subscriptions one person may hold open at once in one gateway process.",
    )
    subscription_check_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often an open WebSocket connection checks that its person may still "
        "use it (restricted, erased or disabled: closed with 4403).",
    )
    subscription_ping_seconds: float = Field(
        default=15.0, gt=0, description="How often the server pings an idle WebSocket connection."
    )
    subscription_init_seconds: float = Field(
        default=10.0, gt=0, description="How long a WebSocket may wait before `connection_init`."
    )
    # Operation limits (docs/security.md, "Operation limits" and "Schema discovery").
    max_query_cost: int = Field(
        default=10_000_000,
        ge=1,
        description="Most fields an operation's response may hold by the static cost analysis "
        "(lists weighted by `first` or the default page size); above: QUERY_TOO_COMPLEX.",
    )
    max_query_depth: int = Field(
        default=15, ge=1, description="Most levels of nested fields in an operation."
    )
    max_aliases: int = Field(
        default=100, ge=0, description="Most aliases in a document, fragments expanded."
    )
    max_fields: int = Field(
        default=500, ge=1, description="Most fields in a document, fragments expanded."
    )
    max_tokens: int = Field(
        default=5000,
        ge=100,
        description="Most lexical tokens (comments included) in a document; above: HTTP 400 "
        "before authentication.",
    )
    max_root_mutations: int = Field(
        default=10,
        ge=1,
        le=500,
        description="Most root mutation fields in one request (at most 500: graphql-core runs "
        "them as one chain of awaits, and about a thousand overflow Python's recursion limit).",
    )
    execution_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="An operation still executing after this many seconds is cancelled "
        "(answer: TIMEOUT).",
    )
    message_delete_window_seconds: int = Field(
        default=900,
        ge=0,
        description="How long after sending its author may delete a direct message "
        "(deleteMessage); later it is refused (FORBIDDEN).",
    )
    introspection: bool | None = Field(
        default=None,
        description="Answer introspection (__schema, __type) and give 'Did you mean' hints; "
        "unset: only while development login is on.",
    )
    graphql_threads: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Threads per process that decode, parse and validate GraphQL requests, off "
        "the event loop; a client address uses one of them at a time.",
    )
    graphql_queue: int = Field(
        default=200,
        ge=0,
        description="Documents per process that may wait for one of those threads; beyond, "
        "HTTP 503 SERVER_BUSY (the client with the most waiting gives way first).",
    )
    # The HTTP edge (docs/security.md, "Requests and bodies", "Rate limits", "Headers and CORS").
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body in bytes; a larger one is refused with HTTP 413 "
        "before it is read.",
    )
    cors_origins: list[str] = Field(
        default=[],
        description='Origins whose pages may call the gateway (CORS), e.g. ["https://app.'
        'example.no"]; ["*"] for any; empty: no CORS headers at all.',
    )
    cors_allow_credentials: bool = Field(
        default=False,
        description="Allow credentials (cookies) on CORS requests; never together with the "
        "origin *.",
    )
    # Persisted queries (docs/interfaces.md, "Persisted queries"; docs/security.md).
    persisted_queries: str = Field(
        default="apq",
        pattern=r"^(apq|safelist|off)$",
        description="`apq`: Automatic Persisted Queries (a client may send a document's sha256 "
        "hash in place of its text once the gateway has seen it); `safelist`: only the "
        "operations of TAVLE_PERSISTED_QUERY_MANIFEST run; `off`: every request sends its text.",
    )
    persisted_query_manifest: Path | None = Field(
        default=None,
        description="The operations allowed in `safelist` mode: an Apollo persisted query "
        "manifest or a Relay persisted-queries.json; the gateway does not start if it is "
        "missing or broken.",
    )
    persisted_query_cache_size: int = Field(
        default=1000,
        ge=1,
        description="Documents per process the `apq` mode remembers by hash (least recently "
        "used forgotten first; each process learns them on its own).",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description='Addresses or networks of reverse proxies (e.g. ["10.0.0.5", "10.1.0.0/16"]) '
        "whose X-Forwarded-For names the client; empty: the connecting address is the client.",
    )
    rate_limit_address_per_minute: int = Field(
        default=6000,
        ge=0,
        description="Requests a minute per client address (IPv6: per /64, and 16 times this per "
        "/48), before authentication; 0: no limit.",
    )
    rate_limit_address_burst: int = Field(
        default=3000, ge=1, description="Requests a client address may send at once."
    )
    rate_limit_person_per_minute: int = Field(
        default=600, ge=0, description="GraphQL operations a minute per person; 0: no limit."
    )
    rate_limit_person_burst: int = Field(
        default=300, ge=1, description="GraphQL operations a person may send at once."
    )
    rate_limit_mutation_per_minute: int = Field(
        default=120,
        ge=0,
        description="Mutation operations a minute per person (on top of the person limit); "
        "0: no limit.",
    )
    rate_limit_mutation_burst: int = Field(
        default=120, ge=1, description="Mutation operations a person may send at once."
    )
    rate_limit_max_buckets: int = Field(
        default=100_000,
        ge=1,
        description="Most client addresses (and, separately, people) tracked at once per "
        "process; the least recently seen are forgotten first.",
    )
    # Operations: logs and metrics (docs/operations.md, "Logs" and "Metrics").
    log_format: str = Field(
        default="json",
        pattern=r"(?i)^(json|text)$",
        description="`json`: one JSON object per log line (log collectors); `text`: for humans.",
    )
    log_level: str = Field(
        default="INFO",
        pattern=r"(?i)^(debug|info|warning|error|critical)$",
        description="Least level logged by `tavle serve` (DEBUG, INFO, WARNING, ERROR, CRITICAL).",
    )
    access_log: bool = Field(
        default=False,
        description="Also write uvicorn's access log (it has client addresses and query strings); "
        "the JSON request lines replace it.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Serve Prometheus metrics on this port at /metrics (0: any free port); unset "
        "means no metrics listener.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address of the metrics listener (0.0.0.0 for a scraper on another host).",
    )
    metrics_max_operations: int = Field(
        default=100,
        ge=1,
        description="Distinct GraphQL operation names per process that get a metrics label of "
        "their own; later names are counted as `other`.",
    )
    # Files (docs/operations.md, "File storage"; docs/interfaces.md, "Uploads").
    file_storage: str = Field(
        default="local",
        pattern=r"(?i)^(local|s3)$",
        description="Where uploaded files' bytes are kept: `local` (a folder under data_dir) or "
        "`s3` (an S3-compatible object store, TAVLE_S3_*).",
    )
    file_dir: Path | None = Field(
        default=None,
        description="Folder for uploaded files (local storage); default: data_dir/files.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint URL; unset: AWS's for the region."
    )
    s3_bucket: str = Field(default="", description="Bucket for uploaded files (S3 storage).")
    s3_region: str = Field(default="eu-north-1", description="Region of the bucket (S3 storage).")
    s3_access_key: SecretStr = Field(
        default=SecretStr(""), description="Access key id (S3 storage); unset: boto3's defaults."
    )
    s3_secret_key: SecretStr = Field(
        default=SecretStr(""), description="Secret access key (S3 storage)."
    )
    max_file_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="Largest uploaded file in bytes; a multipart request may be this plus 64 KiB.",
    )
    allowed_file_types: list[str] = Field(
        default=[
            "application/pdf",
            "image/png",
            "image/jpeg",
            "text/plain",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.text",
        ],
        description="Media types an upload may declare; its first bytes must match the type.",
    )
    file_quota_bytes: int = Field(
        default=0, ge=0, description="Most bytes of files one person may hold; 0: no quota."
    )
    file_url_seconds: int = Field(
        default=300,
        ge=10,
        le=24 * 3600,
        description="How long a file's downloadUrl works after the response that gave it.",
    )
    # --- the admin console (gateway/console, docs/console.md) ---------------------------------
    console_oidc_issuer: str | None = Field(
        default=None,
        description="The OpenID Connect provider administrators sign in to the console with "
        "(its discovery document is <issuer>/.well-known/openid-configuration); it must be one "
        "of the trusted issuers, whose claim mappings find the person. Unset: the single "
        "TAVLE_OIDC_ISSUER, or the first of TAVLE_OIDC_ISSUERS.",
    )
    console_oidc_client_id: str | None = Field(
        default=None,
        description="The console's client id at the provider (the ID token's audience); unset: "
        "no OpenID Connect sign-in to the console.",
    )
    console_oidc_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The console's client secret, for a confidential client; empty: a public "
        "client (PKCE alone).",
    )
    console_oidc_redirect_uri: str | None = Field(
        default=None,
        description="Where the provider sends the browser back: https://<host>/admin/callback.",
    )
    console_oidc_scope: str = Field(
        default="openid profile", description="The scopes asked for at sign-in."
    )
    console_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A console session unused this long ends."
    )
    console_session_hours: int = Field(
        default=8, ge=1, le=7 * 24, description="A console session ends this long after sign-in."
    )

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins_are_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and _ORIGIN.fullmatch(origin) is None:
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port] with no path or "
                    "trailing slash (e.g. https://app.example.no), or *"
                )
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_are_addresses(cls, proxies: list[str]) -> list[str]:
        """Each proxy in the form uvicorn's proxy headers middleware matches: an address, or a
        network written with its host bits cleared (``10.1.0.5/16`` is ``10.1.0.0/16``; uvicorn
        would take the former for a name that no peer ever has)."""
        normalised: list[str] = []
        for proxy in proxies:
            try:
                if "/" in proxy:
                    normalised.append(str(ipaddress.ip_network(proxy, strict=False)))
                else:
                    normalised.append(str(ipaddress.ip_address(proxy)))
            except ValueError:
                raise ValueError(
                    f"{proxy!r} is not an IP address or network (trusting every peer, *, would "
                    "let any client choose its own address)"
                ) from None
        return normalised

    @model_validator(mode="after")
    def _no_credentials_for_every_origin(self) -> Settings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(
                "TAVLE_CORS_ALLOW_CREDENTIALS cannot be used with the origin *: list the "
                "origins that may send credentials"
            )
        return self

    @model_validator(mode="after")
    def _safelist_has_a_manifest(self) -> Settings:
        if self.persisted_queries == "safelist" and self.persisted_query_manifest is None:
            raise ValueError(
                "TAVLE_PERSISTED_QUERIES=safelist needs TAVLE_PERSISTED_QUERY_MANIFEST: the file "
                "listing the operations that may run"
            )
        return self

    @field_validator("oidc_issuers")
    @classmethod
    def _distinct_issuers(cls, issuers: list[OidcIssuer] | None) -> list[OidcIssuer] | None:
        if issuers is None:
            return None
        if not issuers:
            raise ValueError("TAVLE_OIDC_ISSUERS must list at least one issuer (or be unset)")
        return check_distinct_issuers(issuers)

    @model_validator(mode="after")
    def _one_issuer_configuration(self) -> Settings:
        if self.oidc_issuers is not None and (
            self.jwks_url is not None or self.jwks_file is not None or self.oidc_issuer
        ):
            raise ValueError(
                "TAVLE_OIDC_ISSUERS replaces TAVLE_JWKS_URL, TAVLE_JWKS_FILE and "
                "TAVLE_OIDC_ISSUER: set either the list or the single issuer"
            )
        return self

    @property
    def jwks_configured(self) -> bool:
        return (
            self.jwks_url is not None or self.jwks_file is not None or self.oidc_issuers is not None
        )

    @property
    def jwks_fetched(self) -> bool:
        """Whether some issuer's keys come from a URL (checking them may block on the network)."""
        if self.oidc_issuers is not None:
            return any(entry.jwks_url is not None for entry in self.oidc_issuers)
        return self.jwks_url is not None

    @property
    def dev_auth_enabled(self) -> bool:
        """Development authentication is off whenever a JWKS is configured."""
        return self.dev_auth and not self.jwks_configured

    @property
    def graphiql_enabled(self) -> bool:
        """GraphiQL is a development tool: served only while development login is on."""
        return self.graphiql and self.dev_auth_enabled

    @property
    def introspection_enabled(self) -> bool:
        """Schema discovery follows development login unless TAVLE_INTROSPECTION says otherwise."""
        if self.introspection is not None:
            return self.introspection
        return self.dev_auth_enabled

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def erasure_ledger_path(self) -> Path:
        if self.erasure_ledger is not None:
            return self.erasure_ledger
        return self.data_dir / "erasure-ledger.jsonl"

    @property
    def files_dir(self) -> Path:
        return self.file_dir if self.file_dir is not None else self.data_dir / "files"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tavle.sqlite3').resolve()}"

    def privacy_notice_in(self, language: str) -> PrivacyNoticeSettings:
        """The configured privacy notice in ``language`` (``config.language``): its own values,
        where a field configured only in the other language takes that value over its own
        shipped default (which would name another controller)."""
        own, other = (
            (self.privacy_notice_nb, self.privacy_notice)
            if language == BOKMAAL
            else (self.privacy_notice, self.privacy_notice_nb)
        )
        taken: dict[str, Any] = {
            name: getattr(other, name)
            for name in other.model_fields_set - own.model_fields_set
            if name in PrivacyNoticeSettings.model_fields
        }
        return own.model_copy(update=taken) if taken else own

    def privacy_notices(self) -> dict[str, PrivacyNoticeSettings]:
        """The privacy notice in every language, by language."""
        return {language: self.privacy_notice_in(language) for language in LANGUAGES}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

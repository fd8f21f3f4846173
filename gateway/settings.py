"""Settings, read from the environment (prefix ``TAVLE_``, plus the plain ``DATABASE_URL``).

Every setting is listed in the README's settings table; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


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
    policy_file: Path | None = Field(
        default=None, description="Casbin policy CSV; default: the shipped authz/policy.csv."
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key for pseudonym labels; unset means a random key kept in data_dir.",
    )
    export_ttl_days: int = Field(
        default=7, ge=1, description="Days a finished export can be downloaded before deletion."
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
    privacy_notice: PrivacyNoticeSettings = Field(
        default_factory=PrivacyNoticeSettings,
        description="Privacy notice fields, e.g. TAVLE_PRIVACY_NOTICE__CONTROLLER.",
    )
    max_field_errors: int = Field(
        default=50, description="Cap on FORBIDDEN entries per response (one per field coordinate)."
    )
    max_page_size: int = Field(default=500, description="Largest `first` a connection accepts.")
    default_page_size: int = Field(default=100, description="Page size when `first` is omitted.")

    @property
    def jwks_configured(self) -> bool:
        return self.jwks_url is not None or self.jwks_file is not None

    @property
    def dev_auth_enabled(self) -> bool:
        """Development authentication is off whenever a JWKS is configured."""
        return self.dev_auth and not self.jwks_configured

    @property
    def graphiql_enabled(self) -> bool:
        """GraphiQL is a development tool: served only while development login is on."""
        return self.graphiql and self.dev_auth_enabled

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tavle.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

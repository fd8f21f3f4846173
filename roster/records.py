"""Typed, validated rows of a roster folder (no database involved)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class OrgRecord:
    line: int
    sourced_id: str
    active: bool
    name: str
    org_type: str
    identifier: str | None
    parent: str | None

    @property
    def is_school(self) -> bool:
        return self.org_type == "school"


@dataclass(frozen=True)
class UserRecord:
    line: int
    sourced_id: str
    active: bool
    enabled: bool
    username: str
    given_name: str | None
    family_name: str | None
    email: str | None
    national_id: str | None
    agents: tuple[str, ...]
    #: ``{Feide:...}`` in userIds: the Feide login tokens from Feide are matched against
    feide_id: str | None = None


@dataclass(frozen=True)
class RoleRecord:
    line: int
    sourced_id: str
    active: bool
    user: str
    role_type: str
    role: str
    org: str


@dataclass(frozen=True)
class ClassRecord:
    line: int
    sourced_id: str
    active: bool
    title: str
    code: str | None
    is_homeroom: bool
    school: str
    #: classes.csv ``termSourcedIds``; None when the file has no such column (terms untouched)
    terms: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EnrollmentRecord:
    line: int
    sourced_id: str
    active: bool
    class_: str
    school: str
    user: str
    role: str


@dataclass(frozen=True)
class SessionRecord:
    """academicSessions.csv: a school year, term, semester or grading period."""

    line: int
    sourced_id: str
    active: bool
    title: str
    type: str  # the Tavle AcademicSessionType value
    start_date: date
    end_date: date
    parent: str | None
    school_year: str | None


@dataclass(frozen=True)
class Roster:
    """A whole package, every cross-reference of its active rows checked.

    ``modes`` says per file whether it is ``bulk`` (the whole truth: what is missing leaves),
    ``delta`` (only the rows listed change) or ``absent`` (not in the package; nothing changes).
    References into a bulk file are checked while parsing; references into a delta or absent
    file are resolved against the database during the import.
    """

    orgs: tuple[OrgRecord, ...]
    users: tuple[UserRecord, ...]
    roles: tuple[RoleRecord, ...]
    classes: tuple[ClassRecord, ...]
    enrollments: tuple[EnrollmentRecord, ...]
    sessions: tuple[SessionRecord, ...] = ()
    modes: dict[str, str] = field(default_factory=dict)

    def mode(self, file: str) -> str:
        return self.modes.get(file, "bulk")

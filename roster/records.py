"""Typed, validated rows of a roster folder (no database involved)."""

from __future__ import annotations

from dataclasses import dataclass


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
class Roster:
    """A whole folder, every cross-reference of its active rows checked."""

    orgs: tuple[OrgRecord, ...]
    users: tuple[UserRecord, ...]
    roles: tuple[RoleRecord, ...]
    classes: tuple[ClassRecord, ...]
    enrollments: tuple[EnrollmentRecord, ...]

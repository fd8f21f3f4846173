"""From validated records to the links Tavle stores: role mapping, de-duplication, guardianships.

Pure functions, no database: what is skipped (valid OneRoster that Tavle does not use) is decided
here and reported, so apply.py only has to compare and write.
"""

from __future__ import annotations

from dataclasses import dataclass

from roster import vocab
from roster.records import ClassRecord, OrgRecord, Roster, UserRecord
from roster.report import Skipped
from store.tables import CourseRole, Role


@dataclass(frozen=True)
class RoleLink:
    sourced_id: str
    user: str
    role: Role
    school: str | None  # None for SYSTEM_ADMINISTRATOR, which is global


@dataclass(frozen=True)
class EnrolmentLink:
    sourced_id: str
    class_: str
    user: str
    role: CourseRole


@dataclass(frozen=True)
class GuardianLink:
    guardian: str
    student: str


@dataclass(frozen=True)
class Plan:
    """What the roster says Tavle should hold, by sourcedId (database ids come later)."""

    orgs: tuple[OrgRecord, ...]  # active only
    users: tuple[UserRecord, ...]  # all, tobedeleted ones included
    classes: tuple[ClassRecord, ...]  # active only
    roles: tuple[RoleLink, ...]
    enrolments: tuple[EnrolmentLink, ...]
    guardianships: tuple[GuardianLink, ...]
    skipped: tuple[Skipped, ...]


def make_plan(roster: Roster) -> Plan:
    skipped: list[Skipped] = []
    roles = _roles(roster, skipped)
    enrolments = _enrolments(roster, skipped)
    guardianships = _guardianships(roster, roles, skipped)
    return Plan(
        orgs=tuple(org for org in roster.orgs if org.active),
        users=roster.users,
        classes=tuple(class_ for class_ in roster.classes if class_.active),
        roles=roles,
        enrolments=enrolments,
        guardianships=guardianships,
        skipped=tuple(skipped),
    )


def _roles(roster: Roster, skipped: list[Skipped]) -> tuple[RoleLink, ...]:
    orgs = {org.sourced_id: org for org in roster.orgs}
    links: dict[tuple[str, Role, str | None], int] = {}
    result: list[RoleLink] = []
    for record in roster.roles:
        if not record.active:
            continue
        where = f"role '{record.role}' of '{record.user}'"
        role = vocab.ROLE_MAP.get(record.role)
        if role is None:
            skipped.append(Skipped(vocab.ROLES, record.line, f"{where} skipped: not used by Tavle"))
            continue
        school: str | None = None
        if role is not Role.SYSTEM_ADMINISTRATOR:
            org = orgs[record.org]
            if not org.is_school:
                skipped.append(
                    Skipped(
                        vocab.ROLES,
                        record.line,
                        f"{where} skipped: org '{org.sourced_id}' is a {org.org_type}, and "
                        "this role is held at a school",
                    )
                )
                continue
            school = org.sourced_id
        key = (record.user, role, school)
        if key in links:
            skipped.append(
                Skipped(
                    vocab.ROLES,
                    record.line,
                    f"{where} skipped: same Tavle role as line {links[key]}",
                )
            )
            continue
        links[key] = record.line
        result.append(RoleLink(record.sourced_id, record.user, role, school))
    return tuple(result)


def _enrolments(roster: Roster, skipped: list[Skipped]) -> tuple[EnrolmentLink, ...]:
    links: dict[tuple[str, str, CourseRole], int] = {}
    result: list[EnrolmentLink] = []
    for record in roster.enrollments:
        if not record.active:
            continue
        where = f"enrolment '{record.sourced_id}' ({record.role})"
        role = vocab.ENROLMENT_ROLE_MAP.get(record.role)
        if role is None:
            skipped.append(
                Skipped(vocab.ENROLLMENTS, record.line, f"{where} skipped: not used by Tavle")
            )
            continue
        key = (record.class_, record.user, role)
        if key in links:
            skipped.append(
                Skipped(
                    vocab.ENROLLMENTS,
                    record.line,
                    f"{where} skipped: same enrolment as line {links[key]}",
                )
            )
            continue
        links[key] = record.line
        result.append(EnrolmentLink(record.sourced_id, record.class_, record.user, role))
    return tuple(result)


def _guardianships(
    roster: Roster, roles: tuple[RoleLink, ...], skipped: list[Skipped]
) -> tuple[GuardianLink, ...]:
    """Guardian links from ``agentSourcedIds``, read in either direction.

    OneRoster lists agents on both sides: a student's agents are their guardians, a guardian's
    agents are their children. A link needs a student (an active ``student`` role) and a guardian
    (an active ``guardian`` or ``parent`` role): an agent with neither role, for example a
    ``relative`` without parental responsibility, must not get a guardian's access.
    """
    students = {link.user for link in roles if link.role is Role.STUDENT}
    guardians = {link.user for link in roles if link.role is Role.GUARDIAN}
    result: dict[GuardianLink, None] = {}
    for user in roster.users:
        if not user.active or not user.agents:
            continue

        def skip(reason: str, user: UserRecord = user) -> None:
            skipped.append(Skipped(vocab.USERS, user.line, reason))

        if user.sourced_id in students:
            for agent in user.agents:
                if agent in guardians:
                    result[GuardianLink(agent, user.sourced_id)] = None
                else:
                    skip(
                        f"agent '{agent}' of student '{user.sourced_id}' skipped: "
                        "no guardian or parent role"
                    )
        elif user.sourced_id in guardians:
            for agent in user.agents:
                if agent in students:
                    result[GuardianLink(user.sourced_id, agent)] = None
                else:
                    skip(
                        f"agent '{agent}' of guardian '{user.sourced_id}' skipped: no student role"
                    )
        else:
            skip(
                f"agentSourcedIds of '{user.sourced_id}' skipped: neither a student nor a guardian"
            )
    return tuple(result)

"""From validated records to the links Tavle stores: role mapping, de-duplication, guardianships.

Pure functions, no database: what is skipped (valid OneRoster that Tavle does not use) is decided
here and reported, so apply.py only has to compare and write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from roster import vocab
from roster.records import ClassRecord, OrgRecord, Roster, SessionRecord, UserRecord
from roster.report import Skipped
from store.tables import CourseRole, Role


@dataclass(frozen=True)
class RoleLink:
    sourced_id: str
    user: str
    role: Role
    school: str | None  # None for SYSTEM_ADMINISTRATOR, which is global
    line: int = 0


@dataclass(frozen=True)
class EnrolmentLink:
    sourced_id: str
    class_: str
    user: str
    role: CourseRole
    line: int = 0


@dataclass(frozen=True)
class GuardianLink:
    guardian: str
    student: str


@dataclass(frozen=True)
class Plan:
    """What the roster says Tavle should hold, by sourcedId (database ids come later).

    ``removed_*`` are the rows a file marks ``tobedeleted``; ``modes`` says per file whether it
    is bulk (what is missing leaves too), delta (only listed rows change) or absent.
    """

    orgs: tuple[OrgRecord, ...]  # active only
    users: tuple[UserRecord, ...]  # all, tobedeleted ones included
    classes: tuple[ClassRecord, ...]  # active only
    roles: tuple[RoleLink, ...]
    enrolments: tuple[EnrolmentLink, ...]
    skipped: tuple[Skipped, ...]
    sessions: tuple[SessionRecord, ...] = ()  # active only
    removed_orgs: tuple[str, ...] = ()
    removed_classes: tuple[str, ...] = ()
    removed_roles: tuple[RoleLink, ...] = ()
    removed_enrolments: tuple[EnrolmentLink, ...] = ()
    modes: dict[str, str] = field(default_factory=dict)

    def mode(self, file: str) -> str:
        return self.modes.get(file, vocab.BULK)


def make_plan(roster: Roster) -> Plan:
    skipped: list[Skipped] = []
    orgs = {org.sourced_id: org for org in roster.orgs}
    roles = _roles(roster, orgs, skipped, active=True)
    removed_roles = _roles(roster, orgs, [], active=False)
    enrolments = _enrolments(roster, skipped, active=True)
    removed_enrolments = _enrolments(roster, [], active=False)
    return Plan(
        orgs=tuple(org for org in roster.orgs if org.active),
        users=roster.users,
        classes=tuple(class_ for class_ in roster.classes if class_.active),
        roles=roles,
        enrolments=enrolments,
        skipped=tuple(skipped),
        sessions=tuple(session for session in roster.sessions if session.active),
        removed_orgs=tuple(org.sourced_id for org in roster.orgs if not org.active),
        removed_classes=tuple(c.sourced_id for c in roster.classes if not c.active),
        removed_roles=removed_roles,
        removed_enrolments=removed_enrolments,
        modes=dict(roster.modes),
    )


def _roles(
    roster: Roster, orgs: dict[str, OrgRecord], skipped: list[Skipped], *, active: bool
) -> tuple[RoleLink, ...]:
    links: dict[tuple[str, Role, str | None], int] = {}
    result: list[RoleLink] = []
    for record in roster.roles:
        if record.active != active:
            continue
        where = f"role '{record.role}' of '{record.user}'"
        role = vocab.ROLE_MAP.get(record.role)
        if role is None:
            skipped.append(Skipped(vocab.ROLES, record.line, f"{where} skipped: not used by Tavle"))
            continue
        school: str | None = None
        if role is not Role.SYSTEM_ADMINISTRATOR:
            org = orgs.get(record.org)
            if org is not None and not org.is_school:
                skipped.append(
                    Skipped(
                        vocab.ROLES,
                        record.line,
                        f"{where} skipped: org '{org.sourced_id}' is a {org.org_type}, and "
                        "this role is held at a school",
                    )
                )
                continue
            school = record.org
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
        result.append(RoleLink(record.sourced_id, record.user, role, school, record.line))
    return tuple(result)


def _enrolments(
    roster: Roster, skipped: list[Skipped], *, active: bool
) -> tuple[EnrolmentLink, ...]:
    links: dict[tuple[str, str, CourseRole], int] = {}
    result: list[EnrolmentLink] = []
    for record in roster.enrollments:
        if record.active != active:
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
        result.append(
            EnrolmentLink(record.sourced_id, record.class_, record.user, role, record.line)
        )
    return tuple(result)


def guardian_links(
    users: tuple[UserRecord, ...],
    students: set[str],
    guardians: set[str],
    skipped: list[Skipped],
) -> tuple[GuardianLink, ...]:
    """Guardian links from ``agentSourcedIds``, read in either direction.

    OneRoster lists agents on both sides: a student's agents are their guardians, a guardian's
    agents are their children. A link needs a student (an active ``student`` role) and a guardian
    (an active ``guardian`` or ``parent`` role): an agent with neither role, for example a
    ``relative`` without parental responsibility, must not get a guardian's access.
    """
    result: dict[GuardianLink, None] = {}
    for user in users:
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

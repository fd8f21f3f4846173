"""Read and validate a OneRoster 1.2 CSV folder into typed records, before anything is written.

Every check that needs only the folder happens here, so a bad file fails the import before the
database is touched. Messages name the file and physical line and quote sourcedIds or vocabulary
values, never names, e-mail addresses or national id numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from roster import vocab
from roster.csvfile import Row, read_csv
from roster.errors import RosterError
from roster.manifest import read_modes
from roster.records import (
    ClassRecord,
    EnrollmentRecord,
    OrgRecord,
    RoleRecord,
    Roster,
    SessionRecord,
    UserRecord,
)
from roster.report import Skipped
from roster.userids import MalformedError, parse_agents, parse_user_ids

ORG_COLUMNS = ("sourcedId", "status", "name", "type", "identifier", "parentSourcedId")
USER_COLUMNS = (
    "sourcedId",
    "status",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "email",
    "agentSourcedIds",
)
ROLE_COLUMNS = ("sourcedId", "status", "userSourcedId", "roleType", "role", "orgSourcedId")
CLASS_COLUMNS = ("sourcedId", "status", "title", "classCode", "classType", "schoolSourcedId")
SESSION_COLUMNS = ("sourcedId", "status", "title", "type", "startDate", "endDate")
ENROLLMENT_COLUMNS = (
    "sourcedId",
    "status",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
)

# Column widths in store/tables.py; PostgreSQL would reject longer values mid-import.
ID_LENGTH = 255
NAME_LENGTH = 255
CODE_LENGTH = 64
EMAIL_LENGTH = 320

T = TypeVar("T")


def parse_folder(
    folder: Path,
    skipped: list[Skipped] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Roster:
    """Parse and cross-check the files of ``folder``; raise RosterError on the first fault.

    ``skipped`` collects what the manifest lists but Tavle does not use; ``progress`` is told
    each file as it is parsed.
    """
    if not folder.is_dir():
        raise RosterError(str(folder), None, "not a folder")
    modes = read_modes(folder, skipped if skipped is not None else [])

    def parse(name: str, columns: Sequence[str], build: Callable[[Row], T]) -> tuple[T, ...]:
        if modes[name] == vocab.ABSENT:
            return ()
        records = _parse(folder, name, columns, build)
        if progress is not None:
            progress(f"parsed {name}: {len(records)} rows ({modes[name]})")
        return records

    roster = Roster(
        sessions=parse(vocab.SESSIONS, SESSION_COLUMNS, _session),
        orgs=parse(vocab.ORGS, ORG_COLUMNS, _org),
        users=parse(vocab.USERS, USER_COLUMNS, _user),
        roles=parse(vocab.ROLES, ROLE_COLUMNS, _role),
        classes=parse(vocab.CLASSES, CLASS_COLUMNS, _class),
        enrollments=parse(vocab.ENROLLMENTS, ENROLLMENT_COLUMNS, _enrollment),
        modes=modes,
    )
    _check_usernames(roster.users)
    _check_references(roster)
    return roster


def _parse(
    folder: Path, name: str, columns: Sequence[str], build: Callable[[Row], T]
) -> tuple[T, ...]:
    records: list[T] = []
    first_line: dict[str, int] = {}
    for row in read_csv(folder, name, columns):
        records.append(build(row))
        sourced_id = row.get("sourcedId")
        if sourced_id in first_line:
            raise row.error(
                f"duplicate sourcedId '{sourced_id}' (first on line {first_line[sourced_id]})"
            )
        first_line[sourced_id] = row.line
    return tuple(records)


# --- field helpers -------------------------------------------------------------------------


def _required(row: Row, column: str, limit: int = ID_LENGTH) -> str:
    value = row.get(column)
    if not value:
        raise row.error(f"empty {column}")
    return _limited(row, column, value, limit)


def _limited(row: Row, column: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise row.error(f"{column} is longer than {limit} characters")
    return value


def _optional(row: Row, column: str, limit: int) -> str | None:
    value = row.optional(column)
    return None if value is None else _limited(row, column, value, limit)


def _active(row: Row) -> bool:
    """Blank status (the OneRoster bulk convention) counts as active."""
    status = row.get("status")
    if status in ("", vocab.ACTIVE):
        return True
    if status == vocab.TOBEDELETED:
        return False
    raise row.error(f"bad status '{status}' (expected active or tobedeleted)")


def _sourced_id(row: Row) -> str:
    return _required(row, "sourcedId")


# --- one builder per file ------------------------------------------------------------------


def _org(row: Row) -> OrgRecord:
    sourced_id = _sourced_id(row)
    active = _active(row)
    org_type = row.get("type")
    if org_type not in vocab.ORG_TYPES and not vocab.is_extension(org_type):
        raise row.error(f"unknown org type '{org_type}'")
    return OrgRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=active,
        name=_required(row, "name", NAME_LENGTH),
        org_type=org_type,
        identifier=_optional(row, "identifier", CODE_LENGTH),
        parent=row.optional("parentSourcedId"),
    )


def _enabled(row: Row) -> bool:
    value = row.get("enabledUser")
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise row.error(f"bad enabledUser '{value}' (expected true or false)")


def _user_ids(row: Row) -> list[tuple[str, str]]:
    try:
        return parse_user_ids(row.get("userIds"))
    except MalformedError as exc:
        raise row.error(f"malformed userIds: {exc}") from None


def _feide_id(row: Row) -> str | None:
    """The ``{Feide:...}`` entry of userIds (at most one), as written."""
    found = {
        identifier for kind, identifier in _user_ids(row) if kind.upper() == vocab.FEIDE_ID_TYPE
    }
    if len(found) > 1:
        raise row.error("more than one Feide id in userIds")
    if not found:
        return None
    (feide_id,) = found
    if len(feide_id) > vocab.FEIDE_ID_LENGTH or any(c.isspace() for c in feide_id):
        raise row.error(
            f"Feide id in userIds is longer than {vocab.FEIDE_ID_LENGTH} characters or has spaces"
        )
    return feide_id


def _national_id(row: Row) -> str | None:
    entries = _user_ids(row)
    numbers = {identifier for kind, identifier in entries if kind.upper() == vocab.NATIONAL_ID_TYPE}
    if len(numbers) > 1:
        raise row.error(f"more than one {vocab.NATIONAL_ID_TYPE} in userIds")
    if not numbers:
        return None
    (number,) = numbers
    if len(number) != vocab.NATIONAL_ID_DIGITS or not (number.isascii() and number.isdigit()):
        raise row.error(
            f"{vocab.NATIONAL_ID_TYPE} in userIds is not {vocab.NATIONAL_ID_DIGITS} digits"
        )
    return number


def _user(row: Row) -> UserRecord:
    sourced_id = _sourced_id(row)
    return UserRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=_active(row),
        enabled=_enabled(row),
        username=_required(row, "username"),
        given_name=_optional(row, "givenName", NAME_LENGTH),
        family_name=_optional(row, "familyName", NAME_LENGTH),
        email=_optional(row, "email", EMAIL_LENGTH),
        national_id=_national_id(row),
        agents=parse_agents(row.get("agentSourcedIds")),
        feide_id=_feide_id(row),
    )


def _vocabulary(row: Row, column: str, known: Iterable[str]) -> str:
    value = row.get(column)
    if not value:
        raise row.error(f"empty {column}")
    if value not in known and not vocab.is_extension(value):
        raise row.error(f"unknown {column} '{value}'")
    return value


def _role(row: Row) -> RoleRecord:
    sourced_id = _sourced_id(row)
    active = _active(row)
    user = _required(row, "userSourcedId")
    role_type = row.get("roleType")
    if role_type not in vocab.ROLE_TYPES:
        raise row.error(f"bad roleType '{role_type}' (expected primary or secondary)")
    return RoleRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=active,
        user=user,
        role_type=role_type,
        role=_vocabulary(row, "role", vocab.ROLE_MAP.keys() | vocab.UNUSED_ROLES),
        org=_required(row, "orgSourcedId"),
    )


def _class(row: Row) -> ClassRecord:
    sourced_id = _sourced_id(row)
    active = _active(row)
    class_type = row.get("classType")
    if class_type not in vocab.CLASS_TYPES:
        raise row.error(f"bad classType '{class_type}' (expected homeroom or scheduled)")
    return ClassRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=active,
        title=_required(row, "title", NAME_LENGTH),
        code=_optional(row, "classCode", CODE_LENGTH),
        is_homeroom=vocab.CLASS_TYPES[class_type],
        school=_required(row, "schoolSourcedId"),
        terms=_terms(row),
    )


def _terms(row: Row) -> tuple[str, ...] | None:
    if "termSourcedIds" not in row.values:
        return None
    return parse_agents(row.get("termSourcedIds"))


def _date(row: Row, column: str) -> date:
    value = row.get(column)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise row.error(f"bad {column} '{value[:40]}' (expected YYYY-MM-DD)") from None


def _session(row: Row) -> SessionRecord:
    sourced_id = _sourced_id(row)
    active = _active(row)
    kind = row.get("type")
    if kind not in vocab.SESSION_TYPES:
        raise row.error(
            f"bad type '{kind}' (expected one of {', '.join(sorted(vocab.SESSION_TYPES))})"
        )
    start, end = _date(row, "startDate"), _date(row, "endDate")
    if end < start:
        raise row.error("endDate is before startDate")
    return SessionRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=active,
        title=_required(row, "title", NAME_LENGTH),
        type=vocab.SESSION_TYPES[kind],
        start_date=start,
        end_date=end,
        parent=row.optional("parentSourcedId"),
        school_year=_optional(row, "schoolYear", 16),
    )


def _enrollment(row: Row) -> EnrollmentRecord:
    sourced_id = _sourced_id(row)
    active = _active(row)
    return EnrollmentRecord(
        line=row.line,
        sourced_id=sourced_id,
        active=active,
        class_=_required(row, "classSourcedId"),
        school=_required(row, "schoolSourcedId"),
        user=_required(row, "userSourcedId"),
        role=_vocabulary(
            row, "role", vocab.ENROLMENT_ROLE_MAP.keys() | vocab.UNUSED_ENROLMENT_ROLES
        ),
    )


# --- checks across rows and files ----------------------------------------------------------


def _check_usernames(users: Iterable[UserRecord]) -> None:
    first_line: dict[str, int] = {}
    for user in users:
        if not user.active:
            continue
        if user.username in first_line:
            raise RosterError(
                vocab.USERS,
                user.line,
                f"duplicate username (first on line {first_line[user.username]})",
            )
        first_line[user.username] = user.line


def _org_reference(
    file: str,
    line: int,
    column: str,
    sourced_id: str,
    orgs: Mapping[str, OrgRecord],
    *,
    school: bool,
    complete: bool = True,
) -> OrgRecord | None:
    """The org a row refers to; None when it is not in the package and the orgs file is not
    bulk (the import then looks it up in the database)."""
    org = orgs.get(sourced_id)
    if org is None:
        if not complete:
            return None
        raise RosterError(file, line, f"unknown {column} '{sourced_id}'")
    if not org.active:
        raise RosterError(file, line, f"{column} '{sourced_id}' is marked tobedeleted")
    if school and not org.is_school:
        raise RosterError(file, line, f"{column} '{sourced_id}' is a {org.org_type}, not a school")
    return org


def _check_org_tree(orgs: Mapping[str, OrgRecord], complete: bool) -> None:
    for org in orgs.values():
        if not org.active or org.parent is None:
            continue
        _org_reference(
            vocab.ORGS,
            org.line,
            "parentSourcedId",
            org.parent,
            orgs,
            school=False,
            complete=complete,
        )
        seen = {org.sourced_id}
        parent: str | None = org.parent
        while parent is not None:
            if parent in seen:
                raise RosterError(
                    vocab.ORGS, org.line, f"parentSourcedId '{org.parent}' makes a cycle"
                )
            seen.add(parent)
            parent = orgs[parent].parent if parent in orgs else None


def _check_sessions(roster: Roster) -> None:
    sessions = {session.sourced_id: session for session in roster.sessions}
    complete = roster.mode(vocab.SESSIONS) == vocab.BULK
    for session in roster.sessions:
        if session.active and session.parent is not None:
            if session.parent == session.sourced_id:
                raise RosterError(
                    vocab.SESSIONS, session.line, "parentSourcedId names the row itself"
                )
            if session.parent not in sessions and complete:
                raise RosterError(
                    vocab.SESSIONS, session.line, f"unknown parentSourcedId '{session.parent}'"
                )
            seen = {session.sourced_id}
            parent: str | None = session.parent
            while parent is not None and parent in sessions:
                if parent in seen:
                    raise RosterError(
                        vocab.SESSIONS,
                        session.line,
                        f"parentSourcedId '{session.parent}' makes a cycle",
                    )
                seen.add(parent)
                parent = sessions[parent].parent
    for class_ in roster.classes:
        if not class_.active:
            continue
        for term in class_.terms or ():
            found = sessions.get(term)
            if found is None and complete:
                raise RosterError(vocab.CLASSES, class_.line, f"unknown termSourcedIds '{term}'")
            if found is not None and not found.active:
                raise RosterError(
                    vocab.CLASSES, class_.line, f"termSourcedIds '{term}' is marked tobedeleted"
                )


def _check_references(roster: Roster) -> None:
    orgs = {org.sourced_id: org for org in roster.orgs}
    users = {user.sourced_id for user in roster.users}
    classes = {class_.sourced_id: class_ for class_ in roster.classes}
    orgs_complete = roster.mode(vocab.ORGS) == vocab.BULK
    users_complete = roster.mode(vocab.USERS) == vocab.BULK
    _check_org_tree(orgs, orgs_complete)
    _check_sessions(roster)
    for user in roster.users:
        if not user.active:
            continue
        for agent in user.agents:
            if agent not in users and users_complete:
                raise RosterError(
                    vocab.USERS, user.line, f"unknown agentSourcedIds reference '{agent}'"
                )
            if agent == user.sourced_id:
                raise RosterError(vocab.USERS, user.line, "agentSourcedIds names the user itself")
    for role in roster.roles:
        if not role.active:
            continue
        if role.user not in users and users_complete:
            raise RosterError(vocab.ROLES, role.line, f"unknown userSourcedId '{role.user}'")
        _org_reference(
            vocab.ROLES,
            role.line,
            "orgSourcedId",
            role.org,
            orgs,
            school=False,
            complete=orgs_complete,
        )
    for class_ in roster.classes:
        if class_.active:
            _org_reference(
                vocab.CLASSES,
                class_.line,
                "schoolSourcedId",
                class_.school,
                orgs,
                school=True,
                complete=orgs_complete,
            )
    for enrollment in roster.enrollments:
        if enrollment.active:
            _check_enrollment(enrollment, orgs, users, classes, roster)


def _check_enrollment(
    enrollment: EnrollmentRecord,
    orgs: Mapping[str, OrgRecord],
    users: set[str],
    classes: Mapping[str, ClassRecord],
    roster: Roster,
) -> None:
    file, line = vocab.ENROLLMENTS, enrollment.line
    class_ = classes.get(enrollment.class_)
    if class_ is None and roster.mode(vocab.CLASSES) == vocab.BULK:
        raise RosterError(file, line, f"unknown classSourcedId '{enrollment.class_}'")
    if class_ is not None and not class_.active:
        raise RosterError(file, line, f"classSourcedId '{enrollment.class_}' is marked tobedeleted")
    _org_reference(
        file,
        line,
        "schoolSourcedId",
        enrollment.school,
        orgs,
        school=True,
        complete=roster.mode(vocab.ORGS) == vocab.BULK,
    )
    if class_ is not None and enrollment.school != class_.school:
        raise RosterError(
            file,
            line,
            f"schoolSourcedId '{enrollment.school}' is not the school of class "
            f"'{class_.sourced_id}' ('{class_.school}')",
        )
    if enrollment.user not in users and roster.mode(vocab.USERS) == vocab.BULK:
        raise RosterError(file, line, f"unknown userSourcedId '{enrollment.user}'")

"""Writing users.csv into ``people``: upsert by sourcedId, never delete, never lift restrictions.

Field by field, the roster only overwrites what it owns: a name, e-mail or national id whose
source column says someone else set it (typically an administrator's rectification with
``overrideSource``) is kept, and the difference is reported as a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.dbutil import ROW_ID, insert_rows, update_rows
from roster.errors import RosterError
from roster.records import UserRecord
from roster.report import ImportReport, Skipped
from store.tables import DataSource, ProcessingState, people

# (column, how the report names it) for the fields that carry their own source column.
SOURCED_FIELDS = (
    ("given_name", "givenName"),
    ("family_name", "familyName"),
    ("email", "email"),
    ("national_id", "national id"),
)

KEPT_BECAUSE = {
    DataSource.ADMINISTRATOR: "rectified by an administrator",
    DataSource.PERSON: "set by the person",
    DataSource.REGISTRATION: "registered in Tavle",
}


@dataclass(frozen=True)
class People:
    """Every person after the import: ids by sourcedId, and who is not ACTIVE.

    Links of people who are not ACTIVE are left exactly as they are, so that lifting a
    restriction restores what was there before (privacy-actions.md).
    """

    ids: Mapping[str, int]
    inactive: frozenset[int]


def _new_person(user: UserRecord, now: datetime) -> dict[str, Any]:
    return {
        "sourced_id": user.sourced_id,
        "username": user.username,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "national_id": user.national_id,
        "given_name_source": DataSource.ROSTER,
        "family_name_source": DataSource.ROSTER,
        "email_source": DataSource.ROSTER,
        "national_id_source": DataSource.ROSTER,
        "enabled": user.enabled,
        "processing_state": ProcessingState.ACTIVE,
        "created_at": now,
        "updated_at": now,
    }


def _person_values(user: UserRecord, row: RowMapping, conflicts: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {"username": user.username, "enabled": user.enabled}
    for column, label in SOURCED_FIELDS:
        wanted = getattr(user, column)
        source = row[f"{column}_source"]
        if source is DataSource.ROSTER:
            values[column] = wanted
            continue
        values[column] = row[column]
        if wanted != row[column]:
            conflicts.append(
                f"{vocab.USERS}:{user.line}: {label} of '{user.sourced_id}' kept "
                f"({KEPT_BECAUSE.get(source, 'not set by the roster')})"
            )
    return values


def _check_usernames(existing: Mapping[str, RowMapping], written: Sequence[UserRecord]) -> None:
    """Fail cleanly (instead of on the unique constraint) when a username is someone else's.

    People the import does not write, such as restricted people or people missing from the file,
    keep their usernames.
    """
    writing = {user.sourced_id for user in written}
    owners = {
        row["username"]: sourced_id
        for sourced_id, row in existing.items()
        if sourced_id not in writing and row["username"] is not None
    }
    for user in written:
        owner = owners.get(user.username)
        if owner is not None and owner != user.sourced_id:
            raise RosterError(
                vocab.USERS, user.line, f"username already belongs to person '{owner}'"
            )


#: A bulk users.csv that leaves out more than this share of the active people (and more than
#: MASS_RESTRICTION_MINIMUM of them) is taken for a truncated export, not a school year's change.
MASS_RESTRICTION_SHARE = 0.2
MASS_RESTRICTION_MINIMUM = 10


def _check_mass_restriction(missing: int, active: int, allowed: bool) -> None:
    """Refuse to put a large part of the school in the recycle bin by accident.

    An empty or cut-off export from the school administrative system would otherwise restrict
    everyone it omits; restriction is reversible, but it locks all of them out at once.
    """
    if allowed or missing <= MASS_RESTRICTION_MINIMUM or missing <= MASS_RESTRICTION_SHARE * active:
        return
    raise RosterError(
        vocab.USERS,
        None,
        f"would move {missing} of {active} active people who are missing from the file to "
        f"RESTRICTED (more than {MASS_RESTRICTION_SHARE:.0%}): is the file complete? Import with "
        "--allow-mass-restriction if this is intended",
    )


async def sync_people(
    conn: AsyncConnection,
    users: Sequence[UserRecord],
    report: ImportReport,
    now: datetime,
    allow_mass_restriction: bool = False,
) -> People:
    existing = {row["sourced_id"]: row for row in (await conn.execute(select(people))).mappings()}
    listed = {user.sourced_id for user in users}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    renames: list[dict[str, Any]] = []
    restrictions: list[int] = []
    written: list[UserRecord] = []

    for user in users:
        row = existing.get(user.sourced_id)
        if row is None:
            if user.active:
                inserts.append(_new_person(user, now))
                written.append(user)
                report.users.created += 1
            else:
                report.skipped.append(
                    Skipped(
                        vocab.USERS,
                        user.line,
                        f"user '{user.sourced_id}' not created: status tobedeleted",
                    )
                )
        elif row["processing_state"] is not ProcessingState.ACTIVE:
            if user.active:
                report.kept_restricted.append(user.sourced_id)
            report.users.unchanged += 1
        elif not user.active:
            restrictions.append(row["id"])
            report.restricted.append(user.sourced_id)
            report.users.updated += 1
        else:
            values = _person_values(user, row, report.conflicts)
            written.append(user)
            if all(values[column] == row[column] for column in values):
                report.users.unchanged += 1
                continue
            if values["username"] != row["username"]:
                renames.append({ROW_ID: row["id"], "username": None})
            updates.append({ROW_ID: row["id"], **values, "updated_at": now})
            report.users.updated += 1

    missing = 0
    for sourced_id, row in existing.items():
        if sourced_id not in listed and row["processing_state"] is ProcessingState.ACTIVE:
            restrictions.append(row["id"])
            report.restricted.append(sourced_id)
            missing += 1
    active = sum(
        1 for row in existing.values() if row["processing_state"] is ProcessingState.ACTIVE
    )
    _check_mass_restriction(missing, active, allow_mass_restriction)

    _check_usernames(existing, written)
    # Clear changed usernames first, so that two people may swap usernames in one import.
    await update_rows(conn, people, renames)
    await update_rows(conn, people, updates)
    await update_rows(
        conn,
        people,
        [
            {ROW_ID: person_id, "processing_state": ProcessingState.RESTRICTED, "updated_at": now}
            for person_id in restrictions
        ],
    )
    await insert_rows(conn, people, inserts)

    result = await conn.execute(select(people.c.id, people.c.sourced_id, people.c.processing_state))
    ids: dict[str, int] = {}
    inactive: set[int] = set()
    for person_id, sourced_id, state in result:
        ids[sourced_id] = person_id
        if state is not ProcessingState.ACTIVE:
            inactive.add(person_id)
    return People(ids=ids, inactive=frozenset(inactive))

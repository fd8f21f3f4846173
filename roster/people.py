"""Writing users.csv into ``people``: upsert by sourcedId, never delete.

Field by field, the roster only overwrites what it owns: a name, e-mail or national id whose
source column says someone else set it (typically an administrator's rectification with
``overrideSource``) is kept, and the difference is reported as a conflict.

People leave through the recycle bin: a person marked ``tobedeleted``, or missing from a bulk
file, is RESTRICTED with a privacy request of origin ROSTER. Only such a roster restriction is
undone by the import when the person comes back; a restriction an administrator made is kept.
An erased person listed again is not created (``roster.erased``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.changes import ChangeLog
from roster.dbutil import ROW_ID, insert_rows, update_rows
from roster.erased import ErasedIdentities
from roster.errors import RosterError
from roster.records import UserRecord
from roster.report import ERASED_IDENTITY, ImportReport, Skipped
from store import tables as t
from store.tables import (
    DataSource,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestOrigin,
    people,
)

# (column, how the report names it) for the fields that carry their own source column.
SOURCED_FIELDS = (
    ("given_name", "givenName"),
    ("family_name", "familyName"),
    ("email", "email"),
    ("national_id", "national id"),
)
#: how the audit entry of an update names each column (field names only, never values)
FIELD_LABELS = {
    "username": "username",
    "enabled": "enabledUser",
    "given_name": "givenName",
    "family_name": "familyName",
    "email": "email",
    "national_id": "nationalId",
    "feide_id": "feideId",
}

KEPT_BECAUSE = {
    DataSource.ADMINISTRATOR: "rectified by an administrator",
    DataSource.PERSON: "set by the person",
    DataSource.REGISTRATION: "registered in Tavle",
}


@dataclass(frozen=True)
class People:
    """Every person after the import: ids by sourcedId, and who is not ACTIVE.

    Links of people who are not ACTIVE are left exactly as they are, so that lifting a
    restriction restores what was there before (docs/privacy-actions.md).
    """

    ids: Mapping[str, int]
    inactive: frozenset[int]
    #: sourcedIds of rows not created because they match an erased person: their links are
    #: skipped like those of inactive people
    blocked: frozenset[str] = frozenset()


def _new_person(user: UserRecord, now: datetime) -> dict[str, Any]:
    return {
        "sourced_id": user.sourced_id,
        "username": user.username,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "national_id": user.national_id,
        "feide_id": user.feide_id,
        "given_name_source": DataSource.ROSTER,
        "family_name_source": DataSource.ROSTER,
        "email_source": DataSource.ROSTER,
        "national_id_source": DataSource.ROSTER,
        "enabled": user.enabled,
        "processing_state": ProcessingState.ACTIVE,
        "created_at": now,
        "updated_at": now,
    }


def _person_values(
    user: UserRecord, row: Mapping[str, Any], conflicts: list[str]
) -> dict[str, Any]:
    # The Feide id has no source column: only the roster sets it (like the username).
    values: dict[str, Any] = {
        "username": user.username,
        "enabled": user.enabled,
        "feide_id": user.feide_id,
    }
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


def _check_usernames(
    existing: Mapping[str, Mapping[str, Any]], written: Sequence[UserRecord]
) -> None:
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


def _check_mass_restriction(missing: int, active: int, allowed: bool) -> RosterError | None:
    """Refuse to put a large part of the school in the recycle bin by accident.

    An empty or cut-off export from the school administrative system would otherwise restrict
    everyone it omits; restriction is reversible, but it locks all of them out at once.
    """
    if allowed or missing <= MASS_RESTRICTION_MINIMUM or missing <= MASS_RESTRICTION_SHARE * active:
        return None
    return RosterError(
        vocab.USERS,
        None,
        f"would move {missing} of {active} active people who are missing from the file to "
        f"RESTRICTED (more than {MASS_RESTRICTION_SHARE:.0%}): is the file complete? Import with "
        "--allow-mass-restriction if this is intended",
    )


async def _roster_restricted(conn: AsyncConnection, candidates: Sequence[int]) -> set[int]:
    """Of ``candidates`` (RESTRICTED people), those whose restriction the roster import made."""
    if not candidates:
        return set()
    r = t.privacy_requests.c
    rows = await conn.execute(
        select(r.subject_id, r.action, r.origin)
        .where(
            r.subject_id.in_(sorted(candidates)),
            r.action.in_([PrivacyAction.RESTRICT, PrivacyAction.LIFT_RESTRICTION]),
            r.status == PrivacyRequestStatus.COMPLETED,
        )
        .order_by(r.id)
    )
    last: dict[int, tuple[PrivacyAction, RequestOrigin]] = {}
    for subject_id, action, origin in rows:
        last[subject_id] = (action, origin)
    return {
        subject_id
        for subject_id, (action, origin) in last.items()
        if action == PrivacyAction.RESTRICT and origin == RequestOrigin.ROSTER
    }


@dataclass(frozen=True)
class PeopleOptions:
    bulk: bool
    allow_mass_restriction: bool
    import_id: int
    erased: ErasedIdentities
    #: thresholds crossed, collected rather than raised so the report can say what would happen
    refusals: list[RosterError]


async def sync_people(
    conn: AsyncConnection,
    users: Sequence[UserRecord],
    report: ImportReport,
    now: datetime,
    options: PeopleOptions,
    log: ChangeLog,
) -> People:
    existing: dict[str, Mapping[str, Any]] = {
        row["sourced_id"]: dict(row) for row in (await conn.execute(select(people))).mappings()
    }
    listed = {user.sourced_id for user in users}
    restricted_rows = [
        row["id"]
        for row in existing.values()
        if row["processing_state"] is ProcessingState.RESTRICTED
    ]
    comeback = await _roster_restricted(conn, restricted_rows)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    renames: list[dict[str, Any]] = []
    restrictions: dict[int, str] = {}
    reactivations: list[int] = []
    written: list[UserRecord] = []
    blocked: set[str] = set()

    for user in users:
        row: Mapping[str, Any] | None = existing.get(user.sourced_id)
        if row is None:
            if not user.active:
                report.skipped.append(
                    Skipped(
                        vocab.USERS,
                        user.line,
                        f"user '{user.sourced_id}' not created: status tobedeleted",
                    )
                )
            elif options.erased.blocks(user):
                blocked.add(user.sourced_id)
                report.erased_identity(
                    vocab.USERS,
                    user.line,
                    f"{ERASED_IDENTITY}: {vocab.USERS}:{user.line}: user '{user.sourced_id}' "
                    "matches an erased person and was not created (delete them in the school "
                    "system too, or lift the block with `tavle roster allow-recreate`)",
                )
            else:
                inserts.append(_new_person(user, now))
                written.append(user)
                report.users.created += 1
            continue
        state = row["processing_state"]
        if state is not ProcessingState.ACTIVE:
            if user.active and row["id"] in comeback:
                reactivations.append(row["id"])
                report.reactivated.append(user.sourced_id)
                row = {**row, "processing_state": ProcessingState.ACTIVE}
            else:
                if user.active:
                    report.kept_restricted.append(user.sourced_id)
                report.users.unchanged += 1
                continue
        if not user.active:
            restrictions[row["id"]] = f"marked tobedeleted in {vocab.USERS}"
            report.restricted.append(user.sourced_id)
            report.users.updated += 1
            continue
        values = _person_values(user, row, report.conflicts)
        written.append(user)
        changed = [column for column in values if values[column] != row[column]]
        if not changed:
            report.users.unchanged += 1
            continue
        if values["username"] != row["username"]:
            renames.append({ROW_ID: row["id"], "username": None})
        updates.append({ROW_ID: row["id"], **values, "updated_at": now})
        log.record(
            "PERSON_UPDATED",
            "User",
            row["id"],
            subject_id=row["id"],
            detail="fields: " + ",".join(FIELD_LABELS[column] for column in changed),
        )
        report.users.updated += 1

    if options.bulk:
        missing = 0
        for sourced_id, gone in existing.items():
            if sourced_id not in listed and gone["processing_state"] is ProcessingState.ACTIVE:
                restrictions[gone["id"]] = f"missing from a bulk {vocab.USERS}"
                report.restricted.append(sourced_id)
                missing += 1
        active = sum(
            1 for row in existing.values() if row["processing_state"] is ProcessingState.ACTIVE
        )
        refusal = _check_mass_restriction(missing, active, options.allow_mass_restriction)
        if refusal is not None:
            report.refusals.append(str(refusal))
            options.refusals.append(refusal)

    _check_usernames(existing, written)
    # Clear changed usernames first, so that two people may swap usernames in one import.
    await update_rows(conn, people, renames)
    await _reactivate(conn, reactivations, now, options.import_id, log)
    await update_rows(conn, people, updates)
    await _restrict(conn, restrictions, now, options.import_id, log)
    await insert_rows(conn, people, inserts)
    await options.erased.consume_allowances(conn, [user.sourced_id for user in written])

    result = await conn.execute(select(people.c.id, people.c.sourced_id, people.c.processing_state))
    ids: dict[str, int] = {}
    inactive: set[int] = set()
    created = {values["sourced_id"] for values in inserts}
    for person_id, sourced_id, state in result:
        ids[sourced_id] = person_id
        if state is not ProcessingState.ACTIVE:
            inactive.add(person_id)
        if sourced_id in created:
            log.record("PERSON_CREATED", "User", person_id, subject_id=person_id)
    return People(ids=ids, inactive=frozenset(inactive), blocked=frozenset(blocked))


def _request(subject_id: int, action: PrivacyAction, why: str, now: datetime) -> dict[str, Any]:
    return {
        "action": action,
        "status": PrivacyRequestStatus.COMPLETED,
        "subject_id": subject_id,
        "origin": RequestOrigin.ROSTER,
        "requested_by_id": None,
        "justification": why,
        "created_at": now,
        "completed_at": now,
        "effects": "[]",
        "attempts": 0,
    }


async def _restrict(
    conn: AsyncConnection, reasons: Mapping[int, str], now: datetime, import_id: int, log: ChangeLog
) -> None:
    """Move people to the recycle bin, each with a RESTRICT request of origin ROSTER (so the
    recycle bin shows when and why they arrived)."""
    ids = sorted(reasons)
    await update_rows(
        conn,
        people,
        [
            {
                ROW_ID: person_id,
                "processing_state": ProcessingState.RESTRICTED,
                "restricted_at": now,
                "updated_at": now,
            }
            for person_id in ids
        ],
    )
    await insert_rows(
        conn,
        t.privacy_requests,
        [
            _request(i, PrivacyAction.RESTRICT, f"Roster import {import_id}: {reasons[i]}", now)
            for i in ids
        ],
    )
    for person_id in ids:
        log.record("PERSON_RESTRICTED", "User", person_id, subject_id=person_id)


async def _reactivate(
    conn: AsyncConnection, ids: Sequence[int], now: datetime, import_id: int, log: ChangeLog
) -> None:
    """Take people the import had restricted out of the recycle bin: they are back in the file."""
    ordered = sorted(ids)
    await update_rows(
        conn,
        people,
        [
            {
                ROW_ID: person_id,
                "processing_state": ProcessingState.ACTIVE,
                "restricted_at": None,
                "updated_at": now,
            }
            for person_id in ordered
        ],
    )
    why = f"Roster import {import_id}: listed as active again in {vocab.USERS}"
    await insert_rows(
        conn,
        t.privacy_requests,
        [_request(i, PrivacyAction.LIFT_RESTRICTION, why, now) for i in ordered],
    )
    for person_id in ordered:
        log.record("PERSON_REACTIVATED", "User", person_id, subject_id=person_id)

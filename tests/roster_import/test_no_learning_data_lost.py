"""No roster import deletes learning data, directly or through a foreign-key cascade (rule 1).

Two proofs. The static one walks the foreign keys: from the only tables the import deletes rows
of, no ``ON DELETE CASCADE`` chain reaches a table holding what people produced or were given.
The dynamic one runs the imports that used to destroy data (a school year's rollover, a school
leaving, a delta package marking everything ``tobedeleted``) on the demo school with its
activity, records every DELETE statement the database receives, and counts every learning table
before and after.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from db_support import TEST_IDENTITY_KEY
from roster_support import RosterFolder, run_with_engine
from sqlalchemy import Table, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.settings import Settings
from gateway.demo import ensure_demo
from gateway.demo_calendar import shifted_copy, years_to_today
from roster import DEMO_ROSTER_DIR, import_roster
from store.tables import metadata

NEXT_YEAR_DIR = DEMO_ROSTER_DIR.parent / "roster-next-year"

#: What people produced or were given: never deleted by an import.
LEARNING_TABLES = {
    "assignments",
    "submissions",
    "attachments",
    "files",
    "submission_versions",
    "assessments",
    "assessment_revisions",
    "posts",
    "comments",
    "conversations",
    "conversation_participants",
    "messages",
    "documents",
    "calendar_events",
    "notifications",
    "preferences",
    "people",
    "enrolments",
    "courses",
    "schools",
    "academic_sessions",
    "privacy_requests",
    # the people of a batch or school erasure and each one's result: part of the request's record
    "privacy_request_items",
    "audit_entries",
    "roster_imports",
    # the incident register and the people each incident concerns (docs/incidents.md)
    "incidents",
    "incident_people",
    # the staff access log: a record like the audit, deleted only by retention and erasure
    "access_log",
    # data subjects' requests: the record of compliance (docs/data-requests.md)
    "data_requests",
}
#: Links the import owns and may delete rows of.
IMPORT_MAY_DELETE = {"role_assignments", "guardianships", "course_terms", "recreate_allowances"}
#: Bookkeeping with no one's data in it: the viewer cache's counter (migration 0005) and the
#: random storage keys of file bytes waiting to be deleted.
BOOKKEEPING = {
    "viewer_epoch",
    "file_deletions",
    "data_request_reminders",
    "daily_runs",
    # the admin console's sign-in sessions (short-lived; a person's go with them)
    "console_sessions",
}


def _cascade_closure(start: set[str]) -> set[str]:
    """Tables whose rows deleting rows of ``start`` can delete, through ON DELETE CASCADE."""
    reached = set(start)
    changed = True
    while changed:
        changed = False
        for table in metadata.tables.values():
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent in reached and fk.ondelete == "CASCADE" and table.name not in reached:
                    reached.add(table.name)
                    changed = True
    return reached


def test_every_table_is_classified() -> None:
    assert set(metadata.tables) == LEARNING_TABLES | IMPORT_MAY_DELETE | BOOKKEEPING


def test_no_cascade_from_what_the_import_deletes_reaches_learning_data() -> None:
    assert _cascade_closure(IMPORT_MAY_DELETE) & LEARNING_TABLES == set()


def test_the_walk_would_see_a_cascade() -> None:
    """The walk is not vacuous: from courses, cascades do reach learning data."""
    assert {"assignments", "submissions", "posts"} <= _cascade_closure({"courses"})


_DELETE = re.compile(r"^\s*DELETE\s+FROM\s+\"?(\w+)\"?", re.IGNORECASE)


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in sorted(metadata.tables.items())
            if isinstance(table, Table) and name in LEARNING_TABLES - {"audit_entries"}
        }


def test_imports_that_used_to_destroy_data_delete_nothing(
    roster_db_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=roster_db_url)
    years = years_to_today(DEMO_ROSTER_DIR, datetime.now(UTC).date())
    next_year = shifted_copy(NEXT_YEAR_DIR, tmp_path / "next-year", years)
    sagene_gone = RosterFolder(tmp_path / "no-sagene")
    sagene_gone.remove("orgs.csv", lambda row: row["sourcedId"] == "org-sag")
    sagene_gone.remove("classes.csv", lambda row: row["schoolSourcedId"] == "org-sag")
    sagene_gone.remove("enrollments.csv", lambda row: row["schoolSourcedId"] == "org-sag")
    sagene_gone.remove("roles.csv", lambda row: row["orgSourcedId"] == "org-sag")
    everything_deleted = RosterFolder(tmp_path / "all-tobedeleted")
    text = (everything_deleted.path / "manifest.csv").read_text().replace(",bulk", ",delta")
    (everything_deleted.path / "manifest.csv").write_text(text)
    for name in ("orgs.csv", "users.csv", "roles.csv", "classes.csv", "enrollments.csv"):
        _mark_all_tobedeleted(everything_deleted.path / name)

    deleted_from: set[str] = set()

    def on_execute(*args: Any) -> None:
        found = _DELETE.match(args[2])
        if found:
            deleted_from.add(found.group(1))

    async def scenario(engine: AsyncEngine) -> None:
        assert await ensure_demo(settings, DEMO_ROSTER_DIR)
        event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
        start = await _counts(engine)
        assert start["assessments"] > 0 and start["submissions"] > 0 and start["posts"] > 0
        for folder in (next_year, sagene_gone.path, everything_deleted.path):
            await import_roster(
                engine,
                folder,
                identity_key=TEST_IDENTITY_KEY,
                allow_mass_archive=True,
                allow_mass_restriction=True,
            )
            counts = await _counts(engine)
            for name in LEARNING_TABLES - {"audit_entries", "roster_imports", "privacy_requests"}:
                if name in ("people", "courses", "schools", "enrolments", "academic_sessions"):
                    assert counts[name] >= start[name], (folder.name, name)
                else:
                    assert counts[name] == start[name], (folder.name, name)

    run_with_engine(roster_db_url, scenario)
    assert deleted_from <= IMPORT_MAY_DELETE, deleted_from


def _mark_all_tobedeleted(path: Path) -> None:
    import csv

    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        row["status"] = "tobedeleted"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

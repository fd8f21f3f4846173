"""Roster import: a OneRoster 1.2 CSV package (a folder or a zip) into Tavle's database.

The whole package is parsed and validated before anything is written; the writes then happen in
one transaction, together with the run's ``roster_imports`` record and an audit entry for every
change, so a bad file leaves the database exactly as it was, and so does a dry run. Running the
same package twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.apply import ApplyOptions, apply_plan
from roster.changes import ChangeLog
from roster.dbutil import inserted_id
from roster.errors import RefusedError, RosterError
from roster.parse import parse_folder
from roster.plan import make_plan
from roster.report import Counts, ImportReport, Skipped
from roster.source import file_digests, roster_folder
from store import tables as t

__all__ = [
    "DEMO_ROSTER_DIR",
    "Counts",
    "ImportReport",
    "RefusedError",
    "RosterError",
    "Skipped",
    "import_roster",
]

# The demo school (a source checkout's demo/roster folder).
DEMO_ROSTER_DIR = Path(__file__).resolve().parent.parent / "demo" / "roster"

Progress = Callable[[str], None]


class _DryRunRollbackError(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


async def _start_run(
    conn: AsyncConnection, source: Path, modes: dict[str, str], actor: str, now: datetime
) -> int:
    result = await conn.execute(
        t.roster_imports.insert().values(
            started_at=now,
            status="RUNNING",
            source=source.name[:255],
            mode=_mode_summary(modes),
            actor=actor[:255],
            file_digests="{}",
            counts="[]",
            conflicts="[]",
        )
    )
    return inserted_id(result)


def _mode_summary(modes: dict[str, str]) -> str:
    """``bulk``, ``delta``, or ``mixed`` over the files present."""
    present = {mode for mode in modes.values() if mode != "absent"}
    return present.pop() if len(present) == 1 else "mixed"


async def _finish_run(
    conn: AsyncConnection,
    import_id: int,
    report: ImportReport,
    digests: dict[str, str],
    log: ChangeLog,
) -> None:
    await conn.execute(
        update(t.roster_imports)
        .where(t.roster_imports.c.id == import_id)
        .values(
            finished_at=datetime.now(UTC),
            status="COMPLETED",
            file_digests=json.dumps(digests, sort_keys=True),
            counts=json.dumps(report.changes),
            conflicts=json.dumps(report.recorded_conflicts()),
        )
    )
    await log.write(conn, import_id)


async def import_roster(
    engine: AsyncEngine,
    source: Path,
    *,
    identity_key: bytes,
    allow_mass_restriction: bool = False,
    allow_mass_archive: bool = False,
    dry_run: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> ImportReport:
    """Import the OneRoster package ``source`` (a folder or a .zip); raise RosterError if any
    file is bad.

    ``identity_key`` is the pseudonym key: erased people are recognised by keyed digests.
    ``allow_mass_restriction``/``allow_mass_archive`` let a bulk file leave out more than a fifth
    of the active people, or archive many courses or a whole school; without them such an import
    fails and changes nothing. ``dry_run`` computes the report and writes nothing. ``actor`` is
    recorded on the run (``cli:<user>``, ``job:...``).
    """
    source = Path(source)
    started = datetime.now(UTC)
    with roster_folder(source) as folder:
        skipped: list[Skipped] = []
        # Reading and checking the files is plain CPU and file work: off the event loop.
        roster = await asyncio.to_thread(parse_folder, folder, skipped, progress)
        digests = await asyncio.to_thread(file_digests, folder)
    plan = make_plan(roster)
    report = ImportReport(
        skipped=[*skipped, *plan.skipped], dry_run=dry_run, modes=dict(roster.modes)
    )
    log = ChangeLog()
    try:
        async with engine.begin() as conn:
            import_id = await _start_run(conn, source, roster.modes, actor, started)
            options = ApplyOptions(
                identity_key=identity_key,
                import_id=import_id,
                allow_mass_restriction=allow_mass_restriction,
                allow_mass_archive=allow_mass_archive,
            )
            await apply_plan(conn, plan, report, started, options, log, progress)
            report.changes = log.count_list()
            if options.refusals:
                raise RefusedError(options.refusals, report)
            if dry_run:
                raise _DryRunRollbackError
            await _finish_run(conn, import_id, report, digests, log)
            report.import_id = import_id
    except _DryRunRollbackError:
        pass
    return report

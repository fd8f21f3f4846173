"""Roster import: a OneRoster 1.2 CSV bulk folder into Tavle's database (interfaces.md).

The whole folder is parsed and validated before anything is written; the writes then happen in one
transaction, so a bad file leaves the database exactly as it was. Running the same folder twice
changes nothing the second time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.apply import apply_plan
from roster.errors import RosterError
from roster.parse import parse_folder
from roster.plan import make_plan
from roster.report import Counts, ImportReport, Skipped

__all__ = [
    "DEMO_ROSTER_DIR",
    "Counts",
    "ImportReport",
    "RosterError",
    "Skipped",
    "import_roster",
]

# The demo school (a source checkout's demo/roster folder).
DEMO_ROSTER_DIR = Path(__file__).resolve().parent.parent / "demo" / "roster"


async def import_roster(
    engine: AsyncEngine, folder: Path, *, allow_mass_restriction: bool = False
) -> ImportReport:
    """Import the OneRoster CSV folder ``folder``; raise RosterError if any file is bad.

    ``allow_mass_restriction`` lets a bulk file leave out more than a fifth of the active people
    (see ``roster.people``); without it such an import fails and changes nothing.
    """
    # Reading and checking the files is plain CPU and file work: off the event loop.
    plan = make_plan(await asyncio.to_thread(parse_folder, Path(folder)))
    report = ImportReport(skipped=list(plan.skipped))
    async with engine.begin() as conn:
        await apply_plan(conn, plan, report, datetime.now(UTC), allow_mass_restriction)
    return report

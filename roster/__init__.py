"""Roster import: a OneRoster 1.2 CSV package (a folder or a zip) into Tavle's database.

The whole package is parsed and validated before anything is written; the writes then happen in
one transaction, together with the run's ``roster_imports`` record and an audit entry for every
change, so a bad file leaves the database exactly as it was, and so does a dry run. Running the
same package twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.apply import ApplyOptions, apply_plan
from roster.changes import ChangeLog
from roster.dbutil import inserted_id
from roster.errors import RefusedError, RosterError
from roster.parse import parse_folder
from roster.plan import Plan, make_plan
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

# The demo school (gateway/demo_data/roster, shipped beside this package).
DEMO_ROSTER_DIR = Path(__file__).resolve().parent.parent / "gateway" / "demo_data" / "roster"

Progress = Callable[[str], None]
logger = logging.getLogger("tavle.roster")
tracer = trace.get_tracer("tavle.roster")


class _DryRunRollbackError(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


async def _start_run(
    conn: AsyncConnection, modes: dict[str, str], actor: str, now: datetime, *, source_name: str
) -> int:
    result = await conn.execute(
        t.roster_imports.insert().values(
            started_at=now,
            status="RUNNING",
            source=source_name[:255],
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


async def _apply(
    engine: AsyncEngine,
    plan: Plan,
    report: ImportReport,
    started: datetime,
    digests: dict[str, str],
    actor: str,
    identity_key: bytes,
    progress: Progress | None,
    *,
    source_name: str,
    allow_mass_restriction: bool,
    allow_mass_archive: bool,
) -> None:
    """Apply ``plan`` in one transaction with the run's record; roll back a dry run."""
    log = ChangeLog()
    try:
        async with engine.begin() as conn:
            import_id = await _start_run(
                conn, report.modes, actor, started, source_name=source_name
            )
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
            if report.dry_run:
                raise _DryRunRollbackError
            await _finish_run(conn, import_id, report, digests, log)
            report.import_id = import_id
    except _DryRunRollbackError:
        pass


async def _record_failure(
    engine: AsyncEngine,
    source: Path,
    actor: str,
    started: datetime,
    digests: dict[str, str],
    error: Exception,
) -> None:
    """Keep a record of a refused or failed run (its own transaction: the import's rolled back).

    A record that cannot be written (the database is down, say) is only logged: the import's
    own error is what the caller must see.
    """
    if isinstance(error, RefusedError):
        status, why = "REFUSED", [str(refusal) for refusal in error.refusals]
    elif isinstance(error, RosterError):
        status, why = "FAILED", [str(error)]
    else:  # the type only: an unexpected error's message may quote personal data
        status, why = "FAILED", [f"internal error ({type(error).__name__})"]
    try:
        async with engine.begin() as conn:
            await conn.execute(
                t.roster_imports.insert().values(
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    status=status,
                    source=source.name[:255],
                    mode="-",
                    actor=actor[:255],
                    file_digests=json.dumps(digests, sort_keys=True),
                    counts="[]",
                    conflicts=json.dumps(why),
                )
            )
    except Exception as failure:
        logger.warning("could not record the failed roster import (%s)", type(failure).__name__)


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
    digests: dict[str, str] = {}
    # A trace of its own per run: parsing, then the one transaction with its SQL. Attributes
    # are flags and the run's id; a failure records the exception's type only (its message can
    # quote a value from the files).
    with tracer.start_as_current_span(
        "roster.import",
        attributes={"tavle.roster.dry_run": dry_run},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            with (
                tracer.start_as_current_span(
                    "roster.parse", record_exception=False, set_status_on_exception=False
                ),
                roster_folder(source) as folder,
            ):
                skipped: list[Skipped] = []
                # Reading and checking the files is plain CPU and file work: off the event loop.
                digests = await asyncio.to_thread(file_digests, folder)
                roster = await asyncio.to_thread(parse_folder, folder, skipped, progress)
            plan = make_plan(roster)
            report = ImportReport(
                skipped=[*skipped, *plan.skipped], dry_run=dry_run, modes=dict(roster.modes)
            )
            with tracer.start_as_current_span(
                "roster.apply", record_exception=False, set_status_on_exception=False
            ):
                await _apply(
                    engine,
                    plan,
                    report,
                    started,
                    digests,
                    actor,
                    identity_key,
                    progress,
                    source_name=source.name,
                    allow_mass_restriction=allow_mass_restriction,
                    allow_mass_archive=allow_mass_archive,
                )
        except Exception as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            if not dry_run:
                await _record_failure(engine, source, actor, started, digests, error)
            raise
        if report.import_id is not None:
            span.set_attribute("tavle.roster.import_id", report.import_id)
    return report

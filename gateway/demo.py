"""The demo school: the shipped OneRoster folder plus activity made through the mutations' code."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from config.settings import Settings
from gateway.demo_calendar import shifted_copy, years_to_today
from gateway.keyfile import pseudonym_key
from store import tables as t
from store.db import make_engine, migrate

log = logging.getLogger("tavle.demo")


async def ensure_demo(settings: Settings, roster_dir: Path) -> bool:
    """Import the demo school and its activity into an empty database; True if it did.

    The demo's school year is moved to the current one (``gateway.demo_calendar``).
    """
    from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
    from gateway.demo_activity import seed_activity
    from roster import import_roster

    url = settings.resolved_database_url()
    await migrate(url)
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            people = (await conn.execute(select(func.count()).select_from(t.people))).scalar_one()
        if people:
            return False
        with tempfile.TemporaryDirectory(prefix="tavle-demo-") as scratch:
            years = years_to_today(roster_dir, datetime.now(UTC).date())
            current = shifted_copy(roster_dir, Path(scratch) / roster_dir.name, years)
            await import_roster(engine, current, identity_key=pseudonym_key(settings), actor="demo")
        await seed_activity(engine, Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY))
        log.info("demo school imported")
        return True
    finally:
        await engine.dispose()

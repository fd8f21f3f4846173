"""The demo school: the shipped OneRoster folder plus activity made through the mutations' code."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from gateway.keyfile import pseudonym_key
from gateway.settings import Settings
from store import tables as t
from store.db import make_engine, migrate

log = logging.getLogger("tavle.demo")


async def ensure_demo(settings: Settings, roster_dir: Path) -> bool:
    """Import the demo school and its activity into an empty database; True if it did."""
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
        await import_roster(engine, roster_dir, identity_key=pseudonym_key(settings), actor="demo")
        await seed_activity(engine, Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY))
        log.info("demo school imported")
        return True
    finally:
        await engine.dispose()

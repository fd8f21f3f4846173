"""The daily notice to the system administrators that the recycle bin can be emptied.

Run by every job worker once a day (``gateway.jobs.JobWorker.daily``); the first worker of the
day that finds anyone whose retention has expired (the people ``expiredSubjects`` lists)
inserts ``(RETENTION_EXPIRED, today)`` into ``daily_runs`` and notifies every active system
administrator in the same transaction. Any later run that day, in this worker or another, hits
the primary key and does nothing; a day on which nobody is expired records nothing, so the
notice can still come later that day once someone is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from config import clock
from resolvers.events import publish
from resolvers.services.notices import active_administrators, notify
from store import tables as t
from store.privacy.expiry import count_expired
from store.privacy.retention import retention_registry

TASK = "RETENTION_EXPIRED"
#: the notification kind (``resolvers.services.notices.TEXTS``)
KIND = "RETENTION_EXPIRED"


async def notify_expired_retention(
    engine: AsyncEngine, retention_file: Path | None, day: date | None = None
) -> int:
    """Tell the system administrators how many people's retention has expired, once a day.

    Returns how many administrators were notified by this call (0: nobody is expired, or the
    day's notice has already gone out).
    """
    day = day or clock.today()
    cutoff = retention_registry(retention_file).expiry_cutoff(clock.now())
    try:
        async with engine.begin() as conn:
            expired = await count_expired(conn, cutoff)
            if not expired:
                return 0
            # First, so that a concurrent worker waits here (PostgreSQL) and then fails on the
            # primary key, rolling back before it notifies anyone.
            await conn.execute(
                t.daily_runs.insert().values(task=TASK, day=day, done_at=clock.now())
            )
            admins = await active_administrators(conn)
            events = await notify(conn, admins, KIND, count=str(expired))
    except IntegrityError:
        return 0  # another run has sent today's notice
    for event in events:
        await publish(engine, event)
    return len(events)

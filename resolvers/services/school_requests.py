"""The check both whole-school requests (export, erasure) make before they are written: the
school exists, and no request of the same action for it is still pending.

The school's row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's writers are serial
anyway), so two administrators asking at the same moment cannot both pass the check.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.errors import conflict, not_found
from store import tables as t
from store.tables import PrivacyAction, PrivacyRequestStatus

_r = t.privacy_requests.c
_s = t.schools.c


async def lock_school_without_pending(
    conn: AsyncConnection,
    school_id: int,
    action: PrivacyAction,
    pending: Iterable[PrivacyRequestStatus],
    busy: str,
) -> None:
    """NOT_FOUND for an unknown school, CONFLICT (with ``busy``) when a request of ``action``
    for it is in one of the ``pending`` statuses."""
    locked = await conn.execute(select(_s.id).where(_s.id == school_id).with_for_update())
    if locked.first() is None:
        raise not_found("No school with that id")
    waiting = await conn.execute(
        select(_r.id).where(
            _r.action == action, _r.school_id == school_id, _r.status.in_(tuple(pending))
        )
    )
    if waiting.first() is not None:
        raise conflict(busy)

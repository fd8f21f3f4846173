"""Who is expired: restricted people whose every category's retention has passed.

The same selection ``expiredSubjects`` lists (``resolvers.roots.expired_subjects``): people in
the recycle bin (RESTRICTED) who left before the retention registry's cutoff
(``RetentionRegistry.expiry_cutoff``), longest gone first. Used by "empty the recycle bin"
(a batch erasure with ``allExpired``) and by the daily notice to the system administrators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.tables import ProcessingState

_p = t.people.c


def is_expired(cutoff: datetime) -> ColumnElement[bool]:
    """The condition on ``people`` that a person is expired at ``cutoff``."""
    return (
        (_p.processing_state == ProcessingState.RESTRICTED)
        & _p.restricted_at.is_not(None)
        & (_p.restricted_at < cutoff)
    )


def expired_ids(cutoff: datetime) -> Select[Any]:
    """The expired people's ids, longest gone first (ties by id)."""
    return select(_p.id).where(is_expired(cutoff)).order_by(_p.restricted_at, _p.id)


async def count_expired(conn: AsyncConnection, cutoff: datetime) -> int:
    stmt = select(func.count()).select_from(t.people).where(is_expired(cutoff))
    return int((await conn.execute(stmt)).scalar_one())

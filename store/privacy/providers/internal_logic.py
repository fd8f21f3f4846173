"""``INTERNAL_LOGIC``: preferences such as last-used choices, used by the UI and shown to nobody;
and an administrator's sign-in sessions of the admin console.

Tables: ``preferences``, ``console_sessions``.

Exported
    Nothing, explicitly: ``export`` yields no items, and ``store.privacy.export`` also skips
    this category by name. docs/privacy-actions.md: "Data i kategorien «Intern logikk» inkluderes
    ikke" (the itslearning privacy tool leaves internal logic out of the access file). The
    export lists the category as excluded, so the person is told it exists.

Restriction
    HIDDEN: preferences are never visible to anyone but the UI acting for the person; a console
    session of someone no longer ACTIVE is refused (and deleted) at its next use.

Erasure
    Deleted: every preference row and console session of the person. Nothing is kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects


async def _nothing() -> AsyncIterator[ExportItem]:
    none: tuple[ExportItem, ...] = ()
    for item in none:
        yield item


class InternalLogicProvider:
    category = DataCategory.INTERNAL_LOGIC
    tables = frozenset({"preferences", "console_sessions"})

    def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        """Never exported (see the module docstring): an empty stream."""
        return _nothing()

    async def _count(self, conn: AsyncConnection, subject_id: int) -> int:
        return await count(
            conn, t.preferences, t.preferences.c.person_id == subject_id
        ) + await count(conn, t.console_sessions, t.console_sessions.c.person_id == subject_id)

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return effects(self.category, [(Outcome.HIDDEN, await self._count(conn, subject_id))])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return effects(self.category, [(Outcome.DELETED, await self._count(conn, subject_id))])

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        await conn.execute(t.preferences.delete().where(t.preferences.c.person_id == subject_id))
        await conn.execute(
            t.console_sessions.delete().where(t.console_sessions.c.person_id == subject_id)
        )
        return found

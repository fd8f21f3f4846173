"""A person's data by category, counted: what erasing them would do now (``User.erasurePreview``).

The same counts ``requestErasure`` records as its preview (each privacy provider's
``erasure_effects``), read in one read-only transaction and changing nothing, so a system
administrator can see what Tavle holds about someone before deciding anything.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import reader
from store.privacy.base import Effect
from store.privacy.providers import PROVIDERS


async def erasure_preview(engine: AsyncEngine, person_id: int) -> list[Effect]:
    """Every provider's preview for ``person_id``, in category order."""
    effects: list[Effect] = []
    async with reader(engine).connect() as conn:
        for provider in PROVIDERS:
            effects.extend(await provider.erasure_effects(conn, person_id))
    return effects

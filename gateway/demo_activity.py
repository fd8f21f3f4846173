"""Placeholder replaced by the demo activity seeder."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy


async def seed_activity(engine: AsyncEngine, policy: Policy) -> None:
    return None

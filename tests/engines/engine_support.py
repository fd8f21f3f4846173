"""The database the engine tests run on: one schema-only database per backend and module.

The engine is the product's (``store.db.make_engine``) and lives on one event loop
(``asyncio.Runner``) for the whole module, so its connection pool outlives the examples; each
example clears and refills the tables (``engine_datasets.refill``).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import seed, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables import metadata

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: PostgreSQL examples cost several times more (network round trips, heavier statements), and
#: the NULL semantics they are there for show up in small datasets: a third of SQLite's count.
POSTGRES_SHARE = 3


@dataclass(frozen=True)
class EngineDatabase:
    """A database of one backend with the schema of ``store.tables``, and its event loop."""

    backend: str
    engine: AsyncEngine
    runner: asyncio.Runner

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def examples(self, on_sqlite: int) -> int:
        """The example budget of a property test on this backend."""
        if self.backend == "sqlite":
            return on_sqlite
        return max(3, on_sqlite // POSTGRES_SHARE)


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


def seed_per_case(*case: str) -> Callable[[F], F]:
    """Under a derandomized profile (CI), give each parametrised case a fixed seed of its own.

    Derandomized Hypothesis seeds a test from its source, so every case of a parametrised test
    (whose inner ``@given`` function is the same code) would draw the same examples; a seed
    from the case's name keeps CI reproducible while each type and backend sees other datasets.
    Random runs are left random.
    """

    def apply(test: F) -> F:
        if not settings().derandomize:
            return test
        return seed(zlib.crc32("/".join(case).encode()))(test)

    return apply

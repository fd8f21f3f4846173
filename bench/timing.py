"""Timing helpers shared by the benchmarks: percentiles, per-peer summaries, SQL statement
counting and a cProfile report by area."""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Samples:
    """Wall-clock and CPU seconds of each timed request to one peer."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")

    @property
    def p90(self) -> float:
        return percentile(self.wall, 0.9) if self.wall else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


@contextlib.contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block (a list filled as they run)."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


#: Where the time goes, by the file a function lives in (first match wins).
BUCKETS = (
    ("authz/ (field guards, relations, policy)", ("/authz/",)),
    ("resolvers/builders.py (objects + relations)", ("/resolvers/builders.py",)),
    ("resolvers/ (loaders, scopes, fetch)", ("/resolvers/",)),
    ("schema/ (resolvers on types)", ("/schema/",)),
    ("gateway/compiled/ (planned execution)", ("/gateway/compiled/",)),
    ("gateway/ (HTTP stages, view, limits)", ("/gateway/",)),
    ("store/ + config/ (column types, ids)", ("/store/", "/config/")),
    ("bench/peers/ (a peer's own code)", ("/bench/peers/",)),
    ("casbin", ("/casbin/",)),
    ("graphql-core (execution)", ("/graphql/",)),
    ("strawberry", ("/strawberry/",)),
    ("SQLAlchemy + driver", ("/sqlalchemy/", "aiosqlite", "asyncpg", "sqlite3")),
    ("asyncio + threads", ("asyncio", "threading", "queue", "select.epoll")),
    ("json", ("/json/", "json.", "orjson")),
    ("datetime (isoformat, parsing)", ("datetime",)),
    ("starlette + httpx", ("/starlette/", "/httpx/", "/anyio/")),
)


def _bucket(filename: str, name: str) -> str:
    where = filename if filename != "~" else name
    for label, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return label
    return "other"


@contextlib.contextmanager
def profiled(label: str, requests: int) -> Iterator[None]:
    """cProfile the block; print self time per bucket and the top functions (per request).

    Cumulative times are not printed: with coroutines cProfile counts every resumption as a
    call and attributes awaited time oddly; self time ("tottime") is reliable.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler)
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        buckets: dict[str, float] = {}
        total = 0.0
        for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
            bucket = _bucket(filename, name)
            buckets[bucket] = buckets.get(bucket, 0.0) + tottime
            total += tottime
        print(
            f"\n--- cProfile: {label}: self time per request "
            f"(profiled total {total / requests * 1000:.0f} ms) ---"
        )
        for bucket, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
            share = 100 * seconds / total
            print(f"  {seconds / requests * 1000:8.1f} ms  {share:5.1f} %  {bucket}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        print(out.getvalue())

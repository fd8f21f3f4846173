"""Helpers for the roster tests: editable copies of the demo folder, and database snapshots."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from demo_roster_support import current_demo_roster
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine
from store.tables import metadata

T = TypeVar("T")

Snapshot = dict[str, list[tuple[Any, ...]]]


def run_with_engine(url: str, scenario: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``scenario`` with a fresh engine on its own event loop (no pytest-asyncio here)."""

    async def main() -> T:
        engine = make_engine(url)
        try:
            return await scenario(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table, in primary-key order."""
    result: Snapshot = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows]
    return result


async def assert_only_a_run_recorded(
    engine: AsyncEngine, before: Snapshot, status: str
) -> list[str]:
    """Nothing changed but one more ``roster_imports`` row, of a refused or failed run; returns
    what the record says went wrong."""
    after = await snapshot(engine)
    runs_before, runs_after = before["roster_imports"], after["roster_imports"]
    assert runs_after[: len(runs_before)] == runs_before
    assert len(runs_after) == len(runs_before) + 1
    assert runs_after[-1][3] == status, runs_after[-1]  # (id, started, finished, status, ...)
    assert {k: v for k, v in after.items() if k != "roster_imports"} == {
        k: v for k, v in before.items() if k != "roster_imports"
    }
    why: list[str] = json.loads(runs_after[-1][-1])  # the conflicts column comes last
    return why


class RosterFolder:
    """A copy of the demo roster that a test may edit, cell by cell or line by line: by default
    the one moved to the current school year (``demo_roster_support``), or ``source``."""

    def __init__(self, path: Path, source: Path | None = None) -> None:
        shutil.copytree(source or current_demo_roster(), path)
        self.path = path

    def _read(self, name: str) -> tuple[list[str], list[dict[str, str]]]:
        with (self.path / name).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)

    def _write(self, name: str, header: list[str], rows: list[dict[str, str]]) -> None:
        with (self.path / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def line_of(self, name: str, sourced_id: str) -> int:
        """The physical line of a row, found in the raw text (independently of the csv module)."""
        lines = (self.path / name).read_text(encoding="utf-8-sig").splitlines()
        matches = [n for n, text in enumerate(lines, 1) if text.startswith(f"{sourced_id},")]
        assert len(matches) == 1, (name, sourced_id, matches)
        return matches[0]

    def row(self, name: str, sourced_id: str) -> dict[str, str]:
        _, rows = self._read(name)
        return next(row for row in rows if row["sourcedId"] == sourced_id)

    def set(self, name: str, sourced_id: str, /, **values: str) -> int:
        """Change cells of one row; return the row's line."""
        header, rows = self._read(name)
        hits = [row for row in rows if row["sourcedId"] == sourced_id]
        assert len(hits) == 1, (name, sourced_id)
        hits[0].update(values)
        self._write(name, header, rows)
        return self.line_of(name, values.get("sourcedId", sourced_id))

    def append(self, name: str, /, **values: str) -> int:
        """Add a row (unset cells blank); return its line."""
        header, rows = self._read(name)
        rows.append({column: values.get(column, "") for column in header})
        self._write(name, header, rows)
        return len(rows) + 1

    def remove(self, name: str, predicate: Callable[[dict[str, str]], bool]) -> int:
        """Remove matching rows; return how many."""
        header, rows = self._read(name)
        kept = [row for row in rows if not predicate(row)]
        self._write(name, header, kept)
        return len(rows) - len(kept)

    def drop_column(self, name: str, column: str) -> None:
        header, rows = self._read(name)
        header.remove(column)
        for row in rows:
            del row[column]
        self._write(name, header, rows)

    def remove_user(self, sourced_id: str) -> None:
        """Take a person out of the roster with every reference to them."""
        self.remove("users.csv", lambda row: row["sourcedId"] == sourced_id)
        self.remove("roles.csv", lambda row: row["userSourcedId"] == sourced_id)
        self.remove("enrollments.csv", lambda row: row["userSourcedId"] == sourced_id)
        header, rows = self._read("users.csv")
        for row in rows:
            agents = [a for a in row["agentSourcedIds"].split(",") if a and a != sourced_id]
            row["agentSourcedIds"] = ",".join(agents)
        self._write("users.csv", header, rows)

"""The retention registry (docs/privacy-actions.md, "Retention"): the file's format and checks,
the ISO 8601 durations, the expiry rule, the start-up check and the audit entry of a changed file.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from db_support import BACKENDS, fresh_database
from sqlalchemy import select

from config.settings import Settings
from gateway.state import AppState
from store import tables as t
from store.db import make_engine, migrate
from store.privacy.base import DataCategory
from store.privacy.retention import (
    DEFAULT_RETENTION_FILE,
    LOADED_ACTION,
    Duration,
    RetentionFileError,
    RetentionRegistry,
    parse_duration,
    parse_registry,
    record_loaded,
    retention_registry,
)

HEADER = "category,keep_for,purpose,legal_basis\n"


def _file(**periods: str) -> bytes:
    """A registry with every category at P6M unless ``periods`` says otherwise."""
    lines = [
        f'{c.value},{periods.get(c.value, "P6M")},"Purpose, of {c.value}",GDPR art. 6(1)(e)\n'
        for c in DataCategory
    ]
    return (HEADER + "".join(lines)).encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P5Y", Duration(years=5, text="P5Y")),
        ("P6M", Duration(months=6, text="P6M")),
        ("P1Y6M", Duration(years=1, months=6, text="P1Y6M")),
        ("P2W", Duration(weeks=2, text="P2W")),
        ("P90D", Duration(days=90, text="P90D")),
        ("P1Y2M3W4D", Duration(1, 2, 3, 4, "P1Y2M3W4D")),
        ("P0D", Duration(text="P0D")),
    ],
)
def test_durations_of_years_months_weeks_and_days(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "5Y",
        "p5y",
        "P5",
        "P-1Y",
        "P1.5Y",
        "PT6H",
        "P1DT2H",
        "P6M5Y",
        "P5Y ",
        " P5Y",
        "P1Y1Y",
    ],
)
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 duration"):
        parse_duration(text)


def test_years_and_months_move_the_calendar_date_days_are_exact() -> None:
    at = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    assert parse_duration("P6M").before(at) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert parse_duration("P5Y").before(at) == datetime(2021, 8, 31, 12, 0, tzinfo=UTC)
    assert parse_duration("P1Y6M").before(at) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert parse_duration("P1M1W").before(at) == datetime(2026, 7, 24, 12, 0, tzinfo=UTC)
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert parse_duration("P1Y").before(leap) == datetime(2023, 2, 28, tzinfo=UTC)
    assert parse_duration("P8M").before(datetime(2026, 1, 15, tzinfo=UTC)) == datetime(
        2025, 5, 15, tzinfo=UTC
    )


def test_the_shipped_registry_keeps_assessments_five_years_and_the_rest_six_months() -> None:
    registry = retention_registry(None)
    assert registry.source == str(DEFAULT_RETENTION_FILE)
    assert [rule.category for rule in registry.rules] == list(DataCategory)
    periods = {rule.category: rule.keep_for.text for rule in registry.rules}
    assert periods.pop(DataCategory.ASSESSMENTS) == "P5Y"
    assert set(periods.values()) == {"P6M"}
    assert all(rule.purpose and rule.legal_basis for rule in registry.rules)
    assert registry.digest.startswith("sha256:") and len(registry.digest) == 7 + 64


def test_a_person_expires_when_the_longest_retention_has_passed() -> None:
    at = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    registry = parse_registry(_file(ASSESSMENTS="P5Y", FILES="P1Y"))
    assert registry.expiry_cutoff(at) == datetime(2021, 11, 29, 9, 30, tzinfo=UTC)
    assert parse_registry(_file()).expiry_cutoff(at) == datetime(2026, 5, 29, 9, 30, tzinfo=UTC)
    # the longest by calendar, also when the units differ
    days = parse_registry(_file(CALENDAR="P400D", FILES="P1Y"))
    assert days.expiry_cutoff(at) == datetime(2025, 10, 25, 9, 30, tzinfo=UTC)


def test_comments_blank_lines_quotes_and_any_line_order_are_accepted() -> None:
    content = _file().decode().splitlines(keepends=True)
    reordered = ["# the school's registry\n", content[0], "\n", *reversed(content[1:])]
    registry = parse_registry("".join(reordered).encode())
    assert [rule.category for rule in registry.rules] == list(DataCategory)
    assert registry.rules[0].purpose == "Purpose, of PERSONAL_DATA"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_file(ASSESSMENTS="5 years"), "line 5: '5 years' is not an ISO 8601 duration"),
        (_file(FILES="PT1H"), "line 8: 'PT1H' is not an ISO 8601 duration"),
        (_file() + b"GRADES,P5Y,x,y\n", "line 11: unknown category 'GRADES'"),
        (_file() + b"FILES,P5Y,x,y\n", "line 11: category FILES is listed twice"),
        (
            b"".join(line + b"\n" for line in _file().splitlines() if b"CALENDAR" not in line),
            "no retention for CALENDAR",
        ),
        (_file().replace(b"keep_for", b"keep"), "line 1: the header must be"),
        (_file().replace(b",GDPR art. 6(1)(e)\nCOMM", b",\nCOMM"), "line 2: purpose and"),
        (_file() + b"CALENDAR,P5Y\n", "line 11: 2 fields, expected 4"),
        (b"# nothing\n", "empty"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_faulty_registry_is_refused_with_the_line(content: bytes, message: str) -> None:
    with pytest.raises(RetentionFileError, match="retention registry") as raised:
        parse_registry(content, "school.csv")
    assert message in str(raised.value)
    assert "school.csv" in str(raised.value)


def test_the_gateway_does_not_start_with_a_faulty_registry(tmp_path: Path) -> None:
    faulty = tmp_path / "retention.csv"
    faulty.write_bytes(_file(ASSESSMENTS="five years"))
    settings = Settings(data_dir=tmp_path, retention_file=faulty)
    with pytest.raises(RetentionFileError, match="line 5"):
        AppState.create(settings)
    with pytest.raises(RetentionFileError, match="cannot be read"):
        AppState.create(Settings(data_dir=tmp_path, retention_file=tmp_path / "missing.csv"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_changed_registry_is_recorded_by_its_digest_once(backend: str, tmp_path: Path) -> None:
    first, changed = parse_registry(_file()), parse_registry(_file(ASSESSMENTS="P5Y"))

    async def load(registry: RetentionRegistry) -> bool:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                return await record_loaded(conn, registry)
        finally:
            await engine.dispose()

    async def entries() -> list[tuple[str, str | None, int | None]]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                a = t.audit_entries.c
                rows = await conn.execute(
                    select(a.detail, a.target_type, a.actor_id)
                    .where(a.action == LOADED_ACTION)
                    .order_by(a.id)
                )
                return [(row.detail, row.target_type, row.actor_id) for row in rows]
        finally:
            await engine.dispose()

    with fresh_database(backend, tmp_path, prefix="tavle_retention") as url:
        asyncio.run(migrate(url))
        assert asyncio.run(load(first)) is True
        assert asyncio.run(load(first)) is False  # a restart with the same file
        assert asyncio.run(load(changed)) is True
        assert asyncio.run(load(first)) is True  # going back is a change too
        assert asyncio.run(entries()) == [
            (first.digest, "RetentionRegistry", None),
            (changed.digest, "RetentionRegistry", None),
            (first.digest, "RetentionRegistry", None),
        ]

"""The demo roster is moved to the school year in use (gateway/demo_calendar.py): on every day
of the year its terms have not ended, so the daily archive job never archives the demo."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from gateway.demo_calendar import SESSIONS, shifted_copy, years_to_today
from roster import DEMO_ROSTER_DIR


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (date(2026, 8, 17), 0),  # the demo's own first day
        (date(2026, 11, 30), 0),
        (date(2027, 6, 18), 0),  # its last day
        (date(2027, 6, 19), 1),  # the summer holiday: the coming school year
        (date(2027, 7, 31), 1),
        (date(2027, 8, 1), 1),
        (date(2028, 6, 16), 1),
        (date(2030, 1, 15), 3),
        (date(2026, 7, 1), 0),  # before the demo's year, after the one before it ended
        (date(2025, 12, 1), -1),
    ],
)
def test_the_years_to_move_by(today: date, years: int) -> None:
    assert years_to_today(DEMO_ROSTER_DIR, today) == years


def _sessions(folder: Path) -> list[dict[str, str]]:
    with (folder / SESSIONS).open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_on_every_day_the_demo_year_has_not_ended_and_starts_within_the_summer() -> None:
    original = _sessions(DEMO_ROSTER_DIR)
    (year,) = [row for row in original if row["type"] == "schoolYear"]
    start, end = date.fromisoformat(year["startDate"]), date.fromisoformat(year["endDate"])
    day = date(2026, 1, 1)
    while day < date(2031, 1, 1):
        shift = years_to_today(DEMO_ROSTER_DIR, day)
        moved_end = end.replace(year=end.year + shift)
        moved_start = start.replace(year=start.year + shift)
        assert moved_end >= day, day
        assert moved_start - day < timedelta(days=75), day  # at most a summer holiday ahead
        day += timedelta(days=1)


def test_the_copy_moves_every_session_and_title(tmp_path: Path) -> None:
    moved = _sessions(shifted_copy(DEMO_ROSTER_DIR, tmp_path / "roster", 2))
    for before, after in zip(_sessions(DEMO_ROSTER_DIR), moved, strict=True):
        for column in ("startDate", "endDate"):
            old, new = date.fromisoformat(before[column]), date.fromisoformat(after[column])
            assert new == old.replace(year=old.year + 2)
        assert after["schoolYear"] == str(int(before["schoolYear"]) + 2)
        assert after["title"] != before["title"]

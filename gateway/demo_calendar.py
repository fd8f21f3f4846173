"""The demo school always lives in the current school year.

``gateway/demo_data/roster`` describes one school year with real dates, and
``gateway/demo_data/roster-next-year`` the one after it. Left as they are, the terms would end one
day, the daily ``archive-ended`` job would archive every demo course, and the demo (and every test
built on it) would turn read-only. So the demo is imported from a copy whose academic sessions are
moved by whole years to the school year that contains today (Norwegian school years start in
August), or, in the summer holiday after its last term has ended, to the coming one.
"""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date
from pathlib import Path

SESSIONS = "academicSessions.csv"
#: the month a school year starts in
FIRST_MONTH = 8
_YEAR = re.compile(r"\b(19|20)\d\d\b")


def school_year_start(today: date) -> int:
    """The calendar year in which the school year containing ``today`` began."""
    return today.year if today.month >= FIRST_MONTH else today.year - 1


def _school_years(folder: Path) -> list[tuple[date, date]]:
    """(start, end) of each school year in ``folder``'s academicSessions.csv."""
    path = folder / SESSIONS
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [
            (date.fromisoformat(row["startDate"]), date.fromisoformat(row["endDate"]))
            for row in csv.DictReader(handle)
            if row.get("type") == "schoolYear" and row.get("startDate") and row.get("endDate")
        ]


def years_to_today(folder: Path, today: date) -> int:
    """Whole years to move ``folder``'s first school year by so that it is the current one:
    the school year containing ``today``, or the coming one once the current one has ended
    (between its last day in June and August), so that no demo course is ever archived as
    ended."""
    years = _school_years(folder)
    if not years:
        return 0
    start, end = min(years)
    shift = school_year_start(today) - school_year_start(start)
    if _shift(end, shift) < today:
        shift += 1
    return shift


def _shift(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February into a common year
        return value.replace(year=value.year + years, day=28)


def shifted_copy(folder: Path, target: Path, years: int) -> Path:
    """Copy the roster ``folder`` to ``target`` with its sessions moved by ``years``."""
    shutil.copytree(folder, target)
    path = target / SESSIONS
    if years == 0 or not path.is_file():
        return target
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        for column in ("startDate", "endDate"):
            if row.get(column):
                row[column] = _shift(date.fromisoformat(row[column]), years).isoformat()
        if row.get("schoolYear", "").isdigit():
            row["schoolYear"] = str(int(row["schoolYear"]) + years)
        if row.get("title"):
            row["title"] = _YEAR.sub(lambda m: str(int(m.group(0)) + years), row["title"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target

"""The roster commands as an operator runs them: ``tavle import-roster`` (flags, dry run, refusal)
and ``tavle roster archive-ended`` / ``allow-recreate``, each a real process on a database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from demo_roster_support import current_demo_roster, demo_day
from roster_support import RosterFolder, run_with_engine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables import CourseState, courses

REPO = Path(__file__).resolve().parents[2]


def _tavle(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TAVLE_DATA_DIR=str(tmp / "data"))
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "--database-url", url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _states(url: str) -> dict[str, str]:
    async def read(engine: AsyncEngine) -> dict[str, str]:
        async with engine.connect() as conn:
            rows = await conn.execute(select(courses.c.sourced_id, courses.c.state))
            return {sourced_id: state for sourced_id, state in rows}

    return run_with_engine(url, read)


def test_import_dry_run_then_refusal_then_flag(
    roster_db_url: str, tmp_path: Path, demo_copy: RosterFolder
) -> None:
    first = _tavle(tmp_path, roster_db_url, "import-roster", str(current_demo_roster()))
    assert first.returncode == 0, first.stderr
    assert "Roster import 1: changes applied" in first.stdout
    for name in ("c-bjs-8a", "c-bjs-9a", "c-bjs-mat8", "c-bjs-nor8", "c-bjs-mat9", "c-bjs-eng9"):
        demo_copy.remove("classes.csv", lambda row, name=name: row["sourcedId"] == name)
        demo_copy.remove("enrollments.csv", lambda row, name=name: row["classSourcedId"] == name)

    dry = _tavle(tmp_path, roster_db_url, "import-roster", str(demo_copy.path), "--dry-run")
    assert dry.returncode == 1, dry.stdout  # the threshold refuses even a dry run
    assert "would archive 6 of the 6 active courses of school 'org-bjs'" in dry.stderr
    assert "Nothing was imported; the database is unchanged." in dry.stderr
    # The report says what would have happened.
    assert "REFUSED, nothing written; it would have made these changes:" in dry.stdout
    assert "Classes archived (6):" in dry.stdout and "Refused because (1):" in dry.stdout

    dry = _tavle(
        tmp_path,
        roster_db_url,
        "import-roster",
        str(demo_copy.path),
        "--dry-run",
        "--allow-mass-archive",
    )
    assert dry.returncode == 0, dry.stderr
    assert "DRY RUN, nothing written" in dry.stdout and "Classes archived (6):" in dry.stdout
    assert set(_states(roster_db_url).values()) == {CourseState.ACTIVE}

    done = _tavle(
        tmp_path, roster_db_url, "import-roster", str(demo_copy.path), "--allow-mass-archive"
    )
    assert done.returncode == 0, done.stderr
    assert "COURSE_ARCHIVED: 6" in done.stdout
    states = _states(roster_db_url)
    assert sum(state == CourseState.ARCHIVED for state in states.values()) == 6


def test_archive_ended_and_allow_recreate_commands(roster_db_url: str, tmp_path: Path) -> None:
    roster = str(current_demo_roster())
    assert _tavle(tmp_path, roster_db_url, "import-roster", roster).returncode == 0
    last_day = demo_day(date(2027, 6, 18)).isoformat()  # the demo's last term ends
    none = _tavle(tmp_path, roster_db_url, "roster", "archive-ended", "--as-of", last_day)
    assert none.returncode == 0 and "Archived 0 course(s)" in none.stdout
    day_after = demo_day(date(2027, 6, 19)).isoformat()
    ended = _tavle(tmp_path, roster_db_url, "roster", "archive-ended", "--as-of", day_after)
    assert ended.returncode == 0 and "Archived 11 course(s)" in ended.stdout
    assert set(_states(roster_db_url).values()) == {CourseState.ARCHIVED}
    bad = _tavle(tmp_path, roster_db_url, "roster", "archive-ended", "--as-of", "June")
    assert bad.returncode == 2 and "invalid fromisoformat value" in bad.stderr

    exists = _tavle(
        tmp_path, roster_db_url, "roster", "allow-recreate", "u-s-ola", "--justification", "x"
    )
    assert exists.returncode == 1
    assert "person 'u-s-ola' exists: there is nothing to lift" in exists.stderr
    fresh = _tavle(
        tmp_path, roster_db_url, "roster", "allow-recreate", "u-s-new", "--justification", "SIS"
    )
    assert fresh.returncode == 0
    assert "The next import may create 'u-s-new' again (no erased person" in fresh.stdout

"""The demo roster in the current school year, for tests that import it themselves.

``gateway/demo_data/roster`` describes one school year with real dates. Once its last term has
ended, importing it as it is archives every class (the import archives classes whose terms are
over), and a test expecting active courses would fail from that day on. The product imports the
demo from a copy moved to the current school year (``gateway.demo_calendar``, used by
``gateway.demo.ensure_demo``); ``current_demo_roster`` is the same copy, so a test's own imports
agree with a gateway seeded by ``ensure_demo``, and ``demo_day`` moves a date of the folder's
calendar along with it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from gateway.demo_calendar import shifted_copy, years_to_today
from roster import DEMO_ROSTER_DIR

#: the copies this process made, by the years they were moved
_copies: dict[int, Path] = {}


def demo_years() -> int:
    """The whole years ``ensure_demo`` moves the demo roster by today."""
    return years_to_today(DEMO_ROSTER_DIR, datetime.now(UTC).date())


def current_demo_roster() -> Path:
    """The demo roster moved as ``ensure_demo`` moves it, in a folder named like the original.

    Made once per process (per shift) and shared: read it or import it, never edit it (copy it
    first, as ``roster_import/roster_support.RosterFolder`` does).
    """
    years = demo_years()
    if years not in _copies:
        scratch = Path(tempfile.mkdtemp(prefix="tavle-demo-roster-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        _copies[years] = shifted_copy(DEMO_ROSTER_DIR, scratch / DEMO_ROSTER_DIR.name, years)
    return _copies[years]


def demo_day(day: date) -> date:
    """A date of the demo roster's own calendar (school year 2026-2027), moved as
    ``current_demo_roster`` moves the folder."""
    return day.replace(year=day.year + demo_years())

"""The demo school's OneRoster CSV packages, shipped with the gateway (also in the wheel).

``roster/`` is the school this year (``tavle serve`` and ``tavle seed-demo`` load it into an
empty database; its README lists the cast), ``roster-next-year/`` the same school a year later,
for trying the August rollover.
"""

from pathlib import Path

DEMO_DATA_DIR = Path(__file__).resolve().parent
DEMO_ROSTER = DEMO_DATA_DIR / "roster"
DEMO_ROSTER_NEXT_YEAR = DEMO_DATA_DIR / "roster-next-year"

"""Screenshots of the admin console's pages for the documentation (docs/screenshots/).

Runs a development gateway on a temporary SQLite demo school (uvicorn in a thread, as the tests
do) and takes the screenshots in headless Chromium (``/usr/bin/chromium`` under Playwright) with
the routine the browser tests run (tests/console/screenshots.py: the sign-in page, a search, a
person's page, an erasure's preview and its confirmation, the work queues, the audit log and
its verification).

    .venv/bin/python bench/console_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "console")]

from gateway_support import run_gateway  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from screenshots import photograph  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/tavle.sqlite3"
        with run_gateway("sqlite", url, Path(folder)) as live:
            launch = ["--no-sandbox"] if os.geteuid() == 0 else []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=launch
                )
                try:
                    taken = photograph(browser, live, args.out)
                finally:
                    browser.close()
    print(f"{len(taken)} screenshots in {args.out}")


if __name__ == "__main__":
    main()

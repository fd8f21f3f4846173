"""Screenshots of the admin console's pages for the documentation (docs/screenshots/).

Runs a development gateway on a temporary SQLite demo school (uvicorn in a thread, as the tests
do), signs in as ``admin`` with the development sign-in, and photographs the sign-in page, a
search and a person's page in headless Chromium (``/usr/bin/chromium`` under Playwright).

    .venv/bin/python bench/console_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from gateway_support import run_gateway  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/tavle.sqlite3"
        with run_gateway("sqlite", url, Path(folder)) as live:
            ola = live.person_id("elev.ola")
            launch = ["--no-sandbox"] if os.geteuid() == 0 else []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=launch
                )
                page = browser.new_page(
                    base_url=live.url, viewport={"width": 1200, "height": 800}, locale="en-GB"
                )
                page.goto("/admin/")
                page.screenshot(path=str(args.out / "console-sign-in.png"), full_page=True)
                page.get_by_role("button", name="(admin)").click()
                page.wait_for_url("**/admin/people")
                page.goto("/admin/people?q=Nordmann")
                page.screenshot(path=str(args.out / "console-find-a-person.png"), full_page=True)
                page.goto(f"/admin/people/{ola}")
                page.screenshot(path=str(args.out / "console-person.png"), full_page=True)
                browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()

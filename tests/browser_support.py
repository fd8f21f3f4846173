"""Debian's Chromium (``/usr/bin/chromium``) under Playwright, for the browser tests.

Nothing is downloaded: without the browser or the package a test is skipped, and under
``CI=true`` it fails instead (``.ci/run`` installs the browser).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@contextmanager
def system_chromium() -> Iterator[Any]:
    """A headless Chromium browser, closed afterwards. Playwright's synchronous API runs an
    event loop in this thread while it is open: start it after anything that needs the
    thread's own loop (a test gateway's set-up)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (the dev extra pins it)")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser
        finally:
            browser.close()


def record_problems(tab: Any, problems: list[str]) -> None:
    """Add the tab's script errors and console errors (a CSP violation shows there; so does a
    response with an error status: "… status of 404 (Not Found) at <address>") to
    ``problems``."""
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} at {message.location.get('url')}")
            if message.type == "error"
            else None
        ),
    )


def answered(problems: list[str], *statuses: int) -> list[str]:
    """``problems`` but the responses with one of ``statuses`` (a page a test expects to be
    refused or missing, the favicon the browser asks for)."""
    return [p for p in problems if not any(f"status of {s} " in p for s in statuses)]

"""The console's screenshots for the documentation (docs/screenshots/), taken in headless
Chromium on a gateway with the demo school: the browser test
(test_console_screenshots_browser.py) takes them on every run, so the routine keeps working as
the pages change, and ``bench/console_screenshots.py`` takes them into docs/screenshots/.

The pages in English, 1280 by 800 pixels, the visible part only (not the whole page): a search,
a person's page, an erasure's preview, the erasure as the second administrator sees it (who
asked, when and why), the work queues, the audit log and the check of its hash chain. Before
them, something in the queues: a data request, an incident, and the erasure asked for on the
preview page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from browser_support import record_problems
from gateway_support import LiveGateway
from queues_support import in_thread, ok, submit_data_request

from gateway.console.catalog import TEXTS

EN = {key: texts["en"] for key, texts in TEXTS.items()}
VIEWPORT = {"width": 1280, "height": 800}
#: the file names, in the order they are taken
NAMES = (
    "console-sign-in",
    "console-find-a-person",
    "console-person",
    "console-erase",
    "console-confirm-erasure",
    "console-queues",
    "console-audit-log",
    "console-audit-verified",
)
JUSTIFICATION = (
    "The family has moved abroad and asked for the pupil's data to be erased (case 2026-118)."
)
RECORD_INCIDENT = "mutation($i: IncidentInput!) { recordIncident(input: $i) { id } }"


def _queued(live: LiveGateway) -> None:
    """A data request and an incident, so the queues have something in them."""
    submit_data_request(live, "elev.nora")
    detected = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
    ok(
        live.gql(
            RECORD_INCIDENT,
            {
                "i": {
                    "description": "A class list was e-mailed to the wrong recipient.",
                    "detectedAt": detected.isoformat(),
                    "categories": ["PERSONAL_DATA"],
                    "scope": {"schoolId": live.school_id("org-bjs")},
                }
            },
            as_user="admin",
        )
    )


def _sign_in(page: Any, username: str) -> None:
    page.goto("/admin/")
    page.get_by_role("button", name=f"({username})").click()
    page.wait_for_url("**/admin/people")


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name=EN["sign_out"]).click()
    page.wait_for_url("**/admin/?signed_out=1")


def photograph(browser: Any, live: LiveGateway, out: Path) -> list[Path]:
    """Take the screenshots into ``out``; the files, in :data:`NAMES`' order."""
    out.mkdir(parents=True, exist_ok=True)
    in_thread(_queued, live)
    ola = in_thread(live.person_id, "elev.ola")
    context = browser.new_context(base_url=live.url, viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    record_problems(page, problems)
    taken: list[Path] = []

    def shot(name: str) -> None:
        assert name == NAMES[len(taken)], "taken in the order NAMES lists"
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        taken.append(path)

    try:
        page.goto("/admin/")
        shot("console-sign-in")
        page.get_by_role("button", name="(admin)").click()
        page.wait_for_url("**/admin/people")
        page.get_by_label(EN["people.query"]).fill("Nordmann")
        page.get_by_label(EN["people.query"]).press("Enter")
        page.wait_for_url("**/admin/people?q=Nordmann*")
        shot("console-find-a-person")
        page.goto(f"/admin/people/{ola}")
        shot("console-person")
        page.get_by_role("link", name=EN["person.action_erase"]).click()
        page.wait_for_url(f"**/admin/people/{ola}/erase")
        page.locator("#erasure-preview").wait_for()
        shot("console-erase")
        page.get_by_label(EN["action.justification"]).fill(JUSTIFICATION)
        page.get_by_role("button", name=EN["erase.submit"]).click()
        page.wait_for_url("**/admin/requests/*")
        request = page.url.split("/admin", 1)[1]
        _sign_out(page)
        _sign_in(page, "admin2")
        page.goto(f"/admin{request}")
        page.get_by_role("heading", name=EN["confirm.title"]).scroll_into_view_if_needed()
        shot("console-confirm-erasure")
        page.get_by_role("link", name=EN["nav.queues"]).click()
        page.wait_for_url("**/admin/queues")
        shot("console-queues")
        page.get_by_role("link", name=EN["nav.audit"]).click()
        page.wait_for_url("**/admin/audit")
        shot("console-audit-log")
        page.get_by_role("button", name=EN["audit.verify"]).click()
        page.wait_for_url("**/admin/audit/verify")
        page.locator("[data-verdict]").wait_for()
        shot("console-audit-verified")
    finally:
        context.close()
    real = [p for p in problems if not p.endswith("/favicon.ico")]  # the browser asks for one
    assert real == [], f"errors in the pages (a CSP violation shows here): {real}"
    return taken

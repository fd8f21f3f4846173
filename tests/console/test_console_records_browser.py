"""The console's roster import and audit log pages in headless Chromium, on both backends: the
demo's import run and its report, the audit log filtered by action and by person showing the
matching entries only, and the chain check: OK, then, after an entry is altered directly in the
database, the broken entry named. Everything by labelled, keyboard-usable controls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import func, select, update
from test_console_browser import NB, chromium, page, sign_in

from store import tables as t

A = t.audit_entries.c
RESTRICT = """
mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) { id } }"""


def off_loop(read: Callable[..., Any], *args: Any) -> Any:
    """``read(*args)`` in another thread: the gateway helpers run their own event loop, and
    Playwright's is running in this one while the browser is open."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(read, *args).result()


#: fixtures shared with test_console_browser (their ``live`` is this module's)
__all__ = ["chromium", "page"]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console-records-browser") as gateway:
        result = gateway.gql(
            RESTRICT,
            {"s": gateway.person_id("elev.nora"), "j": "Ticket PV-2026-32"},
            as_user="admin",
        )
        assert result.errors == [], result.errors
        yield gateway


def test_the_imports_list_shows_the_demo_run_and_its_report(page: Any) -> None:
    sign_in(page)
    page.get_by_role("link", name=NB["nav.imports"]).click()
    page.wait_for_url("**/admin/imports")
    assert page.get_by_role("heading", name=NB["imports.title"], level=1).is_visible()
    runs = page.locator("table.imports tbody tr").filter(has_text="demo")
    assert runs.count() >= 1
    assert NB["import_status.COMPLETED"] in runs.first.inner_text()
    runs.first.get_by_role("link").click()
    page.wait_for_url("**/admin/imports/*")
    assert page.get_by_role("heading", name=NB["import.report"]).is_visible()
    counts = page.locator("table.counts tbody tr")
    assert counts.count() >= 1
    assert int(counts.first.locator("td.count").inner_text()) > 0
    assert page.get_by_role("rowheader", name="users.csv").is_visible()


def test_the_log_filtered_by_action_shows_matching_entries_only(
    page: Any, live: LiveGateway
) -> None:
    nora = off_loop(live.person_pk, "elev.nora")
    action = off_loop(live.scalar, select(A.action).where(A.subject_id == nora).limit(1))
    sign_in(page)
    page.get_by_role("link", name=NB["nav.audit"]).click()
    page.wait_for_url("**/admin/audit")
    field = page.get_by_label(NB["audit.action"])
    field.fill(action)
    field.press("Enter")
    page.wait_for_url("**/admin/audit?*action=*")
    shown = page.locator("table.audit tbody td.action").all_inner_texts()
    assert shown and set(shown) == {action}
    expected = off_loop(
        live.scalar, select(func.count()).select_from(t.audit_entries).where(A.action == action)
    )
    assert page.get_by_text(NB["audit.count"].format(count=expected)).is_visible()


def test_the_log_filtered_by_person_shows_their_entries_only(page: Any, live: LiveGateway) -> None:
    nora = off_loop(live.person_pk, "elev.nora")
    newest = select(A.id).where(A.subject_id == nora).order_by(A.id.desc()).limit(50)
    expected = [str(row[0]) for row in off_loop(live.rows, newest)]
    sign_in(page)
    page.goto("/admin/audit")
    page.get_by_label(NB["audit.person"]).fill(off_loop(live.person_id, "elev.nora"))
    page.get_by_role("button", name=NB["audit.filter"]).click()
    page.wait_for_url("**/admin/audit?*person=*")
    rows = page.locator("table.audit tbody tr")
    assert [rows.nth(i).get_attribute("data-entry") for i in range(rows.count())] == expected


def test_verify_shows_ok_then_the_broken_entry_after_tampering(
    page: Any, live: LiveGateway
) -> None:
    sign_in(page)
    page.goto("/admin/audit")
    page.get_by_role("button", name=NB["audit.verify"]).click()
    page.wait_for_url("**/admin/audit/verify")
    entries = off_loop(live.scalar, select(func.count()).select_from(t.audit_entries))
    assert page.get_by_text(NB["verify.ok"].format(count=entries)).is_visible()
    victim = off_loop(live.rows, select(A.id, A.action).where(A.id == 3))[0]
    off_loop(
        live.execute, update(t.audit_entries).where(A.id == victim.id).values(action="TAMPERED")
    )
    try:
        page.goto("/admin/audit")
        page.get_by_role("button", name=NB["audit.verify"]).focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/audit/verify")
        broken = page.locator('[data-verdict="broken"]')
        assert broken.get_attribute("data-entry") == str(victim.id)
        assert broken.inner_text() == NB["verify.broken"].format(entry=victim.id, count=victim.id)
        assert "altered" in page.locator(".reason").inner_text()
    finally:
        off_loop(
            live.execute,
            update(t.audit_entries).where(A.id == victim.id).values(action=victim.action),
        )

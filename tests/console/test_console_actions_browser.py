"""The console's privacy actions in headless Chromium (as tests/console/test_console_browser.py
launches it), on both backends: an export requested, watched until it is done (the page
refreshes itself) and downloaded (the file is the person's export); restriction and its lifting
with the notification the person receives shown first; an erasure requested by one administrator
in one browser and confirmed by another in a second (the one who asked cannot); a name
corrected, with the roster's field overridden. Everything by labelled controls."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from browser_support import answered, record_problems, system_chromium
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import select

from gateway.console.catalog import TEXTS
from resolvers.services.notices import TEXTS as NOTICES
from store import tables as t

NB = {key: texts["nb"] for key, texts in TEXTS.items()}

JUSTIFICATION = "Henvendelse fra personen, sak PV-2026-32"
WAIT_MS = 30_000


T = TypeVar("T")


def off_loop(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in a thread of its own: the database helpers run an event loop, and
    Playwright's synchronous API keeps one running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call, *args).result()


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param, tmp_path_factory, "console-actions-browser", job_poll_seconds=0.1
    ) as gateway:
        yield gateway


@pytest.fixture
def chromium(live: LiveGateway) -> Iterator[Any]:
    """Per test, after the gateway (test_console_browser.py says why)."""
    with system_chromium() as browser:
        yield browser


class Tabs:
    """Browser contexts of their own (one per administrator), each with a tab; page errors
    (a CSP violation shows there) fail the test."""

    def __init__(self, chromium: Any, live: LiveGateway) -> None:
        self.chromium, self.live = chromium, live
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def signed_in(self, username: str) -> Any:
        context = self.chromium.new_context(
            base_url=self.live.url, locale="nb-NO", accept_downloads=True
        )
        self.contexts.append(context)
        tab = context.new_page()
        record_problems(tab, self.problems)
        tab.goto("/admin/")
        tab.get_by_role("button", name=f"({username})").click()
        tab.wait_for_url("**/admin/people")
        return tab

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def tabs(live: LiveGateway, chromium: Any) -> Iterator[Tabs]:
    opened = Tabs(chromium, live)
    try:
        yield opened
    finally:
        opened.close()
    # the refusals and refused forms answer 400/403/404 pages on purpose
    real = answered(opened.problems, 400, 403, 404)
    assert real == [], f"errors in the page: {real}"


def open_person(tab: Any, live: LiveGateway, username: str) -> None:
    tab.goto(f"/admin/people/{off_loop(live.person_id, username)}")
    assert tab.get_by_role("heading", name=NB["person.actions"]).is_visible()


def send(tab: Any, button_key: str) -> None:
    tab.get_by_label(NB["action.justification"]).fill(JUSTIFICATION)
    tab.get_by_role("button", name=NB[button_key]).click()


def status_of(tab: Any) -> str:
    return str(tab.locator("#request-status").get_attribute("data-status"))


def wait_for_status(tab: Any, status: str) -> None:
    """The request's page refreshes itself while the job works; wait through the reloads."""
    tab.locator(f'#request-status[data-status="{status}"]').wait_for(timeout=WAIT_MS)


def state_of(live: LiveGateway, username: str) -> str:
    p = t.people.c
    pk = off_loop(live.person_pk, username)  # remembered: an erased person has no username
    return str(off_loop(live.scalar, select(p.processing_state).where(p.id == pk)))


def test_export_watch_it_run_and_download_it(tabs: Tabs, live: LiveGateway) -> None:
    tab = tabs.signed_in("admin")
    open_person(tab, live, "elev.ola")
    tab.get_by_role("link", name=NB["person.action_export"]).click()
    tab.wait_for_url("**/export")
    tab.get_by_label(NB["export_format.JSON"]).check()
    send(tab, "export.submit")
    tab.wait_for_url("**/admin/requests/*")
    assert tab.get_by_role("heading", level=1).inner_text().endswith(NB["privacy_action.EXPORT"])
    wait_for_status(tab, "COMPLETED")
    assert tab.locator("#working").count() == 0
    with tab.expect_download() as arrived:
        tab.get_by_role("link", name=NB["request.download"]).click()
    download = arrived.value
    assert download.suggested_filename.endswith(".json")
    content = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert str(content["export"]["subject_id"]) == str(off_loop(live.person_pk, "elev.ola"))


def test_restrict_and_lift_with_the_notice_shown_first(tabs: Tabs, live: LiveGateway) -> None:
    tab = tabs.signed_in("admin")
    open_person(tab, live, "elev.sander")
    tab.get_by_role("link", name=NB["person.action_restrict"]).click()
    tab.wait_for_url("**/restrict")
    assert tab.locator("#notice-text").inner_text() == NB["restrict.no_notice"]
    send(tab, "restrict.submit")
    tab.wait_for_url("**/admin/requests/*")
    assert status_of(tab) == "COMPLETED"
    assert state_of(live, "elev.sander") == "RESTRICTED"
    # the person's page still shows them (in the recycle bin now), restricted, with the lift
    open_person(tab, live, "elev.sander")
    assert tab.locator('[data-state="RESTRICTED"]').is_visible()
    actions = tab.locator("ul.actions")
    assert actions.get_by_role("link", name=NB["person.action_restrict"]).count() == 0
    actions.get_by_role("link", name=NB["person.action_lift"]).click()
    tab.wait_for_url("**/lift")
    assert tab.locator("#current-state").inner_text() == NB["state.RESTRICTED"]
    notice = NOTICES["RESTRICTION_LIFTED"]["nb"]  # the person has no preference: Bokmål
    assert tab.locator("#notice-text").inner_text() == notice
    send(tab, "lift.submit")
    tab.wait_for_url("**/admin/requests/*")
    assert status_of(tab) == "COMPLETED"
    assert state_of(live, "elev.sander") == "ACTIVE"
    n = t.notifications.c
    sander = off_loop(live.person_pk, "elev.sander")
    sent = off_loop(
        live.rows,
        select(n.message).where(n.person_id == sander, n.kind == "RESTRICTION_LIFTED"),
    )
    assert [row.message for row in sent] == [notice], "the text shown is the text sent"


def test_erasure_asked_by_one_administrator_confirmed_by_another(
    tabs: Tabs, live: LiveGateway
) -> None:
    assert state_of(live, "elev.filip") == "ACTIVE"  # and its id remembered
    first = tabs.signed_in("admin")
    open_person(first, live, "elev.filip")
    first.get_by_role("link", name=NB["person.action_erase"]).click()
    first.wait_for_url("**/erase")
    preview = first.locator("#erasure-preview")
    assert preview.get_by_role("rowheader", name=NB["category.PERSONAL_DATA"]).is_visible()
    send(first, "erase.submit")
    first.wait_for_url("**/admin/requests/*")
    assert status_of(first) == "AWAITING_CONFIRMATION"
    assert first.get_by_text(NB["confirm.own"]).is_visible()
    assert first.get_by_role("button", name=NB["confirm.submit"]).count() == 0
    address = first.url
    second = tabs.signed_in("admin2")
    second.goto(address)
    assert second.get_by_text(NB["confirm.own"]).count() == 0
    second.get_by_role("button", name=NB["confirm.submit"]).click()
    wait_for_status(second, "COMPLETED")
    assert state_of(live, "elev.filip") == "ERASED"
    first.reload()
    assert status_of(first) == "COMPLETED"


def test_rectify_a_name_overriding_the_roster(tabs: Tabs, live: LiveGateway) -> None:
    tab = tabs.signed_in("admin")
    open_person(tab, live, "elev.mia")
    tab.get_by_role("link", name=NB["person.action_rectify"]).click()
    tab.wait_for_url("**/rectify")
    given = tab.get_by_label(NB["person.first_name"])
    assert given.input_value() == "Mia"
    given.fill("Mia Sofie")
    send(tab, "rectify.submit")
    alert = tab.get_by_role("alert")
    assert NB["code.MANAGED_BY_SOURCE"] in alert.inner_text()
    assert NB["person.first_name"] in alert.locator("ul.managed").inner_text()
    tab.get_by_label(NB["rectify.override"]).check()
    tab.get_by_role("button", name=NB["rectify.submit"]).click()  # the justification is kept
    tab.wait_for_url("**/admin/requests/*")
    assert status_of(tab) == "COMPLETED"
    tab.get_by_role("link", name=NB["action.back"]).click()
    tab.wait_for_url("**/admin/people/*")
    assert tab.get_by_role("heading", name="Mia Sofie Pedersen", level=1).is_visible()

"""The admin console in headless Chromium (Debian's ``/usr/bin/chromium`` under Playwright, as
tests/hardening/test_graphiql_browser.py launches it; skipped without it, failed under
``CI=true``), on both backends: development sign-in with one click, finding two people of the
same name and picking the right one by date of birth and school, the person's page with its
data categories and counts, a non-administrator refused, a forged form refused, the idle
timeout, the language switch and sign-out, all by keyboard-reachable, labelled controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browser_support import answered, record_problems, system_chromium
from console_support import NAMESAKE_BIRTH_DATE, add_namesake
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway

from config import clock
from config.clock import ManualClock
from gateway.console.catalog import TEXTS
from gateway.console.dates import local_text

NB = {key: texts["nb"] for key, texts in TEXTS.items()}
EN = {key: texts["en"] for key, texts in TEXTS.items()}


@pytest.fixture
def chromium(live: LiveGateway) -> Iterator[Any]:
    """Per test, after the gateway: Playwright's synchronous API runs an event loop in this
    thread while it is open, and the gateway's setup needs the thread's own."""
    with system_chromium() as browser:
        yield browser


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console-browser") as gateway:
        add_namesake(gateway)
        yield gateway


@pytest.fixture
def page(live: LiveGateway, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(base_url=live.url, locale="nb-NO")
    problems: list[str] = []
    tab = context.new_page()
    record_problems(tab, problems)
    try:
        yield tab
    finally:
        context.close()
    real = answered(problems, 403, 404)
    assert real == [], f"errors in the page (a CSP violation shows here): {real}"


def sign_in(page: Any, username: str = "admin") -> None:
    page.goto("/admin/")
    page.get_by_role("button", name=f"({username})").click()
    page.wait_for_url("**/admin/people")


def test_sign_in_find_the_right_namesake_and_see_their_data(page: Any) -> None:
    sign_in(page)
    assert page.get_by_role("heading", name=NB["people.title"]).is_visible()
    search = page.get_by_label(NB["people.query"])
    search.fill("Nordmann")
    search.press("Enter")  # the keyboard sends the form
    page.wait_for_url("**/admin/people?q=Nordmann*")
    rows = page.locator("table.results tbody tr").filter(has_text="Ola Nordmann")
    assert rows.count() == 2
    namesake = rows.filter(has_text=local_text("nb", NAMESAKE_BIRTH_DATE))
    assert "Sagene skole" in namesake.inner_text()
    right = rows.filter(has_text=local_text("nb", "2012-06-02"))
    assert "Bjølsen skole" in right.inner_text()
    right.get_by_role("link", name="Ola Nordmann").click()
    page.wait_for_url("**/admin/people/*")
    assert page.get_by_role("heading", name="Ola Nordmann", level=1).is_visible()
    born = page.locator('time[datetime="2012-06-02"]').first
    assert born.is_visible() and born.inner_text() == "2. jun. 2012"
    data = page.locator("table.categories")
    assert data.get_by_role("rowheader", name=NB["category.PERSONAL_DATA"]).is_visible()
    answers = data.locator('tr[data-category="STUDENT_ANSWERS"] td.count').inner_text()
    assert int(answers) > 0, "the demo student has answers"
    assert page.get_by_role("heading", name=NB["person.audit"]).is_visible()


def test_the_school_filter_picks_the_namesake(page: Any, live: LiveGateway) -> None:
    sign_in(page)
    page.get_by_label(NB["people.query"]).fill("Ola")
    page.get_by_label(NB["people.school"]).select_option(label="Sagene skole")
    page.get_by_role("button", name=NB["people.search"]).click()
    page.wait_for_url("**school=*")
    rows = page.locator("table.results tbody tr").filter(has_text="Ola Nordmann")
    assert rows.count() == 1 and local_text("nb", NAMESAKE_BIRTH_DATE) in rows.inner_text()


def test_a_non_administrator_is_refused(page: Any) -> None:
    page.goto("/admin/")
    # the development list offers system administrators only: sign in as a teacher by the form
    page.evaluate(
        """() => { const input = document.querySelector('input[name=username]');
               input.value = 'larer.hansen'; input.form.submit(); }"""
    )
    # the signed-in page forwards to the people page by itself (a meta refresh)
    page.wait_for_url("**/admin/people")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=NB["refused.title"]).is_visible()
    assert page.get_by_text(NB["refused.not_admin"]).is_visible()
    assert page.locator("table.results").count() == 0


def test_a_forged_form_post_is_refused(page: Any) -> None:
    sign_in(page)
    with page.expect_navigation():
        page.evaluate(
            """() => { const form = document.querySelector('form.signout');
                   form.querySelector('input[name=csrf]').value = 'forged';
                   form.submit(); }"""
        )
    assert page.get_by_text(NB["refused.csrf"]).is_visible()
    page.goto("/admin/people")
    assert page.get_by_role("heading", name=NB["people.title"]).is_visible(), "still signed in"


def test_an_idle_session_ends(page: Any, live: LiveGateway) -> None:
    with clock.using(ManualClock(datetime.now(UTC))) as time:
        sign_in(page)
        time.advance(timedelta(minutes=live.state.settings.console_idle_minutes, seconds=1))
        page.goto("/admin/people")
        page.wait_for_url("**/admin/?expired=1")
        assert page.get_by_text(NB["login.expired"]).is_visible()


def test_language_switch_and_sign_out(page: Any) -> None:
    sign_in(page)
    page.get_by_label(NB["language.label"]).select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_role("heading", name=EN["people.title"]).is_visible()
    page.get_by_role("button", name=EN["sign_out"]).click()
    page.wait_for_url("**/admin/?signed_out=1")
    assert page.get_by_text(EN["login.signed_out"]).is_visible()
    page.goto("/admin/people")
    page.wait_for_url("**/admin/")
    assert page.get_by_role("heading", name=EN["login.title"]).is_visible()

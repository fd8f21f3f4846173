"""The console's work queues in headless Chromium, on both backends (the browser fixture of
test_console_browser.py): an overdue data request listed first and accepted from the page, a
batch erasure offered for confirmation to the other administrator only, an incident recorded
with its 72-hour deadline shown and its affected people notified, and the recycle bin emptied by
a batch erasure request, all through labelled, keyboard-reachable controls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import answered, record_problems
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from queues_support import (
    data_request,
    in_thread,
    left_long_ago,
    ok,
    privacy_request_status,
    request_batch_erasure,
    run_jobs,
    submit_data_request,
)
from test_console_browser import NB, chromium, sign_in  # noqa: F401 (chromium: a fixture)

from config import clock
from config.clock import ManualClock
from gateway.console.dates import OSLO, local_text, utc_from_local

EXTEND = """
mutation($id: ID!, $r: String!) { extendDataRequest(requestId: $id, reason: $r) { id } }
"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    # no job worker of its own: the test decides when a batch erasure's preview is computed
    with own_gateway(
        request.param, tmp_path_factory, "console-queues-browser", jobs_enabled=False
    ) as gateway:
        yield gateway


@pytest.fixture
def tab(live: LiveGateway, chromium: Any) -> Iterator[Any]:  # noqa: F811 (the fixture)
    """A browser tab in Bokmål; fails the test on an error in the page (a CSP violation)."""
    context = chromium.new_context(base_url=live.url, locale="nb-NO")
    problems: list[str] = []
    opened = context.new_page()
    record_problems(opened, problems)
    try:
        yield opened
    finally:
        context.close()
    real = answered(problems, 404)  # the browser asks for a favicon
    assert real == [], f"errors in the page: {real}"


def open_queues(tab: Any, username: str = "admin") -> None:
    sign_in(tab, username)
    tab.get_by_role("link", name=NB["nav.queues"]).click()
    tab.wait_for_url("**/admin/queues")
    assert tab.get_by_role("heading", name=NB["queues.title"], level=1).is_visible()


def sign_out(tab: Any) -> None:
    tab.get_by_role("button", name=NB["sign_out"]).click()
    tab.wait_for_url("**/admin/?signed_out=1")


def test_an_overdue_data_request_comes_first_and_is_accepted_from_the_page(
    tab: Any, live: LiveGateway
) -> None:
    with clock.using(ManualClock(datetime.now(UTC))) as time:
        # received first, but extended by two months: due later
        later = submit_data_request(live, "elev.nora")
        ok(live.gql(EXTEND, {"id": later, "r": "Saken er omfattende."}, as_user="admin"))
        time.advance(timedelta(days=1))
        overdue = submit_data_request(live, "elev.ola")
        time.advance(timedelta(days=40))  # past the month the second one had
        open_queues(tab)
        rows = tab.locator("table.data-requests tbody tr")
        order = rows.evaluate_all("rows => rows.map(row => row.dataset.id)")
        assert order[0] == overdue and later in order
        first = rows.first
        assert NB["queues.overdue"] in first.inner_text()
        assert "Ola Nordmann" in first.inner_text()
        assert NB["queues.overdue"] not in tab.locator(f'tr[data-id="{later}"]').inner_text()
        first.get_by_label(NB["queues.reason"], exact=True).fill("Vi sender deg en kopi.")
        first.get_by_label(NB["queues.identity_verified"]).check()
        first.get_by_role("button", name=NB["queues.accept"], exact=True).click()
        tab.wait_for_url("**/admin/queues?done=accepted*")
        assert tab.get_by_text(NB["queues.done.accepted"]).is_visible()
        assert data_request(live, overdue)["status"] == "ACCEPTED"
        row = tab.locator(f'tr[data-id="{overdue}"]')
        assert NB["queues.status.ACCEPTED"] in row.inner_text()
        assert row.get_by_role("button", name=NB["queues.accept"], exact=True).count() == 0


def test_a_batch_erasure_is_offered_to_the_other_administrator_only(
    tab: Any, live: LiveGateway, tmp_path: Path
) -> None:
    request = in_thread(request_batch_erasure, live, ["elev.emma", "elev.henrik"], "admin")
    open_queues(tab, "admin2")
    block = tab.locator(f'article[data-id="{request}"]')
    assert NB["queues.previewing"] in block.inner_text(), "the preview is being computed"
    assert block.get_by_role("button", name=NB["queues.confirm"]).count() == 0
    in_thread(run_jobs, live, tmp_path)
    sign_out(tab)
    open_queues(tab, "admin")
    block = tab.locator(f'article[data-id="{request}"]')
    assert NB["queues.waiting_other"] in block.inner_text()
    assert block.get_by_role("button", name=NB["queues.confirm"]).count() == 0
    sign_out(tab)
    open_queues(tab, "admin2")
    block = tab.locator(f'article[data-id="{request}"]')
    assert NB["queues.action.ERASE_BATCH"] in block.inner_text()
    assert block.locator('tr[data-category="PERSONAL_DATA"]').is_visible(), "with its preview"
    confirm = block.get_by_role("button", name=NB["queues.confirm"])
    confirm.focus()
    confirm.press("Enter")  # the keyboard sends the form
    tab.wait_for_url("**/admin/queues?done=confirmed*")
    assert tab.get_by_text(NB["queues.done.confirmed"]).is_visible()
    assert privacy_request_status(live, request) == "QUEUED"
    assert tab.locator(f'article[data-id="{request}"]').count() == 0


def test_record_an_incident_see_its_deadline_and_notify(tab: Any, live: LiveGateway) -> None:
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    description = "En klasseliste ble sendt til feil mottaker."
    open_queues(tab)
    tab.get_by_text(NB["queues.record"]).click()  # opens the form
    tab.get_by_label(NB["queues.description"], exact=True).fill(description)
    typed = two_hours_ago.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M")  # Oslo's clock, as labelled
    # as the server reads it: in the autumn hour Oslo has twice, the first one (an hour earlier
    # than meant when two hours ago was the second one)
    detected = utc_from_local(typed)
    tab.get_by_label(NB["queues.detected_local"]).fill(typed)
    tab.get_by_label(NB["category.PERSONAL_DATA"], exact=True).check()
    tab.get_by_label(NB["queues.scope.SCHOOL"], exact=True).check()
    tab.get_by_label(NB["queues.scope_school"], exact=True).select_option(label="Bjølsen skole")
    submitted = datetime.now(UTC)
    tab.get_by_role("button", name=NB["queues.record_button"]).click()
    tab.wait_for_url("**/admin/queues?done=recorded*")
    assert tab.get_by_text(NB["queues.done.recorded"]).is_visible()
    row = tab.locator("table.incidents tbody tr").filter(has_text=description)
    text = row.inner_text()
    due = detected + timedelta(hours=72)
    assert local_text("nb", detected) in text, "shown as typed"
    assert local_text("nb", due) in text, text
    # the whole hours left when the page was made, some time between the two
    hours = {(due - at) // timedelta(hours=1) for at in (submitted, datetime.now(UTC))}
    assert re.search(rf"({'|'.join(map(str, hours))}) t \d+ min igjen", text), text
    assert NB["queues.incident.OPEN"] in text
    assert int(row.locator("td.count").inner_text()) > 0, "the school's people are affected"
    row.get_by_role("button", name=NB["queues.notify_affected"]).click()
    tab.wait_for_url("**/admin/queues?done=notified*")
    row = tab.locator("table.incidents tbody tr").filter(has_text=description)
    assert NB["queues.notified_at"] in row.inner_text()
    assert row.get_by_role("button", name=NB["queues.notify_affected"]).count() == 0


def test_empty_the_recycle_bin(tab: Any, live: LiveGateway) -> None:
    in_thread(left_long_ago, live, "elev.oskar")
    oskar = in_thread(live.person_id, "elev.oskar")
    admin = in_thread(live.person_id, "admin")
    open_queues(tab)
    assert "Oskar Lunde" in tab.locator("ul.expired").inner_text()
    binned = tab.locator("ul.recycle-bin li").filter(has_text="Oskar Lunde")
    assert (
        binned.get_by_role("link", name=NB["queues.lift_link"]).get_attribute("href")
        == f"/admin/people/{oskar}"
    )
    form = tab.locator("form.empty-bin")
    form.get_by_label(NB["queues.justification"], exact=True).fill("Lagringstiden er ute.")
    form.get_by_role("button", name=NB["queues.empty_bin"]).click()
    tab.wait_for_url("**/admin/queues?done=emptying*")
    assert tab.get_by_text(NB["queues.done.emptying"]).is_visible()
    created = tab.locator("article.erasure").filter(has_text=NB["queues.action.ERASE_BATCH"])
    assert created.filter(has_text=NB["queues.waiting_other"]).count() >= 1
    requests = ok(
        live.gql(
            "{ privacyRequests(last: 5) { edges { node { action status requestedBy { id } "
            "items(first: 10) { edges { node { basis subject { id } } } } } } } }",
            as_user="admin",
        )
    )["privacyRequests"]["edges"]
    batch = [e["node"] for e in requests if e["node"]["action"] == "ERASE_BATCH"][-1]
    assert batch["requestedBy"]["id"] == admin
    assert [item["node"]["subject"]["id"] for item in batch["items"]["edges"]] == [oskar]
    assert {item["node"]["basis"] for item in batch["items"]["edges"]} == {"EXPIRED"}

"""The console's roster import and audit log pages over plain HTTP (httpx), on both backends:
the import runs and a run's report, the audit log's filters and paging, no justification text,
the chain check behind a CSRF-checked POST, non-administrators refused, and bad filter values
answered with a clear error in the page's language. The time range is typed in Norwegian time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from console_support import client, csrf_of, dev_sign_in
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import func, select

from config.ids import to_global_id
from gateway.console.catalog import TEXTS
from gateway.console.dates import OSLO, SKIPPED_HOUR, SkippedHourError, utc_from_local
from store import tables as t

A = t.audit_entries.c
JUSTIFICATION = "Ticket PV-2026-31: the guardian asked for restriction"
RESTRICT = """
mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) { id } }"""
NB = {key: texts["nb"] for key, texts in TEXTS.items()}
EN = {key: texts["en"] for key, texts in TEXTS.items()}


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console-records") as gateway:
        result = gateway.gql(
            RESTRICT, {"s": gateway.person_id("elev.nora"), "j": JUSTIFICATION}, as_user="admin"
        )
        assert result.errors == [], result.errors
        yield gateway


def entry_actions(html: str) -> list[str]:
    return re.findall(r'<td class="action">([^<]*)</td>', html)


def test_the_import_runs_list_the_demo_run_and_its_report(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    listing = browser.get("/admin/imports")
    assert listing.status_code == 200
    run_pk = live.scalar(select(func.max(t.roster_imports.c.id)))
    run_id = to_global_id("RosterImport", run_pk)
    assert f'href="/admin/imports/{run_id}"' in listing.text
    assert "<td>demo</td>" in listing.text
    assert NB["import_status.COMPLETED"] in listing.text
    report = browser.get(f"/admin/imports/{run_id}")
    assert report.status_code == 200
    assert NB["import.report"] in report.text
    assert re.search(r'<tr data-kind="[A-Z_]+"><th scope="row">', report.text), "counts"
    assert "users.csv" in report.text, "the files' digests"
    missing = browser.get(f"/admin/imports/{to_global_id('RosterImport', run_pk + 99)}")
    assert missing.status_code == 404 and NB["imports.not_found"] in missing.text


def test_the_log_filtered_by_action_shows_that_action_only(live: LiveGateway) -> None:
    nora = live.person_pk("elev.nora")
    action = live.scalar(select(A.action).where(A.subject_id == nora).limit(1))
    browser = dev_sign_in(live, "admin")
    page = browser.get("/admin/audit", params={"action": action})
    assert page.status_code == 200
    shown = entry_actions(page.text)
    assert shown and set(shown) == {action}
    total = live.scalar(select(func.count()).select_from(t.audit_entries).where(A.action == action))
    assert NB["audit.count"].format(count=total) in page.text


def test_the_log_by_person_shows_a_digest_never_the_justification(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    nora = live.person_id("elev.nora")
    ola = live.person_id("elev.ola")
    person = browser.get(f"/admin/people/{ola}").text
    assert f'href="/admin/audit?person={ola}"' in person, "a person's page links to their log"
    page = browser.get("/admin/audit", params={"person": nora})
    assert page.status_code == 200
    rows = live.scalar(
        select(func.count())
        .select_from(t.audit_entries)
        .where(A.subject_id == live.person_pk("elev.nora"))
    )
    assert len(entry_actions(page.text)) == min(rows, 50) >= 1
    assert JUSTIFICATION not in page.text
    digest = hashlib.sha256(JUSTIFICATION.encode()).hexdigest()[:12]
    assert NB["audit.justified"].format(digest=digest) in page.text
    assert f'href="/admin/people/{nora}"' in page.text, "the person links to their page"


def test_the_log_pages_with_cursors(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    first = browser.get("/admin/audit")
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert older, "the demo's log is longer than a page"
    second = browser.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    first_numbers = re.findall(r'<tr data-entry="(\d+)">', first.text)
    second_numbers = re.findall(r'<tr data-entry="(\d+)">', second.text)
    assert second_numbers and max(map(int, second_numbers)) < min(map(int, first_numbers))
    assert 'rel="prev"' in second.text


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"person": "not-an-id"}, "audit.problem.BAD_USER_INPUT"),
        ({"actor": to_global_id("Course", 1)}, "audit.problem.NOT_FOUND"),
        ({"action": "X" * 65}, "audit.problem.BAD_USER_INPUT"),
        ({"from": "yesterday"}, "audit.problem.BAD_USER_INPUT"),
        ({"from": "2026-02-01T00:00", "to": "2026-01-01T00:00"}, "audit.problem.BAD_USER_INPUT"),
        ({"from": "2026-03-29T02:30"}, SKIPPED_HOUR),
    ],
)
def test_bad_filter_values_give_a_clear_error(
    live: LiveGateway, params: dict[str, str], key: str
) -> None:
    browser = dev_sign_in(live, "admin")
    page = browser.get("/admin/audit", params=params)
    assert page.status_code == 400
    if key == SKIPPED_HOUR:  # the hour skipped in spring: the filter error, and why
        assert NB["audit.problem.BAD_USER_INPUT"] in page.text
    assert NB[key] in page.text and 'role="alert"' in page.text
    assert "<table" not in page.text
    browser.post("/admin/language", data={"csrf": csrf_of(page.text), "language": "en"})
    english = browser.get("/admin/audit", params=params)
    assert english.status_code == 400 and EN[key] in english.text


def test_the_time_range_is_read_as_norwegian_time(live: LiveGateway) -> None:
    """The minute of an entry, typed as Oslo's clock showed it, finds that entry; the same
    digits read as UTC would be an hour or two off, and typed as UTC they find nothing."""
    nora = live.person_pk("elev.nora")
    number, at = live.rows(
        select(A.id, A.at).where(A.subject_id == nora, A.action == "PRIVACY_RESTRICT").limit(1)
    )[0]
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    minute = at.replace(second=0, microsecond=0)
    then = minute + timedelta(minutes=1)
    browser = dev_sign_in(live, "admin")

    def digits(value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M")

    def shown(start: datetime, end: datetime) -> list[str]:
        typed = {"action": "PRIVACY_RESTRICT", "from": digits(start), "to": digits(end)}
        page = browser.get("/admin/audit", params=typed)
        assert page.status_code == 200, page.text
        assert f'value="{typed["from"]}"' in page.text, "the filter keeps what was typed"
        return re.findall(r'<tr data-entry="(\d+)">', page.text)

    # Read as the console reads a typed time: in the autumn hour Oslo has twice, the first one,
    # so an entry made in the second one is not in the minute its clock showed.
    start, end = (utc_from_local(digits(value.astimezone(OSLO))) for value in (minute, then))
    assert (str(number) in shown(minute.astimezone(OSLO), then.astimezone(OSLO))) is (
        start <= at < end
    )
    try:  # UTC's digits, unless they are a time of the hour Oslo skips in spring (refused)
        for value in (minute, then):
            utc_from_local(digits(value))
    except SkippedHourError:
        return
    assert str(number) not in shown(minute, then)


def test_verify_needs_the_csrf_token(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    for data in ({}, {"csrf": "forged"}):
        refused = browser.post("/admin/audit/verify", data=data)
        assert refused.status_code == 403 and NB["refused.csrf"] in refused.text
    token = csrf_of(browser.get("/admin/audit").text)
    done = browser.post("/admin/audit/verify", data={"csrf": token})
    assert done.status_code == 200
    entries = live.scalar(select(func.count()).select_from(t.audit_entries))
    assert NB["verify.ok"].format(count=entries) in done.text


def test_non_administrators_are_refused(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "larer.hansen")
    run_id = to_global_id("RosterImport", live.scalar(select(func.max(t.roster_imports.c.id))))
    for path in ("/admin/imports", f"/admin/imports/{run_id}", "/admin/audit"):
        answer = browser.get(path)
        assert answer.status_code == 403 and NB["refused.not_admin"] in answer.text, path
    token = csrf_of(browser.get("/admin/audit").text)
    refused = browser.post("/admin/audit/verify", data={"csrf": token})
    assert refused.status_code == 403 and NB["refused.not_admin"] in refused.text
    assert client(live).get("/admin/audit").status_code == 303, "not signed in: to sign-in"

"""The console's work queues over plain HTTP (httpx), on both backends: every form refused
without the session's CSRF token, every page and form refused to non-administrators, bad input
(a missing reason, justification or description) answered with a clear error in the page's
language and nothing changed, GraphQL errors shown by their code, and the actions done through
the page changing what the schema says they change. The erasure queue pages the erasures waiting
for confirmation and lists the ones still being previewed once, on the first page; the incident
form's times are Norwegian time."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_support import client, csrf_of, dev_sign_in
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from queues_support import (
    JUSTIFICATION,
    count,
    data_request,
    data_request_status,
    privacy_request_status,
    request_erasure,
    submit_data_request,
)
from sqlalchemy import func, insert, select, update

from config.ids import to_global_id
from gateway.console.catalog import TEXTS
from gateway.console.dates import SKIPPED_HOUR, local_text
from gateway.console.queues import DONE, ERASURES, PAGE_SIZE, PREVIEWING_SHOWN, SCOPE_KINDS
from store import tables as t

CONSOLE = Path(__file__).resolve().parents[2] / "gateway" / "console"
NB = {key: texts["nb"] for key, texts in TEXTS.items()}


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console-queues") as gateway:
        yield gateway


def _posts(live: LiveGateway) -> list[tuple[str, dict[str, str]]]:
    """Every form the page posts, each with input that would otherwise be good."""
    request = submit_data_request(live, "elev.sara")
    erasure = to_global_id("PrivacyRequest", 999_999)
    incident = to_global_id("Incident", 999_999)
    return [
        (f"/admin/queues/erasures/{erasure}/confirm", {"action": "ERASE_BATCH"}),
        (f"/admin/queues/erasures/{erasure}/cancel", {}),
        (
            f"/admin/queues/data-requests/{request}/decide",
            {"decision": "accept", "reason": "Vi har bekreftet hvem du er."},
        ),
        (f"/admin/queues/data-requests/{request}/extend", {"reason": "Mange henvendelser nå."}),
        ("/admin/queues/recycle-bin/empty", {"justification": "Lagringstiden er ute."}),
        (
            "/admin/queues/incidents",
            {
                "description": "En liste ble sendt til feil mottaker.",
                "detected_at": "2026-01-01T10:00",
                "categories": "PERSONAL_DATA",
                "scope": "PERSONS",
                "person_ids": live.person_id("elev.sara"),
            },
        ),
        (f"/admin/queues/incidents/{incident}/notify", {}),
    ]


def _state(live: LiveGateway) -> tuple[int, int, list[str]]:
    statuses = live.rows(select(t.data_requests.c.status).order_by(t.data_requests.c.id))
    return (
        count(live, t.incidents),
        count(live, t.privacy_requests),
        [str(row[0]) for row in statuses],
    )


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_every_form_is_refused_without_the_sessions_csrf_token(
    live: LiveGateway, token: str | None
) -> None:
    browser = dev_sign_in(live, "admin")
    posts = _posts(live)
    before = _state(live)
    for path, data in posts:
        sent = dict(data) if token is None else {**data, "csrf": token}
        answer = browser.post(path, data=sent)
        assert answer.status_code == 403, path
        assert NB["refused.csrf"] in answer.text, path
    assert _state(live) == before, "nothing changed"
    other = csrf_of(dev_sign_in(live, "admin2").get("/admin/queues").text)
    for path, data in posts:
        assert browser.post(path, data={**data, "csrf": other}).status_code == 403, path
    assert _state(live) == before


@pytest.mark.parametrize("username", ["larer.hansen", "elev.ola", "rektor.bjolsen"])
def test_non_administrators_are_refused_the_page_and_every_form(
    live: LiveGateway, username: str
) -> None:
    browser = dev_sign_in(live, username)
    page = browser.get("/admin/queues")
    assert page.status_code == 403
    assert NB["refused.not_admin"] in page.text
    assert NB["queues.data_requests"] not in page.text
    csrf = csrf_of(page.text)  # the refusal page's own forms carry the session's token
    posts = _posts(live)
    before = _state(live)
    for path, data in posts:
        answer = browser.post(path, data={**data, "csrf": csrf})
        assert answer.status_code == 403, path
        assert NB["refused.not_admin"] in answer.text, path
    assert _state(live) == before


def test_without_a_session_the_queues_send_to_sign_in(live: LiveGateway) -> None:
    answer = client(live).get("/admin/queues")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/"


def _alert(html: str) -> str:
    found = re.search(r'role="alert" id="failure">(.*?)</div>', html, re.DOTALL)
    assert found, "the page shows the error"
    return found.group(1)


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(live: LiveGateway) -> None:
    request = submit_data_request(live, "elev.jakob")
    browser = dev_sign_in(live, "admin")
    csrf = csrf_of(browser.get("/admin/queues").text)
    before = _state(live)
    for reason in ("", "   "):
        answer = browser.post(
            f"/admin/queues/data-requests/{request}/decide",
            data={"csrf": csrf, "decision": "accept", "reason": reason},
        )
        assert answer.status_code == 400
        assert NB["queues.missing_reason"] in _alert(answer.text)
        assert NB["queues.unchanged"] in answer.text
    answer = browser.post(
        f"/admin/queues/data-requests/{request}/extend", data={"csrf": csrf, "reason": ""}
    )
    assert answer.status_code == 400 and NB["queues.missing_reason"] in _alert(answer.text)
    answer = browser.post(
        f"/admin/queues/data-requests/{request}/decide", data={"csrf": csrf, "reason": "Ja."}
    )
    assert answer.status_code == 400 and NB["queues.missing_decision"] in _alert(answer.text)
    assert _state(live) == before
    assert data_request_status(live, request) == "RECEIVED"


def test_other_bad_input_is_refused_and_changes_nothing(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    csrf = csrf_of(browser.get("/admin/queues").text)
    before = _state(live)
    empty = browser.post(
        "/admin/queues/recycle-bin/empty", data={"csrf": csrf, "justification": " "}
    )
    assert empty.status_code == 400
    assert NB["queues.missing_justification"] in _alert(empty.text)
    good = {
        "csrf": csrf,
        "description": "En liste ble sendt til feil mottaker.",
        "detected_at": "2026-01-01T10:00",
        "categories": "PERSONAL_DATA",
        "scope": "SCHOOL",
        "school_id": live.school_id("org-bjs"),
    }
    cases = [
        ({"description": ""}, "queues.missing_description"),
        ({"detected_at": ""}, "queues.missing_detected"),
        ({"detected_at": "i går"}, "queues.bad_time"),
        ({"detected_at": "2026-03-29T02:30"}, SKIPPED_HOUR),
        ({"categories": "NONSENSE"}, "queues.missing_categories"),
        ({"scope": ""}, "queues.missing_scope"),
        ({"school_id": ""}, "queues.missing_scope"),
        ({"scope": "PERSONS"}, "queues.missing_scope"),
    ]
    for change, key in cases:
        answer = browser.post("/admin/queues/incidents", data={**good, **change})
        assert answer.status_code == 400, change
        assert NB[key] in _alert(answer.text), change
        if "description" not in change:  # what was filled in is kept, to be corrected
            assert "En liste ble sendt til feil mottaker." in answer.text
    assert _state(live) == before


def test_graphql_errors_are_shown_by_their_code(live: LiveGateway) -> None:
    """A time in the future is the schema's to refuse (BAD_USER_INPUT), an unknown request is
    NOT_FOUND, a decided one CONFLICT: each in the page's words, nothing changed."""
    browser = dev_sign_in(live, "admin")
    csrf = csrf_of(browser.get("/admin/queues").text)
    before = _state(live)
    future = browser.post(
        "/admin/queues/incidents",
        data={
            "csrf": csrf,
            "description": "Noe skjer snart.",
            "detected_at": "2999-01-01T10:00",
            "categories": "PERSONAL_DATA",
            "scope": "SCHOOL",
            "school_id": live.school_id("org-bjs"),
        },
    )
    assert future.status_code == 400
    assert NB["queues.error.BAD_USER_INPUT"] in _alert(future.text)
    missing = browser.post(
        f"/admin/queues/erasures/{to_global_id('PrivacyRequest', 999_999)}/cancel",
        data={"csrf": csrf},
    )
    assert missing.status_code == 404
    assert NB["queues.error.NOT_FOUND"] in _alert(missing.text)
    assert _state(live) == before
    switched = browser.post(
        "/admin/language", data={"csrf": csrf, "language": "en", "back": "/admin/queues"}
    )
    assert switched.status_code == 303
    answer = browser.post(
        f"/admin/queues/erasures/{to_global_id('PrivacyRequest', 999_999)}/cancel",
        data={"csrf": csrf},
    )
    assert '<html lang="en">' in answer.text
    assert TEXTS["queues.error.NOT_FOUND"]["en"] in _alert(answer.text)


def test_an_incidents_time_is_typed_in_norwegian_time(live: LiveGateway) -> None:
    """10:00 on 1 July typed in the form is 08:00 UTC (summer time) in the register, and the
    page shows it as 10:00 again; its report is due 72 hours later."""
    description = "Et skjema med elevopplysninger lå åpent i et fellesrom."
    browser = dev_sign_in(live, "admin")
    csrf = csrf_of(browser.get("/admin/queues").text)
    answer = browser.post(
        "/admin/queues/incidents",
        data={
            "csrf": csrf,
            "description": description,
            "detected_at": "2026-07-01T10:00",
            "categories": "PERSONAL_DATA",
            "scope": "PERSONS",
            "person_ids": live.person_id("elev.sara"),
        },
    )
    assert answer.status_code == 303, answer.text
    i = t.incidents.c
    detected, due = live.rows(
        select(i.detected_at, i.report_due_at).where(i.description == description)
    )[0]
    as_utc = [
        (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC) for at in (detected, due)
    ]
    assert as_utc == [
        datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 7, 4, 8, 0, tzinfo=UTC),
    ]
    page = browser.get(answer.headers["location"])
    row = re.search(rf"<th scope=\"row\">{description}</th>.*?</tr>", page.text, re.DOTALL)
    assert row and local_text("nb", as_utc[0]) in row.group(0), "shown as typed"
    assert local_text("nb", as_utc[0]) == "1. jul. 2026 kl. 10:00"


def test_decide_and_extend_through_the_page(live: LiveGateway) -> None:
    accepted = submit_data_request(live, "elev.amina")
    extended = submit_data_request(live, "elev.filip", kind="RECTIFICATION")
    browser = dev_sign_in(live, "admin")
    page = browser.get("/admin/queues")
    assert f'data-id="{accepted}"' in page.text and f'data-id="{extended}"' in page.text
    csrf = csrf_of(page.text)
    answer = browser.post(
        f"/admin/queues/data-requests/{accepted}/decide",
        data={
            "csrf": csrf,
            "decision": "accept",
            "reason": "Vi sender deg en kopi.",
            "identity_verified": "yes",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/queues?done=accepted#data-requests"
    assert data_request_status(live, accepted) == "ACCEPTED"
    shown = browser.get(answer.headers["location"])
    assert NB["queues.done.accepted"] in shown.text
    extend = browser.post(
        f"/admin/queues/data-requests/{extended}/extend",
        data={"csrf": csrf, "reason": "Saken er omfattende."},
    )
    assert extend.status_code == 303
    assert data_request(live, extended)["extendedTo"] is not None
    assert data_request(live, extended)["status"] == "RECEIVED"
    again = browser.post(
        f"/admin/queues/data-requests/{extended}/extend",
        data={"csrf": csrf, "reason": "En gang til."},
    )
    assert again.status_code == 409, "only once"
    assert NB["queues.error.CONFLICT"] in _alert(again.text)


def test_an_erasure_is_confirmed_by_the_other_administrator_only(live: LiveGateway) -> None:
    request = request_erasure(live, "elev.mia", who="admin")
    asker = dev_sign_in(live, "admin")
    page = asker.get("/admin/queues")
    block = re.search(rf'data-id="{request}".*?</article>', page.text, re.DOTALL)
    assert block, "the asker sees the erasure waiting"
    assert NB["queues.waiting_other"] in block.group(0)
    assert NB["queues.confirm"] not in block.group(0)
    # the form is not offered; sent anyway, the schema refuses it
    refused = asker.post(
        f"/admin/queues/erasures/{request}/confirm",
        data={"csrf": csrf_of(page.text), "action": "ERASE"},
    )
    assert refused.status_code == 403
    assert NB["queues.error.SECOND_ADMINISTRATOR_REQUIRED"] in _alert(refused.text)
    assert privacy_request_status(live, request) == "AWAITING_CONFIRMATION"
    other = dev_sign_in(live, "admin2")
    page = other.get("/admin/queues")
    block = re.search(rf'data-id="{request}".*?</article>', page.text, re.DOTALL)
    assert block and NB["queues.confirm"] in block.group(0)
    assert 'data-category="PERSONAL_DATA"' in block.group(0), "with its preview"
    answer = other.post(
        f"/admin/queues/erasures/{request}/confirm",
        data={"csrf": csrf_of(page.text), "action": "ERASE"},
    )
    assert answer.status_code == 303
    assert privacy_request_status(live, request) != "AWAITING_CONFIRMATION"
    assert f'data-id="{request}"' not in other.get("/admin/queues").text


def test_cancel_an_erasure_from_the_page(live: LiveGateway) -> None:
    request = request_erasure(live, "elev.sara", who="admin2")
    browser = dev_sign_in(live, "admin")
    csrf = csrf_of(browser.get("/admin/queues").text)
    answer = browser.post(f"/admin/queues/erasures/{request}/cancel", data={"csrf": csrf})
    assert answer.status_code == 303
    assert privacy_request_status(live, request) == "CANCELLED"


def _add_requests(live: LiveGateway, n: int, **values: object) -> list[int]:
    """``n`` privacy requests written straight to the table (newer than any before), by id."""
    now = datetime.now(UTC)
    first = int(live.scalar(select(func.coalesce(func.max(t.privacy_requests.c.id), 0)))) + 1
    live.execute(
        insert(t.privacy_requests).values(
            [
                {
                    "requested_by_id": live.person_pk("admin2"),
                    "justification": JUSTIFICATION,
                    "created_at": now,
                    **values,
                }
                for _ in range(n)
            ]
        )
    )
    r = t.privacy_requests.c
    return [row.id for row in live.rows(select(r.id).where(r.id >= first).order_by(r.id))]


def test_an_old_waiting_erasure_stays_and_the_queue_pages(live: LiveGateway) -> None:
    """The queue asks for the waiting erasures by status and action, not among the newest: an
    erasure waiting behind 600 newer finished requests is still there. More than a page of
    waiting erasures: the first page, the longest waiting first, with the count and a next page.
    Course deletions waiting for confirmation are neither listed nor counted (they are confirmed
    on their request's own page), so the count is of the erasures the pages list."""
    request = request_erasure(live, "elev.jakob", who="admin2")
    finished = _add_requests(live, 600, action="RECTIFY", status="COMPLETED")
    deletions = _add_requests(live, 3, action="DELETE_COURSE", status="AWAITING_CONFIRMATION")
    waiting = _add_requests(live, PAGE_SIZE, action="ERASE_BATCH", status="AWAITING_CONFIRMATION")
    try:
        browser = dev_sign_in(live, "admin")
        page = browser.get("/admin/queues")
        assert page.status_code == 200, page.text
        shown = re.findall(r'<article class="erasure" data-id="([^"]+)"', page.text)
        assert shown[0] == request and len(shown) == PAGE_SIZE
        r = t.privacy_requests.c
        total = int(
            live.scalar(
                select(func.count()).where(
                    r.status == "AWAITING_CONFIRMATION", r.action.in_(ERASURES)
                )
            )
        )
        assert total > PAGE_SIZE
        assert html.unescape(NB["queues.waiting_count"]).format(count=total) in html.unescape(
            page.text
        )
        found = re.search(r'href="(/admin/queues\?erasures=[^"#]+)#erasures" rel="next"', page.text)
        assert found, "a link to the next page"
        following = browser.get(html.unescape(found.group(1)))
        assert following.status_code == 200
        rest = re.findall(r'<article class="erasure" data-id="([^"]+)"', following.text)
        assert rest and request not in rest and not set(rest) & set(shown)
        assert to_global_id("PrivacyRequest", waiting[-1]) in rest
        assert 'rel="next"' not in following.text
        assert NB["queues.first_page"] in following.text
        assert len(shown) + len(rest) == total, "the count is of what the pages list"
        deleting = {to_global_id("PrivacyRequest", pk) for pk in deletions}
        assert not deleting & (set(shown) | set(rest))
    finally:
        r = t.privacy_requests.c
        live.execute(
            update(t.privacy_requests)
            .where(r.id.in_(waiting + finished + deletions))
            .values(status="CANCELLED", completed_at=datetime.now(UTC))
        )


def test_erasures_being_previewed_are_listed_once_on_the_first_page(live: LiveGateway) -> None:
    """Erasures whose preview is being computed are a short list of their own on the first page,
    the oldest first, with their own count and a note when there are more than it shows; the
    list of erasures waiting for confirmation pages on with its own count, and no page lists a
    previewing one again. (The previewing ones are leased to a worker that never finishes, so
    the gateway's own worker leaves them be while the test looks.)"""
    previewing = _add_requests(
        live,
        PREVIEWING_SHOWN + 1,
        action="ERASE_BATCH",
        status="PREVIEWING",
        worker="a test's worker",
        lease_until=datetime.now(UTC) + timedelta(hours=1),
    )
    waiting = _add_requests(live, PAGE_SIZE, action="ERASE_BATCH", status="AWAITING_CONFIRMATION")
    try:
        r = t.privacy_requests.c

        def total(status: str) -> int:
            return int(
                live.scalar(select(func.count()).where(r.status == status, r.action.in_(ERASURES)))
            )

        browser = dev_sign_in(live, "admin")
        page = browser.get("/admin/queues")
        assert page.status_code == 200, page.text
        status = '<p role="status">{}</p>'
        previewing_count = status.format(
            NB["queues.previewing_count"].format(count=total("PREVIEWING"))
        )
        waiting_count = status.format(
            NB["queues.waiting_count"].format(count=total("AWAITING_CONFIRMATION"))
        )
        assert previewing_count in page.text and waiting_count in page.text
        before, after = page.text.split(waiting_count)
        listed = re.findall(r'<article class="erasure" data-id="([^"]+)"', before)
        oldest = [to_global_id("PrivacyRequest", pk) for pk in previewing[:PREVIEWING_SHOWN]]
        assert listed == oldest, "the oldest previewing ones, each once"
        assert NB["queues.previewing_more"].format(shown=PREVIEWING_SHOWN) in before
        first = re.findall(r'<article class="erasure" data-id="([^"]+)"', after)
        assert len(first) == PAGE_SIZE, "a page holds a page of waiting erasures, no more"
        assert not set(first) & set(listed)
        found = re.search(r'href="(/admin/queues\?erasures=[^"#]+)#erasures" rel="next"', page.text)
        assert found, "a link to the next page"
        following = browser.get(html.unescape(found.group(1)))
        assert following.status_code == 200
        assert NB["queues.previewing_count"].replace("{count}", "").strip() not in following.text
        assert waiting_count in following.text, "the same count on every page"
        rest = re.findall(r'<article class="erasure" data-id="([^"]+)"', following.text)
        assert not set(rest) & {to_global_id("PrivacyRequest", pk) for pk in previewing}
        assert len(first) + len(rest) == total("AWAITING_CONFIRMATION")
        assert to_global_id("PrivacyRequest", waiting[-1]) in rest
    finally:
        live.execute(
            update(t.privacy_requests)
            .where(t.privacy_requests.c.id.in_(previewing + waiting))
            .values(status="CANCELLED", completed_at=datetime.now(UTC))
        )


def test_every_word_the_page_can_show_is_in_the_catalog() -> None:
    assert all(f"queues.done.{key}" in TEXTS for key in DONE)
    assert all(f"queues.scope.{kind}" in TEXTS for kind in SCOPE_KINDS)
    source = (CONSOLE / "queues.py").read_text(encoding="utf-8")
    named = re.findall(r'"(queues\.(?:missing_\w+|bad_time))"', source)
    assert len(named) >= 8
    assert [key for key in named if key not in TEXTS] == []

"""The console's work queues over plain HTTP (httpx), on both backends: every form refused
without the session's CSRF token, every page and form refused to non-administrators, bad input
(a missing reason, justification or description) answered with a clear error in the page's
language and nothing changed, GraphQL errors shown by their code, and the actions done through
the page changing what the schema says they change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_support import client, csrf_of, dev_sign_in
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from queues_support import (
    count,
    data_request,
    data_request_status,
    privacy_request_status,
    request_erasure,
    submit_data_request,
)
from sqlalchemy import select

from config.ids import to_global_id
from gateway.console.catalog import TEXTS
from gateway.console.queues import DONE, SCOPE_KINDS
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


def test_every_word_the_page_can_show_is_in_the_catalog() -> None:
    assert all(f"queues.done.{key}" in TEXTS for key in DONE)
    assert all(f"queues.scope.{kind}" in TEXTS for kind in SCOPE_KINDS)
    source = (CONSOLE / "queues.py").read_text(encoding="utf-8")
    named = re.findall(r'"(queues\.(?:missing_\w+|bad_time))"', source)
    assert len(named) >= 8
    assert [key for key in named if key not in TEXTS] == []

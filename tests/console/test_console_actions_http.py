"""The console's privacy actions over plain HTTP (httpx), on both backends: every action's form
refuses a post without the session's CSRF token and non-administrators, a missing justification
is a clear error that changes nothing, rectification names the fields the roster manages, the
administrator who asked for an erasure cannot confirm it, the one asked to confirm it sees who
asked, when and why, an export is downloaded through the console with the endpoint's audit entry,
and the language switch on a page shown again after a refused form leads to a page (GET), never
back to the address the form was posted to."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from console_support import client, csrf_of, dev_sign_in
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import func, select

from config.ids import from_global_id, to_global_id
from gateway.console.catalog import TEXTS
from gateway.console.dates import local_text
from store import tables as t

NB = {key: texts["nb"] for key, texts in TEXTS.items()}
JUSTIFICATION = "Henvendelse fra personen, sak PV-2026-31"
#: every action's form on a person's page
ACTIONS = ("export", "restrict", "lift", "erase", "rectify")


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param, tmp_path_factory, "console-actions", job_poll_seconds=0.1
    ) as gateway:
        yield gateway


def requests_count(live: LiveGateway) -> int:
    return int(live.scalar(select(func.count()).select_from(t.privacy_requests)))


def person_row(live: LiveGateway, username: str) -> tuple[str, str, str | None, str]:
    p = t.people.c
    row = live.rows(
        select(p.given_name, p.family_name, p.email, p.processing_state).where(
            p.username == username
        )
    )[0]
    return (row.given_name, row.family_name, row.email, str(row.processing_state))


def action_path(live: LiveGateway, username: str, action: str) -> str:
    return f"/admin/people/{live.person_id(username)}/{action}"


def form_data(action: str, csrf: str, justification: str) -> dict[str, str]:
    data = {"csrf": csrf, "justification": justification}
    if action == "export":
        data["format"] = "JSON"
    if action == "rectify":
        data.update(firstName="Jakobine", lastName="Olsen", overrideSource="on")
    return data


def request_id_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/admin/requests/([^/]+)", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


@pytest.mark.parametrize("token", [None, "forged-token"])
@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_without_the_sessions_csrf_token_is_refused(
    live: LiveGateway, action: str, token: str | None
) -> None:
    browser = dev_sign_in(live, "admin")
    assert browser.get(action_path(live, "elev.jakob", action)).status_code == 200
    before, person = requests_count(live), person_row(live, "elev.jakob")
    data = form_data(action, token or "", JUSTIFICATION)
    if token is None:
        del data["csrf"]
    answer = browser.post(action_path(live, "elev.jakob", action), data=data)
    assert answer.status_code == 403
    assert NB["refused.csrf"] in answer.text
    assert requests_count(live) == before and person_row(live, "elev.jakob") == person


def test_confirming_an_erasure_without_the_csrf_token_is_refused(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    page = browser.get(action_path(live, "elev.isak", "erase"))
    asked = browser.post(
        action_path(live, "elev.isak", "erase"),
        data={"csrf": csrf_of(page.text), "justification": JUSTIFICATION},
    )
    request_id = request_id_of(asked)
    other = dev_sign_in(live, "admin2")
    answer = other.post(f"/admin/requests/{request_id}/confirm", data={"csrf": "forged"})
    assert answer.status_code == 403 and NB["refused.csrf"] in answer.text
    assert person_row(live, "elev.isak")[3] == "ACTIVE"
    shown = other.get(f"/admin/requests/{request_id}")
    assert 'data-status="AWAITING_CONFIRMATION"' in shown.text


@pytest.mark.parametrize("username", ["larer.hansen", "foresatt.kari"])
def test_non_administrators_are_refused_every_action(live: LiveGateway, username: str) -> None:
    browser = dev_sign_in(live, username)
    before, person = requests_count(live), person_row(live, "elev.ola")
    for action in ACTIONS:
        path = action_path(live, "elev.ola", action)
        shown = browser.get(path)
        assert shown.status_code == 403, path
        assert NB["refused.not_admin"] in shown.text and "Nordmann" not in shown.text
        # with their own session's valid token: still refused, nothing done
        sent = browser.post(path, data=form_data(action, csrf_of(shown.text), JUSTIFICATION))
        assert sent.status_code == 403 and NB["refused.not_admin"] in sent.text, path
    for path in ("/admin/requests/x", "/admin/requests/x/download"):
        assert browser.get(path).status_code == 403
    assert requests_count(live) == before and person_row(live, "elev.ola") == person


@pytest.mark.parametrize("justification", ["", "   "])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_missing_justification_is_a_clear_error_and_changes_nothing(
    live: LiveGateway, action: str, justification: str
) -> None:
    username = "elev.noah"
    if action == "lift":  # lifting: a restricted person (found in the recycle bin)
        username = "elev.thea"
        if person_row(live, username)[3] == "ACTIVE":
            restricted = live.gql(
                "mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, "
                "justification: $j) { status } }",
                {"s": live.person_id(username), "j": JUSTIFICATION},
                as_user="admin",
            )
            assert restricted.errors == [], restricted.errors
    browser = dev_sign_in(live, "admin")
    path = action_path(live, username, action)
    page = browser.get(path)
    assert page.status_code == 200, page.text
    before, person = requests_count(live), person_row(live, username)
    answer = browser.post(path, data=form_data(action, csrf_of(page.text), justification))
    assert answer.status_code == 400, answer.text
    assert NB["code.JUSTIFICATION_REQUIRED"] in answer.text
    assert 'role="alert"' in answer.text and 'aria-invalid="true"' in answer.text
    assert requests_count(live) == before and person_row(live, username) == person


def test_rectify_names_the_fields_the_roster_manages(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    path = action_path(live, "elev.mia", "rectify")
    page = browser.get(path)
    assert 'value="Mia"' in page.text and 'value="Pedersen"' in page.text, "the current values"
    data = {
        "csrf": csrf_of(page.text),
        "firstName": "Mia Sofie",
        "lastName": "Pedersen",
        "email": "",
        "justification": JUSTIFICATION,
    }
    before = requests_count(live)
    mail = person_row(live, "elev.mia")[2]
    if mail:
        data["email"] = mail
    refused = browser.post(path, data=data)
    assert refused.status_code == 400
    assert NB["code.MANAGED_BY_SOURCE"] in refused.text
    managed = re.search(r'<ul class="managed">(.*?)</ul>', refused.text, re.DOTALL)
    assert managed and NB["person.first_name"] in managed.group(1)
    assert NB["person.last_name"] not in managed.group(1), "only the field being changed"
    assert 'value="Mia Sofie"' in refused.text, "what was typed is kept"
    assert person_row(live, "elev.mia")[0] == "Mia" and requests_count(live) == before
    done = browser.post(path, data={**data, "overrideSource": "on"})
    request_id = request_id_of(done)
    shown = browser.get(f"/admin/requests/{request_id}")
    assert NB["privacy_action.RECTIFY"] in shown.text
    assert 'data-status="COMPLETED"' in shown.text
    assert person_row(live, "elev.mia")[:2] == ("Mia Sofie", "Pedersen")


def test_the_administrator_who_asked_cannot_confirm_the_erasure(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    path = action_path(live, "elev.amina", "erase")
    page = browser.get(path)
    assert 'id="erasure-preview"' in page.text and NB["erase.second"] in page.text
    request_id = request_id_of(
        browser.post(path, data={"csrf": csrf_of(page.text), "justification": JUSTIFICATION})
    )
    shown = browser.get(f"/admin/requests/{request_id}")
    assert 'data-status="AWAITING_CONFIRMATION"' in shown.text
    assert NB["confirm.own"] in shown.text
    assert f'action="/admin/requests/{request_id}/confirm"' not in shown.text, "no button"
    tried = browser.post(
        f"/admin/requests/{request_id}/confirm", data={"csrf": csrf_of(shown.text)}
    )
    assert tried.status_code == 403
    assert NB["code.SECOND_ADMINISTRATOR_REQUIRED"] in tried.text
    assert person_row(live, "elev.amina")[3] == "ACTIVE"
    other = dev_sign_in(live, "admin2")
    offered = other.get(f"/admin/requests/{request_id}")
    assert f'action="/admin/requests/{request_id}/confirm"' in offered.text
    assert NB["confirm.own"] not in offered.text


def test_an_export_is_downloaded_through_the_console_with_the_endpoints_audit(
    live: LiveGateway,
) -> None:
    browser = dev_sign_in(live, "admin")
    path = action_path(live, "elev.ola", "export")
    page = browser.get(path)
    request_id = request_id_of(
        browser.post(
            path,
            data={"csrf": csrf_of(page.text), "format": "JSON", "justification": JUSTIFICATION},
        )
    )
    deadline = time.monotonic() + 30
    while True:
        shown = browser.get(f"/admin/requests/{request_id}")
        if 'data-status="COMPLETED"' in shown.text:
            assert 'http-equiv="refresh"' not in shown.text, "done: no more refreshing"
            break
        assert 'http-equiv="refresh"' in shown.text, "working: the page refreshes itself"
        assert time.monotonic() < deadline, shown.text
        time.sleep(0.1)
    downloads = select(func.count()).where(t.audit_entries.c.action == "DOWNLOAD_EXPORT")
    before = live.scalar(downloads)
    file = browser.get(f"/admin/requests/{request_id}/download")
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("application/json")
    assert file.headers["content-disposition"].startswith("attachment;")
    assert file.headers["cache-control"] == "no-store"
    assert str(file.json()["export"]["subject_id"]) == str(live.person_pk("elev.ola"))
    assert live.scalar(downloads) == before + 1
    missing = browser.get(f"/admin/requests/{to_global_id('PrivacyRequest', 999_999)}/download")
    assert missing.status_code == 404 and NB["download.NOT_FOUND"] in missing.text
    assert client(live).get(f"/admin/requests/{request_id}/download").status_code == 303
    unknown = browser.get("/admin/requests/nonsense")
    assert unknown.status_code == 404 and NB["request.not_found"] in unknown.text


def _back_of(html: str) -> str:
    found = re.search(r'name="back" value="([^"]*)"', html)
    assert found, "the page has the language switch"
    return found.group(1).replace("&amp;", "&")


def test_the_confirming_administrator_sees_who_asked_when_and_why(live: LiveGateway) -> None:
    asker = dev_sign_in(live, "admin")
    path = action_path(live, "elev.hedda", "erase")
    page = asker.get(path)
    reason = "Eleven har sluttet, og foresatte ber om sletting (sak PV-2026-44)"
    request_id = request_id_of(
        asker.post(path, data={"csrf": csrf_of(page.text), "justification": reason})
    )
    r = t.privacy_requests.c
    created = live.scalar(select(r.created_at).where(r.id == int(from_global_id(request_id)[1])))
    admin = live.rows(
        select(t.people.c.given_name, t.people.c.family_name).where(t.people.c.username == "admin")
    )[0]
    confirmer = dev_sign_in(live, "admin2")
    shown = confirmer.get(f"/admin/requests/{request_id}")
    assert shown.status_code == 200
    section = shown.text.split('id="confirm-heading"', 1)[1]
    asked = section.split('id="asked-by">', 1)[1].split("</p>", 1)[0]
    assert admin.given_name in asked and admin.family_name in asked
    assert local_text("nb", created) in asked, "when it was asked, in the page's language"
    assert f'<blockquote class="justification" id="asked-justification">{reason}<' in section
    assert NB["confirm.justification"] in section
    assert section.index(reason) < section.index(f'action="/admin/requests/{request_id}/confirm"')
    queue = confirmer.get("/admin/queues")
    article = queue.text.split(f'data-id="{request_id}"', 1)[1].split("</article>", 1)[0]
    assert reason in article and admin.given_name in article
    assert local_text("nb", created) in article


def test_the_language_switch_after_a_refused_form_leads_to_the_forms_page(
    live: LiveGateway,
) -> None:
    browser = dev_sign_in(live, "admin")
    erase = action_path(live, "elev.emma", "erase")
    page = browser.get(erase)
    assert _back_of(page.text) == erase
    csrf = csrf_of(page.text)
    mine = request_id_of(browser.post(erase, data={"csrf": csrf, "justification": JUSTIFICATION}))
    refused = {
        # a missing justification: the form again, at the address it was posted to
        erase: (erase, {"csrf": csrf, "justification": ""}, 400),
        # the one who asked cannot confirm: the request's page again, at the confirm address
        f"/admin/requests/{mine}/confirm": (f"/admin/requests/{mine}", {"csrf": csrf}, 403),
        "/admin/queues/recycle-bin/empty": ("/admin/queues", {"csrf": csrf}, 400),
        "/admin/queues/data-requests/unknown/decide": ("/admin/queues", {"csrf": csrf}, 400),
        "/admin/audit/verify": ("/admin/audit", {"csrf": csrf}, 200),
    }
    for posted, (expected, data, status) in refused.items():
        answer = browser.post(posted, data=data)
        assert answer.status_code == status, (posted, answer.text)
        back = _back_of(answer.text)
        assert back == expected, posted
        switched = browser.post(
            "/admin/language", data={"csrf": csrf, "language": "en", "back": back}
        )
        assert switched.status_code == 303 and switched.headers["location"] == expected
        followed = browser.get(expected)
        assert followed.status_code == 200, (posted, followed.status_code)
        assert '<html lang="en">' in followed.text
        browser.post("/admin/language", data={"csrf": csrf, "language": "nb", "back": back})
    query = "/admin/audit?action=PRIVACY_ERASE"
    assert _back_of(browser.get(query).text) == query, "a GET page: its own address and query"

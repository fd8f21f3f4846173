"""The admin console over plain HTTP (httpx), on both backends: sign-in and its cookie, the
refusal of non-administrators and of forged forms, the idle timeout and absolute lifetime (on a
ManualClock), sign-out, the language switch, and the two first pages answered from GraphQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from console_support import (
    NAMESAKE_BIRTH_DATE,
    NAMESAKE_NATIONAL_ID,
    add_namesake,
    client,
    csrf_of,
    dev_sign_in,
)
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import func, select

from config import clock
from config.clock import ManualClock
from config.ids import to_global_id
from gateway.console.catalog import TEXTS
from store import tables as t


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console") as gateway:
        add_namesake(gateway)
        yield gateway


def set_cookie_headers(response: object, name: str) -> list[str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return [h for h in headers if h.startswith(f"{name}=")]


def test_the_session_cookie_is_httponly_strict_and_scoped(live: LiveGateway) -> None:
    browser = client(live)
    start = browser.get("/admin/")
    assert "admin" in start.text and "admin2" in start.text, "the one-click list"
    answer = browser.post(
        "/admin/dev-login", data={"csrf": csrf_of(start.text), "username": "admin"}
    )
    assert answer.status_code == 200
    (header,) = set_cookie_headers(answer, "tavle_console")
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "samesite=strict" in header.lower() and "path=/admin" in header.lower()
    assert "secure" not in attributes, "plain HTTP here: Secure only when served over TLS"
    session_id = browser.cookies["tavle_console"]
    stored = live.rows(select(t.console_sessions.c.id_digest, t.console_sessions.c.csrf_token))
    assert session_id not in {row[0] for row in stored}, "only a digest is stored"
    import hashlib

    assert hashlib.sha256(session_id.encode()).hexdigest() in {row[0] for row in stored}
    page = browser.get("/admin/people")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "form-action 'self'" in page.headers["content-security-policy"]


def test_without_a_session_the_pages_send_to_sign_in(live: LiveGateway) -> None:
    answer = client(live).get("/admin/people")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/"


def test_a_non_administrator_is_refused(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "larer.hansen")
    for path in ("/admin/people", f"/admin/people/{live.person_id('elev.ola')}"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert TEXTS["refused.not_admin"]["nb"] in answer.text
        assert "Nordmann" not in answer.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_sessions_csrf_token_is_refused(
    live: LiveGateway, token: str | None
) -> None:
    browser = dev_sign_in(live, "admin")
    data = {} if token is None else {"csrf": token}
    answer = browser.post("/admin/logout", data=data)
    assert answer.status_code == 403
    assert TEXTS["refused.csrf"]["nb"] in answer.text
    assert browser.get("/admin/people").status_code == 200, "still signed in"
    refused = client(live).post("/admin/dev-login", data={**data, "username": "admin"})
    assert refused.status_code == 403, "the sign-in form too"


def test_another_sessions_token_is_refused(live: LiveGateway) -> None:
    first, second = dev_sign_in(live, "admin"), dev_sign_in(live, "admin2")
    other = csrf_of(second.get("/admin/people").text)
    assert first.post("/admin/logout", data={"csrf": other}).status_code == 403


def test_sign_out_deletes_the_session(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    digest_count = live.scalar(select(func.count()).select_from(t.console_sessions))
    answer = browser.post(
        "/admin/logout", data={"csrf": csrf_of(browser.get("/admin/people").text)}
    )
    assert answer.status_code == 303
    assert live.scalar(select(func.count()).select_from(t.console_sessions)) == digest_count - 1
    assert browser.get("/admin/people").status_code == 303


def test_an_idle_session_ends(live: LiveGateway) -> None:
    idle = timedelta(minutes=live.state.settings.console_idle_minutes)
    with clock.using(ManualClock(datetime.now(UTC))) as time:
        browser = dev_sign_in(live, "admin")
        time.advance(idle - timedelta(seconds=5))
        assert browser.get("/admin/people").status_code == 200, "used in time"
        time.advance(idle - timedelta(seconds=5))
        assert browser.get("/admin/people").status_code == 200, "idle time counts from last use"
        time.advance(idle)
        answer = browser.get("/admin/people")
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/?expired=1"
        shown = client(live).get("/admin/?expired=1")
        assert TEXTS["login.expired"]["nb"] in shown.text


def test_a_session_ends_at_its_absolute_lifetime(live: LiveGateway) -> None:
    settings = live.state.settings
    step = timedelta(minutes=settings.console_idle_minutes - 1)
    with clock.using(ManualClock(datetime.now(UTC))) as time:
        browser = dev_sign_in(live, "admin")
        used = timedelta(0)
        while used + step < timedelta(hours=settings.console_session_hours):
            time.advance(step)
            used += step
            assert browser.get("/admin/people").status_code == 200
        time.advance(step)
        assert browser.get("/admin/people").status_code == 303


def test_the_language_switch(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    page = browser.get("/admin/people")
    assert '<html lang="nb">' in page.text and TEXTS["people.title"]["nb"] in page.text
    answer = browser.post(
        "/admin/language",
        data={"csrf": csrf_of(page.text), "language": "en", "back": "/admin/people"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/people"
    page = browser.get("/admin/people")
    assert '<html lang="en">' in page.text and TEXTS["people.title"]["en"] in page.text
    bad = browser.post("/admin/language", data={"csrf": csrf_of(page.text), "language": "de"})
    assert bad.status_code == 400
    english = client(live).get("/admin/", headers={"Accept-Language": "en-GB"})
    assert TEXTS["login.title"]["en"] in english.text, "before sign-in: Accept-Language"


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.DOTALL)


def test_find_two_people_of_the_same_name(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    page = browser.get("/admin/people", params={"q": "Nordmann"})
    assert page.status_code == 200
    rows = [row for row in _rows(page.text) if "Ola Nordmann" in row]
    assert len(rows) == 2, page.text
    assert any("2012-06-02" in row and "Bjølsen skole" in row for row in rows)
    assert any(NAMESAKE_BIRTH_DATE in row and "Sagene skole" in row for row in rows)
    assert all("Elev" in row for row in rows)


@pytest.mark.parametrize(
    "text", ["elev.namesake", "NAMESAKE@sagene.example.no", NAMESAKE_NATIONAL_ID]
)
def test_find_by_username_email_or_national_id_exactly(live: LiveGateway, text: str) -> None:
    browser = dev_sign_in(live, "admin")
    rows = _rows(browser.get("/admin/people", params={"q": text}).text)
    assert len(rows) == 1 and NAMESAKE_BIRTH_DATE in rows[0]
    assert _rows(browser.get("/admin/people", params={"q": text[:-1]}).text) == []


def test_filters_school_role_and_state(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    school = live.school_id("org-sag")
    rows = _rows(browser.get("/admin/people", params={"q": "Nordmann", "school": school}).text)
    assert any(NAMESAKE_BIRTH_DATE in row for row in rows)
    assert rows and all("Sagene skole" in row for row in rows)
    assert not any("2012-06-02" in row for row in rows), "elev.ola is at Bjølsen"
    leaders = _rows(browser.get("/admin/people", params={"role": "SCHOOL_LEADER"}).text)
    assert leaders and all("Skoleleder" in row for row in leaders)
    restricted = _rows(browser.get("/admin/people", params={"state": "RESTRICTED"}).text)
    assert all("Begrenset" in row for row in restricted)


def test_the_persons_page(live: LiveGateway) -> None:
    browser = dev_sign_in(live, "admin")
    page = browser.get(f"/admin/people/{live.person_id('elev.ola')}")
    assert page.status_code == 200
    html = page.text
    assert "Ola Nordmann" in html and "2012-06-02" in html and "Bjølsen skole" in html
    shown = re.findall(
        r'data-category="(\w+)"><th scope="row">[^<]*</th><td class="count">(\d+)', html
    )
    assert {category for category, _count in shown} >= {
        "PERSONAL_DATA",
        "STUDENT_ANSWERS",
        "ASSESSMENTS",
    }
    preview = live.gql(
        "query($id: ID!) { user(id: $id) { erasurePreview { category count } } }",
        {"id": live.person_id("elev.ola")},
        as_user="admin",
    ).data["user"]["erasurePreview"]
    assert sorted(shown) == sorted((e["category"], str(e["count"])) for e in preview)
    assert TEXTS["person.audit"]["nb"] in html and TEXTS["person.requests"]["nb"] in html
    missing = browser.get(f"/admin/people/{to_global_id('User', 999_999)}")
    assert missing.status_code == 404 and TEXTS["error.not_found"]["nb"] in missing.text


def test_a_restricted_persons_page_and_lifting_from_it(live: LiveGateway) -> None:
    """``user(id)`` does not show a restricted person; the page finds them by id in the
    directory (``users(ids:, state: RESTRICTED)``) and shows them, their state, their requests
    and audit trail and the actions that apply; the lift form works from there."""
    person = live.person_id("elev.mia")
    restricted = live.gql(
        "mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) "
        "{ id } }",
        {"s": person, "j": "Flyttet, sak PV-2026-40"},
        as_user="admin",
    )
    assert restricted.errors == [], restricted.errors
    request = restricted.data["restrictProcessing"]["id"]
    browser = dev_sign_in(live, "admin")
    page = browser.get(f"/admin/people/{person}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Mia" in html and 'data-state="RESTRICTED"' in html
    assert TEXTS["person.restricted"]["nb"].split(" (")[0] in html
    assert f'href="/admin/requests/{request}"' in html, "the restriction is among the requests"
    assert "PRIVACY_RESTRICT" in html, "the audit trail"
    for action in ("lift", "export", "erase"):
        assert f'href="/admin/people/{person}/{action}"' in html, action
    assert f'href="/admin/people/{person}/restrict"' not in html
    assert 'data-category="PERSONAL_DATA"' in html, "the data by category"

    form = browser.get(f"/admin/people/{person}/lift")
    assert form.status_code == 200 and "Mia" in form.text
    assert f'action="/admin/people/{person}/lift"' in form.text
    lifted = browser.post(
        f"/admin/people/{person}/lift",
        data={"csrf": csrf_of(form.text), "justification": "Kom tilbake, sak PV-2026-41"},
    )
    assert lifted.status_code == 303, lifted.text
    state = live.scalar(
        select(t.people.c.processing_state).where(t.people.c.username == "elev.mia")
    )
    assert str(state) == "ACTIVE"
    active = browser.get(f"/admin/people/{person}").text
    assert 'data-state="RESTRICTED"' not in active
    assert f'href="/admin/people/{person}/restrict"' in active

    # the directory answers the administrator only: a teacher's console is refused anyway,
    # and through the API the teacher finds no restricted person by id
    again = live.gql(
        "mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) "
        "{ id } }",
        {"s": person, "j": "Flyttet igjen, sak PV-2026-42"},
        as_user="admin",
    )
    assert again.errors == [], again.errors
    hidden = live.gql(
        "query($ids: [ID!]) { users(ids: $ids, state: RESTRICTED) { totalCount } }",
        {"ids": [person]},
        as_user="larer.hansen",
    )
    assert hidden.errors == [] and hidden.data["users"]["totalCount"] == 0
    assert dev_sign_in(live, "larer.hansen").get(f"/admin/people/{person}").status_code == 403


def test_the_pages_read_through_graphql_as_the_administrator(live: LiveGateway) -> None:
    """The person page's operation is audited like any other: reading it as admin leaves no
    national id read (the page shows the date of birth instead), and the GraphQL field it
    relies on is refused to others."""
    before = live.scalar(
        select(func.count())
        .select_from(t.audit_entries)
        .where(t.audit_entries.c.action == "READ_NATIONAL_ID")
    )
    browser = dev_sign_in(live, "admin")
    assert browser.get(f"/admin/people/{live.person_id('elev.ola')}").status_code == 200
    after = live.scalar(
        select(func.count())
        .select_from(t.audit_entries)
        .where(t.audit_entries.c.action == "READ_NATIONAL_ID")
    )
    assert after == before
    refused = live.gql('{ users(identifier: "elev.ola") { totalCount } }', as_user="larer.hansen")
    assert refused.codes() == {"FORBIDDEN"}


def test_static_files_are_served_and_nothing_else(live: LiveGateway) -> None:
    browser = client(live)
    assert browser.get("/admin/static/console.css").headers["content-type"].startswith("text/css")
    assert browser.get("/admin/static/console.js").status_code == 200
    assert browser.get("/admin/static/../app.py").status_code == 404
    assert browser.get("/admin/static/nothing.js").status_code == 404

"""Helpers for the admin console's tests: a browser-less client that signs in, and a second
person with the same name as a demo student (the demo school has none), added as a test fixture."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from gateway_support import LiveGateway
from sqlalchemy import insert, select

from store import tables as t

#: elev.ola's namesake: same name, born 1 January 2011 (a D-number), at the other school
NAMESAKE_NATIONAL_ID = "41011150012"
NAMESAKE_BIRTH_DATE = "2011-01-01"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def client(live: LiveGateway) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=60, follow_redirects=False)


def dev_sign_in(live: LiveGateway, username: str) -> httpx.Client:
    """A client signed in to the console as ``username`` through the development sign-in."""
    browser = client(live)
    start = browser.get("/admin/")
    assert start.status_code == 200, start.text
    answer = browser.post(
        "/admin/dev-login", data={"csrf": csrf_of(start.text), "username": username}
    )
    assert answer.status_code == 200, answer.text
    assert "tavle_console" in browser.cookies
    return browser


def add_namesake(live: LiveGateway) -> None:
    """A student with elev.ola's name at the other school (Sagene), once per database."""
    ola = live.rows(
        select(t.people.c.given_name, t.people.c.family_name).where(
            t.people.c.username == "elev.ola"
        )
    )[0]
    if live.rows(select(t.people.c.id).where(t.people.c.username == "elev.namesake")):
        return
    sagene = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == "org-sag"))
    now = datetime.now(UTC)
    live.execute(
        insert(t.people).values(
            sourced_id="u-test-namesake",
            username="elev.namesake",
            given_name=ola.given_name,
            family_name=ola.family_name,
            email="namesake@sagene.example.no",
            national_id=NAMESAKE_NATIONAL_ID,
            created_at=now,
            updated_at=now,
        )
    )
    person = live.scalar(select(t.people.c.id).where(t.people.c.username == "elev.namesake"))
    live.execute(
        insert(t.role_assignments).values(person_id=person, role="STUDENT", school_id=sagene)
    )

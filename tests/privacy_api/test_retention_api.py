"""The retention registry through the API (docs/privacy-actions.md, "Retention").

* ``retentionPolicy``: every signed-in person reads the registry the gateway started with
  (``TAVLE_RETENTION_FILE``, here a school's own file); anonymous callers are refused.
* ``privacyNotice.retention`` shows the same periods; the start recorded the file's digest in the
  audit log.
* ``expiredSubjects``: people who left (restricted) before the longest retention passed, longest
  gone first, paged both ways; the administrators' alone (empty for everyone else), and the
  compiled executor answers as the generic one does.

A gateway of its own per backend; the leaving times are set in the past in the database, as a
roster import that restricted them years ago would have left them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import ADMIN, NON_ADMINS, ROLE_VIEWERS, ok, privacy_gateway
from sqlalchemy import select, update

from store import tables as t
from store.privacy.base import DataCategory
from store.privacy.retention import LOADED_ACTION
from store.tables import ProcessingState

#: the school's registry: assessments three years, files one year, the rest six months
REGISTRY = """# Bjølsen's retention registry
category,keep_for,purpose,legal_basis
PERSONAL_DATA,P6M,"Questions after the person left",GDPR art. 6(1)(e)
COMMUNICATION,P6M,"Following up messages",GDPR art. 6(1)(e)
TEACHING_MATERIAL,P6M,"Handing over material",GDPR art. 6(1)(e)
ASSESSMENTS,P3Y,"Complaints about assessments","GDPR art. 6(1)(c), forskrift kap. 3"
CALENDAR,P6M,"Following up activities",GDPR art. 6(1)(e)
STUDENT_ANSWERS,P6M,"Complaints about answers",GDPR art. 6(1)(e)
FILES,P1Y,"Files of answers",GDPR art. 6(1)(e)
DATA_REQUESTS,P6M,"Answering requests about personal data",GDPR art. 5(2)
INTERNAL_LOGIC,P6M,"Consistency",GDPR art. 6(1)(e)
"""
POLICY = "{ retentionPolicy { category keepFor purpose legalBasis } }"
PAGE = """
query($first: Int, $after: String, $last: Int, $before: String) {
  expiredSubjects(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id processingState } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
#: how long ago each person left; those of more than three years are expired
LEFT_DAYS_AGO = {
    "elev.filip": 3650,
    "elev.mia": 1200,
    "elev.noah": 1200,  # the same moment as elev.mia: ordered by id
    "elev.thea": 2000,
    "elev.isak": 1000,  # within the three years of assessments: kept
    "elev.emma": 30,
}
#: restricted long ago and since erased: never listed
ERASED = "elev.henrik"


@dataclass
class Setup:
    live: LiveGateway
    #: global ids of the expired people, longest gone first
    expired: list[str]


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("retention-file")
    registry = folder / "retention.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    with privacy_gateway(
        request.param, tmp_path_factory, "retention", retention_file=registry
    ) as live:
        now = datetime.now(UTC).replace(microsecond=0)
        p = t.people.c
        at = {name: now - timedelta(days=days) for name, days in LEFT_DAYS_AGO.items()}
        live.execute(
            *(
                update(t.people)
                .where(p.username == name)
                .values(processing_state=ProcessingState.RESTRICTED, restricted_at=left)
                for name, left in at.items()
            ),
            update(t.people)
            .where(p.username == ERASED)
            .values(
                processing_state=ProcessingState.ERASED,
                restricted_at=now - timedelta(days=4000),
                erased_at=now - timedelta(days=10),
            ),
        )
        expired = sorted(
            (name for name, days in LEFT_DAYS_AGO.items() if days > 3 * 366),
            key=lambda name: (at[name], live.person_pk(name)),
        )
        yield Setup(live, [live.person_id(name) for name in expired])


def _ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


@pytest.mark.parametrize("role", list(ROLE_VIEWERS))
def test_everyone_signed_in_reads_the_registry_the_gateway_started_with(
    setup: Setup, role: str
) -> None:
    rules = ok(setup.live.gql(POLICY, as_user=ROLE_VIEWERS[role]))
    assert [rule["category"] for rule in rules] == [c.value for c in DataCategory]
    periods = {rule["category"]: rule["keepFor"] for rule in rules}
    assert periods["ASSESSMENTS"] == "P3Y"
    assert periods["FILES"] == "P1Y"
    assert periods["CALENDAR"] == "P6M"
    assessments = next(rule for rule in rules if rule["category"] == "ASSESSMENTS")
    assert assessments["purpose"] == "Complaints about assessments"
    assert assessments["legalBasis"] == "GDPR art. 6(1)(c), forskrift kap. 3"


def test_anonymous_callers_are_refused(setup: Setup) -> None:
    for query in (POLICY, PAGE):
        result = setup.live.gql(query)
        assert result.codes() == {"UNAUTHENTICATED"}, result.errors
        assert result.data is None or all(value is None for value in result.data.values())


def test_the_notice_shows_the_registry_and_the_right_to_object(setup: Setup) -> None:
    notice = ok(setup.live.gql("{ privacyNotice(language: EN) { retention rights } }"))
    assert (
        "Assessments: 3 years (P3Y); purpose: Complaints about assessments" in notice["retention"]
    )
    assert "Files: 1 year (P1Y)" in notice["retention"]
    assert "Personal data: 6 months (P6M)" in notice["retention"]
    assert any("(art. 21)" in right for right in notice["rights"])


def test_the_start_recorded_the_registry_by_its_digest(setup: Setup) -> None:
    a = t.audit_entries.c
    rows = setup.live.rows(
        select(a.detail, a.actor_id, a.justification).where(a.action == LOADED_ACTION)
    )
    digest = "sha256:" + hashlib.sha256(REGISTRY.encode()).hexdigest()
    assert [tuple(row) for row in rows] == [(digest, None, None)]


def test_the_administrators_see_who_left_longer_ago_than_every_retention(setup: Setup) -> None:
    page = ok(setup.live.gql(PAGE, as_user=ADMIN))
    assert _ids(page) == setup.expired
    assert page["totalCount"] == len(setup.expired) == 4
    assert {edge["node"]["processingState"] for edge in page["edges"]} == {"RESTRICTED"}
    assert page["pageInfo"]["hasNextPage"] is False


def test_expired_people_page_forwards_and_backwards(setup: Setup) -> None:
    live, expired = setup.live, setup.expired
    first = ok(live.gql(PAGE, {"first": 2}, as_user=ADMIN))
    assert _ids(first) == expired[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = ok(live.gql(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}, as_user=ADMIN))
    assert _ids(rest) == expired[2:]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["totalCount"] == 4
    last = ok(live.gql(PAGE, {"last": 3}, as_user=ADMIN))
    assert _ids(last) == expired[1:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = ok(live.gql(PAGE, {"last": 2, "before": last["edges"][0]["cursor"]}, as_user=ADMIN))
    assert _ids(before) == expired[:1]
    assert before["pageInfo"]["hasPreviousPage"] is False
    between = {
        "first": 5,
        "after": first["edges"][0]["cursor"],
        "before": rest["edges"][1]["cursor"],
    }
    assert _ids(ok(live.gql(PAGE, between, as_user=ADMIN))) == expired[1:3]


def test_a_cursor_of_another_connection_is_refused(setup: Setup) -> None:
    live = setup.live
    bin_page = live.gql("{ recycleBin(first: 1) { pageInfo { endCursor } } }", as_user=ADMIN)
    cursor = ok(bin_page)["pageInfo"]["endCursor"]
    result = live.gql(PAGE, {"first": 1, "after": cursor}, as_user=ADMIN)
    assert result.codes() == {"BAD_USER_INPUT"}, result.errors


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_the_list_is_empty_for_everyone_else(setup: Setup, role: str) -> None:
    live = setup.live
    page = ok(live.gql(PAGE, as_user=NON_ADMINS[role]))
    assert page["totalCount"] == 0
    assert page["edges"] == []
    # a cursor (here: one the administrators got) tells them nothing either
    cursor = ok(live.gql(PAGE, {"first": 1}, as_user=ADMIN))["pageInfo"]["endCursor"]
    crafted = live.gql(PAGE, {"first": 1, "after": cursor}, as_user=NON_ADMINS[role])
    assert crafted.errors == []
    assert crafted.data["expiredSubjects"]["edges"] == []


def test_paging_goes_on_past_a_person_erased_meanwhile_not_one_brought_back(
    setup: Setup,
) -> None:
    live, expired = setup.live, setup.expired
    first = ok(live.gql(PAGE, {"first": 1}, as_user=ADMIN))
    cursor = first["pageInfo"]["endCursor"]
    gone = t.people.c.id == live.person_pk("elev.filip")
    assert first["edges"][0]["node"]["id"] == live.person_id("elev.filip")
    try:
        live.execute(update(t.people).where(gone).values(processing_state=ProcessingState.ERASED))
        rest = ok(live.gql(PAGE, {"first": 5, "after": cursor}, as_user=ADMIN))
        assert _ids(rest) == expired[1:]
        assert rest["totalCount"] == 3
        live.execute(
            update(t.people)
            .where(gone)
            .values(processing_state=ProcessingState.ACTIVE, restricted_at=None)
        )
        lifted = live.gql(PAGE, {"first": 5, "after": cursor}, as_user=ADMIN)
        assert lifted.codes() == {"BAD_USER_INPUT"}, lifted.errors
    finally:
        left = datetime.now(UTC) - timedelta(days=LEFT_DAYS_AGO["elev.filip"])
        live.execute(
            update(t.people)
            .where(gone)
            .values(processing_state=ProcessingState.RESTRICTED, restricted_at=left)
        )


def test_the_compiled_executor_answers_as_the_generic_one(setup: Setup) -> None:
    live = setup.live
    compiled = live.state.compiled
    assert compiled is not None
    introspection = "__schema { queryType { name } }"
    for query, variables in ((PAGE, {"first": 2}), (POLICY, {})):
        before = compiled.stats
        runs, fallbacks = before.compiled_runs, before.fallback_runs
        planned = live.gql(query, variables, as_user=ADMIN)
        assert compiled.stats.compiled_runs == runs + 1, compiled.stats.fallbacks
        # introspection in the operation sends all of it to the generic executor
        generic = live.gql(query.replace("{", "{ " + introspection, 1), variables, as_user=ADMIN)
        assert compiled.stats.fallback_runs == fallbacks + 1
        assert generic.errors == planned.errors == []
        del generic.data["__schema"]
        assert generic.data == planned.data

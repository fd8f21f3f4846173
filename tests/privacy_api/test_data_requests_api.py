"""Data requests through the HTTP API (docs/data-requests.md), on both backends.

Submitting (self, guardian for a child, an administrator on someone's behalf), deciding,
extending (once, two months from the original due date), cancelling, the deadline arithmetic at
month ends (``config.clock.ManualClock``: the test gateway runs in this process and reads that
clock), the administrators' list (overdue first, ``overdue`` filter), the daily reminder (once a
day), fulfilling with linked privacy actions (completion, also by the job worker), releasing an
export to the person who asked and downloading it, the audit entries, the notifications, and
what erasure and export do with requests. Authorisation role by role from the policy. A gateway
of its own per backend: the tests change data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    ROLE_VIEWERS,
    download,
    ok,
    pk_of,
    privacy_gateway,
    refused,
    wait_until_finished,
)
from sqlalchemy import delete, select

from config import clock
from config.clock import ManualClock
from config.ids import to_global_id
from resolvers.services.data_requests import add_months, remind
from store import audit
from store import tables as t
from store.db import make_engine

FIELDS = """
  id kind status channel message receivedAt dueAt extendedTo extensionReason identityVerified
  decidedAt decisionReason completedAt exportDownloadUrl
  subject { id } requestedBy { id }
"""
SUBMIT = f"""
mutation($k: DataRequestKind!, $s: ID, $m: String, $c: RequestChannel, $by: ID) {{
  submitDataRequest(kind: $k, subjectId: $s, message: $m, channel: $c, requestedById: $by) {{
    {FIELDS}
  }}
}}"""
DECIDE = f"""
mutation($r: ID!, $a: Boolean!, $why: String!, $v: Boolean) {{
  decideDataRequest(requestId: $r, accept: $a, reason: $why, identityVerified: $v) {{
    {FIELDS} decidedBy {{ id }}
  }}
}}"""
EXTEND = f"""
mutation($r: ID!, $why: String!) {{ extendDataRequest(requestId: $r, reason: $why) {{ {FIELDS} }} }}
"""
CANCEL = f"mutation($r: ID!) {{ cancelDataRequest(requestId: $r) {{ {FIELDS} }} }}"
RELEASE = "mutation($p: ID!) { releaseExport(privacyRequestId: $p) { id status } }"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on DataRequest {{ {FIELDS} }} }} }}"
ACTIONS = """
query($id: ID!) { node(id: $id) { ... on DataRequest { status actions { id action status } } } }
"""
MINE = """
{ viewer { dataRequests { totalCount edges { node { id kind status } } } } }
"""
OTHERS = "query($id: ID!) { user(id: $id) { dataRequests { totalCount } } }"
LIST = """
query($s: DataRequestStatus, $k: DataRequestKind, $o: Boolean, $first: Int, $after: String) {
  dataRequests(status: $s, kind: $k, overdue: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status dueAt extendedTo } }
  }
}"""
EXPORT_FOR = """
mutation($s: ID!, $j: String!, $d: ID) {
  requestExport(subjectId: $s, justification: $j, format: JSON, dataRequestId: $d) { id status }
}"""
RESTRICT_FOR = """
mutation($s: ID!, $j: String!, $d: ID) {
  restrictProcessing(subjectId: $s, justification: $j, dataRequestId: $d) { id status }
}"""
ERASE_FOR = """
mutation($s: ID!, $j: String!, $d: ID) {
  requestErasure(subjectId: $s, justification: $j, dataRequestId: $d) { id status }
}"""
RECTIFY_FOR = """
mutation($s: ID!, $j: String!, $d: ID) {
  rectifyPersonalData(subjectId: $s, input: {email: "ny@example.no", overrideSource: true},
                      justification: $j, dataRequestId: $d) { id }
}"""
CONFIRM = "mutation($r: ID!) { confirmErasure(requestId: $r) { id status } }"
NOTIFICATIONS = "{ viewer { notifications { kind message } } }"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "data-requests") as gateway:
        yield gateway


def submit(live: LiveGateway, who: str, kind: str = "ACCESS", **variables: Any) -> GraphQLResult:
    return live.gql(SUBMIT, {"k": kind, **variables}, as_user=who)


def submitted(
    live: LiveGateway, who: str, kind: str = "ACCESS", **variables: Any
) -> dict[str, Any]:
    return ok(submit(live, who, kind, **variables))  # type: ignore[no-any-return]


def accept(live: LiveGateway, request_id: str, who: str = ADMIN) -> dict[str, Any]:
    result = live.gql(
        DECIDE, {"r": request_id, "a": True, "why": "Identity checked", "v": True}, as_user=who
    )
    return ok(result)  # type: ignore[no-any-return]


def notification_kinds(live: LiveGateway, who: str) -> list[str]:
    found = ok(live.gql(NOTIFICATIONS, as_user=who))
    return [n["kind"] for n in found["notifications"]]


def audit_entries(live: LiveGateway, request_id: str) -> list[Any]:
    a = t.audit_entries.c
    return live.rows(
        select(a.action, a.actor_id, a.justification, a.justification_digest)
        .where(a.target_type == "DataRequest", a.target_id == pk_of(request_id))
        .order_by(a.id)
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- deadlines ------------------------------------------------------------------------------------


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(datetime(2027, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2028, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2028, 2, 29, 9, tzinfo=UTC
    )
    assert add_months(datetime(2027, 12, 15, tzinfo=UTC), 1) == datetime(2028, 1, 15, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 2) == datetime(2028, 1, 30, tzinfo=UTC)
    assert add_months(datetime(2027, 3, 31, tzinfo=UTC), 1) == datetime(2027, 4, 30, tzinfo=UTC)


def test_due_dates_at_month_ends_and_the_one_extension(live: LiveGateway) -> None:
    with clock.using(ManualClock(datetime(2027, 1, 31, 10, 0, tzinfo=UTC))):
        jan = submitted(live, "elev.jakob", "RECTIFICATION", m="My surname is misspelt")
    assert at(jan["receivedAt"]) == datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
    assert at(jan["dueAt"]) == datetime(2027, 2, 28, 10, 0, tzinfo=UTC)
    assert jan["status"] == "RECEIVED" and jan["channel"] == "SELF_SERVICE"
    assert jan["requestedBy"]["id"] == jan["subject"]["id"] == live.person_id("elev.jakob")
    with clock.using(ManualClock(datetime(2028, 1, 31, 23, 30, tzinfo=UTC))):
        leap = submitted(live, "elev.jakob", "OTHER")
    assert at(leap["dueAt"]) == datetime(2028, 2, 29, 23, 30, tzinfo=UTC)

    # Extended once, by two months from the original due date (28 February -> 28 April).
    extended = ok(
        live.gql(EXTEND, {"r": jan["id"], "why": "Many requests this month"}, as_user=ADMIN)
    )
    assert at(extended["extendedTo"]) == datetime(2027, 4, 28, 10, 0, tzinfo=UTC)
    assert at(extended["dueAt"]) == datetime(2027, 2, 28, 10, 0, tzinfo=UTC)
    assert extended["extensionReason"] == "Many requests this month"
    refused(live.gql(EXTEND, {"r": jan["id"], "why": "Again"}, as_user=ADMIN), "CONFLICT")
    refused(live.gql(EXTEND, {"r": leap["id"], "why": "  "}, as_user=ADMIN), "BAD_USER_INPUT")
    # A closed request cannot be extended.
    ok(
        live.gql(
            DECIDE, {"r": leap["id"], "a": False, "why": "Not a request about data"}, as_user=ADMIN
        )
    )
    refused(live.gql(EXTEND, {"r": leap["id"], "why": "Late"}, as_user=ADMIN), "CONFLICT")
    for role, user in ROLE_VIEWERS.items():
        if role != "SYSTEM_ADMINISTRATOR":
            refused(live.gql(EXTEND, {"r": jan["id"], "why": "x"}, as_user=user), "FORBIDDEN")
    (entry,) = [e for e in audit_entries(live, jan["id"]) if e.action == "DATA_REQUEST_EXTEND"]
    assert entry.actor_id == live.person_pk(ADMIN)
    assert entry.justification_digest == audit.text_digest("Many requests this month")
    assert "DATA_REQUEST_EXTENDED" in notification_kinds(live, "elev.jakob")


# --- who may submit -------------------------------------------------------------------------------


def test_everyone_signed_in_may_ask_about_themselves(live: LiveGateway) -> None:
    for user in ROLE_VIEWERS.values():
        made = submitted(live, user, "ACCESS")
        assert made["subject"]["id"] == live.person_id(user)
        assert made["requestedBy"]["id"] == live.person_id(user)
        assert "DATA_REQUEST_RECEIVED" in notification_kinds(live, user)
    anonymous = live.gql(SUBMIT, {"k": "ACCESS"})
    assert anonymous.data is None or anonymous.data.get("submitDataRequest") is None
    assert anonymous.codes() & {"UNAUTHENTICATED", "FORBIDDEN"}


def test_a_guardian_asks_for_a_child_and_nobody_for_others(live: LiveGateway) -> None:
    ola = live.person_id("elev.ola")
    made = submitted(live, "foresatt.kari", "ERASURE", s=ola, m="Please delete Ola's posts")
    assert made["subject"]["id"] == ola
    assert made["requestedBy"]["id"] == live.person_id("foresatt.kari")
    # Not for somebody else's child, a pupil, a colleague: FORBIDDEN, existing or not.
    for user, subject in [
        ("foresatt.kari", live.person_id("elev.jakob")),
        ("elev.ola", live.person_id("elev.jakob")),
        ("larer.hansen", ola),
        ("rektor.bjolsen", ola),
        ("superuser.bjolsen", ola),
    ]:
        refused(submit(live, user, s=subject), "FORBIDDEN")
    # Only a system administrator registers other channels.
    refused(submit(live, "elev.ola", c="LETTER"), "FORBIDDEN")
    refused(submit(live, "elev.ola", m="x" * 5001), "BAD_USER_INPUT")
    refused(submit(live, "elev.ola", s="not-an-id"), "BAD_USER_INPUT")


def test_an_administrator_registers_a_letter_for_someone(live: LiveGateway) -> None:
    nora = live.person_id("elev.nora")
    refused(submit(live, ADMIN, s=nora), "BAD_USER_INPUT")  # SELF_SERVICE for someone else
    letter = submitted(live, ADMIN, "OBJECTION", s=nora, c="LETTER")
    assert letter["channel"] == "LETTER"
    assert letter["requestedBy"]["id"] == nora  # the person who asked, not the administrator
    by_guardian = submitted(
        live, ADMIN, "ACCESS", s=nora, c="EMAIL", by=live.person_id("foresatt.kari")
    )
    assert by_guardian["requestedBy"]["id"] == live.person_id("foresatt.kari")
    refused(
        submit(live, ADMIN, s=nora, c="PHONE", by=live.person_id("larer.hansen")), "BAD_USER_INPUT"
    )
    missing = to_global_id("User", 999_999)
    refused(submit(live, ADMIN, s=missing, c="LETTER"), "NOT_FOUND")


# --- deciding, reading ----------------------------------------------------------------------------


def test_decisions_once_by_administrators_with_a_reason(live: LiveGateway) -> None:
    made = submitted(live, "elev.amina", "ACCESS", m="What do you store about me?")
    rid = made["id"]
    for role, user in ROLE_VIEWERS.items():
        if role != "SYSTEM_ADMINISTRATOR":
            refused(live.gql(DECIDE, {"r": rid, "a": True, "why": "ok"}, as_user=user), "FORBIDDEN")
    refused(live.gql(DECIDE, {"r": rid, "a": True, "why": " "}, as_user=ADMIN), "BAD_USER_INPUT")
    refused(
        live.gql(
            DECIDE,
            {"r": to_global_id("DataRequest", 999_999), "a": True, "why": "ok"},
            as_user=ADMIN,
        ),
        "NOT_FOUND",
    )
    decided = accept(live, rid)
    assert decided["status"] == "ACCEPTED" and decided["identityVerified"] is True
    assert decided["decidedBy"]["id"] == live.person_id(ADMIN)
    assert decided["decisionReason"] == "Identity checked"
    # Only from RECEIVED: a second decision is a conflict, and changes nothing.
    refused(live.gql(DECIDE, {"r": rid, "a": False, "why": "No"}, as_user=ADMIN2), "CONFLICT")
    assert ok(live.gql(NODE, {"id": rid}, as_user=ADMIN))["status"] == "ACCEPTED"
    actions = [e.action for e in audit_entries(live, rid)]
    assert actions == ["DATA_REQUEST_SUBMIT", "DATA_REQUEST_ACCEPT"]
    (entry,) = [e for e in audit_entries(live, rid) if e.action == "DATA_REQUEST_ACCEPT"]
    assert entry.justification_digest == audit.text_digest("Identity checked")
    verified_by = live.scalar(
        select(t.data_requests.c.identity_verified_by_id).where(t.data_requests.c.id == pk_of(rid))
    )
    assert verified_by == live.person_pk(ADMIN)
    assert "DATA_REQUEST_ACCEPTED" in notification_kinds(live, "elev.amina")


def test_who_sees_a_request(live: LiveGateway) -> None:
    nora = live.person_id("elev.nora")
    made = submitted(live, "foresatt.kari", "RECTIFICATION", s=nora, m="Nora's email is wrong")
    rid = made["id"]
    # The requester, the subject and system administrators see it; nobody else.
    for user in ("foresatt.kari", "elev.nora", ADMIN):
        assert ok(live.gql(NODE, {"id": rid}, as_user=user))["message"] == "Nora's email is wrong"
    for user in ("larer.moen", "rektor.sagene", "superuser.sagene", "elev.ola", "larer.hansen"):
        refused(live.gql(NODE, {"id": rid}, as_user=user), "NOT_FOUND")
    # User.dataRequests: one's own (about oneself or made by oneself), nobody else's.
    kari = ok(live.gql(MINE, as_user="foresatt.kari"))["dataRequests"]
    assert rid in {e["node"]["id"] for e in kari["edges"]}
    own = ok(live.gql(MINE, as_user="elev.nora"))["dataRequests"]
    assert rid in {e["node"]["id"] for e in own["edges"]}
    for user in ("foresatt.kari", "larer.moen", ADMIN):
        result = live.gql(OTHERS, {"id": nora}, as_user=user)
        assert result.data["user"] is None or result.data["user"]["dataRequests"] is None
    # decidedBy and actions are the administrators' fields.
    decided = accept(live, rid)
    assert decided["status"] == "ACCEPTED"
    as_requester = live.gql(
        "query($id: ID!) { node(id: $id) { ... on DataRequest { status decidedBy { id } } } }",
        {"id": rid},
        as_user="foresatt.kari",
    )
    assert as_requester.data["node"]["status"] == "ACCEPTED"
    assert as_requester.code_at("node", "decidedBy") == "FORBIDDEN"
    # The administrators' list is theirs: others get an empty list.
    assert ok(live.gql(LIST, as_user="foresatt.kari"))["totalCount"] == 0
    assert ok(live.gql(LIST, as_user=ADMIN))["totalCount"] >= 1


def test_cancelling(live: LiveGateway) -> None:
    first = submitted(live, "elev.filip", "OTHER")
    refused(live.gql(CANCEL, {"r": first["id"]}, as_user="elev.mia"), "NOT_FOUND")
    assert ok(live.gql(CANCEL, {"r": first["id"]}, as_user="elev.filip"))["status"] == "CANCELLED"
    refused(live.gql(CANCEL, {"r": first["id"]}, as_user="elev.filip"), "CONFLICT")
    second = submitted(live, "elev.filip", "OTHER")
    accept(live, second["id"])
    refused(live.gql(CANCEL, {"r": second["id"]}, as_user="elev.filip"), "CONFLICT")
    assert ok(live.gql(CANCEL, {"r": second["id"]}, as_user=ADMIN))["status"] == "CANCELLED"


# --- the administrators' list, the reminder -------------------------------------------------------


def test_overdue_first_the_filter_and_the_daily_reminder(live: LiveGateway) -> None:
    start = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
    with clock.using(ManualClock(start)) as manual:
        old = submitted(live, "elev.mia", "ACCESS")  # due 1 April
        manual.advance(timedelta(days=20))
        soon = submitted(live, "elev.noah", "ACCESS")  # due 21 April
        manual.advance(timedelta(days=20))  # 10 April 2030: old is overdue, soon due in 11 days
        later = submitted(live, "elev.noah", "OTHER")  # due 10 May
        overdue = ok(live.gql(LIST, {"o": True}, as_user=ADMIN))
        overdue_ids = [e["node"]["id"] for e in overdue["edges"]]
        assert old["id"] in overdue_ids
        assert soon["id"] not in overdue_ids and later["id"] not in overdue_ids
        listed = ok(live.gql(LIST, {"first": 500}, as_user=ADMIN))
        order = [e["node"]["id"] for e in listed["edges"]]
        assert order.index(old["id"]) < order.index(soon["id"]) < order.index(later["id"])
        # Paging by cursor keeps that order.
        first_page = ok(live.gql(LIST, {"first": 1}, as_user=ADMIN))
        rest = ok(
            live.gql(
                LIST, {"first": 500, "after": first_page["pageInfo"]["endCursor"]}, as_user=ADMIN
            )
        )
        assert [e["node"]["id"] for e in first_page["edges"] + rest["edges"]] == order
        not_overdue = ok(live.gql(LIST, {"o": False, "first": 500}, as_user=ADMIN))
        assert old["id"] not in {e["node"]["id"] for e in not_overdue["edges"]}
        accepted = ok(live.gql(LIST, {"s": "ACCEPTED", "k": "ACCESS", "first": 500}, as_user=ADMIN))
        assert all(e["node"]["status"] == "ACCEPTED" for e in accepted["edges"])

        # The gateway's worker runs the upkeep of each date it sees; wait until it has done
        # today's, so that the counts below are not raised by it afterwards.
        reminded = t.data_request_reminders.c.reminded_on
        deadline = time.monotonic() + 30
        while not live.rows(select(reminded).where(reminded == manual.now().date())):
            assert time.monotonic() < deadline, "the worker did not run today's upkeep"
            time.sleep(0.05)
        before = {
            user: notification_kinds(live, user).count("DATA_REQUESTS_REMINDER")
            for user in (ADMIN, ADMIN2)
        }

        async def another_worker() -> bool:
            # a worker of another process: an engine of its own
            engine = make_engine(live.database_url)
            try:
                return await remind(engine)
            finally:
                await engine.dispose()

        # The gateway's own job worker runs its daily upkeep when the clock's date changes: the
        # reminder goes out once that day, and another worker's run the same day sends nothing.
        for day in (1, 2):
            manual.advance(timedelta(days=1))
            deadline = time.monotonic() + 30
            while notification_kinds(live, ADMIN).count("DATA_REQUESTS_REMINDER") < (
                before[ADMIN] + day
            ):
                assert time.monotonic() < deadline, "the daily reminder did not come"
                time.sleep(0.05)
            assert asyncio.run(another_worker()) is False
    for user in (ADMIN, ADMIN2):
        assert notification_kinds(live, user).count("DATA_REQUESTS_REMINDER") == before[user] + 2
    assert "DATA_REQUESTS_REMINDER" not in notification_kinds(live, "elev.mia")


# --- fulfilling -----------------------------------------------------------------------------------


def test_export_release_and_download_by_the_requester_only(live: LiveGateway) -> None:
    ola = live.person_id("elev.ola")
    made = submitted(live, "foresatt.kari", "ACCESS", s=ola)
    rid = made["id"]
    # Not before the request is accepted.
    refused(
        live.gql(EXPORT_FOR, {"s": ola, "j": JUSTIFICATION, "d": rid}, as_user=ADMIN), "CONFLICT"
    )
    accept(live, rid)
    # Not for another person.
    refused(
        live.gql(
            EXPORT_FOR,
            {"s": live.person_id("elev.jakob"), "j": JUSTIFICATION, "d": rid},
            as_user=ADMIN,
        ),
        "BAD_USER_INPUT",
    )
    queued = ok(live.gql(EXPORT_FOR, {"s": ola, "j": JUSTIFICATION, "d": rid}, as_user=ADMIN))
    finished = wait_until_finished(live, queued["id"])
    assert finished["status"] == "COMPLETED"
    # The job worker completed the data request with its only action.
    state = ok(live.gql(ACTIONS, {"id": rid}, as_user=ADMIN))
    assert state["status"] == "COMPLETED"
    assert [a["id"] for a in state["actions"]] == [queued["id"]]
    assert "DATA_REQUEST_COMPLETED" in notification_kinds(live, "foresatt.kari")
    url = finished["downloadUrl"]
    # Before the release: only administrators download.
    assert download(live, url, "foresatt.kari").status_code == 403
    assert ok(live.gql(NODE, {"id": rid}, as_user="foresatt.kari"))["exportDownloadUrl"] is None
    for role, user in ROLE_VIEWERS.items():
        if role != "SYSTEM_ADMINISTRATOR":
            refused(live.gql(RELEASE, {"p": queued["id"]}, as_user=user), "FORBIDDEN")
    ok(live.gql(RELEASE, {"p": queued["id"]}, as_user=ADMIN))
    refused(live.gql(RELEASE, {"p": queued["id"]}, as_user=ADMIN), "CONFLICT")
    assert "DATA_EXPORT_RELEASED" in notification_kinds(live, "foresatt.kari")
    seen = ok(live.gql(NODE, {"id": rid}, as_user="foresatt.kari"))
    assert seen["exportDownloadUrl"] == url
    got = download(live, url, "foresatt.kari")
    assert got.status_code == 200, got.text
    assert b"data_requests" in got.content
    # The subject (not the one who asked), other people and anonymous callers: no.
    for user in ("elev.ola", "larer.hansen", "elev.nora"):
        assert download(live, url, user).status_code == 403
    assert download(live, url, None).status_code == 401
    assert download(live, url, ADMIN).status_code == 200
    # A guardian who asked for a child's data has it only while they are the guardian.
    g = t.guardianships.c
    kari, ola_pk = live.person_pk("foresatt.kari"), live.person_pk("elev.ola")
    (link,) = live.rows(
        select(t.guardianships).where(g.guardian_id == kari, g.student_id == ola_pk)
    )
    live.execute(delete(t.guardianships).where(g.guardian_id == kari, g.student_id == ola_pk))
    try:
        assert download(live, url, "foresatt.kari").status_code == 403
    finally:
        live.execute(t.guardianships.insert().values(**link._mapping))
    assert download(live, url, "foresatt.kari").status_code == 200
    # An unknown export answers a non-administrator as a hidden one does.
    assert (
        download(
            live, f"/privacy/exports/{to_global_id('PrivacyRequest', 999_999)}", "foresatt.kari"
        ).status_code
        == 403
    )
    a = t.audit_entries.c
    released = live.rows(
        select(a.actor_id).where(
            a.action == "PRIVACY_RELEASE_EXPORT", a.target_id == pk_of(queued["id"])
        )
    )
    assert [r.actor_id for r in released] == [live.person_pk(ADMIN)]
    # Expired: gone for everyone.
    with clock.using(ManualClock(datetime.now(UTC) + timedelta(days=30))):
        assert download(live, url, "foresatt.kari").status_code == 410


def test_an_unlinked_export_cannot_be_released(live: LiveGateway) -> None:
    queued = ok(
        live.gql(EXPORT_FOR, {"s": live.person_id("elev.sara"), "j": JUSTIFICATION}, as_user=ADMIN)
    )
    wait_until_finished(live, queued["id"])
    refused(live.gql(RELEASE, {"p": queued["id"]}, as_user=ADMIN), "CONFLICT")


def test_a_restriction_and_a_rectification_complete_their_requests(live: LiveGateway) -> None:
    henrik = live.person_id("elev.henrik")
    restriction = submitted(live, "elev.henrik", "RESTRICTION")
    accept(live, restriction["id"])
    ok(
        live.gql(
            RESTRICT_FOR, {"s": henrik, "j": JUSTIFICATION, "d": restriction["id"]}, as_user=ADMIN
        )
    )
    done = ok(live.gql(NODE, {"id": restriction["id"]}, as_user=ADMIN))
    assert done["status"] == "COMPLETED" and done["completedAt"] is not None
    astrid = live.person_id("elev.astrid")
    rectification = submitted(live, "elev.astrid", "RECTIFICATION")
    accept(live, rectification["id"])
    ok(
        live.gql(
            RECTIFY_FOR, {"s": astrid, "j": JUSTIFICATION, "d": rectification["id"]}, as_user=ADMIN
        )
    )
    assert (
        ok(live.gql(NODE, {"id": rectification["id"]}, as_user="elev.astrid"))["status"]
        == "COMPLETED"
    )
    assert "DATA_REQUEST_COMPLETED" in notification_kinds(live, "elev.astrid")
    # A completed request takes no further actions.
    refused(
        live.gql(
            RECTIFY_FOR, {"s": astrid, "j": JUSTIFICATION, "d": rectification["id"]}, as_user=ADMIN
        ),
        "CONFLICT",
    )


def test_erasure_keeps_the_record_without_the_text(live: LiveGateway) -> None:
    magnus = live.person_id("elev.magnus")
    made = submitted(live, "elev.magnus", "ERASURE", m="Delete everything about me, Magnus")
    accept(live, made["id"])
    asked = ok(
        live.gql(ERASE_FOR, {"s": magnus, "j": JUSTIFICATION, "d": made["id"]}, as_user=ADMIN)
    )
    ok(live.gql(CONFIRM, {"r": asked["id"]}, as_user=ADMIN2))
    d = t.data_requests.c
    (row,) = live.rows(
        select(d.status, d.message, d.decision_reason, d.kind, d.subject_id, d.received_at).where(
            d.id == pk_of(made["id"])
        )
    )
    assert row.status == "COMPLETED"
    assert row.message is None and row.decision_reason is None
    assert row.kind == "ERASURE" and row.subject_id == live.person_pk("elev.magnus")
    assert row.received_at is not None

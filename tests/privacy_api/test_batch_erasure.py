"""Batch erasure through the API (docs/privacy-actions.md, "Batch erasure").

A gateway of its own per backend, on a fresh demo database, without a job worker of its own:
each test runs the worker by hand (``run_jobs``) when it wants the job done, so it can also run
it with an injected failure or crash. The tests share the database and use different demo
people (Bjølsen's students), so their order does not matter.

* only system administrators may request and confirm, role by role;
* bad input (empty list, list and allExpired together, neither, unknown and foreign-type ids)
  is refused with nothing changed;
* the request answers with the same number of SQL statements for 2 people as for 20 (the people
  are frozen set-based); it is PREVIEWING until the worker has computed the combined preview,
  which is the sum of the single-person previews; confirming while PREVIEWING is a CONFLICT,
  cancelling works, and a crash while previewing leaves it PREVIEWING for the next worker;
* the requesting administrator cannot confirm; another one can, and the worker erases each
  person in a transaction of their own, with per-person results, audit entries and ledger
  entries;
* a crash between people resumes with the people not yet done; a failing person does not stop
  the others, and confirming again retries them;
* people erased meanwhile, no longer expired, or acting administrators are SKIPPED;
* while a pending batch names a person, a single erasure of them is a CONFLICT naming the batch
  (nothing written), and the other way round; once the batch is cancelled it is allowed;
* "empty the recycle bin" (allExpired) with a ManualClock moved past the retention, and the
  daily notice to the administrators, once a day.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from batch_erasure_support import (
    CONFIRM_BATCH,
    REQUEST,
    REQUEST_BATCH,
    REQUEST_SCHOOL,
    CrashWhilePreviewing,
    FailOn,
    JobSetup,
    SimulatedCrash,
    batch_request,
    confirm_batch,
    gateway_without_worker,
    items_by_name,
    items_by_subject,
    previewed,
    request_batch,
    run_jobs,
)
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    CANCEL,
    JUSTIFICATION,
    LIFT,
    NON_ADMINS,
    REQUEST_ERASURE,
    RESTRICT,
    confirm_erasure,
    count_rows,
    effects_of,
    ok,
    pk_of,
    processing_state,
    refused,
    request_erasure,
)
from sqlalchemy import select, update

from config import clock
from config.clock import ManualClock
from config.ids import to_global_id
from gateway.jobs import JobWorker
from gateway.keyfile import pseudonym_key
from resolvers.services.batch_erasure import batch_handler
from resolvers.services.notices import TEXTS
from store import tables as t
from store.db import make_engine
from store.erasure_ledger import read_entries
from store.privacy.providers import PROVIDERS
from store.tables import PrivacyAction

_a, _i, _r = t.audit_entries.c, t.privacy_request_items.c, t.privacy_requests.c


Setup = JobSetup


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with gateway_without_worker(request.param, tmp_path_factory, "batch") as prepared:
        yield prepared


def _handlers(live: LiveGateway, *providers: Any) -> dict[PrivacyAction, Any]:
    """The batch job with extra providers (an injected failure or crash)."""
    handler = batch_handler(
        [*PROVIDERS, *providers],
        identity_key=pseudonym_key(live.state.settings),
        ledger=live.state.settings.erasure_ledger_path,
    )
    return {PrivacyAction.ERASE_BATCH: handler}


def _state(live: LiveGateway) -> tuple[int, int, int]:
    """What a refused request must leave alone: requests, items, audit entries."""
    return (
        count_rows(live, t.privacy_requests),
        count_rows(live, t.privacy_request_items),
        count_rows(live, t.audit_entries),
    )


def _person_audits(live: LiveGateway, request_id: str) -> Counter[int]:
    rows = live.rows(
        select(_a.subject_id).where(
            _a.action == "PRIVACY_ERASE_BATCH_PERSON",
            _a.target_type == "PrivacyRequest",
            _a.target_id == pk_of(request_id),
        )
    )
    return Counter(int(row.subject_id) for row in rows)


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_only_system_administrators_request_and_confirm(setup: Setup, role: str) -> None:
    live, who = setup.live, NON_ADMINS[role]
    pending = request_batch(live, ["elev.vilde"])
    before = _state(live)
    variables = {"ids": [live.person_id("elev.sander")], "all": None, "j": JUSTIFICATION}
    refused(live.gql(REQUEST_BATCH, variables, as_user=who), "FORBIDDEN")
    all_expired = {"ids": None, "all": True, "j": JUSTIFICATION}
    refused(live.gql(REQUEST_BATCH, all_expired, as_user=who), "FORBIDDEN")
    school = {"s": live.school_id("org-sag"), "j": JUSTIFICATION}
    refused(live.gql(REQUEST_SCHOOL, school, as_user=who), "FORBIDDEN")
    refused(live.gql(CONFIRM_BATCH, {"r": pending["id"]}, as_user=who), "FORBIDDEN")
    assert _state(live) == before
    assert batch_request(live, pending["id"])["status"] == "PREVIEWING"
    ok(live.gql(CANCEL, {"r": pending["id"]}, as_user=ADMIN))


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_is_refused_with_nothing_changed(setup: Setup) -> None:
    live = setup.live
    before = _state(live)
    ola = live.person_id("elev.ola")

    def ask(ids: list[str] | None, all_expired: bool | None) -> Any:
        return live.gql(
            REQUEST_BATCH, {"ids": ids, "all": all_expired, "j": JUSTIFICATION}, as_user=ADMIN
        )

    refused(ask([], None), "BAD_USER_INPUT")
    refused(ask([], False), "BAD_USER_INPUT")
    refused(ask([ola], True), "BAD_USER_INPUT")
    refused(ask(None, None), "BAD_USER_INPUT")
    refused(ask(None, False), "BAD_USER_INPUT")
    refused(ask([ola, to_global_id("User", 987654)], None), "NOT_FOUND")
    # an id of another type names no person (config.ids.expect_id)
    refused(ask([ola, live.course_id("c-bjs-mat8")], None), "NOT_FOUND")
    refused(ask(["not an id"], None), "BAD_USER_INPUT")
    blank = {"ids": [ola], "all": None, "j": "   "}
    assert live.gql(REQUEST_BATCH, blank, as_user=ADMIN).codes() == {"JUSTIFICATION_REQUIRED"}
    # nobody erases themselves
    refused(ask([ola, live.person_id(ADMIN)], None), "CONFLICT")
    school = {"s": to_global_id("School", 987654), "j": JUSTIFICATION}
    refused(live.gql(REQUEST_SCHOOL, school, as_user=ADMIN), "NOT_FOUND")
    school = {"s": live.course_id("c-bjs-mat8"), "j": JUSTIFICATION}
    refused(live.gql(REQUEST_SCHOOL, school, as_user=ADMIN), "NOT_FOUND")
    refused(
        live.gql(CONFIRM_BATCH, {"r": to_global_id("PrivacyRequest", 987654)}, as_user=ADMIN2),
        "NOT_FOUND",
    )
    assert _state(live) == before


# --- the preview -----------------------------------------------------------------------------


def test_the_combined_preview_is_the_sum_of_the_single_previews(setup: Setup) -> None:
    live = setup.live
    people = ["elev.ola", "elev.amina", "larer.dahl"]
    expected: Counter[tuple[str, str]] = Counter()
    for name in people:
        single = request_erasure(live, name)
        for category, outcome, count in effects_of(single):
            expected[(category, outcome)] += count
        ok(live.gql(CANCEL, {"r": single["id"]}, as_user=ADMIN))
    asked = request_batch(live, people)
    assert asked["action"] == "ERASE_BATCH"
    # the request answers at once: the preview is the job worker's
    assert asked["status"] == "PREVIEWING"
    assert asked["effects"] == []
    assert asked["itemCounts"]["total"] == 3
    # not confirmable before there is a preview to confirm
    refused(live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN2), "CONFLICT")
    assert batch_request(live, asked["id"])["status"] == "PREVIEWING"
    assert run_jobs(live, folder=setup.folder) == 1
    # the second administrator sees the finished preview
    batch = ok(live.gql(REQUEST, {"id": asked["id"]}, as_user=ADMIN2))
    assert batch["status"] == "AWAITING_CONFIRMATION"
    assert batch["confirmedBy"] is None
    combined = {(e["category"], e["outcome"]): e["count"] for e in batch["effects"]}
    assert combined == dict(expected)
    assert any(count > 0 for count in combined.values())
    assert batch["itemCounts"] == {"total": 3, "pending": 3, "erased": 0, "skipped": 0, "failed": 0}
    assert set(items_by_subject(batch)) == {live.person_id(name) for name in people}
    assert {edge["node"]["basis"] for edge in batch["items"]["edges"]} == {"LISTED"}
    # a pending batch speaks for its people: another batch naming one of them is refused
    again = {"ids": [live.person_id("elev.ola")], "all": None, "j": JUSTIFICATION}
    refused(live.gql(REQUEST_BATCH, again, as_user=ADMIN2), "CONFLICT")
    cancelled = ok(live.gql(CANCEL, {"r": batch["id"]}, as_user=ADMIN))
    assert cancelled["status"] == "CANCELLED"
    assert processing_state(live, "elev.ola") == "ACTIVE"


#: Sagene's students and two of its teachers: people no other test of this module uses
SAGENE_PEOPLE = [
    *(
        f"elev.{name}"
        for name in [
            "sofie",
            "lukas",
            "maja",
            "oskar",
            "selma",
            "tobias",
            "ella",
            "emil",
            "leah",
            "nora",
            "aksel",
            "olivia",
            "mathias",
            "ingeborg",
            "amalie",
            "tiril",
            "live",
            "aurora",
        ]
    ),
    "larer.nilsen",
    "larer.moen",
]


def _statements_of_request(live: LiveGateway, people: list[str]) -> int:
    """How many SQL statements the server runs for requesting the batch (then cancelled)."""
    variables = {"ids": [live.person_id(n) for n in people], "all": None, "j": JUSTIFICATION}
    with live.count_sql() as statements:
        asked = ok(live.gql(REQUEST_BATCH, variables, as_user=ADMIN))
    counted = len(statements)
    assert asked["status"] == "PREVIEWING"
    assert asked["itemCounts"]["total"] == len(people)
    assert ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))["status"] == "CANCELLED"
    return counted


def test_the_request_runs_as_many_statements_for_20_people_as_for_2(setup: Setup) -> None:
    live = setup.live
    assert len(SAGENE_PEOPLE) == 20
    _statements_of_request(live, SAGENE_PEOPLE[:2])  # once first: the caches of the viewer
    two = _statements_of_request(live, SAGENE_PEOPLE[:2])
    twenty = _statements_of_request(live, SAGENE_PEOPLE)
    assert twenty == two
    # nothing was left for the worker: the cancelled requests' previews are never computed
    assert run_jobs(live, folder=setup.folder) == 0


def test_cancelling_while_previewing(setup: Setup) -> None:
    live = setup.live
    people = ["elev.sander", "elev.vilde"]
    asked = request_batch(live, people)
    assert asked["status"] == "PREVIEWING"
    cancelled = ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))
    assert cancelled["status"] == "CANCELLED"
    assert run_jobs(live, folder=setup.folder) == 0
    after = batch_request(live, asked["id"])
    assert (after["status"], after["effects"]) == ("CANCELLED", [])
    refused(live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN2), "CONFLICT")
    # the people are free again: a new batch may name them
    again = request_batch(live, people)
    ok(live.gql(CANCEL, {"r": again["id"]}, as_user=ADMIN))
    assert [processing_state(live, n) for n in people] == ["ACTIVE", "ACTIVE"]


def test_a_single_erasure_is_refused_while_a_batch_names_the_person(setup: Setup) -> None:
    live = setup.live
    name = "elev.tiril"  # one of SAGENE_PEOPLE: free again at the end
    single = {"s": live.person_id(name), "j": JUSTIFICATION}
    asked = request_batch(live, [name])
    for status in ("PREVIEWING", "AWAITING_CONFIRMATION"):
        if status == "AWAITING_CONFIRMATION":
            previewed(live, asked["id"], folder=setup.folder)
        before = _state(live)
        result = live.gql(REQUEST_ERASURE, single, as_user=ADMIN2)
        refused(result, "CONFLICT")
        # the answer names the batch that already speaks for the person
        assert asked["id"] in result.errors[0]["message"], (status, result.errors)
        assert _state(live) == before
    ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))
    # the person is free again: a single erasure may be requested
    alone = request_erasure(live, name, who=ADMIN2)
    assert alone["status"] == "AWAITING_CONFIRMATION"
    # and the other way round: a batch naming someone with a single erasure pending is refused
    before = _state(live)
    again = {"ids": [live.person_id(name)], "all": None, "j": JUSTIFICATION}
    refused(live.gql(REQUEST_BATCH, again, as_user=ADMIN), "CONFLICT")
    assert _state(live) == before
    ok(live.gql(CANCEL, {"r": alone["id"]}, as_user=ADMIN))
    assert processing_state(live, name) == "ACTIVE"


def test_a_crash_while_previewing_leaves_it_to_the_next_worker(setup: Setup) -> None:
    live = setup.live
    people = ["elev.sander", "elev.vilde"]
    expected: Counter[tuple[str, str]] = Counter()
    for name in people:
        single = request_erasure(live, name)
        for category, outcome, count in effects_of(single):
            expected[(category, outcome)] += count
        ok(live.gql(CANCEL, {"r": single["id"]}, as_user=ADMIN))
    asked = request_batch(live, people)
    crash = CrashWhilePreviewing(live.person_pk("elev.vilde"))
    with pytest.raises(SimulatedCrash):
        run_jobs(live, setup.folder, _handlers(live, crash))
    halfway = batch_request(live, asked["id"])
    assert (halfway["status"], halfway["effects"]) == ("PREVIEWING", [])
    refused(live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN2), "CONFLICT")
    # the dead worker's lease runs out; the next worker counts again, from the start
    live.execute(
        update(t.privacy_requests)
        .where(_r.id == pk_of(asked["id"]))
        .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    done = previewed(live, asked["id"], folder=setup.folder)
    assert {(e["category"], e["outcome"]): e["count"] for e in done["effects"]} == dict(expected)
    ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))


# --- four eyes, the job, per-person results --------------------------------------------------


def test_another_administrator_confirms_and_each_person_is_erased(setup: Setup) -> None:
    live = setup.live
    people = ["elev.jakob", "elev.sara"]
    batch = previewed(live, request_batch(live, people)["id"], folder=setup.folder)
    refused(
        live.gql(CONFIRM_BATCH, {"r": batch["id"]}, as_user=ADMIN), "SECOND_ADMINISTRATOR_REQUIRED"
    )
    assert batch_request(live, batch["id"])["status"] == "AWAITING_CONFIRMATION"
    queued = confirm_batch(live, batch["id"])
    assert queued["status"] == "QUEUED"
    assert queued["confirmedBy"]["id"] == live.person_id(ADMIN2)
    # confirmed once: not again
    refused(live.gql(CONFIRM_BATCH, {"r": batch["id"]}, as_user=ADMIN2), "CONFLICT")
    assert run_jobs(live, folder=setup.folder) == 1

    done = batch_request(live, batch["id"])
    assert done["status"] == "COMPLETED", done
    assert done["error"] is None
    assert done["itemCounts"] == {"total": 2, "pending": 0, "erased": 2, "skipped": 0, "failed": 0}
    items = items_by_name(live, batch, done, people)
    summed: Counter[tuple[str, str]] = Counter()
    for name in people:
        item = items[name]
        assert item["status"] == "ERASED"
        assert item["reason"] is None and item["doneAt"] is not None
        assert item["subject"]["isPseudonym"] is True
        assert processing_state(live, name) == "ERASED"
        for e in item["effects"]:
            summed[(e["category"], e["outcome"])] += e["count"]
    assert {(e["category"], e["outcome"]): e["count"] for e in done["effects"]} == dict(summed)

    # audit: the request (with its justification), the confirmation, one entry per person
    pk = pk_of(batch["id"])
    requested = live.rows(
        select(_a.actor_id, _a.justification).where(
            _a.action == "PRIVACY_ERASE_BATCH", _a.target_id == pk
        )
    )
    assert [(r.actor_id, r.justification) for r in requested] == [
        (live.person_pk(ADMIN), JUSTIFICATION)
    ]
    confirmed = live.rows(
        select(_a.actor_id).where(_a.action == "PRIVACY_CONFIRM_ERASE_BATCH", _a.target_id == pk)
    )
    assert [r.actor_id for r in confirmed] == [live.person_pk(ADMIN2)]
    assert _person_audits(live, batch["id"]) == Counter(
        {live.person_pk(name): 1 for name in people}
    )
    # the erasure ledger: one entry per person, under the batch's request id
    entries = [
        e for e in read_entries(live.state.settings.erasure_ledger_path) if e.request_id == pk
    ]
    assert len(entries) == 2
    assert all(entry.digests for entry in entries)


def test_a_crash_between_people_resumes_with_the_rest(setup: Setup) -> None:
    live = setup.live
    people = ["elev.filip", "elev.mia", "elev.noah", "elev.thea"]
    asked = request_batch(live, people)
    batch = confirm_batch(live, previewed(live, asked["id"], folder=setup.folder)["id"])
    crash_at = live.person_pk("elev.noah")
    with pytest.raises(SimulatedCrash):
        run_jobs(live, setup.folder, _handlers(live, FailOn(crash_at, crash=True)))

    halfway = batch_request(live, batch["id"])
    assert halfway["status"] == "RUNNING"
    items = items_by_name(live, batch, halfway, people)
    assert [items[n]["status"] for n in people] == [
        "ERASED",
        "ERASED",
        "PENDING",
        "PENDING",
    ]
    # the crashed person's transaction rolled back: nothing of them is gone
    assert processing_state(live, "elev.noah") == "ACTIVE"
    first_done = {n: items[n]["doneAt"] for n in people[:2]}

    # the dead worker's lease runs out; a new worker claims the job and does the rest
    live.execute(
        update(t.privacy_requests)
        .where(_r.id == pk_of(batch["id"]))
        .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    assert run_jobs(live, folder=setup.folder) == 1
    done = batch_request(live, batch["id"])
    assert done["status"] == "COMPLETED", done
    items = items_by_name(live, batch, done, people)
    assert all(items[n]["status"] == "ERASED" for n in people)
    assert {n: items[n]["doneAt"] for n in people[:2]} == first_done
    # each person was erased exactly once
    assert _person_audits(live, batch["id"]) == Counter({live.person_pk(n): 1 for n in people})


def test_a_failing_person_does_not_stop_the_others_and_is_retried(setup: Setup) -> None:
    live = setup.live
    people = ["elev.isak", "elev.emma", "elev.henrik"]
    asked = request_batch(live, people)
    batch = confirm_batch(live, previewed(live, asked["id"], folder=setup.folder)["id"])
    failing = live.person_pk("elev.emma")
    assert run_jobs(live, setup.folder, _handlers(live, FailOn(failing))) == 1

    failed = batch_request(live, batch["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"].startswith("1 of 3 people could not be erased")
    items = items_by_name(live, batch, failed, people)
    assert items["elev.isak"]["status"] == "ERASED"
    assert items["elev.henrik"]["status"] == "ERASED"
    emma = items["elev.emma"]
    assert emma["subject"]["id"] == live.person_id("elev.emma")  # not erased: shown in full
    assert (emma["status"], emma["reason"]) == ("FAILED", "ERASURE_FAILED")
    assert processing_state(live, "elev.emma") == "ACTIVE"
    assert failed["itemCounts"]["failed"] == 1

    # confirming again (a second administrator, as always) retries just her
    refused(
        live.gql(CONFIRM_BATCH, {"r": batch["id"]}, as_user=ADMIN), "SECOND_ADMINISTRATOR_REQUIRED"
    )
    assert confirm_batch(live, batch["id"])["status"] == "QUEUED"
    assert run_jobs(live, folder=setup.folder) == 1
    done = batch_request(live, batch["id"])
    assert done["status"] == "COMPLETED" and done["error"] is None
    assert done["itemCounts"]["erased"] == 3
    assert processing_state(live, "elev.emma") == "ERASED"
    assert _person_audits(live, batch["id"]) == Counter({live.person_pk(n): 1 for n in people})


def test_people_erased_meanwhile_and_acting_administrators_are_skipped(setup: Setup) -> None:
    live = setup.live
    asked = request_batch(live, ["elev.astrid", "elev.magnus", ADMIN2])
    batch = previewed(live, asked["id"], folder=setup.folder)
    queued = confirm_batch(live, batch["id"])  # admin2 confirms a batch that names admin2
    assert queued["itemCounts"]["skipped"] == 1
    magnus = live.person_pk("elev.magnus")
    assert run_jobs(live, setup.folder, _handlers(live, FailOn(magnus))) == 1
    assert batch_request(live, batch["id"])["status"] == "FAILED"
    # a FAILED batch no longer speaks for its people (a pending one would refuse this): he is
    # erased on his own before the batch is confirmed again
    single = request_erasure(live, "elev.magnus")
    # while his own erasure is pending, the batch may not put him back
    before = _state(live)
    result = live.gql(CONFIRM_BATCH, {"r": batch["id"]}, as_user=ADMIN2)
    refused(result, "CONFLICT")
    assert live.person_id("elev.magnus") in result.errors[0]["message"], result.errors
    assert _state(live) == before
    assert batch_request(live, batch["id"])["status"] == "FAILED"
    confirm_erasure(live, single["id"])
    assert confirm_batch(live, batch["id"])["status"] == "QUEUED"
    run_jobs(live, folder=setup.folder)
    done = batch_request(live, batch["id"])
    assert done["status"] == "COMPLETED"
    names = ["elev.astrid", "elev.magnus", ADMIN2]
    items = items_by_name(live, batch, done, names)
    reasons = {name: (items[name]["status"], items[name]["reason"]) for name in names}
    assert reasons == {
        "elev.astrid": ("ERASED", None),
        "elev.magnus": ("SKIPPED", "ALREADY_ERASED"),
        ADMIN2: ("SKIPPED", "ACTING_ADMINISTRATOR"),
    }
    assert processing_state(live, ADMIN2) == "ACTIVE"
    assert _person_audits(live, batch["id"]) == Counter({live.person_pk("elev.astrid"): 1})


# --- empty the recycle bin -------------------------------------------------------------------

EXPIRED = "query { expiredSubjects(first: 50) { totalCount edges { node { id } } } }"
NOTIFICATIONS = "query { viewer { notifications { kind message } } }"


def _notices(live: LiveGateway, who: str) -> list[str]:
    found = ok(live.gql(NOTIFICATIONS, as_user=who))["notifications"]
    return [n["message"] for n in found if n["kind"] == "RETENTION_EXPIRED"]


def _daily(live: LiveGateway) -> None:
    """The daily upkeep of two workers, as two gateway processes would run it."""

    async def main() -> None:
        engine = make_engine(live.database_url)
        try:
            for _ in range(2):
                await JobWorker(
                    engine, {}, export_dir=Path("."), retention_file=None
                ).notify_expired_retention()
        finally:
            await engine.dispose()

    asyncio.run(main())


def test_all_expired_empties_the_recycle_bin_once_retention_has_passed(setup: Setup) -> None:
    live = setup.live
    left = ["elev.frida", "elev.elias", "elev.hedda"]
    with clock.using(ManualClock(datetime.now(UTC))) as manual:
        for name in left:
            ok(live.gql(RESTRICT, {"s": live.person_id(name), "j": JUSTIFICATION}, as_user=ADMIN))
        assert ok(live.gql(EXPIRED, as_user=ADMIN))["totalCount"] == 0
        refused(
            live.gql(REQUEST_BATCH, {"ids": None, "all": True, "j": JUSTIFICATION}, as_user=ADMIN),
            "CONFLICT",
        )
        _daily(live)
        assert _notices(live, ADMIN) == []

        manual.advance(timedelta(days=5 * 366 + 2))  # the longest retention (P5Y) has passed
        listed = ok(live.gql(EXPIRED, as_user=ADMIN))
        assert {edge["node"]["id"] for edge in listed["edges"]} == {
            live.person_id(name) for name in left
        }
        # the daily notice: once a day, however many workers run it, in each admin's language
        _daily(live)
        _daily(live)
        for admin in (ADMIN, ADMIN2):
            assert _notices(live, admin) == [TEXTS["RETENTION_EXPIRED"]["nb"].format(count=3)]

        batch = request_batch(live, all_expired=True)
        assert batch["itemCounts"]["total"] == 3
        assert {edge["node"]["basis"] for edge in batch["items"]["edges"]} == {"EXPIRED"}
        # the batch is frozen: lifting one restriction does not change who is in it...
        ok(live.gql(LIFT, {"s": live.person_id("elev.hedda"), "j": JUSTIFICATION}, as_user=ADMIN))
        assert batch_request(live, batch["id"])["itemCounts"]["total"] == 3
        # ... but that person is no longer eligible when the job runs
        previewed(live, batch["id"], folder=setup.folder)
        confirm_batch(live, batch["id"])
        run_jobs(live, folder=setup.folder)
        done = batch_request(live, batch["id"])
        assert done["status"] == "COMPLETED"
        items = items_by_name(live, batch, done, left)
        assert {n: items[n]["status"] for n in left} == {
            "elev.frida": "ERASED",
            "elev.elias": "ERASED",
            "elev.hedda": "SKIPPED",
        }
        assert items["elev.hedda"]["reason"] == "NO_LONGER_EXPIRED"
        assert processing_state(live, "elev.hedda") == "ACTIVE"
        assert ok(live.gql(EXPIRED, as_user=ADMIN))["totalCount"] == 0

        # the next day: nobody is expired any more, so no notice
        manual.advance(timedelta(days=1))
        _daily(live)
        assert len(_notices(live, ADMIN)) == 1

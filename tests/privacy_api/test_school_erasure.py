"""School erasure at the end of a contract through the API (docs/privacy-actions.md, "School
erasure").

A gateway of its own per backend, on a fresh demo database, without a job worker of its own
(the tests run it by hand). Sagene is erased: the people whose only school it is (its staff,
students and their guardians) and its courses with their content. ``foresatt.kari`` is a
guardian at both schools: she stays, with everything of hers at Bjølsen; the administrators
stay; Bjølsen is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from batch_erasure_support import (
    CONFIRM_BATCH,
    REQUEST,
    REQUEST_SCHOOL,
    JobSetup,
    batch_request,
    confirm_batch,
    gateway_without_worker,
    items_by_subject,
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
    NON_ADMINS,
    REQUEST_ERASURE,
    count_rows,
    ok,
    pk_of,
    processing_state,
    refused,
    request_erasure,
)
from sqlalchemy import func, select

from config.ids import to_global_id
from resolvers.services.batch_erasure import names_for_refusal
from store import tables as t

SAGENE, BJOLSEN = "org-sag", "org-bjs"
#: people whose only school is Sagene
ONLY_SAGENE = [
    "superuser.sagene",
    "rektor.sagene",
    "larer.nilsen",
    "larer.moen",
    "larer.strand",
    "elev.sofie",
    "elev.nora",
    "foresatt.tone",
]
#: people who must stay: at both schools, at Bjølsen only, administrators, no school at all
STAY = ["foresatt.kari", "elev.ola", "larer.hansen", "rektor.bjolsen", ADMIN, ADMIN2]


Setup = JobSetup


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with gateway_without_worker(request.param, tmp_path_factory, "school") as prepared:
        yield prepared


def _school_pk(live: LiveGateway, sourced_id: str) -> int:
    return int(live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == sourced_id)))


def _courses(live: LiveGateway, school: str) -> int:
    return count_rows(live, t.courses, t.courses.c.school_id == _school_pk(live, school))


def _bjolsen_content(live: LiveGateway) -> dict[str, int]:
    """What Bjølsen's courses hold."""
    courses = select(t.courses.c.id).where(t.courses.c.school_id == _school_pk(live, BJOLSEN))
    assignments = select(t.assignments.c.id).where(t.assignments.c.course_id.in_(courses))
    return {
        "courses": count_rows(live, t.courses, t.courses.c.id.in_(courses)),
        "posts": count_rows(live, t.posts, t.posts.c.course_id.in_(courses)),
        "assignments": count_rows(live, t.assignments, t.assignments.c.id.in_(assignments)),
        "submissions": count_rows(
            live, t.submissions, t.submissions.c.assignment_id.in_(assignments)
        ),
        "enrolments": count_rows(live, t.enrolments, t.enrolments.c.course_id.in_(courses)),
        "assessments": count_rows(live, t.assessments, t.assessments.c.course_id.in_(courses)),
    }


def test_school_erasure_is_for_system_administrators_only(setup: Setup) -> None:
    live = setup.live
    before = count_rows(live, t.privacy_requests)
    for who in NON_ADMINS.values():
        variables = {"s": live.school_id(SAGENE), "j": JUSTIFICATION}
        refused(live.gql(REQUEST_SCHOOL, variables, as_user=who), "FORBIDDEN")
    assert count_rows(live, t.privacy_requests) == before


def _request_counted(live: LiveGateway, school: str) -> tuple[int, int]:
    """(SQL statements, people) of requesting the school's erasure; the request is cancelled."""
    variables = {"s": live.school_id(school), "j": JUSTIFICATION}
    with live.count_sql() as statements:
        asked = ok(live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN))
    counted = len(statements)
    assert asked["status"] == "PREVIEWING" and asked["effects"] == []
    assert ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))["status"] == "CANCELLED"
    return counted, int(asked["itemCounts"]["total"])


def test_the_request_runs_as_many_statements_whatever_the_number_of_people(
    setup: Setup,
) -> None:
    live = setup.live
    _request_counted(live, SAGENE)  # once first: the gateway's caches of the viewer are warm
    with_sagene, sagene_people = _request_counted(live, SAGENE)
    with_bjolsen, bjolsen_people = _request_counted(live, BJOLSEN)
    assert sagene_people != bjolsen_people and min(sagene_people, bjolsen_people) > 0
    assert with_sagene == with_bjolsen
    assert run_jobs(live, folder=setup.folder) == 0  # cancelled: nothing left to preview


def _written(live: LiveGateway) -> tuple[int, int, int]:
    """What a refused request must leave alone: requests, their people, audit entries."""
    return (
        count_rows(live, t.privacy_requests),
        count_rows(live, t.privacy_request_items),
        count_rows(live, t.audit_entries),
    )


def test_refused_while_another_erasure_names_one_of_its_people(setup: Setup) -> None:
    """One erasure at a time speaks for a person: a pending single or batch erasure of someone
    only at the school refuses the school's erasure, naming them, until it is cancelled."""
    live = setup.live
    variables = {"s": live.school_id(SAGENE), "j": JUSTIFICATION}
    single = request_erasure(live, "elev.sofie")
    batch = request_batch(live, ["larer.moen"])
    for pending, named in ((single, ["elev.sofie", "larer.moen"]), (batch, ["larer.moen"])):
        before = _written(live)
        result = live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN2)
        refused(result, "CONFLICT")
        message = result.errors[0]["message"]
        for name in named:
            assert live.person_id(name) in message, (name, message)
        assert _written(live) == before
        ok(live.gql(CANCEL, {"r": pending["id"]}, as_user=ADMIN))
    asked = ok(live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN2))
    assert asked["status"] == "PREVIEWING"
    ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))
    # and a pending school erasure refuses a single erasure of one of its people
    asked = ok(live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN2))
    before = _written(live)
    single_again = {"s": live.person_id("elev.sofie"), "j": JUSTIFICATION}
    refused(live.gql(REQUEST_ERASURE, single_again, as_user=ADMIN), "CONFLICT")
    assert _written(live) == before
    ok(live.gql(CANCEL, {"r": asked["id"]}, as_user=ADMIN))
    assert run_jobs(live, folder=setup.folder) == 0  # cancelled: nothing left to preview


def test_a_refusal_names_ten_people_and_counts_the_rest() -> None:
    assert names_for_refusal([3, 1, 2]) == ", ".join(to_global_id("User", pk) for pk in (1, 2, 3))
    many = names_for_refusal(list(range(25, 0, -1)))
    assert many == ", ".join(to_global_id("User", pk) for pk in range(1, 11)) + " and 15 more"


def test_erasing_a_school_leaves_the_other_school_intact(setup: Setup) -> None:
    live = setup.live
    bjolsen = _bjolsen_content(live)
    assert bjolsen["submissions"] > 0 and bjolsen["posts"] > 0
    variables = {"s": live.school_id(SAGENE), "j": JUSTIFICATION}
    a = t.audit_entries.c
    audited_before = int(live.scalar(select(func.coalesce(func.max(a.id), 0))))
    requested: dict[str, Any] = ok(live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN))
    assert requested["action"] == "ERASE_SCHOOL"
    # the people are frozen at once; the preview is the job worker's
    assert (requested["status"], requested["effects"]) == ("PREVIEWING", [])
    refused(live.gql(CONFIRM_BATCH, {"r": requested["id"]}, as_user=ADMIN2), "CONFLICT")
    assert run_jobs(live, folder=setup.folder) == 1
    # the second administrator sees the finished preview
    asked: dict[str, Any] = ok(live.gql(REQUEST, {"id": requested["id"]}, as_user=ADMIN2))
    assert asked["status"] == "AWAITING_CONFIRMATION"
    assert asked["itemCounts"] == requested["itemCounts"]
    assert asked["school"]["id"] == live.school_id(SAGENE)
    people = set(items_by_subject(asked))
    assert {live.person_id(name) for name in ONLY_SAGENE} <= people
    assert not {live.person_id(name) for name in STAY} & people
    assert {edge["node"]["basis"] for edge in asked["items"]["edges"]} == {"SCHOOL"}
    # the preview: the people's erasure, and the courses' content (lines with an item)
    assert any(e["item"] is None and e["count"] > 0 for e in asked["effects"])
    assert any(e["item"] == "ENROLMENT" and e["count"] > 0 for e in asked["effects"])
    # only one pending erasure per school
    refused(live.gql(REQUEST_SCHOOL, variables, as_user=ADMIN2), "CONFLICT")

    refused(
        live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN),
        "SECOND_ADMINISTRATOR_REQUIRED",
    )
    assert confirm_batch(live, asked["id"])["status"] == "QUEUED"
    assert run_jobs(live, folder=setup.folder) == 1

    done = batch_request(live, asked["id"])
    assert done["status"] == "COMPLETED", done
    counts = done["itemCounts"]
    assert counts["erased"] == counts["total"] == len(people)
    for name in ONLY_SAGENE:
        assert processing_state(live, name) == "ERASED", name
    for name in STAY:
        assert processing_state(live, name) == "ACTIVE", name
    # Sagene's courses are gone, the school is archived; Bjølsen is as it was
    assert _courses(live, SAGENE) == 0
    sc = t.schools.c
    assert live.scalar(select(sc.state).where(sc.id == _school_pk(live, SAGENE))) == "ARCHIVED"
    assert _bjolsen_content(live) == bjolsen
    # Kari keeps her guardianship of Ola at Bjølsen and her role there, not the one at Sagene
    ra = t.role_assignments.c
    kari_schools = {
        row.school_id
        for row in live.rows(
            select(ra.school_id).where(ra.person_id == live.person_pk("foresatt.kari"))
        )
    }
    assert kari_schools == {_school_pk(live, BJOLSEN)}
    g = t.guardianships.c
    assert (
        count_rows(
            live,
            t.guardianships,
            g.guardian_id == live.person_pk("foresatt.kari"),
            g.student_id == live.person_pk("elev.ola"),
        )
        == 1
    )
    # the result: the people's effects and the courses' deletion
    assert any(e["item"] == "ENROLMENT" and e["outcome"] == "DELETED" for e in done["effects"])
    # audit: the request names the school, with the justification (earlier tests' requests
    # of it, cancelled, have theirs)
    audited = live.rows(
        select(a.actor_id, a.justification, a.target_type, a.target_id).where(
            a.action == "PRIVACY_ERASE_SCHOOL", a.id > audited_before
        )
    )
    assert [(r.actor_id, r.justification, r.target_type, r.target_id) for r in audited] == [
        (live.person_pk(ADMIN), JUSTIFICATION, "School", _school_pk(live, SAGENE))
    ]
    persons = count_rows(
        live,
        t.audit_entries,
        a.action == "PRIVACY_ERASE_SCHOOL_PERSON",
        a.target_id == pk_of(asked["id"]),
    )
    assert persons == len(people)

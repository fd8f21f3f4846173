"""What a membership in an archived course still grants, and what it no longer does.

An archived course keeps its final memberships, so last year's teacher still reads the course's
assessments and last year's students their own. Relations to *people* come from active courses
only: after Ola's classes are archived (and she is in no active class), last year's teacher no
longer reads her e-mail or guardians (``teaches``), last year's classmates and teachers see her
name only (``former_course_member``), and her guardian sees last year's teachers by name only.
Her school leader and her guardian keep what their roles give them.

A gateway of its own per backend; the archive is written to the database directly, as the
roster import does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import select, update

from store import tables as t
from store.tables import CourseRole, CourseState

#: every class elev.ola is enrolled in
OLA_CLASSES = ("c-bjs-8a", "c-bjs-mat8", "c-bjs-nor8")
PROFILE = "query($id: ID!) { user(id: $id) { displayName email guardians { id } } }"
GRADES = """
query($c: ID!, $s: ID!) { course(id: $c) { assessments(studentId: $s) { totalCount } } }"""


@pytest.fixture(scope="module", params=BACKENDS)
def archived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    with own_gateway(request.param, tmp_path_factory, "archived-members") as live:
        before = {viewer: _profile(live, viewer) for viewer in VIEWERS}
        teachers_before = _dahl_seen_by_kari(live)
        live.execute(
            update(t.courses)
            .where(t.courses.c.sourced_id.in_(OLA_CLASSES))
            .values(state=CourseState.ARCHIVED, archived_at=datetime.now(UTC))
        )
        after = {viewer: _profile(live, viewer) for viewer in VIEWERS}
        yield {
            "live": live,
            "before": before,
            "after": after,
            "dahl_before": teachers_before,
            "dahl_after": _dahl_seen_by_kari(live),
        }


VIEWERS = ("larer.hansen", "elev.jakob", "rektor.bjolsen", "foresatt.kari", "larer.berg")


def _profile(live: LiveGateway, viewer: str) -> dict[str, Any]:
    """What ``viewer`` reads of Ola: the value or the error code of each field."""
    result = live.gql(PROFILE, {"id": live.person_id("elev.ola")}, as_user=viewer)
    user = (result.data or {}).get("user")
    if user is None:
        return {"user": result.code_at("user")}
    return {
        "displayName": user["displayName"],
        "email": user["email"] if user["email"] is not None else result.code_at("user", "email"),
        "guardians": "FORBIDDEN" if result.code_at("user", "guardians") else "read",
    }


def _dahl_seen_by_kari(live: LiveGateway) -> dict[str, Any]:
    result = live.gql(PROFILE, {"id": live.person_id("larer.dahl")}, as_user="foresatt.kari")
    user = (result.data or {}).get("user")
    return {"user": result.code_at("user")} if user is None else {"name": user["displayName"]}


def test_last_years_teacher_keeps_the_name_not_the_profile(archived: dict[str, Any]) -> None:
    before, after = archived["before"]["larer.hansen"], archived["after"]["larer.hansen"]
    assert before["email"] is not None and "@" in before["email"] and before["guardians"] == "read"
    assert after == {"displayName": "Ola Nordmann", "email": "FORBIDDEN", "guardians": "FORBIDDEN"}


def test_last_years_teacher_still_reads_the_courses_grades(archived: dict[str, Any]) -> None:
    live: LiveGateway = archived["live"]
    variables = {"c": live.course_id("c-bjs-mat8"), "s": live.person_id("elev.ola")}
    result = live.gql(GRADES, variables, as_user="larer.hansen")
    assert result.errors == [] and result.data["course"]["assessments"]["totalCount"] > 0


def test_a_former_classmate_sees_the_name_only(archived: dict[str, Any]) -> None:
    assert archived["before"]["elev.jakob"]["displayName"] == "Ola Nordmann"
    assert archived["after"]["elev.jakob"] == {
        "displayName": "Ola Nordmann",
        "email": "FORBIDDEN",
        "guardians": "FORBIDDEN",
    }


def test_roles_keep_what_they_give(archived: dict[str, Any]) -> None:
    for viewer in ("rektor.bjolsen", "foresatt.kari"):
        assert archived["after"][viewer] == archived["before"][viewer], viewer
    # A teacher at the school who never taught her gains nothing and loses nothing.
    assert archived["after"]["larer.berg"] == archived["before"]["larer.berg"]


def test_a_guardian_sees_last_years_teacher_by_name(archived: dict[str, Any]) -> None:
    assert archived["dahl_before"] == {"name": "Jonas Dahl"}
    assert archived["dahl_after"] == {"name": "Jonas Dahl"}


def test_no_current_membership_is_left(archived: dict[str, Any]) -> None:
    """The premise: Ola's every enrolment is in an archived course, and none has ended."""
    live: LiveGateway = archived["live"]
    e, c = t.enrolments.c, t.courses.c
    rows = live.rows(
        select(c.state, e.ended_at)
        .join(t.courses, c.id == e.course_id)
        .where(e.person_id == live.person_pk("elev.ola"), e.role == CourseRole.STUDENT)
    )
    assert rows and {(state, ended) for state, ended in rows} == {(CourseState.ARCHIVED, None)}

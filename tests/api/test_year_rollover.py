"""A whole school year's rollover on the demo school, checked through HTTP on both backends.

The gateway runs on the demo school with its activity (grades, answers, posts). Then
``gateway/demo_data/roster-next-year`` is imported as the school system sends it in August: every
class renamed and moved up (new sourcedIds), a teacher leaving, a student leaving (with the guardian
who has no other child), a new student with a guardian.

Before and after, every demo person asks for every course, answer and assessment of the old year
by id. The rule: for everyone still in the roster, what they could see before they still see
afterwards, with the same grades, and nothing more. The exception is what concerns the people
who left: they are in the recycle bin, and restriction hides their answers and the assessments
about them (docs/privacy-actions.md); nothing of theirs is deleted either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from sqlalchemy import func, select

from config.ids import from_global_id, to_global_id
from gateway.demo_calendar import shifted_copy, years_to_today
from gateway.keyfile import pseudonym_key
from roster import DEMO_ROSTER_DIR, ImportReport, import_roster
from store import tables as t
from store.db import make_engine
from store.tables import CourseState, ProcessingState

NEXT_YEAR_DIR = DEMO_ROSTER_DIR.parent / "roster-next-year"
#: who the next year's roster leaves out
LEAVERS = {"larer.dahl", "elev.filip", "foresatt.maria"}
LEARNING = ("assessments", "submissions", "attachments", "posts", "comments", "assignments")

Seen = dict[str, dict[str, Any]]  # viewer -> {global id: what they read of it}


@dataclass(frozen=True)
class Rollover:
    live: LiveGateway
    before: Seen
    after: Seen
    report: ImportReport
    rows_before: dict[str, int]
    rows_after: dict[str, int]
    leavers_ids: frozenset[int]


def _old_year(live: LiveGateway) -> dict[str, tuple[str, str]]:
    """alias -> (field, global id) for every course, answer and assessment in the database."""
    objects: dict[str, tuple[str, str]] = {}
    for field, table, type_name in (
        ("course", t.courses, "Course"),
        ("submission", t.submissions, "Submission"),
        ("assessment", t.assessments, "Assessment"),
    ):
        for (pk,) in live.rows(select(table.c.id).order_by(table.c.id)):
            objects[f"{type_name[0].lower()}{pk}"] = (field, to_global_id(type_name, pk))
    return objects


SELECTION = {
    "course": "id name",
    "submission": "id status submittedAt",
    "assessment": "id kind grade published",
}


def _look(live: LiveGateway, viewer: str, objects: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """What ``viewer`` reads of each object by id (invisible ones are absent)."""
    parts = [
        f'{alias}: {field}(id: "{global_id}") {{ {SELECTION[field]} }}'
        for alias, (field, global_id) in objects.items()
    ]
    result = live.gql("{ " + "\n".join(parts) + " }", as_user=viewer)
    assert result.codes() <= {"NOT_FOUND"}, result.errors[:3]
    return {value["id"]: value for value in (result.data or {}).values() if value is not None}


def _learning_rows(live: LiveGateway) -> dict[str, int]:
    return {
        name: live.rows(select(func.count()).select_from(t.metadata.tables[name]))[0][0]
        for name in LEARNING
    }


def _viewers(live: LiveGateway) -> list[str]:
    rows = live.rows(
        select(t.people.c.username).where(
            t.people.c.username.is_not(None),
            t.people.c.processing_state == ProcessingState.ACTIVE,
        ),
    )
    return sorted(username for (username,) in rows)


@pytest.fixture(scope="module", params=BACKENDS)
def rollover(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rollover]:
    with own_gateway(request.param, tmp_path_factory, "rollover") as live:
        url = live.database_url
        objects = _old_year(live)
        viewers = _viewers(live)
        before = {viewer: _look(live, viewer, objects) for viewer in viewers}
        rows_before = _learning_rows(live)
        # The next year's folder, in the same relation to today as the demo's own year.
        years = years_to_today(DEMO_ROSTER_DIR, datetime.now(UTC).date())
        next_year = shifted_copy(
            NEXT_YEAR_DIR, tmp_path_factory.mktemp("next-year") / "roster", years
        )

        async def rollover_import() -> ImportReport:
            engine = make_engine(url)
            try:
                return await import_roster(
                    engine,
                    next_year,
                    identity_key=pseudonym_key(live.state.settings),
                    allow_mass_archive=True,
                    actor="test:rollover",
                )
            finally:
                await engine.dispose()

        report = asyncio.run(rollover_import())
        leavers = live.rows(select(t.people.c.id).where(t.people.c.username.in_(LEAVERS)))
        after = {
            viewer: _look(live, viewer, objects) for viewer in viewers if viewer not in LEAVERS
        }
        yield Rollover(
            live,
            before,
            after,
            report,
            rows_before,
            _learning_rows(live),
            frozenset(pk for (pk,) in leavers),
        )


def test_the_import_archives_last_year_and_restricts_the_leavers(rollover: Rollover) -> None:
    report = rollover.report
    assert len(report.archived_classes) == 11 and report.classes.created == 11
    assert sorted(report.restricted) == ["u-g-maria", "u-s-filip", "u-t-dahl"]
    assert report.users.created == 2  # the new student and her guardian
    states = rollover.live.rows(select(t.courses.c.state, func.count()).group_by(t.courses.c.state))
    assert dict(states) == {CourseState.ARCHIVED: 11, CourseState.ACTIVE: 11}


def test_no_learning_data_is_deleted(rollover: Rollover) -> None:
    assert rollover.rows_after == rollover.rows_before


def _about_leavers(rollover: Rollover) -> set[str]:
    """Global ids of answers and assessments whose student left (in the recycle bin now)."""
    ids: set[str] = set()
    for table, type_name in ((t.submissions, "Submission"), (t.assessments, "Assessment")):
        rows = rollover.live.rows(
            select(table.c.id).where(table.c.student_id.in_(sorted(rollover.leavers_ids))),
        )
        ids |= {to_global_id(type_name, pk) for (pk,) in rows}
    return ids


def test_everyone_still_sees_exactly_what_they_saw(rollover: Rollover) -> None:
    hidden = _about_leavers(rollover)
    assert hidden, "the leaving student had answers and assessments in the demo"
    changed: dict[str, tuple[set[str], set[str]]] = {}
    for viewer, now in rollover.after.items():
        then = {key: value for key, value in rollover.before[viewer].items() if key not in hidden}
        lost = set(then) - set(now)
        gained = set(now) - set(then)
        if lost or gained:
            changed[viewer] = (lost, gained)
        for key in set(then) & set(now):
            assert now[key] == then[key], (viewer, key)  # same grades, same answers
    assert changed == {}


def test_the_old_year_is_still_seen_by_its_people(rollover: Rollover) -> None:
    """Not vacuous: last year's teachers, students and guardians see last year's grades."""
    assessments = {
        viewer: sum(from_global_id(key)[0] == "Assessment" for key in seen)
        for viewer, seen in rollover.after.items()
    }
    for viewer in ("larer.hansen", "rektor.bjolsen", "elev.ola", "foresatt.kari", "admin"):
        assert assessments[viewer] > 0, viewer
    # And the visibility differs by person: the check above compares real, distinct sets.
    assert len({frozenset(seen) for seen in rollover.after.values()}) > 10
    assert assessments["larer.berg"] < assessments["rektor.bjolsen"] < assessments["admin"]

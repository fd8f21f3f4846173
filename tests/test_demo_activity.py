"""The demo school's activity (gateway/demo_activity.py): the facts its docstring promises.

The demo is seeded once per module into a temporary SQLite file through ``ensure_demo``, exactly
as ``tavle seed-demo`` does; the tests then read it back, partly through the row scopes so the
visibility claims (unpublished grades, private documents) are checked with the real rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, func, select

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
from config.settings import Settings
from gateway.cli import DEMO_ROSTER
from gateway.demo import ensure_demo
from resolvers import kinds as k
from resolvers.kinds import Kind
from resolvers.scopes import scoped_select
from resolvers.services.actor import Actor
from resolvers.viewer import find_person_id, load_viewer
from store import tables as t
from store.db import make_engine
from store.tables import AssessmentKind, CourseRole, SubmissionStatus


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=data_dir, database_url=None)
    assert asyncio.run(ensure_demo(settings, DEMO_ROSTER)) is True
    yield settings.resolved_database_url()


def _rows(url: str, stmt: Select[Any]) -> list[Any]:
    async def run() -> list[Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(stmt)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _person(url: str, username: str) -> int:
    async def run() -> int | None:
        engine = make_engine(url)
        try:
            return await find_person_id(engine, username)
        finally:
            await engine.dispose()

    found = asyncio.run(run())
    assert found is not None, username
    return found


def _course(url: str, sourced_id: str) -> int:
    c = t.courses.c
    return int(_rows(url, select(c.id).where(c.sourced_id == sourced_id))[0][0])


def _visible_ids(url: str, username: str, kind: Kind) -> set[int]:
    """Ids of ``kind`` rows that ``username`` may see under the shipped policy."""

    async def run() -> set[int]:
        engine = make_engine(url)
        try:
            person = await find_person_id(engine, username)
            assert person is not None
            viewer = await load_viewer(engine, person)
            actor = Actor(engine, Policy(DEFAULT_MODEL, DEFAULT_POLICY), viewer)
            async with engine.connect() as conn:
                rows = (await conn.execute(scoped_select(kind, actor))).mappings().all()
            return {int(row["id"]) for row in rows}
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_seeding_runs_once(demo_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=demo_url)
    assert asyncio.run(ensure_demo(settings, DEMO_ROSTER)) is False


def test_every_assessment_kind_is_present(demo_url: str) -> None:
    kinds = {row[0] for row in _rows(demo_url, select(t.assessments.c.kind).distinct())}
    assert kinds == set(AssessmentKind)


def test_feedback_is_linked_to_a_submission(demo_url: str) -> None:
    x = t.assessments.c
    linked = _rows(
        demo_url,
        select(x.id).where(x.kind == AssessmentKind.FEEDBACK, x.submission_id.is_not(None)),
    )
    assert linked


def test_ola_has_an_unpublished_half_year_in_maths_he_cannot_see(demo_url: str) -> None:
    x = t.assessments.c
    ola, mat8 = _person(demo_url, "elev.ola"), _course(demo_url, "c-bjs-mat8")
    hidden = _rows(
        demo_url,
        select(x.id).where(
            x.student_id == ola,
            x.course_id == mat8,
            x.kind == AssessmentKind.HALF_YEAR,
            x.published.is_(False),
        ),
    )
    assert len(hidden) == 1
    hidden_id = hidden[0][0]
    for username in ("elev.ola", "foresatt.kari", "foresatt.knut"):
        assert hidden_id not in _visible_ids(demo_url, username, k.ASSESSMENT), username
    for username in ("larer.hansen", "rektor.bjolsen"):
        assert hidden_id in _visible_ids(demo_url, username, k.ASSESSMENT), username


def test_school_leaders_published_half_year_grades(demo_url: str) -> None:
    x = t.assessments.c
    for sourced_id in ("c-bjs-nor8", "c-sag-nat9"):
        rows = _rows(
            demo_url,
            select(x.id, x.published).where(
                x.course_id == _course(demo_url, sourced_id), x.kind == AssessmentKind.HALF_YEAR
            ),
        )
        assert rows and all(published for _id, published in rows), sourced_id
    ola_nor8 = _rows(
        demo_url,
        select(x.id).where(
            x.student_id == _person(demo_url, "elev.ola"),
            x.course_id == _course(demo_url, "c-bjs-nor8"),
            x.kind == AssessmentKind.HALF_YEAR,
        ),
    )[0][0]
    assert ola_nor8 in _visible_ids(demo_url, "foresatt.kari", k.ASSESSMENT)
    leaders = {_person(demo_url, "rektor.bjolsen"), _person(demo_url, "rektor.sagene")}
    a = t.audit_entries.c
    publishers = _rows(demo_url, select(a.actor_id).where(a.action == "PUBLISH_ASSESSMENTS"))
    assert {row[0] for row in publishers} == leaders


def test_submissions_include_late_ones_and_attachments(demo_url: str) -> None:
    statuses = {row[0] for row in _rows(demo_url, select(t.submissions.c.status))}
    assert {SubmissionStatus.LATE, SubmissionStatus.SUBMITTED} <= statuses
    assert _rows(demo_url, select(func.count()).select_from(t.attachments))[0][0] > 0


def test_assignments_at_both_schools_in_subjects_and_homerooms(demo_url: str) -> None:
    a, c = t.assignments.c, t.courses.c
    rows = _rows(
        demo_url,
        select(c.school_id, c.is_homeroom)
        .select_from(t.assignments.join(t.courses, c.id == a.course_id))
        .distinct(),
    )
    schools = {school for school, _h in rows}
    assert len(schools) == 2
    for school in schools:
        assert {h for sch, h in rows if sch == school} == {True, False}


def test_private_and_shared_documents(demo_url: str) -> None:
    d = t.documents.c
    private = _rows(demo_url, select(d.id, d.owner_id).where(d.course_id.is_(None)))
    shared = _rows(demo_url, select(d.id).where(d.course_id.is_not(None)))
    assert private and shared
    ola = _person(demo_url, "elev.ola")
    ola_private = {pk for pk, owner in private if owner == ola}
    assert ola_private
    assert ola_private <= _visible_ids(demo_url, "elev.ola", k.DOCUMENT)
    assert not ola_private & _visible_ids(demo_url, "elev.jakob", k.DOCUMENT)


def test_conversations(demo_url: str) -> None:
    cp = t.conversation_participants.c
    members: dict[int, set[int]] = {}
    for conversation, person in _rows(demo_url, select(cp.conversation_id, cp.person_id)):
        members.setdefault(conversation, set()).add(person)
    teacher_guardian = {_person(demo_url, "larer.hansen"), _person(demo_url, "foresatt.kari")}
    student_teacher = {_person(demo_url, "elev.emma"), _person(demo_url, "larer.lie")}
    assert teacher_guardian in members.values()
    assert student_teacher in members.values()
    assert any(len(people) >= 3 for people in members.values())


def test_posts_and_comments_by_teachers_and_students(demo_url: str) -> None:
    e = t.enrolments.c
    roles = {
        role
        for (role,) in _rows(
            demo_url,
            select(e.role)
            .select_from(
                t.comments.join(t.posts, t.posts.c.id == t.comments.c.post_id).join(
                    t.enrolments,
                    (e.course_id == t.posts.c.course_id) & (e.person_id == t.comments.c.author_id),
                )
            )
            .distinct(),
        )
    }
    assert roles == {CourseRole.TEACHER, CourseRole.STUDENT}


def test_course_events_are_made_by_a_teacher_of_the_course(demo_url: str) -> None:
    ev, e = t.calendar_events.c, t.enrolments.c
    events = _rows(demo_url, select(ev.owner_id, ev.course_id))
    assert any(course is None for _o, course in events)
    course_events = [(owner, course) for owner, course in events if course is not None]
    assert course_events
    teachers = {
        (person, course)
        for person, course in _rows(
            demo_url, select(e.person_id, e.course_id).where(e.role == CourseRole.TEACHER)
        )
    }
    assert set(course_events) <= teachers


def test_preferences_for_a_few_people(demo_url: str) -> None:
    people = _rows(demo_url, select(t.preferences.c.person_id).distinct())
    assert len(people) >= 3

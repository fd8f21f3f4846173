"""Explicit deletion of an archived course (docs/school-year.md rule 10), the way erasure works.

A system administrator asks (``request_course_deletion``, with a justification): the answer is a
``privacy_requests`` row (action ``DELETE_COURSE``, no subject person) awaiting confirmation,
whose effects preview what goes and what stays. Another system administrator confirms
(``confirm_course_deletion``), and everything happens in one transaction: the course's posts,
comments, assignments, submissions, attachments, shared documents, course events, enrolments
and terms go, then the course row. Assessments stay (seed 002: kept until the student is
erased), with a snapshot of the course's code, name and school.

Rows are deleted explicitly, children first, rather than through the foreign keys' cascades:
every count in the result is then exactly what a statement removed, and the preview counts the
same selections.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from graphql import GraphQLError
from sqlalchemy import ColumnElement, Select, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authz.relations import Facts
from config.settings import Settings
from resolvers import kinds as k
from resolvers.errors import conflict, not_found
from resolvers.services import privacy
from resolvers.services.actor import Actor, inserted_id, now
from store import tables as t
from store.filestore import storage_of
from store.filestore.deletions import delete_files, drain
from store.privacy.base import DataCategory, Outcome
from store.tables import CourseState, PrivacyAction, PrivacyRequestStatus, RequestOrigin

Status = PrivacyRequestStatus
_r = t.privacy_requests.c
#: a deletion of the course is already under way while a request is in one of these states
PENDING = (Status.AWAITING_CONFIRMATION, Status.QUEUED, Status.RUNNING)


@dataclass(frozen=True)
class ItemEffect:
    """One line of the preview/result: how many ``item`` rows (of ``category``) get ``outcome``.

    Stored in the request's ``effects`` JSON like the privacy actions' effects, with ``item``
    added, because one category here covers several kinds of rows (posts and comments).
    """

    item: str
    category: DataCategory
    outcome: Outcome
    count: int


@dataclass(frozen=True)
class _Target:
    item: str
    category: DataCategory
    table: Table
    where: ColumnElement[bool]


def _submissions(course_id: int) -> Select[tuple[int]]:
    a, sub = t.assignments.c, t.submissions.c
    return select(sub.id).where(sub.assignment_id.in_(select(a.id).where(a.course_id == course_id)))


def _targets(course_id: int) -> list[_Target]:
    """What goes with the course, children before their parents (the order of deletion)."""
    a, sub, p = t.assignments.c, t.submissions.c, t.posts.c
    assignments = select(a.id).where(a.course_id == course_id)
    submissions = _submissions(course_id)
    posts = select(p.id).where(p.course_id == course_id)
    answers, material = DataCategory.STUDENT_ANSWERS, DataCategory.TEACHING_MATERIAL
    att, doc = t.attachments.c, t.documents.c
    carried = (
        select(att.file_id)
        .where(att.submission_id.in_(submissions))
        .union_all(select(doc.file_id).where(doc.course_id == course_id))
    )
    return [
        # The uploaded files the answers and shared documents carry: rows here, bytes after
        # the commit (store/filestore/deletions.py).
        _Target("FILE", DataCategory.FILES, t.files, t.files.c.id.in_(carried)),
        _Target(
            "ATTACHMENT", answers, t.attachments, t.attachments.c.submission_id.in_(submissions)
        ),
        _Target("SUBMISSION", answers, t.submissions, sub.assignment_id.in_(assignments)),
        _Target("ASSIGNMENT", material, t.assignments, a.course_id == course_id),
        _Target("COMMENT", DataCategory.COMMUNICATION, t.comments, t.comments.c.post_id.in_(posts)),
        _Target("POST", DataCategory.COMMUNICATION, t.posts, p.course_id == course_id),
        _Target("DOCUMENT", material, t.documents, t.documents.c.course_id == course_id),
        _Target(
            "CALENDAR_EVENT",
            DataCategory.CALENDAR,
            t.calendar_events,
            t.calendar_events.c.course_id == course_id,
        ),
        _Target(
            "ENROLMENT",
            DataCategory.PERSONAL_DATA,
            t.enrolments,
            t.enrolments.c.course_id == course_id,
        ),
    ]


async def _count(conn: AsyncConnection, table: Table, where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(table).where(where)
    return int((await conn.execute(stmt)).scalar_one())


async def _kept(conn: AsyncConnection, course_id: int) -> ItemEffect:
    n = await _count(conn, t.assessments, t.assessments.c.course_id == course_id)
    return ItemEffect("ASSESSMENT", DataCategory.ASSESSMENTS, Outcome.KEPT, n)


async def preview(conn: AsyncConnection, course_id: int) -> list[ItemEffect]:
    """What deleting the course would do, counted; changes nothing."""
    effects = [
        ItemEffect(x.item, x.category, Outcome.DELETED, await _count(conn, x.table, x.where))
        for x in _targets(course_id)
    ]
    return [*effects, await _kept(conn, course_id)]


async def delete_course(conn: AsyncConnection, course_id: int) -> list[ItemEffect]:
    """Delete the course and its content inside the caller's transaction; assessments stay."""
    x, c = t.assessments.c, t.courses.c
    course = (
        await conn.execute(select(c.school_id, c.code, c.name).where(c.id == course_id))
    ).one()
    # Snapshots first (assessments registered before they were recorded have none): after this
    # the assessment no longer needs its course to say where it was given.
    await conn.execute(
        update(t.assessments)
        .where(
            x.course_id == course_id,
            (x.school_id.is_(None) | x.course_code.is_(None) | x.course_name.is_(None)),
        )
        .values(
            school_id=func.coalesce(x.school_id, course.school_id),
            course_code=func.coalesce(x.course_code, course.code),
            course_name=func.coalesce(x.course_name, course.name),
        )
    )
    kept = await _kept(conn, course_id)
    # The assessments' links to answers that are about to go (the foreign key would do it too).
    await conn.execute(
        update(t.assessments)
        .where(x.submission_id.in_(_submissions(course_id)))
        .values(submission_id=None)
    )
    effects: list[ItemEffect] = []
    for target in _targets(course_id):
        if target.table is t.files:
            deleted = await delete_files(conn, target.where)
        else:
            deleted = (await conn.execute(target.table.delete().where(target.where))).rowcount
        effects.append(ItemEffect(target.item, target.category, Outcome.DELETED, deleted))
    await conn.execute(t.course_terms.delete().where(t.course_terms.c.course_id == course_id))
    await conn.execute(update(t.assessments).where(x.course_id == course_id).values(course_id=None))
    await conn.execute(
        update(t.privacy_requests).where(_r.course_id == course_id).values(course_id=None)
    )
    await conn.execute(t.courses.delete().where(c.id == course_id))
    return [*effects, kept]


def effects_json(effects: Sequence[ItemEffect]) -> str:
    return json.dumps(
        [
            {
                "category": e.category.value,
                "outcome": e.outcome.value,
                "count": e.count,
                "item": e.item,
            }
            for e in effects
        ]
    )


async def _archived(conn: AsyncConnection, course_id: int) -> bool:
    """Whether the course counts as archived: itself, or its school.

    The course row stays locked (PostgreSQL) until the transaction ends, so a roster import
    cannot reactivate the course between this check and its deletion. CONFLICT if the course
    was deleted while this transaction waited for that lock.
    """
    c, sc = t.courses.c, t.schools.c
    row = (
        await conn.execute(
            select(c.state, sc.state.label("school_state"))
            .join(t.schools, sc.id == c.school_id)
            .where(c.id == course_id)
            .with_for_update(of=t.courses)
        )
    ).first()
    if row is None:
        raise conflict("The course no longer exists: it has just been deleted")
    return CourseState.ARCHIVED in (row.state, row.school_state)


async def request_course_deletion(actor: Actor, course_id: int, justification: str) -> int:
    """Step one: a request with the preview, awaiting another administrator's confirmation."""
    actor.require(
        Facts(), "Mutation.requestCourseDeletion", "only a system administrator deletes courses"
    )
    text = privacy._justification(justification)
    async with actor.engine.begin() as conn:
        await actor.visible_row(conn, k.COURSE, course_id, "Course")
        if not await _archived(conn, course_id):
            raise conflict(
                "Only an ARCHIVED course can be deleted; this course is ACTIVE "
                "(a course is archived when it leaves the roster)"
            )
        pending = (
            await conn.execute(
                select(_r.id).where(
                    _r.course_id == course_id,
                    _r.action == PrivacyAction.DELETE_COURSE,
                    _r.status.in_(PENDING),
                )
            )
        ).first()
        if pending is not None:
            raise conflict("A deletion of this course is already pending")
        effects = await preview(conn, course_id)
        result = await conn.execute(
            t.privacy_requests.insert().values(
                action=PrivacyAction.DELETE_COURSE,
                status=Status.AWAITING_CONFIRMATION,
                subject_id=None,
                course_id=course_id,
                origin=RequestOrigin.ADMINISTRATOR,
                requested_by_id=actor.viewer.person_id,
                justification=text,
                created_at=now(),
                effects=effects_json(effects),
                attempts=0,
            )
        )
        request_id = inserted_id(result)
        # The course, not the request, is the target: the request loses its course_id with the
        # course, so the log is what still says which course was deleted.
        await actor.audit(
            conn, "COURSE_DELETION_REQUESTED", "Course", course_id, justification=text
        )
    return request_id


def second_administrator_required() -> GraphQLError:
    return GraphQLError(
        "Another system administrator must confirm this course deletion",
        extensions={"code": "SECOND_ADMINISTRATOR_REQUIRED"},
    )


async def confirm_course_deletion(actor: Actor, request_id: int, settings: Settings) -> int:
    """Step two: delete the course, all of it or (on any failure) nothing."""
    actor.require(
        Facts(), "Mutation.confirmCourseDeletion", "only a system administrator deletes courses"
    )
    async with actor.engine.begin() as conn:
        request = (
            await conn.execute(
                select(_r.action, _r.status, _r.course_id, _r.requested_by_id).where(
                    _r.id == request_id
                )
            )
        ).first()
        if request is None or request.action != PrivacyAction.DELETE_COURSE:
            raise not_found("No course deletion request with that id")
        if request.status != Status.AWAITING_CONFIRMATION:
            raise conflict(f"The request is {request.status}, not AWAITING_CONFIRMATION")
        if (
            settings.require_second_administrator
            and request.requested_by_id == actor.viewer.person_id
        ):
            raise second_administrator_required()
        if request.course_id is None:
            raise conflict("The course no longer exists")
        course_id = int(request.course_id)
        # Claim the request first: of two confirmations at once, the second finds no row
        # AWAITING_CONFIRMATION (PostgreSQL re-checks the condition after the first commits),
        # before it waits for the course row that the first one is deleting.
        claimed = await conn.execute(
            update(t.privacy_requests)
            .where(_r.id == request_id, _r.status == Status.AWAITING_CONFIRMATION)
            .values(
                status=Status.COMPLETED, confirmed_by_id=actor.viewer.person_id, completed_at=now()
            )
        )
        if claimed.rowcount != 1:
            raise conflict("The request has just been confirmed or cancelled by someone else")
        if not await _archived(conn, course_id):
            raise conflict(
                "The course is ACTIVE again (the roster brought it back): cancel this request, "
                "and ask again once it is archived if it should still go"
            )
        effects = await delete_course(conn, course_id)
        await conn.execute(
            update(t.privacy_requests)
            .where(_r.id == request_id)
            .values(effects=effects_json(effects), error=None)
        )
        await actor.audit(conn, "COURSE_DELETION_CONFIRMED", "Course", course_id)
    await drain(actor.engine, storage_of(settings))
    return request_id

"""A plain Strawberry peer: the gradebook's types over ``store.tables``, DataLoaders, no rules.

What a developer would write for this one query with Strawberry and SQLAlchemy Core and no
authorisation: ``course(id:)`` -> ``students(first:)`` -> ``submissions(courseId:, first:)`` ->
``assessments``, with the same type, field and connection names as Tavle's schema, so the
response has the same shape and the same values (global ids from ``config.ids``, cursors from
``config.paging``). One DataLoader per level, each batch one statement (four per request). The
filters are the product's data rules, not authorisation: current student enrolments of active
people. ``first`` limits each connection after fetching the parent's rows (no ``after``: the
query does not page).

``casbin_per_field`` builds the same schema with a ``Stamp``: the viewer's relations to each
object and its row check, computed while the rows become objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import strawberry
from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader

from config.ids import from_global_id, to_global_id
from config.paging import encode_cursor
from schema.enums import AssessmentKind, SubmissionStatus
from store import tables as t
from store.tables import CourseRole, ProcessingState

#: Relations of objects nobody stamped (connections, edges, and every object of the plain peer),
#: in the order the per-field peer asks ``enforce()`` about them.
ROW_ONLY: tuple[str, ...] = ("row", "anyone")
Rels = tuple[str, ...]


class Stamp(Protocol):
    """The viewer's relations to each object (in the order they are asked about), or None when
    the viewer may not see it."""

    def course(self, row: Row[Any]) -> Rels | None: ...

    async def users(self, engine: AsyncEngine, rows: Sequence[Row[Any]]) -> list[Rels | None]: ...

    def submission(self, row: Row[Any]) -> Rels | None: ...

    def assessment(self, row: Row[Any]) -> Rels | None: ...


@dataclass
class EnforceCount:
    """``enforce()`` calls in one request of the per-field peer (the plain peer makes none)."""

    rows: int = 0
    fields: int = 0


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Assessment:
    id: strawberry.ID
    kind: AssessmentKind | None
    grade: str | None
    comment: str | None
    published: bool | None
    created_at: datetime | None
    assessor_name: str | None
    rels: strawberry.Private[Rels]


@strawberry.type
class Submission:
    id: strawberry.ID
    status: SubmissionStatus | None
    submitted_at: datetime | None
    body: str | None
    last_opened_at: datetime | None
    pk: strawberry.Private[int]
    rels: strawberry.Private[Rels]

    @strawberry.field
    async def assessments(self, info: strawberry.Info[PlainContext, None]) -> list[Assessment]:
        return await info.context.loaders.assessments.load(self.pk)


@strawberry.type
class SubmissionEdge:
    cursor: str
    node: Submission


@strawberry.type
class SubmissionConnection:
    edges: list[SubmissionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    pk: strawberry.Private[int]
    rels: strawberry.Private[Rels]

    @strawberry.field
    async def submissions(
        self, info: strawberry.Info[PlainContext, None], course_id: strawberry.ID, first: int = 100
    ) -> SubmissionConnection:
        course_pk = _pk(course_id, "Course")
        return await info.context.loaders.submissions.load((self.pk, course_pk or 0, first))


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Course:
    id: strawberry.ID
    code: str | None
    name: str | None
    pk: strawberry.Private[int]
    rels: strawberry.Private[Rels]

    @strawberry.field
    async def students(
        self, info: strawberry.Info[PlainContext, None], first: int = 100
    ) -> UserConnection:
        return await info.context.loaders.students.load((self.pk, first))


@strawberry.type
class Query:
    @strawberry.field
    async def course(
        self, info: strawberry.Info[PlainContext, None], id: strawberry.ID
    ) -> Course | None:
        pk = _pk(id, "Course")
        return None if pk is None else await info.context.loaders.courses.load(pk)


def build_schema() -> strawberry.Schema:
    """A new schema instance (the per-field peer wraps its own instance's resolvers)."""
    return strawberry.Schema(query=Query)


def _pk(global_id: str, type_name: str) -> int | None:
    found_type, pk = from_global_id(global_id)
    return pk if found_type == type_name else None


def _display_name(given: str | None, family: str | None) -> str | None:
    return " ".join(part for part in (given, family) if part) or None


def _page_info(keys: list[int], has_next: bool) -> PageInfo:
    return PageInfo(has_next_page=has_next, end_cursor=encode_cursor(keys[-1]) if keys else None)


def _users(users: list[User], first: int) -> UserConnection:
    page = users[:first]
    return UserConnection(
        edges=[UserEdge(cursor=encode_cursor(u.pk), node=u) for u in page],
        page_info=_page_info([u.pk for u in page], len(users) > first),
        total_count=len(users),
    )


def _submissions(found: list[Submission], first: int) -> SubmissionConnection:
    page = found[:first]
    return SubmissionConnection(
        edges=[SubmissionEdge(cursor=encode_cursor(s.pk), node=s) for s in page],
        page_info=_page_info([s.pk for s in page], len(found) > first),
        total_count=len(found),
    )


_c, _e, _p, _a, _s, _x = (
    t.courses.c,
    t.enrolments.c,
    t.people.c,
    t.assignments.c,
    t.submissions.c,
    t.assessments.c,
)


class Loaders:
    """One request's DataLoaders; each batch is one statement."""

    def __init__(self, engine: AsyncEngine, stamp: Stamp | None) -> None:
        self.engine = engine
        self.stamp = stamp
        self.courses = DataLoader(load_fn=self._courses)
        self.students = DataLoader(load_fn=self._students)
        self.submissions = DataLoader(load_fn=self._submissions)
        self.assessments = DataLoader(load_fn=self._assessments)

    async def _rows(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        async with self.engine.connect() as conn:
            rows: Sequence[Row[Any]] = (await conn.execute(stmt)).all()
            return rows

    async def _courses(self, keys: list[int]) -> list[Course | None]:
        rows = await self._rows(
            select(_c.id, _c.code, _c.name, _c.school_id).where(_c.id.in_(sorted(set(keys))))
        )
        found: dict[int, Course] = {}
        for row in rows:
            rels = ROW_ONLY if self.stamp is None else self.stamp.course(row)
            if rels is not None:
                found[row.id] = Course(
                    id=to_global_id("Course", row.id),
                    code=row.code,
                    name=row.name,
                    pk=row.id,
                    rels=rels,
                )
        return [found.get(key) for key in keys]

    async def _students(self, keys: list[tuple[int, int]]) -> list[UserConnection]:
        stmt = (
            select(_e.course_id, _p.id, _p.given_name, _p.family_name, _p.email)
            .select_from(t.people.join(t.enrolments, _e.person_id == _p.id))
            .where(
                _e.course_id.in_(sorted({course for course, _first in keys})),
                _e.role == CourseRole.STUDENT,
                _e.ended_at.is_(None),
                _p.processing_state == ProcessingState.ACTIVE,
            )
            .order_by(_e.course_id, _p.id)
        )
        rows = await self._rows(stmt)
        stamps: Sequence[Rels | None] = (
            [ROW_ONLY] * len(rows)
            if self.stamp is None
            else await self.stamp.users(self.engine, rows)
        )
        by_course: dict[int, list[User]] = defaultdict(list)
        for row, rels in zip(rows, stamps, strict=True):
            if rels is not None:
                by_course[row.course_id].append(
                    User(
                        id=to_global_id("User", row.id),
                        display_name=_display_name(row.given_name, row.family_name),
                        first_name=row.given_name,
                        last_name=row.family_name,
                        email=row.email,
                        pk=row.id,
                        rels=rels,
                    )
                )
        return [_users(by_course.get(course, []), first) for course, first in keys]

    async def _submissions(self, keys: list[tuple[int, int, int]]) -> list[SubmissionConnection]:
        columns = [_s.id, _s.student_id, _s.status, _s.submitted_at, _s.body, _s.last_opened_at]
        source = t.submissions.join(t.assignments, _a.id == _s.assignment_id)
        if self.stamp is not None:  # the relations need the course's school
            source = source.join(t.courses, _c.id == _a.course_id)
            columns.append(_c.school_id)
        stmt = (
            select(*columns, _a.course_id)
            .select_from(source)
            .where(
                _s.student_id.in_(sorted({key[0] for key in keys})),
                _a.course_id.in_(sorted({key[1] for key in keys})),
            )
            .order_by(_s.id)
        )
        grouped: dict[tuple[int, int], list[Submission]] = defaultdict(list)
        for row in await self._rows(stmt):
            rels = ROW_ONLY if self.stamp is None else self.stamp.submission(row)
            if rels is not None:
                grouped[(row.student_id, row.course_id)].append(
                    Submission(
                        id=to_global_id("Submission", row.id),
                        status=row.status,
                        submitted_at=row.submitted_at,
                        body=row.body,
                        last_opened_at=row.last_opened_at,
                        pk=row.id,
                        rels=rels,
                    )
                )
        return [
            _submissions(grouped.get((student, course), []), first)
            for student, course, first in keys
        ]

    async def _assessments(self, keys: list[int]) -> list[list[Assessment]]:
        columns: list[Any] = [
            _x.id,
            _x.submission_id,
            _x.kind,
            _x.grade,
            _x.comment,
            _x.published,
            _x.created_at,
            _x.assessor_name,
        ]
        source: Any = t.assessments
        if self.stamp is not None:  # the relations' facts, as the product's Assessment scope
            source = t.assessments.outerjoin(t.courses, _c.id == _x.course_id)
            school = func.coalesce(_c.school_id, _x.school_id).label("school_id")
            columns += [_x.student_id, _x.course_id, school]
        stmt = (
            select(*columns)
            .select_from(source)
            .where(_x.submission_id.in_(sorted(set(keys))))
            .order_by(_x.id)
        )
        grouped: dict[int, list[Assessment]] = defaultdict(list)
        for row in await self._rows(stmt):
            rels = ROW_ONLY if self.stamp is None else self.stamp.assessment(row)
            if rels is not None:
                grouped[row.submission_id].append(
                    Assessment(
                        id=to_global_id("Assessment", row.id),
                        kind=row.kind,
                        grade=row.grade,
                        comment=row.comment,
                        published=row.published,
                        created_at=row.created_at,
                        assessor_name=row.assessor_name,
                        rels=rels,
                    )
                )
        return [grouped.get(key, []) for key in keys]


@dataclass
class PlainContext:
    loaders: Loaders
    enforce_count: EnforceCount


StampFactory = Callable[[EnforceCount], Awaitable[Stamp]]


class PlainGraphQL(GraphQL[PlainContext, None]):
    """Strawberry's ASGI view with a fresh set of loaders (and, for the per-field peer, a
    fresh stamp for the viewer) per request. ``last_context`` is the latest request's."""

    def __init__(
        self,
        schema: strawberry.Schema,
        engine: AsyncEngine,
        stamp_for_request: StampFactory | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False)
        self.engine = engine
        self.stamp_for_request = stamp_for_request
        self.last_context: PlainContext | None = None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> PlainContext:
        count = EnforceCount()
        stamp = None if self.stamp_for_request is None else await self.stamp_for_request(count)
        context = PlainContext(loaders=Loaders(self.engine, stamp), enforce_count=count)
        self.last_context = context
        return context


def plain_app(engine: AsyncEngine) -> tuple[Starlette, PlainGraphQL]:
    """The plain peer as a Starlette app with ``POST /graphql``, and its view."""
    view = PlainGraphQL(build_schema(), engine)
    return Starlette(routes=[Route("/graphql", view, methods=["POST"])]), view

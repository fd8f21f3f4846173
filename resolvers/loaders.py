"""Per-request DataLoaders, one per (target, key), named ``<Target>By<Key>`` (saleor style).

Every loader reads through a row scope (``resolvers.scopes``), so nested paths cannot bypass the
row rules, and each batch is one statement (plus one for the people's schools, which the User
relations need), so the number of statements does not grow with the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from opentelemetry import trace
from sqlalchemy import ColumnElement, FromClause, and_, select, union
from strawberry.dataloader import DataLoader

from config.ids import to_global_id
from gateway import telemetry
from resolvers import builders as b
from resolvers import scopes as s
from resolvers.context import RequestContext
from resolvers.fetch import Page, Row, by_ids, lists_by_parent, pages_by_parent, run
from schema.connection import Connection, PageArgs, make_connection
from schema.coursework import Attachment
from schema.user import Notification, Preference, RoleAssignment, User
from store import tables as t
from store.tables import CourseRole, CourseState, ProcessingState

T = TypeVar("T")
Materialize = Callable[[RequestContext, Sequence[Row]], Awaitable[list[T]]]
tracer = trace.get_tracer("tavle.loaders")


def _sync(build: Callable[[RequestContext, Row], T]) -> Materialize[T]:
    async def materialize(ctx: RequestContext, rows: Sequence[Row]) -> list[T]:
        return [build(ctx, row) for row in rows]

    return materialize


async def person_schools(ctx: RequestContext, ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Schools where each person holds a role or a current enrolment in an ACTIVE course (for
    school_* relations): a person who left a school is not its member through old classes."""
    ra, e = t.role_assignments.c, t.enrolments.c
    stmt = union(
        select(ra.person_id.label("person_id"), ra.school_id.label("school_id")).where(
            ra.person_id.in_(ids), ra.school_id.is_not(None)
        ),
        select(e.person_id.label("person_id"), t.courses.c.school_id.label("school_id"))
        .join(t.courses, t.courses.c.id == e.course_id)
        .where(
            e.person_id.in_(ids),
            e.ended_at.is_(None),
            t.courses.c.state == CourseState.ACTIVE,
        ),
    )
    found: dict[int, set[int]] = defaultdict(set)
    async with ctx.engine.connect() as conn:
        for person_id, school_id in (await conn.execute(stmt)).all():
            found[person_id].add(school_id)
    return {pid: frozenset(schools) for pid, schools in found.items()}


async def materialize_users(ctx: RequestContext, rows: Sequence[Row]) -> list[User]:
    if not rows:
        return []
    schools: dict[int, frozenset[int]] = {}
    if not ctx.bypass:
        schools = await person_schools(ctx, sorted({row["id"] for row in rows}))
    return [b.build_user(ctx, row, schools.get(row["id"], frozenset())) for row in rows]


async def materialize_privacy_people(ctx: RequestContext, rows: Sequence[Row]) -> list[User]:
    """People in the privacy tool: in full (restricted ones too), erased ones as pseudonyms."""
    kept = [row for row in rows if row["processing_state"] != ProcessingState.ERASED]
    built = {user.pk: user for user in await materialize_users(ctx, kept)}
    return [
        built[row["id"]]
        if row["processing_state"] != ProcessingState.ERASED
        else b.build_pseudonym(ctx, row["id"])
        for row in rows
    ]


async def materialize_conversations(ctx: RequestContext, rows: Sequence[Row]) -> list[Any]:
    if not rows:
        return []
    cp = t.conversation_participants.c
    ids = sorted({row["id"] for row in rows})
    members: dict[int, set[int]] = defaultdict(set)
    async with ctx.engine.connect() as conn:
        stmt = select(cp.conversation_id, cp.person_id).where(cp.conversation_id.in_(ids))
        for conversation_id, person_id in (await conn.execute(stmt)).all():
            members[conversation_id].add(person_id)
    return [b.build_conversation(ctx, row, frozenset(members[row["id"]])) for row in rows]


MATERIALIZE: dict[str, Materialize[Any]] = {
    "User": materialize_users,
    "School": _sync(b.build_school),
    "Course": _sync(b.build_course),
    "Assignment": _sync(b.build_assignment),
    "Submission": _sync(b.build_submission),
    "Assessment": _sync(b.build_assessment),
    "Post": _sync(b.build_post),
    "Comment": _sync(b.build_comment),
    "Conversation": materialize_conversations,
    "Message": _sync(b.build_message),
    "Document": _sync(b.build_document),
    "CalendarEvent": _sync(b.build_calendar_event),
    "PrivacyRequest": _sync(b.build_privacy_request),
    "AuditEntry": _sync(b.build_audit_entry),
    "RecycleBin": materialize_users,
    "PrivacySubject": materialize_privacy_people,
    "AcademicSession": _sync(b.build_academic_session),
    "RosterImport": _sync(b.build_roster_import),
}


def by_id_loader(ctx: RequestContext, scope: s.Scope) -> DataLoader[int, Any]:
    materialize = MATERIALIZE[scope.type_name]

    async def load(keys: list[int]) -> list[Any]:
        with telemetry.span(tracer, f"load {scope.type_name}ById"):
            rows = await by_ids(ctx.engine, s.scoped_select(scope, ctx), scope.key, keys)
            objects = await materialize(ctx, list(rows.values()))
            found = {obj.pk: obj for obj in objects}
            return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def list_loader(
    ctx: RequestContext,
    scope: s.Scope,
    parent: ColumnElement[int],
    name: str,
    source: FromClause | None = None,
    where: ColumnElement[bool] | None = None,
) -> DataLoader[int, list[Any]]:
    materialize = MATERIALIZE[scope.type_name]

    async def load(keys: list[int]) -> list[list[Any]]:
        with telemetry.span(tracer, f"load {name}"):
            stmt = s.scoped_select(scope, ctx, source)
            if where is not None:
                stmt = stmt.where(where)
            grouped = await lists_by_parent(ctx.engine, stmt, parent, keys, scope.key)
            all_rows = [row for key in keys for row in grouped.get(key, [])]
            objects = iter(await materialize(ctx, all_rows))
            return [[next(objects) for _ in grouped.get(key, [])] for key in keys]

    return DataLoader(load_fn=load)


PageKey = tuple[int, PageArgs]


def page_loader(
    ctx: RequestContext,
    scope: s.Scope,
    parent: ColumnElement[int],
    name: str,
    source: FromClause | None = None,
    where: ColumnElement[bool] | None = None,
    *,
    descending: bool = False,
) -> DataLoader[PageKey, Connection[Any]]:
    materialize = MATERIALIZE[scope.type_name]

    async def load(keys: list[PageKey]) -> list[Connection[Any]]:
        with telemetry.span(tracer, f"load {name}"):
            by_args: dict[PageArgs, list[int]] = defaultdict(list)
            for parent_id, args in keys:
                by_args[args].append(parent_id)
            pages: dict[PageKey, Page] = {}
            for args, parent_ids in by_args.items():
                stmt = s.scoped_select(scope, ctx, source)
                if where is not None:
                    stmt = stmt.where(where)
                found = await pages_by_parent(
                    ctx.engine, stmt, parent, scope.key, parent_ids, args, descending=descending
                )
                for parent_id, page in found.items():
                    pages[(parent_id, args)] = page
            all_rows = [row for key in keys for row in pages[key].rows]
            objects = iter(await materialize(ctx, all_rows))
            result = []
            for key in keys:
                page = pages[key]
                nodes = [next(objects) for _ in page.rows]
                keys_ = [row["tavle_key"] for row in page.rows]
                result.append(make_connection(nodes, keys_, page.total, page.has_next))
            return result

    return DataLoader(load_fn=load)


_e = t.enrolments.c
_g = t.guardianships.c
#: current memberships only: an ended enrolment lists nobody (docs/school-year.md rule 3)
_current = _e.ended_at.is_(None)
_x = t.assessments.c
_ct = t.course_terms.c


def _embedded_loader(
    ctx: RequestContext,
    key: ColumnElement[int],
    columns: Sequence[ColumnElement[Any]],
    order_by: ColumnElement[Any],
    build: Callable[[Row], T],
) -> DataLoader[int, list[T]]:
    """Rows that only appear under an authorised parent field (a person's roles, an answer's
    attachments ...): no row scope of their own, one statement per batch."""

    async def load(keys: list[int]) -> list[list[T]]:
        stmt = (
            select(key.label(PARENT_KEY), *columns)
            .where(key.in_(sorted(set(keys))))
            .order_by(order_by)
        )
        grouped: dict[int, list[T]] = defaultdict(list)
        for row in await run(ctx.engine, stmt):
            grouped[row[PARENT_KEY]].append(build(row))
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


PARENT_KEY = "tavle_parent_key"
_ra, _att, _n, _pref = (
    t.role_assignments.c,
    t.attachments.c,
    t.notifications.c,
    t.preferences.c,
)


def _role_assignment(row: Row) -> RoleAssignment:
    return RoleAssignment(role=row["role"], school_pk=row["school_id"])


def _attachment(row: Row) -> Attachment:
    return Attachment(
        filename=row["filename"], content_type=row["content_type"], size_bytes=row["size_bytes"]
    )


def _notification(row: Row) -> Notification:
    return Notification(
        id=to_global_id("Notification", row["id"]),
        kind=row["kind"],
        message=row["message"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


def _preference(row: Row) -> Preference:
    return Preference(key=row["key"], value=row["value"])


def _conversation_people_loader(ctx: RequestContext) -> DataLoader[int, User | None]:
    """People as reached inside a conversation: see ``scopes.conversation_people_select``."""

    async def load(keys: list[int]) -> list[User | None]:
        with telemetry.span(tracer, "load UserByConversation"):
            stmt = s.conversation_people_select(ctx)
            rows = await by_ids(ctx.engine, stmt, s.USER.key, keys)
            found = {user.pk: user for user in await materialize_users(ctx, list(rows.values()))}
            return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _person_states_loader(ctx: RequestContext) -> DataLoader[int, ProcessingState | None]:
    """Processing state by person, asked only for people who did not resolve: it tells a
    restricted or erased author (shown as a pseudonym) from someone the viewer may not see."""

    async def load(keys: list[int]) -> list[ProcessingState | None]:
        p = t.people.c
        stmt = select(p.id, p.processing_state).where(p.id.in_(sorted(set(keys))))
        found = {
            row["id"]: ProcessingState(row["processing_state"])
            for row in await run(ctx.engine, stmt)
        }
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _privacy_people_loader(ctx: RequestContext) -> DataLoader[int, User | None]:
    """A privacy request's subject and an audit entry's actor, keyed by person id.

    Not ``by_id_loader``: an erased person's stand-in has ``pk`` -1, so results are matched to
    keys by the row they came from.
    """

    async def load(keys: list[int]) -> list[User | None]:
        with telemetry.span(tracer, "load PrivacySubjectById"):
            scope = s.PRIVACY_SUBJECT
            rows = await by_ids(ctx.engine, s.scoped_select(scope, ctx), scope.key, keys)
            ordered = list(rows.values())
            built = dict(
                zip(
                    [r["id"] for r in ordered],
                    await materialize_privacy_people(ctx, ordered),
                    strict=True,
                )
            )
            return [built.get(key) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """All loaders of one request. Created lazily: most requests touch only a few."""

    def __init__(self, ctx: RequestContext) -> None:
        people = t.people
        courses = t.courses
        self.users = by_id_loader(ctx, s.USER)
        self.person_states = _person_states_loader(ctx)
        self.privacy_requests = by_id_loader(ctx, s.PRIVACY_REQUEST)
        self.audit_entries = by_id_loader(ctx, s.AUDIT_ENTRY)
        self.privacy_people = _privacy_people_loader(ctx)
        self.conversation_people = _conversation_people_loader(ctx)
        self.schools = by_id_loader(ctx, s.SCHOOL)
        self.courses = by_id_loader(ctx, s.COURSE)
        self.assignments = by_id_loader(ctx, s.ASSIGNMENT)
        self.submissions = by_id_loader(ctx, s.SUBMISSION)
        self.assessments = by_id_loader(ctx, s.ASSESSMENT)
        self.posts = by_id_loader(ctx, s.POST)
        self.comments = by_id_loader(ctx, s.COMMENT)
        self.conversations = by_id_loader(ctx, s.CONVERSATION)
        self.messages = by_id_loader(ctx, s.MESSAGE)
        self.documents = by_id_loader(ctx, s.DOCUMENT)
        self.calendar_events = by_id_loader(ctx, s.CALENDAR_EVENT)
        self.roles_by_person = _embedded_loader(
            ctx, _ra.person_id, (_ra.role, _ra.school_id), _ra.id, _role_assignment
        )
        self.attachments_by_submission = _embedded_loader(
            ctx,
            _att.submission_id,
            (_att.filename, _att.content_type, _att.size_bytes),
            _att.id,
            _attachment,
        )
        self.notifications_by_person = _embedded_loader(
            ctx,
            _n.person_id,
            (_n.id, _n.kind, _n.message, _n.created_at, _n.read_at),
            _n.id,
            _notification,
        )
        self.preferences_by_person = _embedded_loader(
            ctx, _pref.person_id, (_pref.key, _pref.value), _pref.key, _preference
        )
        self.guardians_by_student = list_loader(
            ctx,
            s.USER,
            _g.student_id,
            "GuardiansByStudent",
            people.join(t.guardianships, _g.guardian_id == people.c.id),
        )
        self.children_by_guardian = list_loader(
            ctx,
            s.USER,
            _g.guardian_id,
            "ChildrenByGuardian",
            people.join(t.guardianships, _g.student_id == people.c.id),
        )
        self.teachers_by_course = list_loader(
            ctx,
            s.USER,
            _e.course_id,
            "TeachersByCourse",
            people.join(t.enrolments, _e.person_id == people.c.id),
            (_e.role == CourseRole.TEACHER) & _current,
        )
        self.students_by_course = page_loader(
            ctx,
            s.USER,
            _e.course_id,
            "StudentsByCourse",
            people.join(t.enrolments, _e.person_id == people.c.id),
            (_e.role == CourseRole.STUDENT) & _current,
        )
        self.courses_by_person = page_loader(
            ctx,
            s.COURSE,
            _e.person_id,
            "CoursesByPerson",
            courses.join(t.enrolments, _e.course_id == courses.c.id),
            _current,
        )
        self.assignments_by_course = page_loader(
            ctx, s.ASSIGNMENT, t.assignments.c.course_id, "AssignmentsByCourse"
        )
        self.posts_by_course = page_loader(ctx, s.POST, t.posts.c.course_id, "PostsByCourse")
        self.events_by_course = list_loader(
            ctx, s.CALENDAR_EVENT, t.calendar_events.c.course_id, "CalendarEventsByCourse"
        )
        self.submissions_by_assignment = page_loader(
            ctx, s.SUBMISSION, t.submissions.c.assignment_id, "SubmissionsByAssignment"
        )
        self.assessments_by_submission = list_loader(
            ctx, s.ASSESSMENT, t.assessments.c.submission_id, "AssessmentsBySubmission"
        )
        self.comments_by_post = list_loader(ctx, s.COMMENT, t.comments.c.post_id, "CommentsByPost")
        self.messages_by_conversation = page_loader(
            ctx, s.MESSAGE, t.messages.c.conversation_id, "MessagesByConversation"
        )
        self.submissions_by_student = _SubmissionsByStudent(ctx)
        self.academic_sessions = by_id_loader(ctx, s.ACADEMIC_SESSION)
        self.roster_imports = by_id_loader(ctx, s.ROSTER_IMPORT)
        self.terms_by_course = list_loader(
            ctx,
            s.ACADEMIC_SESSION,
            _ct.course_id,
            "TermsByCourse",
            t.academic_sessions.join(t.course_terms, _ct.session_id == t.academic_sessions.c.id),
        )
        # The gradebook: newest first, filtered by the Assessment row rules.
        self.assessments_by_course = _FilteredPages(
            ctx,
            s.ASSESSMENT,
            _x.course_id,
            "AssessmentsByCourse",
            lambda f: _equal((_x.student_id, f[0]), (_x.kind, f[1]), (_x.published, f[2])),
        )
        self.assessments_by_student = _FilteredPages(
            ctx,
            s.ASSESSMENT,
            _x.student_id,
            "AssessmentsByStudent",
            lambda f: _equal((_x.course_id, f[0]), (_x.kind, f[1])),
        )


class _SubmissionsByStudent:
    """``User.submissions(courseId:)``: one page loader per course filter."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._loaders: dict[int | None, DataLoader[PageKey, Connection[Any]]] = {}

    async def load(self, key: tuple[int, int | None, PageArgs]) -> Connection[Any]:
        student, course, args = key
        loader = self._loaders.get(course)
        if loader is None:
            where = None if course is None else t.assignments.c.course_id == course
            loader = page_loader(
                self._ctx,
                s.SUBMISSION,
                t.submissions.c.student_id,
                "SubmissionsByStudent",
                None,
                where,
            )
            self._loaders[course] = loader
        return await loader.load((student, args))


Filters = tuple[Any, ...]


def _equal(*pairs: tuple[ColumnElement[Any], Any]) -> ColumnElement[bool] | None:
    """``column = value`` for each filter argument given (None = not filtered)."""
    conditions = [column == value for column, value in pairs if value is not None]
    return and_(*conditions) if conditions else None


class _FilteredPages:
    """A connection with filter arguments (``Course.assessments(kind:)``, newest first).

    One page loader per distinct filter, so a batch of parents asking the same filter is still
    one statement, whatever the number of parents or rows.
    """

    def __init__(
        self,
        ctx: RequestContext,
        scope: s.Scope,
        parent: ColumnElement[int],
        name: str,
        where_of: Callable[[Filters], ColumnElement[bool] | None],
    ) -> None:
        self._ctx, self._scope, self._parent, self._name = ctx, scope, parent, name
        self._where_of = where_of
        self._loaders: dict[Filters, DataLoader[PageKey, Connection[Any]]] = {}

    async def load(self, parent_id: int, filters: Filters, args: PageArgs) -> Connection[Any]:
        loader = self._loaders.get(filters)
        if loader is None:
            loader = page_loader(
                self._ctx,
                self._scope,
                self._parent,
                self._name,
                None,
                self._where_of(filters),
                descending=True,
            )
            self._loaders[filters] = loader
        return await loader.load((parent_id, args))

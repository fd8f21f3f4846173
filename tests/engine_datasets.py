"""Hypothesis strategies for rosters and activity, and how to load one into a database.

A ``Dataset`` is small but dense in relations: a handful of schools, people, courses and of each
kind of activity, all drawn from the same few ids, so most people are related to most objects in
some way (teacher and student of one course, guardian of a classmate, leader at the school of an
archived course ...). It holds only what relations depend on, in compact tuples, so a falsifying
example prints readably; ``refill`` turns it into rows with every NOT NULL column filled.

Ids come from disjoint ranges per table (people 1-9, schools 101-, courses 201- ...): a rule that
compares the wrong kind of id then finds nothing rather than matching by coincidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from hypothesis import strategies as st
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.tables import (
    AcademicSessionType,
    AssessmentKind,
    CourseRole,
    CourseState,
    DataRequestKind,
    DataRequestStatus,
    ProcessingState,
    RequestChannel,
    Role,
    SubmissionStatus,
)

T = TypeVar("T")
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

PEOPLE_BASE, SCHOOL_BASE, COURSE_BASE, SESSION_BASE = 0, 100, 200, 300
ASSIGNMENT_BASE, SUBMISSION_BASE, ASSESSMENT_BASE, POST_BASE = 400, 500, 600, 700
COMMENT_BASE, CONVERSATION_BASE, MESSAGE_BASE, DOCUMENT_BASE = 800, 900, 1000, 1100
EVENT_BASE, FILE_BASE, ATTACHMENT_BASE, NOTIFICATION_BASE = 1200, 1300, 1400, 1500
DATA_REQUEST_BASE = 1600


class School(NamedTuple):
    id: int
    state: CourseState


class Person(NamedTuple):
    id: int
    state: ProcessingState


class RoleAt(NamedTuple):
    person: int
    role: Role
    #: None for SYSTEM_ADMINISTRATOR, which is global
    school: int | None


class Course(NamedTuple):
    id: int
    school: int
    homeroom: bool
    state: CourseState


class Enrolment(NamedTuple):
    course: int
    person: int
    role: CourseRole
    ended: bool


class Guardianship(NamedTuple):
    guardian: int
    student: int


class Session(NamedTuple):
    id: int
    #: the course terms: courses that run in this session
    courses: frozenset[int]


class Assignment(NamedTuple):
    id: int
    course: int
    author: int | None


class Submission(NamedTuple):
    id: int
    assignment: int
    student: int


class Assessment(NamedTuple):
    id: int
    student: int
    #: None: the course was deleted (docs/school-year.md rule 10)
    course: int | None
    #: the school snapshot the assessment keeps
    school: int | None
    kind: AssessmentKind
    published: bool
    submission: int | None
    assessor: int | None


class Post(NamedTuple):
    id: int
    course: int
    author: int | None


class Comment(NamedTuple):
    id: int
    post: int
    author: int | None


class Conversation(NamedTuple):
    id: int
    participants: frozenset[int]


class Message(NamedTuple):
    id: int
    conversation: int
    author: int | None


class Material(NamedTuple):
    """A document or a calendar event: course-bound, or personal when ``course`` is None."""

    id: int
    owner: int | None
    course: int | None


class File(NamedTuple):
    """An uploaded file, carried by an answer (``submission``, through an attachment), by a
    document (``document``), or by nothing yet (both None)."""

    id: int
    owner: int | None
    submission: int | None
    document: int | None


class DataRequest(NamedTuple):
    """A data subject's request: about ``subject``, asked by ``requester`` (the subject, a
    guardian of theirs, or someone else: a system administrator registering a letter). Either
    is None once that person's row is gone (``SET NULL``)."""

    id: int
    subject: int | None
    requester: int | None


class Dataset(NamedTuple):
    schools: tuple[School, ...]
    people: tuple[Person, ...]
    roles: tuple[RoleAt, ...]
    courses: tuple[Course, ...]
    enrolments: tuple[Enrolment, ...]
    guardianships: tuple[Guardianship, ...]
    sessions: tuple[Session, ...]
    assignments: tuple[Assignment, ...]
    submissions: tuple[Submission, ...]
    assessments: tuple[Assessment, ...]
    posts: tuple[Post, ...]
    comments: tuple[Comment, ...]
    conversations: tuple[Conversation, ...]
    messages: tuple[Message, ...]
    documents: tuple[Material, ...]
    events: tuple[Material, ...]
    files: tuple[File, ...] = ()
    #: (notification id, the person it is for)
    notifications: tuple[tuple[int, int], ...] = ()
    data_requests: tuple[DataRequest, ...] = ()

    @property
    def person_ids(self) -> list[int]:
        return [person.id for person in self.people]


def _ids(base: int, count: int) -> list[int]:
    return [base + number for number in range(1, count + 1)]


def _pick(options: Sequence[T]) -> st.SearchStrategy[T]:
    return st.sampled_from(list(options))


def _maybe(options: Sequence[T]) -> st.SearchStrategy[T | None]:
    """One of ``options`` or None (shrinks to the first option, so links stay in examples)."""
    return st.one_of(_pick(options), st.none())


def _some(
    draw: st.DrawFn, parts: st.SearchStrategy[T], max_size: int, min_size: int = 0
) -> list[T]:
    """``min_size`` to ``max_size`` drawn values. The count is drawn first, as an integer:
    Hypothesis then spreads it over the whole range (``st.lists`` favours short lists), and it
    still shrinks to the minimum."""
    return [draw(parts) for _ in range(draw(st.integers(min_size, max_size)))]


def _numbered(
    draw: st.DrawFn,
    base: int,
    parts: st.SearchStrategy[tuple[Any, ...]],
    max_size: int,
    min_size: int = 0,
) -> list[tuple[Any, ...]]:
    """``min_size`` to ``max_size`` drawn tuples, each prefixed with the next id from ``base``."""
    drawn = _some(draw, parts, max_size, min_size)
    return [(base + number, *part) for number, part in enumerate(drawn, start=1)]


#: Mostly active people, courses, schools and current enrolments (the first value is the one
#: examples shrink to): the others are there to exercise the archived/ended/restricted rules.
_STATES = [ProcessingState.ACTIVE] * 3 + [ProcessingState.RESTRICTED, ProcessingState.ERASED]
_COURSE_STATES = [CourseState.ACTIVE, CourseState.ACTIVE, CourseState.ARCHIVED]
_ENDED = [False, False, True]
#: Staff roles twice as often: they carry the school relations; STUDENT and GUARDIAN roles only
#: make school members.
_ROLES = [
    Role.SCHOOL_LEADER,
    Role.TEACHER,
    Role.SUPERUSER,
    Role.SYSTEM_ADMINISTRATOR,
    Role.SCHOOL_LEADER,
    Role.TEACHER,
    Role.SUPERUSER,
    Role.STUDENT,
    Role.GUARDIAN,
]

#: The activity a type's rows come from: ``datasets(dense_in=type)`` draws at least one of each,
#: so no example of a test about that type is wasted on a dataset without its rows.
ROWS_OF: dict[str, tuple[str, ...]] = {
    "Assignment": ("assignments",),
    "Submission": ("assignments", "submissions"),
    "Assessment": ("assessments",),
    "Post": ("posts",),
    "Comment": ("posts", "comments"),
    "Conversation": ("conversations",),
    "Message": ("conversations", "messages"),
    "Document": ("documents",),
    "CalendarEvent": ("events",),
    "FileRef": ("files",),
    "Notification": ("notifications",),
    "DataRequest": ("data_requests",),
}


@st.composite
def datasets(draw: st.DrawFn, dense_in: str | None = None, max_people: int = 6) -> Dataset:
    """A roster (schools, people, roles, courses, enrolments, guardians, terms) and activity;
    at least one row of each table ``ROWS_OF[dense_in]`` names."""
    needed = ROWS_OF.get(dense_in or "", ())

    def least(table: str) -> int:
        return 1 if table in needed else 0

    school_ids = _ids(SCHOOL_BASE, draw(st.integers(1, 2)))
    schools = tuple(School(i, draw(_pick(_COURSE_STATES))) for i in school_ids)
    person_ids = _ids(PEOPLE_BASE, draw(st.integers(2, max_people)))
    people = tuple(Person(i, draw(_pick(_STATES))) for i in person_ids)

    roles: dict[tuple[int, Role, int | None], RoleAt] = {}
    # A school role without a school is not valid roster data, but the schema allows it: both
    # forms must ignore it alike.
    for person, role, school in _some(
        draw, st.tuples(_pick(person_ids), _pick(_ROLES), _maybe(school_ids)), 6
    ):
        at = None if role == Role.SYSTEM_ADMINISTRATOR else school
        roles.setdefault((person, role, at), RoleAt(person, role, at))

    course_ids = _ids(COURSE_BASE, draw(st.integers(1, 3)))
    courses = tuple(
        Course(i, draw(_pick(school_ids)), draw(st.booleans()), draw(_pick(_COURSE_STATES)))
        for i in course_ids
    )
    enrolments: dict[tuple[int, int, CourseRole], Enrolment] = {}
    for course, person, as_role, ended in _some(
        draw,
        st.tuples(_pick(course_ids), _pick(person_ids), _pick(list(CourseRole)), _pick(_ENDED)),
        12,
    ):
        enrolments.setdefault((course, person, as_role), Enrolment(course, person, as_role, ended))
    guardianships = {
        Guardianship(guardian, student)
        for guardian, student in _some(draw, st.tuples(_pick(person_ids), _pick(person_ids)), 4)
        if guardian != student
    }
    # Submissions and assessments are mostly about people enrolled as students, so that the
    # relations through their courses (contact teacher, guardian of a classmate) come up often.
    enrolled_students = sorted(
        {e.person for e in enrolments.values() if e.role == CourseRole.STUDENT}
    )
    students = (
        st.one_of(_pick(enrolled_students), _pick(person_ids))
        if enrolled_students
        else _pick(person_ids)
    )
    sessions = tuple(
        Session(i, draw(st.frozensets(_pick(course_ids), max_size=2)))
        for i in _ids(SESSION_BASE, draw(st.integers(0, 2)))
    )

    assignments = [
        Assignment(*row)
        for row in _numbered(
            draw,
            ASSIGNMENT_BASE,
            st.tuples(_pick(course_ids), _maybe(person_ids)),
            3,
            least("assignments"),
        )
    ]
    submissions = (
        [
            Submission(*row)
            for row in _numbered(
                draw,
                SUBMISSION_BASE,
                st.tuples(_pick([a.id for a in assignments]), students),
                4,
                least("submissions"),
            )
        ]
        if assignments
        else []
    )
    submission_ids: list[int | None] = [s.id for s in submissions] or [None]
    assessments = [
        Assessment(*row)
        for row in _numbered(
            draw,
            ASSESSMENT_BASE,
            st.tuples(
                students,
                _maybe(course_ids),
                _maybe(school_ids),
                _pick(list(AssessmentKind)),
                st.booleans(),
                _pick(submission_ids),
                _maybe(person_ids),
            ),
            4,
            least("assessments"),
        )
    ]
    posts = [
        Post(*row)
        for row in _numbered(
            draw,
            POST_BASE,
            st.tuples(_pick(course_ids), _maybe(person_ids)),
            3,
            least("posts"),
        )
    ]
    comments = (
        [
            Comment(*row)
            for row in _numbered(
                draw,
                COMMENT_BASE,
                st.tuples(_pick([p.id for p in posts]), _maybe(person_ids)),
                3,
                least("comments"),
            )
        ]
        if posts
        else []
    )
    conversations = [
        Conversation(i, draw(st.frozensets(_pick(person_ids), max_size=3)))
        for i in _ids(CONVERSATION_BASE, draw(st.integers(least("conversations"), 2)))
    ]
    messages = (
        [
            Message(*row)
            for row in _numbered(
                draw,
                MESSAGE_BASE,
                st.tuples(_pick([c.id for c in conversations]), _maybe(person_ids)),
                4,
                least("messages"),
            )
        ]
        if conversations
        else []
    )
    material = st.tuples(_maybe(person_ids), _maybe(course_ids))
    documents = [
        Material(*row) for row in _numbered(draw, DOCUMENT_BASE, material, 3, least("documents"))
    ]
    events = [Material(*row) for row in _numbered(draw, EVENT_BASE, material, 3, least("events"))]
    carriers: list[tuple[str, int] | None] = [
        None,
        *[("submission", sub.id) for sub in submissions],
        *[("document", doc.id) for doc in documents],
    ]
    files: list[File] = []
    taken: set[tuple[str, int]] = set()
    for file_id, (owner, carrier) in zip(
        _ids(FILE_BASE, 4),
        _some(draw, st.tuples(_maybe(person_ids), _pick(carriers)), 4, least("files")),
        strict=False,
    ):
        # a document carries at most one file; an answer any number
        if carrier is not None and carrier[0] == "document" and carrier in taken:
            carrier = None
        if carrier is not None:
            taken.add(carrier)
        files.append(
            File(
                file_id,
                owner,
                carrier[1] if carrier is not None and carrier[0] == "submission" else None,
                carrier[1] if carrier is not None and carrier[0] == "document" else None,
            )
        )
    notifications = _numbered(
        draw, NOTIFICATION_BASE, st.tuples(_pick(person_ids)), 3, least("notifications")
    )
    data_requests: list[DataRequest] = []
    for request_id in _ids(DATA_REQUEST_BASE, draw(st.integers(least("data_requests"), 3))):
        # about a person, mostly a pupil; asked by that person, a guardian of theirs or anyone
        subject = draw(st.one_of(students, st.none()))
        guardians = sorted(g.guardian for g in guardianships if g.student == subject)
        requester = draw(
            st.one_of(
                st.just(subject),
                *([_pick(guardians)] if guardians else []),
                _maybe(person_ids),
            )
        )
        data_requests.append(DataRequest(request_id, subject, requester))
    return Dataset(
        schools=schools,
        people=people,
        roles=tuple(roles.values()),
        courses=courses,
        enrolments=tuple(enrolments.values()),
        guardianships=tuple(sorted(guardianships)),
        sessions=sessions,
        assignments=tuple(assignments),
        submissions=tuple(submissions),
        assessments=tuple(assessments),
        posts=tuple(posts),
        comments=tuple(comments),
        conversations=tuple(conversations),
        messages=tuple(messages),
        documents=tuple(documents),
        events=tuple(events),
        files=tuple(files),
        notifications=tuple((n, person) for n, person in notifications),
        data_requests=tuple(data_requests),
    )


def table_rows(data: Dataset) -> dict[Table, list[dict[str, Any]]]:
    """The rows ``data`` stands for, per table, with every NOT NULL column filled."""
    schools = [
        {
            "id": s.id,
            "sourced_id": f"org-{s.id}",
            "name": f"School {s.id}",
            "org_type": "school",
            "state": s.state,
            "archived_at": None if s.state == CourseState.ACTIVE else T0,
        }
        for s in data.schools
    ]
    people = [
        {
            "id": p.id,
            "sourced_id": f"person-{p.id}",
            "username": f"user{p.id}",
            "given_name": f"Given{p.id}",
            "family_name": f"Family{p.id}",
            "processing_state": p.state,
            "created_at": T0,
            "updated_at": T0,
        }
        for p in data.people
    ]
    roles = [
        {"id": number, "person_id": r.person, "role": r.role, "school_id": r.school}
        for number, r in enumerate(data.roles, start=1)
    ]
    courses = [
        {
            "id": c.id,
            "sourced_id": f"class-{c.id}",
            "school_id": c.school,
            "code": f"C{c.id}",
            "name": f"Course {c.id}",
            "is_homeroom": c.homeroom,
            "state": c.state,
            "archived_at": None if c.state == CourseState.ACTIVE else T0,
        }
        for c in data.courses
    ]
    enrolments = [
        {
            "id": number,
            "course_id": e.course,
            "person_id": e.person,
            "role": e.role,
            "started_at": T0 - timedelta(days=100),
            "ended_at": T0 if e.ended else None,
        }
        for number, e in enumerate(data.enrolments, start=1)
    ]
    guardianships = [
        {"guardian_id": g.guardian, "student_id": g.student} for g in data.guardianships
    ]
    sessions = [
        {
            "id": s.id,
            "sourced_id": f"term-{s.id}",
            "title": f"Term {s.id}",
            "type": AcademicSessionType.TERM,
            "start_date": date(2025, 8, 15),
            "end_date": date(2026, 6, 20),
        }
        for s in data.sessions
    ]
    course_terms = [
        {"course_id": course, "session_id": s.id}
        for s in data.sessions
        for course in sorted(s.courses)
    ]
    assignments = [
        {
            "id": a.id,
            "course_id": a.course,
            "author_id": a.author,
            "title": f"Assignment {a.id}",
            "created_at": T0,
        }
        for a in data.assignments
    ]
    submissions = [
        {
            "id": s.id,
            "assignment_id": s.assignment,
            "student_id": s.student,
            "status": SubmissionStatus.SUBMITTED,
            "submitted_at": T0,
            "body": f"Answer {s.id}",
        }
        for s in data.submissions
    ]
    assessments = [
        {
            "id": a.id,
            "student_id": a.student,
            "course_id": a.course,
            "school_id": a.school,
            "course_code": f"C{a.course}",
            "course_name": f"Course {a.course}",
            "submission_id": a.submission,
            "assessor_id": a.assessor,
            "assessor_name": "Assessor",
            "kind": a.kind,
            "grade": "4",
            "published": a.published,
            "created_at": T0,
        }
        for a in data.assessments
    ]
    posts = [
        {"id": p.id, "course_id": p.course, "author_id": p.author, "body": "Post", "created_at": T0}
        for p in data.posts
    ]
    comments = [
        {"id": c.id, "post_id": c.post, "author_id": c.author, "body": "Comment", "created_at": T0}
        for c in data.comments
    ]
    conversations = [{"id": c.id, "created_at": T0} for c in data.conversations]
    participants = [
        {"conversation_id": c.id, "person_id": person}
        for c in data.conversations
        for person in sorted(c.participants)
    ]
    messages = [
        {
            "id": m.id,
            "conversation_id": m.conversation,
            "author_id": m.author,
            "body": "Message",
            "sent_at": T0,
        }
        for m in data.messages
    ]
    documents = [
        {
            "id": d.id,
            "owner_id": d.owner,
            "course_id": d.course,
            "title": f"Document {d.id}",
            "body": "Text",
            "created_at": T0,
            "file_id": next((f.id for f in data.files if f.document == d.id), None),
        }
        for d in data.documents
    ]
    files = [
        {
            "id": f.id,
            "owner_id": f.owner,
            "filename": f"file{f.id}.pdf",
            "content_type": "application/pdf",
            "size_bytes": 10,
            "sha256": "0" * 64,
            "storage_key": f"key-{f.id}",
            "created_at": T0,
        }
        for f in data.files
    ]
    notifications = [
        {
            "id": n,
            "person_id": person,
            "kind": "NOTICE",
            "message": "Notice",
            "created_at": T0,
            "read_at": None,
        }
        for n, person in data.notifications
    ]
    asked_by_family = {(g.guardian, g.student) for g in data.guardianships}
    data_requests = [
        {
            "id": r.id,
            "kind": DataRequestKind.ACCESS,
            "status": DataRequestStatus.RECEIVED,
            # asked in Tavle by the subject or a guardian; otherwise registered from a letter
            "channel": RequestChannel.SELF_SERVICE
            if r.requester is not None
            and (r.requester == r.subject or (r.requester, r.subject) in asked_by_family)
            else RequestChannel.LETTER,
            "subject_id": r.subject,
            "requested_by_id": r.requester,
            "message": "Request",
            "received_at": T0,
            "due_at": T0 + timedelta(days=31),
            "identity_verified": False,
        }
        for r in data.data_requests
    ]
    attachments = [
        {
            "id": ATTACHMENT_BASE + n,
            "submission_id": f.submission,
            "filename": f"file{f.id}.pdf",
            "content_type": "application/pdf",
            "size_bytes": 10,
            "file_id": f.id,
        }
        for n, f in enumerate(data.files, start=1)
        if f.submission is not None
    ]
    events = [
        {
            "id": e.id,
            "owner_id": e.owner,
            "course_id": e.course,
            "title": f"Event {e.id}",
            "starts_at": T0,
            "ends_at": T0 + timedelta(hours=1),
        }
        for e in data.events
    ]
    return {
        t.schools: schools,
        t.people: people,
        t.role_assignments: roles,
        t.courses: courses,
        t.enrolments: enrolments,
        t.guardianships: guardianships,
        t.academic_sessions: sessions,
        t.course_terms: course_terms,
        t.assignments: assignments,
        t.submissions: submissions,
        t.assessments: assessments,
        t.posts: posts,
        t.comments: comments,
        t.conversations: conversations,
        t.conversation_participants: participants,
        t.messages: messages,
        t.files: files,
        t.documents: documents,
        t.attachments: attachments,
        t.calendar_events: events,
        t.notifications: notifications,
        t.data_requests: data_requests,
    }


async def clear(conn: AsyncConnection) -> None:
    """Delete every row of every table of the schema, children first."""
    for table in reversed(t.metadata.sorted_tables):
        await conn.execute(table.delete())


async def refill(conn: AsyncConnection, rows: dict[Table, list[dict[str, Any]]]) -> None:
    """Replace the database's contents with ``rows`` (from ``table_rows`` or a test's own)."""
    await clear(conn)
    for table in t.metadata.sorted_tables:
        if rows.get(table):
            await conn.execute(table.insert(), rows[table])


def _rich() -> Dataset:
    """One hand-made school where every relation of every type holds somewhere.

    Run as an explicit example before the generated ones: generated datasets reach the rarer
    combinations (a leader's school reached through a pupil's enrolment only, a contact teacher
    of a pupil in another course) only now and then.
    """
    active, restricted, erased = (
        ProcessingState.ACTIVE,
        ProcessingState.RESTRICTED,
        ProcessingState.ERASED,
    )
    live, archived = CourseState.ACTIVE, CourseState.ARCHIVED
    teacher, student = CourseRole.TEACHER, CourseRole.STUDENT
    # 1 teacher (homeroom 201, course 202), 2 and 3 pupils, 4 their guardian, 5 school leader,
    # 6 superuser, 7 system administrator, 8 a restricted pupil, 9 an erased teacher (archived
    # course 203), 10 a restricted teacher of 202 and guardian of 3; school 102 is archived,
    # course 204 of it is not.
    return Dataset(
        schools=(School(101, live), School(102, archived)),
        people=(
            *(Person(i, active) for i in range(1, 8)),
            Person(8, restricted),
            Person(9, erased),
            Person(10, restricted),
        ),
        roles=(
            RoleAt(1, Role.TEACHER, 101),
            RoleAt(2, Role.STUDENT, 101),
            RoleAt(4, Role.GUARDIAN, None),
            RoleAt(5, Role.SCHOOL_LEADER, 101),
            RoleAt(6, Role.SUPERUSER, 101),
            RoleAt(6, Role.SUPERUSER, 102),
            RoleAt(7, Role.SYSTEM_ADMINISTRATOR, None),
            RoleAt(9, Role.TEACHER, 101),
        ),
        courses=(
            Course(201, 101, True, live),
            Course(202, 101, False, live),
            Course(203, 101, False, archived),
            Course(204, 102, False, live),
        ),
        enrolments=(
            Enrolment(201, 1, teacher, False),
            Enrolment(201, 2, student, False),
            Enrolment(201, 8, student, False),
            Enrolment(201, 3, student, True),
            Enrolment(202, 1, teacher, False),
            Enrolment(202, 2, student, False),
            Enrolment(202, 3, student, False),
            Enrolment(202, 10, teacher, False),
            Enrolment(203, 9, teacher, False),
            Enrolment(203, 3, student, False),
            Enrolment(203, 8, student, False),
            Enrolment(204, 5, teacher, False),
            Enrolment(204, 2, student, False),
        ),
        guardianships=(
            Guardianship(4, 2),
            Guardianship(4, 3),
            Guardianship(4, 8),
            Guardianship(10, 3),
        ),
        sessions=(Session(301, frozenset({201, 202})),),
        assignments=(Assignment(401, 202, 1), Assignment(402, 203, None)),
        submissions=(Submission(501, 401, 2), Submission(502, 401, 3), Submission(503, 402, 8)),
        assessments=(
            Assessment(601, 2, 201, 101, AssessmentKind.FEEDBACK, True, None, 1),
            Assessment(602, 3, None, 101, AssessmentKind.FINAL, False, None, None),
            Assessment(603, 2, 202, 102, AssessmentKind.HALF_YEAR, False, 501, 1),
            Assessment(604, 8, 201, 101, AssessmentKind.REMARK, True, None, 1),
            Assessment(605, 3, None, None, AssessmentKind.ABSENCE, True, None, 9),
            Assessment(606, 3, 203, 101, AssessmentKind.GOAL_ACHIEVEMENT, True, 502, 9),
        ),
        posts=(Post(701, 202, 2), Post(702, 203, None), Post(703, 204, 5)),
        comments=(Comment(801, 701, 3), Comment(802, 702, 1), Comment(803, 703, None)),
        conversations=(
            Conversation(901, frozenset({1, 4})),
            Conversation(902, frozenset({2, 3, 8})),
        ),
        messages=(Message(1001, 901, 1), Message(1002, 902, 8), Message(1003, 902, None)),
        documents=(
            Material(1101, 2, None),
            Material(1102, 1, 202),
            Material(1103, 8, None),
            Material(1104, None, None),
            Material(1105, 9, 204),
        ),
        events=(
            Material(1201, 3, None),
            Material(1202, 1, 201),
            Material(1203, None, 203),
            Material(1204, 6, 204),
        ),
        files=(
            File(1301, 2, 501, None),  # a student's answer's file
            File(1302, 3, 502, None),
            File(1303, 8, 503, None),  # a restricted student's
            File(1304, 1, None, 1102),  # a teacher's course document's
            File(1305, 2, None, 1101),  # a personal document's
            File(1306, 9, None, 1105),
            File(1307, 2, None, None),  # uploaded, not attached yet
            File(1308, None, None, 1104),
        ),
        notifications=((1501, 2), (1502, 8), (1503, 1)),
        data_requests=(
            DataRequest(1601, 2, 2),  # a pupil asks about themself
            DataRequest(1602, 3, 4),  # a guardian asks about their child
            DataRequest(1603, 8, 7),  # a system administrator registers a letter
            DataRequest(1604, 4, 4),  # a guardian asks about themself
            DataRequest(1605, None, None),  # both people gone
        ),
    )


#: The hand-made school: every relation of every type holds on some row for some person.
RICH = _rich()

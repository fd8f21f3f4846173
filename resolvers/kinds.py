"""The object types of the data layer, each declared once.

A ``Kind`` holds everything the data layer knows about one type: the rows it comes from
(``source``), the columns selected (labelled as its record's fields), its key, its fact columns
(what its relations are about, ``authz.relations.FactColumns``), the condition every viewer is
subject to (``always``: restricted people do not resolve), and its record class. The rest is
derived from ``KINDS``: the row scopes (``resolvers.scopes``), making records
(``resolvers.materialize``), the by-id loaders (``resolvers.loaders.Loaders.by_id``), the
``node`` lookup and the schema's map of types (``schema.registry``). Adding a type is adding a
declaration here, a record class, and its Strawberry type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Label, func, select

from authz.relations import FactColumns
from resolvers.records import (
    AcademicSessionRecord,
    AssessmentRecord,
    AssignmentRecord,
    AuditEntryRecord,
    CalendarEventRecord,
    CommentRecord,
    ConversationRecord,
    CourseRecord,
    DataRequestRecord,
    DocumentRecord,
    FileRefRecord,
    IncidentRecord,
    MessageRecord,
    NotificationRecord,
    PostRecord,
    PrivacyRequestRecord,
    Relations,
    RosterImportRecord,
    Row,
    SchoolRecord,
    SubmissionRecord,
    UserRecord,
)
from store import tables as t
from store.erasure_ledger import REPORTED_STATUS
from store.tables import ItemStatus, PrivacyAction, PrivacyRequestStatus, ProcessingState

#: The label of a kind's ``stand_in`` condition among its selected columns.
STAND_IN = "tavle_stand_in"


@dataclass(frozen=True, eq=False)  # SQL expressions compare into SQL: identity it is
class Kind:
    """One object type: where its rows come from, what is selected, and what it is made into."""

    type_name: str
    source: FromClause
    #: the values of the record, each labelled as the record's field (``id``: the key)
    columns: tuple[Label[Any], ...]
    key: ColumnElement[int]
    record: type[Any]
    facts: FactColumns = field(default_factory=FactColumns)
    #: a condition every viewer is subject to (restricted people do not resolve)
    always: ColumnElement[bool] | None = None
    #: rows for which this holds are made into the pseudonym stand-in (the privacy tool's
    #: erased people)
    stand_in: ColumnElement[bool] | None = None
    #: addressable by a global id (``node``, the root lookups); the privacy tool's views are not
    node: bool = True

    @cached_property
    def selected(self) -> tuple[Label[Any], ...]:
        """Everything a row of this kind is selected with: its values, its labelled fact
        columns (read back by ``FactColumns.facts_of``) and its stand-in condition."""
        extra = () if self.stand_in is None else (self.stand_in.label(STAND_IN),)
        return (*self.columns, *self.facts.labelled(), *extra)

    @cached_property
    def value_names(self) -> tuple[str, ...]:
        """The record's fields read from the row by label (all but ``pk`` and ``relations``)."""
        return tuple(f.name for f in fields(self.record) if f.name not in ("pk", "relations"))

    @property
    def person_facts(self) -> bool:
        """Whether rows are people, whose "schools" fact is loaded beside them."""
        return self.facts.person is not None

    @cached_property
    def by_label(self) -> Layout:
        """The layout of rows read as mappings (by label)."""
        return Layout.of(self, {label.name: label.name for label in self.selected})

    @cached_property
    def _layouts(self) -> dict[tuple[str, ...], Layout]:
        return {}

    def layout(self, columns: Mapping[str, int]) -> Layout:
        """The layout of tuple rows whose columns are at ``columns`` (label: position), made
        once per list of columns."""
        labels = tuple(columns)
        found = self._layouts.get(labels)
        if found is None:
            found = self._layouts[labels] = Layout.of(self, columns)
        return found

    def make(self, row: Row, relations: Relations) -> Any:
        """The record of ``row`` (the kind's record factory)."""
        return self.by_label.make(row, relations)


Position = int | str
Getter = Callable[[Any], tuple[Any, ...]]


def _getter(at: Sequence[Position]) -> Getter:
    """The values at ``at`` of a row, as a tuple."""
    if not at:
        return lambda row: ()
    if len(at) == 1:
        only = at[0]
        return lambda row: (row[only],)
    return itemgetter(*at)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a kind's row holds what its record is made of: positions in a tuple row (rows read
    without a mapping per row, ``resolvers.fetch.Rows``) or labels in a mapping row.

    ``facts`` reads the fact columns in the order of ``FactColumns.declared`` (what
    ``FactColumns.facts_from`` takes); ``make`` makes the record.
    """

    id: Position
    facts: Getter
    stand_in: Position | None
    make: Callable[[Any, Relations], Any]

    @classmethod
    def of(cls, kind: Kind, columns: Mapping[str, Position]) -> Layout:
        stand_in = columns[STAND_IN] if kind.stand_in is not None else None
        facts = _getter([columns[label] for _, label in kind.facts.declared])
        return cls(columns["id"], facts, stand_in, _maker(kind, columns))


def _maker(kind: Kind, columns: Mapping[str, Position]) -> Callable[[Any, Relations], Any]:
    """``make(row, relations)``: the record of ``row``.

    Records are frozen dataclasses with slots; their ``__init__`` sets each field through
    ``object.__setattr__``. This sets the slots directly (each field's slot descriptor), in a
    function written out for the kind's fields and the row's positions: half the time of
    ``__init__`` for every object a request reads. Only field names (identifiers) and
    positions go into the function's text.
    """
    record = kind.record
    names = [f.name for f in fields(record)]
    if names[0] != "pk" or names[-1] != "relations" or any(f.kw_only for f in fields(record)):
        raise TypeError(f"{record.__name__}: fields must be pk, the values, relations")
    at = {"pk": columns["id"], **{name: columns[name] for name in names[1:-1]}}
    lines = ["def make(row, relations):", "    made = new(record)"]
    scope: dict[str, Any] = {"new": object.__new__, "record": record}
    for n, name in enumerate(names):
        if not name.isidentifier():
            raise TypeError(f"{record.__name__}: field {name!r}")
        scope[f"set_{n}"] = getattr(record, name).__set__
        value = "relations" if name == "relations" else f"row[{at[name]!r}]"
        lines.append(f"    set_{n}(made, {value})")
    lines.append("    return made")
    exec("\n".join(lines), scope)
    make: Callable[[Any, Relations], Any] = scope["make"]
    return make


def _labelled(*columns: ColumnElement[Any]) -> tuple[Label[Any], ...]:
    """Table columns labelled by their own names."""
    return tuple(column.label(column.name) for column in columns)


_c = t.courses.c
_p = t.people.c

#: Restricted and erased people (docs/privacy-actions.md). Their student answers and the assessments
#: about them are hidden from everyone, and so are material and events only they could see; what
#: they wrote for others stays visible under a pseudonym (resolved in ``resolvers.follow``). NOT
#: IN over this small set is cheaper than joining every row to ``people``.
_inactive_people = select(_p.id).where(_p.processing_state != ProcessingState.ACTIVE)

_PEOPLE_COLUMNS = _labelled(
    _p.id,
    _p.given_name,
    _p.family_name,
    _p.email,
    _p.national_id,
    _p.processing_state,
    _p.preferred_language,
)

USER = Kind(
    "User",
    t.people,
    _PEOPLE_COLUMNS,
    _p.id,
    UserRecord,
    FactColumns(person=_p.id),
    always=_p.processing_state == ProcessingState.ACTIVE,
)

_sc = t.schools.c
SCHOOL = Kind(
    "School",
    t.schools,
    _labelled(_sc.id, _sc.name, _sc.code, _sc.state),
    _sc.id,
    SchoolRecord,
    FactColumns(school=_sc.id),
)

COURSE = Kind(
    "Course",
    t.courses,
    _labelled(_c.id, _c.code, _c.name, _c.is_homeroom, _c.school_id, _c.state, _c.archived_at),
    _c.id,
    CourseRecord,
    FactColumns(course=_c.id, school=_c.school_id),
)

_a = t.assignments.c
ASSIGNMENT = Kind(
    "Assignment",
    t.assignments.join(t.courses, _c.id == _a.course_id),
    (
        *_labelled(
            _a.id, _a.course_id, _a.author_id, _a.title, _a.instructions, _a.due_at, _a.created_at
        ),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _a.id,
    AssignmentRecord,
    FactColumns(owner=_a.author_id, course=_a.course_id, school=_c.school_id),
)

_s = t.submissions.c
SUBMISSION = Kind(
    "Submission",
    t.submissions.join(t.assignments, _a.id == _s.assignment_id).join(
        t.courses, _c.id == _a.course_id
    ),
    (
        *_labelled(
            _s.id,
            _s.assignment_id,
            _s.student_id,
            _s.status,
            _s.submitted_at,
            _s.body,
            _s.last_opened_at,
            _s.last_opened_by_id,
        ),
        _a.course_id.label("course_id"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _s.id,
    SubmissionRecord,
    FactColumns(
        owner=_s.student_id, student=_s.student_id, course=_a.course_id, school=_c.school_id
    ),
    always=_s.student_id.not_in(_inactive_people),
)

_x = t.assessments.c
#: An assessment outlives an explicit deletion of its course: the course is an outer join (NULL
#: ``course_id``), and its school is the course's (which may have moved) or, once the course is
#: gone, the assessment's own snapshot.
_assessment_school = func.coalesce(_c.school_id, _x.school_id)
ASSESSMENT = Kind(
    "Assessment",
    t.assessments.outerjoin(t.courses, _c.id == _x.course_id),
    (
        *_labelled(
            _x.id,
            _x.student_id,
            _x.course_id,
            _x.submission_id,
            _x.assessor_id,
            _x.assessor_name,
            _x.kind,
            _x.grade,
            _x.comment,
            _x.published,
            _x.created_at,
        ),
        _assessment_school.label("school_id"),
        *_labelled(_x.course_code, _x.course_name),
        _c.state.label("course_state"),
    ),
    _x.id,
    AssessmentRecord,
    FactColumns(
        student=_x.student_id,
        course=_x.course_id,
        school=_assessment_school,
        published=_x.published,
    ),
    always=_x.student_id.not_in(_inactive_people),
)

_post = t.posts.c
POST = Kind(
    "Post",
    t.posts.join(t.courses, _c.id == _post.course_id),
    (
        *_labelled(_post.id, _post.course_id, _post.author_id, _post.body, _post.created_at),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _post.id,
    PostRecord,
    FactColumns(owner=_post.author_id, course=_post.course_id, school=_c.school_id),
)

_m = t.comments.c
COMMENT = Kind(
    "Comment",
    t.comments.join(t.posts, _post.id == _m.post_id).join(t.courses, _c.id == _post.course_id),
    (
        *_labelled(_m.id, _m.post_id, _m.author_id, _m.body, _m.created_at),
        _post.course_id.label("course_id"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _m.id,
    CommentRecord,
    FactColumns(owner=_m.author_id, course=_post.course_id, school=_c.school_id),
)

_v = t.conversations.c
CONVERSATION = Kind(
    "Conversation",
    t.conversations,
    _labelled(_v.id),
    _v.id,
    ConversationRecord,
    FactColumns(conversation=_v.id),
)

_msg = t.messages.c
MESSAGE = Kind(
    "Message",
    t.messages,
    _labelled(_msg.id, _msg.conversation_id, _msg.author_id, _msg.body, _msg.sent_at),
    _msg.id,
    MessageRecord,
    FactColumns(owner=_msg.author_id, conversation=_msg.conversation_id),
)

_d = t.documents.c
DOCUMENT = Kind(
    "Document",
    t.documents.outerjoin(t.courses, _c.id == _d.course_id),
    (
        *_labelled(_d.id, _d.owner_id, _d.course_id, _d.title, _d.body, _d.file_id),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _d.id,
    DocumentRecord,
    FactColumns(owner=_d.owner_id, course=_d.course_id, school=_c.school_id),
    always=_d.course_id.is_not(None) | _d.owner_id.is_(None) | _d.owner_id.not_in(_inactive_people),
)

_f, _fa, _fs, _fasg, _fd = (
    t.files.c,
    t.attachments.c,
    t.submissions.c,
    t.assignments.c,
    t.documents.c,
)
#: the course of the answer or document that carries a file (NULL: neither, or private)
_file_course = func.coalesce(_fasg.course_id, _fd.course_id)
#: Uploaded files. Their owner finds them by id (``node``); others only through the field that
#: lists them (``Attachment.file``, ``Document.file``: the see lines on those coordinates), by
#: the facts of what carries the file: the answer's course and student, the document's course.
#: A restricted owner's files do not resolve.
FILE_REF = Kind(
    "FileRef",
    t.files.outerjoin(t.attachments, _fa.file_id == _f.id)
    .outerjoin(t.submissions, _fs.id == _fa.submission_id)
    .outerjoin(t.assignments, _fasg.id == _fs.assignment_id)
    .outerjoin(t.documents, _fd.file_id == _f.id)
    .outerjoin(t.courses, _c.id == _file_course),
    _labelled(_f.id, _f.owner_id, _f.filename, _f.content_type, _f.size_bytes),
    _f.id,
    FileRefRecord,
    FactColumns(
        owner=_f.owner_id, course=_file_course, school=_c.school_id, student=_fs.student_id
    ),
    always=_f.owner_id.not_in(_inactive_people),
)

_e = t.calendar_events.c
CALENDAR_EVENT = Kind(
    "CalendarEvent",
    t.calendar_events.outerjoin(t.courses, _c.id == _e.course_id),
    (
        *_labelled(_e.id, _e.owner_id, _e.course_id, _e.title, _e.starts_at, _e.ends_at),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    _e.id,
    CalendarEventRecord,
    FactColumns(owner=_e.owner_id, course=_e.course_id, school=_c.school_id),
    always=_e.course_id.is_not(None) | _e.owner_id.is_(None) | _e.owner_id.not_in(_inactive_people),
)

_as = t.academic_sessions.c
#: School years, terms ...: calendar data without personal data, for every authenticated caller.
ACADEMIC_SESSION = Kind(
    "AcademicSession",
    t.academic_sessions,
    _labelled(_as.id, _as.title, _as.type, _as.start_date, _as.end_date, _as.parent_id),
    _as.id,
    AcademicSessionRecord,
)

_n = t.notifications.c
#: A person's notifications: theirs alone (the owner), by id through ``node`` as in
#: ``User.notifications``. The global id is ``Notification:<row id>``, as it always was.
NOTIFICATION = Kind(
    "Notification",
    t.notifications,
    _labelled(_n.id, _n.kind, _n.message, _n.created_at, _n.read_at),
    _n.id,
    NotificationRecord,
    FactColumns(owner=_n.person_id),
)

# --- The privacy tool's objects: system administrators only ---------------------------------

_pr = t.privacy_requests.c
_pri = t.privacy_request_items.c


def _items(*where: ColumnElement[bool]) -> Any:
    """How many people of a batch or school erasure (``privacy_request_items``) match ``where``."""
    return (
        select(func.count())
        .select_from(t.privacy_request_items)
        .where(_pri.request_id == _pr.id, *where)
        .scalar_subquery()
    )


PRIVACY_REQUEST = Kind(
    "PrivacyRequest",
    t.privacy_requests,
    (
        *_labelled(_pr.id, _pr.action),
        # A finished erasure whose erasure-ledger entry is not written yet is still RUNNING: it
        # is not reported complete before the entry exists (``privacyRequests(status:)`` filters
        # on the same expression).
        REPORTED_STATUS.label("status"),
        *_labelled(
            _pr.subject_id,
            _pr.origin,
            _pr.course_id,
            _pr.requested_by_id,
            _pr.confirmed_by_id,
            _pr.justification,
            _pr.created_at,
            _pr.completed_at,
            _pr.effects,
            _pr.format,
            _pr.file_name,
            _pr.expires_at,
            _pr.error,
        ),
        # batch and school erasure (resolvers/services/batch_erasure.py): the school, and the
        # people's results counted (0 for the other actions)
        _pr.school_id.label("school_id"),
        _items().label("items_total"),
        _items(_pri.status == ItemStatus.PENDING).label("items_pending"),
        _items(_pri.status == ItemStatus.ERASED).label("items_erased"),
        _items(_pri.status == ItemStatus.SKIPPED).label("items_skipped"),
        _items(_pri.status == ItemStatus.FAILED).label("items_failed"),
    ),
    _pr.id,
    PrivacyRequestRecord,
)

_dr = t.data_requests.c
_released = (
    select(_pr.id, _pr.expires_at)
    .where(
        _pr.data_request_id == _dr.id,
        _pr.action == PrivacyAction.EXPORT,
        _pr.status == PrivacyRequestStatus.COMPLETED,
        _pr.released_at.is_not(None),
    )
    .order_by(_pr.id.desc())
    .limit(1)
)
#: A data subject's request (docs/data-requests.md): system administrators, the person who asked
#: (the owner) and the person it is about (the student fact: ``self_if_published``).
DATA_REQUEST = Kind(
    "DataRequest",
    t.data_requests,
    (
        *_labelled(
            _dr.id,
            _dr.kind,
            _dr.status,
            _dr.channel,
            _dr.subject_id,
            _dr.requested_by_id,
            _dr.message,
            _dr.received_at,
            _dr.due_at,
            _dr.extended_to,
            _dr.extension_reason,
            _dr.identity_verified,
            _dr.decided_by_id,
            _dr.decided_at,
            _dr.decision_reason,
            _dr.completed_at,
        ),
        _released.with_only_columns(_pr.id).scalar_subquery().label("released_export_id"),
        _released.with_only_columns(_pr.expires_at)
        .scalar_subquery()
        .label("released_export_expires_at"),
    ),
    _dr.id,
    DataRequestRecord,
    FactColumns(owner=_dr.requested_by_id, student=_dr.subject_id),
)


_inc, _incp = t.incidents.c, t.incident_people.c
#: The incident register (docs/incidents.md): system administrators only (no facts: the
#: ``sysadmin`` see line is its whole row rule).
INCIDENT = Kind(
    "Incident",
    t.incidents,
    (
        *_labelled(
            _inc.id,
            _inc.description,
            _inc.detected_at,
            _inc.recorded_at,
            _inc.recorded_by_id,
            _inc.report_due_at,
            _inc.status,
            _inc.categories,
            _inc.scope_kind,
            _inc.scope_school_id,
            _inc.scope_course_ids,
            _inc.scope_staff_id,
            _inc.scope_from,
            _inc.scope_to,
            _inc.actions_taken,
            _inc.authority_notified_at,
            _inc.people_notified_at,
            _inc.updated_at,
        ),
        select(func.count(_incp.id))
        .where(_incp.incident_id == _inc.id)
        .scalar_subquery()
        .label("affected_count"),
    ),
    _inc.id,
    IncidentRecord,
)

_ae = t.audit_entries.c
AUDIT_ENTRY = Kind(
    "AuditEntry",
    t.audit_entries,
    _labelled(
        _ae.id,
        _ae.at,
        _ae.actor_id,
        _ae.action,
        _ae.target_type,
        _ae.target_id,
        _ae.justification,
        _ae.trace_id,
        _ae.roster_import_id,
        _ae.detail,
        _ae.hash,
        _ae.subject_id,
        _ae.justification_digest,
    ),
    _ae.id,
    AuditEntryRecord,
)

_ri = t.roster_imports.c
#: Import runs (docs/school-year.md rule 6): who imported what, when, with which outcome.
ROSTER_IMPORT = Kind(
    "RosterImport",
    t.roster_imports,
    _labelled(
        _ri.id,
        _ri.started_at,
        _ri.finished_at,
        _ri.status,
        _ri.source,
        _ri.mode,
        _ri.actor,
        _ri.file_digests,
        _ri.counts,
        _ri.conflicts,
    ),
    _ri.id,
    RosterImportRecord,
)

#: ``recycleBin``: the restricted people, seen only there (and in requests and exports).
RECYCLE_BIN = Kind(
    "RecycleBin",
    t.people,
    _PEOPLE_COLUMNS,
    _p.id,
    UserRecord,
    FactColumns(person=_p.id),
    always=_p.processing_state == ProcessingState.RESTRICTED,
    node=False,
)

#: People as the privacy tool shows them (a request's subject, an entry's actor): any state, in
#: full, restricted ones too; erased ones as pseudonyms.
PRIVACY_SUBJECT = Kind(
    "PrivacySubject",
    t.people,
    _PEOPLE_COLUMNS,
    _p.id,
    UserRecord,
    FactColumns(person=_p.id),
    stand_in=_p.processing_state == ProcessingState.ERASED,
    node=False,
)

KINDS: dict[str, Kind] = {
    kind.type_name: kind
    for kind in (
        USER,
        SCHOOL,
        COURSE,
        ASSIGNMENT,
        SUBMISSION,
        ASSESSMENT,
        POST,
        COMMENT,
        CONVERSATION,
        MESSAGE,
        DOCUMENT,
        FILE_REF,
        CALENDAR_EVENT,
        PRIVACY_REQUEST,
        INCIDENT,
        DATA_REQUEST,
        AUDIT_ENTRY,
        ACADEMIC_SESSION,
        ROSTER_IMPORT,
        NOTIFICATION,
        RECYCLE_BIN,
        PRIVACY_SUBJECT,
    )
}

#: The kinds a global id can name (``node``, the root lookups, ``tavle explain``).
NODE_KINDS: dict[str, Kind] = {name: kind for name, kind in KINDS.items() if kind.node}

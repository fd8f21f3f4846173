"""Row scopes: for each object type, the rows it comes from and the facts its relations use.

``visible()`` compiles the policy's ``see`` lines for a type into one WHERE clause for the
current viewer, so an object the viewer may not see never leaves the database. Every read path
(lookups by id, lists, nested connections, ``node``) goes through a scope; there is no unscoped
query for a guarded type in ``resolvers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, FromClause, Select, and_, false, func, or_, select, true

from authz.policy import Policy
from authz.relations import BASE_RELATIONS, FactColumns, relation_clause
from authz.viewer import Viewer
from store import tables as t
from store.tables import ProcessingState


class ScopeContext(Protocol):
    """What a row scope needs: the viewer, the policy, and whether checks are bypassed."""

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def bypass(self) -> bool: ...


@dataclass(frozen=True)
class Scope:
    type_name: str
    source: FromClause
    columns: tuple[ColumnElement[object], ...]
    facts: FactColumns
    key: ColumnElement[int]
    #: a condition every viewer is subject to (restricted people do not resolve)
    always: ColumnElement[bool] | None = None


def visible(scope: Scope, ctx: ScopeContext) -> ColumnElement[bool]:
    """The WHERE clause "the viewer may see this row" for ``scope``."""
    conditions: list[ColumnElement[bool]] = []
    if scope.always is not None:
        conditions.append(scope.always)
    if not ctx.bypass:
        viewer = ctx.viewer
        if viewer is None:
            return false()
        granting = ctx.policy.granting_relations(scope.type_name, "see", BASE_RELATIONS)
        if "sysadmin" in granting and viewer.is_sysadmin:
            clauses: list[ColumnElement[bool]] = [true()]
        else:
            clauses = [
                clause
                for rel in sorted(granting)
                if (clause := relation_clause(rel, viewer, scope.facts)) is not None
            ]
        conditions.append(or_(*clauses) if clauses else false())
    return and_(true(), *conditions)


def scoped_select(
    scope: Scope, ctx: ScopeContext, source: FromClause | None = None
) -> Select[*tuple[Any, ...]]:
    """``SELECT <scope columns> FROM <source> WHERE <visible>``; callers add their own filters."""
    return (
        select(*scope.columns)
        .select_from(source if source is not None else scope.source)
        .where(visible(scope, ctx))
    )


_c = t.courses.c
_p = t.people.c

#: Restricted and erased people (docs/privacy-actions.md). Their student answers and the assessments
#: about them are hidden from everyone, and so are material and events only they could see; what
#: they wrote for others stays visible under a pseudonym (resolved in ``schema``). NOT IN over
#: this small set is cheaper than joining every row to ``people``.
_inactive_people = select(_p.id).where(_p.processing_state != ProcessingState.ACTIVE)

USER = Scope(
    "User",
    t.people,
    (
        _p.id.label("id"),
        _p.given_name.label("given_name"),
        _p.family_name.label("family_name"),
        _p.email.label("email"),
        _p.national_id.label("national_id"),
        _p.processing_state.label("processing_state"),
    ),
    FactColumns(person=_p.id),
    _p.id,
    always=_p.processing_state == ProcessingState.ACTIVE,
)


def conversation_people_select(ctx: ScopeContext) -> Select[*tuple[Any, ...]]:
    """People as reached inside a conversation (``Conversation.participants``, ``Message.author``).

    docs/access-policy.md, "Communication": participants read a conversation and its messages
    *including* ``author`` and ``participants``. So besides the people the User row rule shows,
    these paths show the people the viewer shares a conversation with (a teacher's message to
    two guardians who otherwise cannot see each other). Lookups and every other list keep the
    User row rule alone; field rules are unchanged; restricted people still do not resolve.
    """
    condition = visible(USER, ctx)
    viewer = ctx.viewer
    if not ctx.bypass and viewer is not None:
        cp = t.conversation_participants.c
        mine = select(cp.conversation_id).where(cp.person_id == viewer.person_id)
        fellows = select(cp.person_id).where(cp.conversation_id.in_(mine))
        active = USER.always if USER.always is not None else true()
        condition = or_(condition, and_(active, USER.key.in_(fellows)))
    return select(*USER.columns).select_from(USER.source).where(condition)


SCHOOL = Scope(
    "School",
    t.schools,
    (
        t.schools.c.id.label("id"),
        t.schools.c.name.label("name"),
        t.schools.c.code.label("code"),
        t.schools.c.state.label("state"),
    ),
    FactColumns(school=t.schools.c.id),
    t.schools.c.id,
)

COURSE = Scope(
    "Course",
    t.courses,
    (
        _c.id.label("id"),
        _c.code.label("code"),
        _c.name.label("name"),
        _c.is_homeroom.label("is_homeroom"),
        _c.school_id.label("school_id"),
        _c.state.label("state"),
        _c.archived_at.label("archived_at"),
    ),
    FactColumns(course=_c.id, school=_c.school_id),
    _c.id,
)

_a = t.assignments.c
ASSIGNMENT = Scope(
    "Assignment",
    t.assignments.join(t.courses, _c.id == _a.course_id),
    (
        _a.id.label("id"),
        _a.course_id.label("course_id"),
        _a.author_id.label("author_id"),
        _a.title.label("title"),
        _a.instructions.label("instructions"),
        _a.due_at.label("due_at"),
        _a.created_at.label("created_at"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(owner=_a.author_id, course=_a.course_id, school=_c.school_id),
    _a.id,
)

_s = t.submissions.c
SUBMISSION = Scope(
    "Submission",
    t.submissions.join(t.assignments, _a.id == _s.assignment_id).join(
        t.courses, _c.id == _a.course_id
    ),
    (
        _s.id.label("id"),
        _s.assignment_id.label("assignment_id"),
        _s.student_id.label("student_id"),
        _s.status.label("status"),
        _s.submitted_at.label("submitted_at"),
        _s.body.label("body"),
        _s.last_opened_at.label("last_opened_at"),
        _s.last_opened_by_id.label("last_opened_by_id"),
        _a.course_id.label("course_id"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(
        owner=_s.student_id, student=_s.student_id, course=_a.course_id, school=_c.school_id
    ),
    _s.id,
    always=_s.student_id.not_in(_inactive_people),
)

_x = t.assessments.c
#: An assessment outlives an explicit deletion of its course: the course is an outer join (NULL
#: ``course_id``), and its school is the course's (which may have moved) or, once the course is
#: gone, the assessment's own snapshot.
_assessment_school = func.coalesce(_c.school_id, _x.school_id)
ASSESSMENT = Scope(
    "Assessment",
    t.assessments.outerjoin(t.courses, _c.id == _x.course_id),
    (
        _x.id.label("id"),
        _x.student_id.label("student_id"),
        _x.course_id.label("course_id"),
        _x.submission_id.label("submission_id"),
        _x.assessor_id.label("assessor_id"),
        _x.assessor_name.label("assessor_name"),
        _x.kind.label("kind"),
        _x.grade.label("grade"),
        _x.comment.label("comment"),
        _x.published.label("published"),
        _x.created_at.label("created_at"),
        _assessment_school.label("school_id"),
        _x.course_code.label("course_code"),
        _x.course_name.label("course_name"),
        _c.state.label("course_state"),
    ),
    FactColumns(
        student=_x.student_id,
        course=_x.course_id,
        school=_assessment_school,
        published=_x.published,
    ),
    _x.id,
    always=_x.student_id.not_in(_inactive_people),
)

_post = t.posts.c
POST = Scope(
    "Post",
    t.posts.join(t.courses, _c.id == _post.course_id),
    (
        _post.id.label("id"),
        _post.course_id.label("course_id"),
        _post.author_id.label("author_id"),
        _post.body.label("body"),
        _post.created_at.label("created_at"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(owner=_post.author_id, course=_post.course_id, school=_c.school_id),
    _post.id,
)

_m = t.comments.c
COMMENT = Scope(
    "Comment",
    t.comments.join(t.posts, _post.id == _m.post_id).join(t.courses, _c.id == _post.course_id),
    (
        _m.id.label("id"),
        _m.post_id.label("post_id"),
        _m.author_id.label("author_id"),
        _m.body.label("body"),
        _m.created_at.label("created_at"),
        _post.course_id.label("course_id"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(owner=_m.author_id, course=_post.course_id, school=_c.school_id),
    _m.id,
)

_v = t.conversations.c
CONVERSATION = Scope(
    "Conversation",
    t.conversations,
    (_v.id.label("id"),),
    FactColumns(conversation=_v.id),
    _v.id,
)

_msg = t.messages.c
MESSAGE = Scope(
    "Message",
    t.messages,
    (
        _msg.id.label("id"),
        _msg.conversation_id.label("conversation_id"),
        _msg.author_id.label("author_id"),
        _msg.body.label("body"),
        _msg.sent_at.label("sent_at"),
    ),
    FactColumns(owner=_msg.author_id, conversation=_msg.conversation_id),
    _msg.id,
)

_d = t.documents.c
DOCUMENT = Scope(
    "Document",
    t.documents.outerjoin(t.courses, _c.id == _d.course_id),
    (
        _d.id.label("id"),
        _d.owner_id.label("owner_id"),
        _d.course_id.label("course_id"),
        _d.title.label("title"),
        _d.body.label("body"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(owner=_d.owner_id, course=_d.course_id, school=_c.school_id),
    _d.id,
    always=_d.course_id.is_not(None) | _d.owner_id.is_(None) | _d.owner_id.not_in(_inactive_people),
)

_e = t.calendar_events.c
CALENDAR_EVENT = Scope(
    "CalendarEvent",
    t.calendar_events.outerjoin(t.courses, _c.id == _e.course_id),
    (
        _e.id.label("id"),
        _e.owner_id.label("owner_id"),
        _e.course_id.label("course_id"),
        _e.title.label("title"),
        _e.starts_at.label("starts_at"),
        _e.ends_at.label("ends_at"),
        _c.school_id.label("school_id"),
        _c.state.label("course_state"),
    ),
    FactColumns(owner=_e.owner_id, course=_e.course_id, school=_c.school_id),
    _e.id,
    always=_e.course_id.is_not(None) | _e.owner_id.is_(None) | _e.owner_id.not_in(_inactive_people),
)

_as = t.academic_sessions.c
#: School years, terms ...: calendar data without personal data, for every authenticated caller.
ACADEMIC_SESSION = Scope(
    "AcademicSession",
    t.academic_sessions,
    (
        _as.id.label("id"),
        _as.title.label("title"),
        _as.type.label("type"),
        _as.start_date.label("start_date"),
        _as.end_date.label("end_date"),
        _as.parent_id.label("parent_id"),
    ),
    FactColumns(),
    _as.id,
)

SCOPES: dict[str, Scope] = {
    scope.type_name: scope
    for scope in (
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
        CALENDAR_EVENT,
        ACADEMIC_SESSION,
    )
}


# --- The privacy tool's objects: system administrators only ---------------------------------

_pr = t.privacy_requests.c
PRIVACY_REQUEST = Scope(
    "PrivacyRequest",
    t.privacy_requests,
    tuple(column.label(column.name) for column in t.privacy_requests.c),
    FactColumns(),
    _pr.id,
)

_ae = t.audit_entries.c
AUDIT_ENTRY = Scope(
    "AuditEntry",
    t.audit_entries,
    tuple(column.label(column.name) for column in t.audit_entries.c),
    FactColumns(),
    _ae.id,
)

_ri = t.roster_imports.c
#: Import runs (docs/school-year.md rule 6): who imported what, when, with which outcome.
ROSTER_IMPORT = Scope(
    "RosterImport",
    t.roster_imports,
    tuple(column.label(column.name) for column in t.roster_imports.c),
    FactColumns(),
    _ri.id,
)

#: ``recycleBin``: the restricted people, seen only there (and in requests and exports).
RECYCLE_BIN = Scope(
    "RecycleBin",
    t.people,
    USER.columns,
    FactColumns(),
    _p.id,
    always=_p.processing_state == ProcessingState.RESTRICTED,
)

#: People as the privacy tool shows them (a request's subject, an entry's actor): any state.
PRIVACY_SUBJECT = Scope("PrivacySubject", t.people, USER.columns, FactColumns(), _p.id)

SCOPES.update(
    {
        scope.type_name: scope
        for scope in (PRIVACY_REQUEST, AUDIT_ENTRY, RECYCLE_BIN, PRIVACY_SUBJECT, ROSTER_IMPORT)
    }
)

"""Where each reference, list and connection field reads its data: declarations, not code.

One entry per schema coordinate in ``FIELD_SOURCES``:

* ``Reference``: one object of ``kind``, by the id in the parent record's attribute ``key`` (None:
  the field is null), and what happens when that object is not visible (``Missing``);
* ``Related``: the rows of ``kind`` whose ``parent`` column equals the parent record's ``key``,
  as a list or a page (``page``), through ``source`` (the kind's rows joined to a link table)
  and ``where``, optionally filtered by field arguments (``filters``), newest first when
  ``descending``;
* ``Embedded``: plumbing rows without a row rule of their own (a person's roles, an answer's
  attachments), which only appear under a field of an object the viewer may read.

A ``path`` source widens its kind's row rule by the ``see`` lines on its own coordinate
(``resolvers.scopes``). Every read goes through the kind's scope; a list field of a pseudonym
stand-in is null. The GraphQL resolvers call the generic functions of ``resolvers.follow`` (and
``schema.sources``) with these; the compiled executor (``gateway.compiled``) plans its queries
from the same declarations and follows them in the same steps (``resolvers.follow``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, select, union

from config.ids import expect_id
from resolvers.records import (
    AttachmentRecord,
    IncidentPersonRecord,
    PreferenceRecord,
    PrivacyRequestItemRecord,
    RoleAssignmentRecord,
)
from store import tables as t
from store.tables import CourseRole


class Missing(enum.Enum):
    """What a reference answers when its target is not visible to the viewer."""

    #: null, and a NOT_FOUND error at the field (bounded per coordinate)
    NOT_FOUND = "NOT_FOUND"
    #: null without an error
    NULL = "NULL"
    #: a restricted or erased person: the pseudonym stand-in; anyone else: NOT_FOUND
    PSEUDONYM = "PSEUDONYM"
    #: a restricted or erased person: null without an error; anyone else: NOT_FOUND
    HIDDEN = "HIDDEN"


@dataclass(frozen=True)
class Reference:
    coordinate: str
    kind: str
    #: the parent record's attribute holding the target's id
    key: str
    missing: Missing
    #: the field's own ``see`` lines widen the kind's row rule
    path: bool = False


@dataclass(frozen=True, eq=False)  # holds SQL expressions, which compare into SQL
class Filter:
    """A field argument that, when given, keeps the rows whose ``column`` equals it; an ``ID``
    argument names the type of the global id it takes (``id_of``)."""

    argument: str
    column: ColumnElement[Any]
    id_of: str | None = None

    def value(self, given: Any) -> Any:
        """The value compared with ``column`` (None: not filtered); BAD_USER_INPUT for a
        global id of another type."""
        if given is None or self.id_of is None:
            return given
        return expect_id(given, self.id_of)


@dataclass(frozen=True, eq=False)  # holds SQL expressions, which compare into SQL
class Related:
    coordinate: str
    kind: str
    #: the loader's name (traces): ``<Target>By<Key>``
    name: str
    #: the column matched against the parent's key
    parent: ColumnElement[int]
    #: the parent record's attribute holding that key
    key: str = "pk"
    source: FromClause | None = None
    where: ColumnElement[bool] | None = None
    page: bool = False
    descending: bool = False
    filters: tuple[Filter, ...] = ()
    path: bool = False


@dataclass(frozen=True, eq=False)  # holds SQL expressions, which compare into SQL
class Embedded:
    coordinate: str
    #: the column matched against the parent's key, the columns read, their order
    parent: ColumnElement[int]
    columns: tuple[ColumnElement[Any], ...]
    order_by: ColumnElement[Any]
    #: the plumbing record made of each row (its fields are the columns' names)
    record: type[Any]
    key: str = "pk"
    #: a connection (``order_by`` is then the rows' id, their cursor) rather than a list
    page: bool = False
    descending: bool = False
    #: no filter arguments (the page arguments read them as a ``Related``'s)
    filters: tuple[Filter, ...] = ()


FieldSource = Reference | Related | Embedded

_NF, _NULL, _PSEUDO, _HIDDEN = Missing.NOT_FOUND, Missing.NULL, Missing.PSEUDONYM, Missing.HIDDEN

_people, _courses = t.people, t.courses
_e, _g, _ct, _cp = (
    t.enrolments.c,
    t.guardianships.c,
    t.course_terms.c,
    t.conversation_participants.c,
)
_x, _ra, _att, _n, _pref = (
    t.assessments.c,
    t.role_assignments.c,
    t.attachments.c,
    t.notifications.c,
    t.preferences.c,
)
#: current memberships only: an ended enrolment lists nobody (docs/school-year.md rule 3)
_current = _e.ended_at.is_(None)
_enrolled_people = _people.join(t.enrolments, _e.person_id == _people.c.id)

_dr = t.data_requests.c
_parties = union(
    select(_dr.id.label("request_id"), _dr.subject_id.label("person_id")),
    select(_dr.id.label("request_id"), _dr.requested_by_id.label("person_id")),
).subquery("data_request_parties")

_SOURCES: tuple[FieldSource, ...] = (
    # --- User ---------------------------------------------------------------------------------
    Embedded("User.roles", _ra.person_id, (_ra.role, _ra.school_id), _ra.id, RoleAssignmentRecord),
    Related(
        "User.guardians",
        "User",
        "GuardiansByStudent",
        _g.student_id,
        source=_people.join(t.guardianships, _g.guardian_id == _people.c.id),
    ),
    Related(
        "User.children",
        "User",
        "ChildrenByGuardian",
        _g.guardian_id,
        source=_people.join(t.guardianships, _g.student_id == _people.c.id),
    ),
    Related(
        "User.guardiansConnection",
        "User",
        "GuardiansByStudent",
        _g.student_id,
        source=_people.join(t.guardianships, _g.guardian_id == _people.c.id),
        page=True,
    ),
    Related(
        "User.childrenConnection",
        "User",
        "ChildrenByGuardian",
        _g.guardian_id,
        source=_people.join(t.guardianships, _g.student_id == _people.c.id),
        page=True,
    ),
    Related(
        "User.courses",
        "Course",
        "CoursesByPerson",
        _e.person_id,
        source=_courses.join(t.enrolments, _e.course_id == _courses.c.id),
        where=_current,
        page=True,
    ),
    Related(
        "User.submissions",
        "Submission",
        "SubmissionsByStudent",
        t.submissions.c.student_id,
        page=True,
        filters=(Filter("course_id", t.assignments.c.course_id, "Course"),),
    ),
    # The gradebook: newest first, filtered by the Assessment row rules.
    Related(
        "User.assessments",
        "Assessment",
        "AssessmentsByStudent",
        _x.student_id,
        page=True,
        descending=True,
        filters=(Filter("course_id", _x.course_id, "Course"), Filter("kind", _x.kind)),
    ),
    # A person's notifications, oldest first, through the Notification row rule (the owner).
    Related("User.notifications", "Notification", "NotificationsByPerson", _n.person_id),
    Related(
        "User.notificationsConnection",
        "Notification",
        "NotificationsByPerson",
        _n.person_id,
        page=True,
    ),
    Embedded(
        "User.preferences", _pref.person_id, (_pref.key, _pref.value), _pref.key, PreferenceRecord
    ),
    Reference("RoleAssignment.school", "School", "school_id", _NF),
    # --- Course -------------------------------------------------------------------------------
    Reference("Course.school", "School", "school_id", _NF),
    Related(
        "Course.teachers",
        "User",
        "TeachersByCourse",
        _e.course_id,
        source=_enrolled_people,
        where=(_e.role == CourseRole.TEACHER) & _current,
    ),
    Related(
        "Course.teachersConnection",
        "User",
        "TeachersByCourse",
        _e.course_id,
        source=_enrolled_people,
        where=(_e.role == CourseRole.TEACHER) & _current,
        page=True,
    ),
    Related(
        "Course.students",
        "User",
        "StudentsByCourse",
        _e.course_id,
        source=_enrolled_people,
        where=(_e.role == CourseRole.STUDENT) & _current,
        page=True,
    ),
    Related(
        "Course.assignments",
        "Assignment",
        "AssignmentsByCourse",
        t.assignments.c.course_id,
        page=True,
    ),
    Related("Course.posts", "Post", "PostsByCourse", t.posts.c.course_id, page=True),
    Related(
        "Course.events", "CalendarEvent", "CalendarEventsByCourse", t.calendar_events.c.course_id
    ),
    Related(
        "Course.eventsConnection",
        "CalendarEvent",
        "CalendarEventsByCourse",
        t.calendar_events.c.course_id,
        page=True,
    ),
    Related(
        "Course.terms",
        "AcademicSession",
        "TermsByCourse",
        _ct.course_id,
        source=t.academic_sessions.join(t.course_terms, _ct.session_id == t.academic_sessions.c.id),
    ),
    Related(
        "Course.assessments",
        "Assessment",
        "AssessmentsByCourse",
        _x.course_id,
        page=True,
        descending=True,
        filters=(
            Filter("student_id", _x.student_id, "User"),
            Filter("kind", _x.kind),
            Filter("published", _x.published),
        ),
    ),
    # --- Coursework -----------------------------------------------------------------------------
    Reference("Assignment.course", "Course", "course_id", _NF),
    Reference("Assignment.author", "User", "author_id", _PSEUDO),
    Related(
        "Assignment.submissions",
        "Submission",
        "SubmissionsByAssignment",
        t.submissions.c.assignment_id,
        page=True,
    ),
    Reference("Submission.assignment", "Assignment", "assignment_id", _NF),
    Reference("Submission.student", "User", "student_id", _HIDDEN),
    Reference("Submission.lastOpenedBy", "User", "last_opened_by_id", _HIDDEN),
    Embedded(
        "Submission.attachments",
        _att.submission_id,
        (_att.filename, _att.content_type, _att.size_bytes, _att.file_id),
        _att.id,
        AttachmentRecord,
    ),
    # The uploaded file it carries, for whom the see lines on this coordinate name (those who
    # read Submission.attachments); null while the file's owner is restricted.
    Reference("Attachment.file", "FileRef", "file_id", _NULL, path=True),
    Related(
        "Submission.assessments",
        "Assessment",
        "AssessmentsBySubmission",
        _x.submission_id,
    ),
    Related(
        "Submission.assessmentsConnection",
        "Assessment",
        "AssessmentsBySubmission",
        _x.submission_id,
        page=True,
    ),
    Reference("Assessment.student", "User", "student_id", _HIDDEN),
    # None once the course was deleted: not an invisible reference
    Reference("Assessment.course", "Course", "course_id", _NF),
    Reference("Assessment.assessor", "User", "assessor_id", _HIDDEN),
    Reference("Assessment.submission", "Submission", "submission_id", _NF),
    # --- Communication ------------------------------------------------------------------------
    Reference("Post.course", "Course", "course_id", _NF),
    Reference("Post.author", "User", "author_id", _PSEUDO),
    Related("Post.comments", "Comment", "CommentsByPost", t.comments.c.post_id),
    Related(
        "Post.commentsConnection", "Comment", "CommentsByPost", t.comments.c.post_id, page=True
    ),
    Reference("Comment.author", "User", "author_id", _PSEUDO),
    # A fellow participant, even one the User row rule hides elsewhere (docs/access-policy.md,
    # "Communication": conversations are read *including* their participants and authors).
    Related(
        "Conversation.participants",
        "User",
        "ParticipantsByConversation",
        _cp.conversation_id,
        source=_people.join(t.conversation_participants, _cp.person_id == _people.c.id),
        path=True,
    ),
    Related(
        "Conversation.messages",
        "Message",
        "MessagesByConversation",
        t.messages.c.conversation_id,
        page=True,
    ),
    Reference("Message.author", "User", "author_id", _PSEUDO, path=True),
    # --- Material -----------------------------------------------------------------------------
    Reference("Document.owner", "User", "owner_id", _PSEUDO),
    # The uploaded file it carries, for whom the see lines on this coordinate name (the same
    # people who read the document); null while the file's owner is restricted.
    Reference("Document.file", "FileRef", "file_id", _NULL, path=True),
    Reference("Document.course", "Course", "course_id", _NF),
    Reference("CalendarEvent.owner", "User", "owner_id", _PSEUDO),
    Reference("CalendarEvent.course", "Course", "course_id", _NF),
    # --- School year ----------------------------------------------------------------------------
    Reference("AcademicSession.parent", "AcademicSession", "parent_id", _NF),
    # --- The privacy tool -----------------------------------------------------------------------
    Reference("PrivacyRequest.subject", "PrivacySubject", "subject_id", _NULL),
    Reference("PrivacyRequest.requestedBy", "PrivacySubject", "requested_by_id", _NULL),
    Reference("PrivacyRequest.confirmedBy", "PrivacySubject", "confirmed_by_id", _NULL),
    # null once the course is deleted
    Reference("PrivacyRequest.course", "Course", "course_id", _NULL),
    # --- Batch and school erasure (resolvers/services/batch_erasure.py) -------------------------
    Reference("PrivacyRequest.school", "School", "school_id", _NULL),
    # the people of the batch in the order they were frozen, each with their result
    Embedded(
        "PrivacyRequest.items",
        t.privacy_request_items.c.request_id,
        (
            t.privacy_request_items.c.subject_id,
            t.privacy_request_items.c.status,
            t.privacy_request_items.c.basis,
            t.privacy_request_items.c.reason,
            t.privacy_request_items.c.effects,
            t.privacy_request_items.c.done_at,
        ),
        t.privacy_request_items.c.id,
        PrivacyRequestItemRecord,
        page=True,
    ),
    Reference("PrivacyRequestItem.subject", "PrivacySubject", "subject_id", _NULL),
    # --- The incident register (docs/incidents.md) ---------------------------------------------
    Reference("Incident.recordedBy", "PrivacySubject", "recorded_by_id", _NULL),
    # the affected people in the order they were recorded; erased ones as pseudonyms
    Embedded(
        "Incident.affectedPeople",
        t.incident_people.c.incident_id,
        (
            t.incident_people.c.person_id,
            t.incident_people.c.reason,
            t.incident_people.c.notified_at,
        ),
        t.incident_people.c.id,
        IncidentPersonRecord,
        page=True,
    ),
    Reference("IncidentPerson.person", "PrivacySubject", "person_id", _NULL),
    Reference("AuditEntry.actor", "PrivacySubject", "actor_id", _NULL),
    Reference("AuditEntry.subject", "PrivacySubject", "subject_id", _NULL),
    # --- Data requests (docs/data-requests.md) ---------------------------------------------------
    # The people as the privacy tool shows them; the requester and the subject also see each
    # other through these fields (their ``see`` lines in the policy).
    Reference("DataRequest.subject", "PrivacySubject", "subject_id", _NULL, path=True),
    Reference("DataRequest.requestedBy", "PrivacySubject", "requested_by_id", _NULL, path=True),
    Reference("DataRequest.decidedBy", "PrivacySubject", "decided_by_id", _NULL),
    Related(
        "DataRequest.actions",
        "PrivacyRequest",
        "PrivacyRequestsByDataRequest",
        t.privacy_requests.c.data_request_id,
    ),
    # A person's own requests: about them, or made by them (a guardian's for a child), newest
    # first; ``_parties`` has one row per (request, person) of the two.
    Related(
        "User.dataRequests",
        "DataRequest",
        "DataRequestsByParty",
        _parties.c.person_id,
        source=t.data_requests.join(_parties, _parties.c.request_id == t.data_requests.c.id),
        page=True,
        descending=True,
    ),
    Reference("AuditEntry.rosterImport", "RosterImport", "roster_import_id", _NF),
)

FIELD_SOURCES: dict[str, FieldSource] = {source.coordinate: source for source in _SOURCES}

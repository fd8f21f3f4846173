"""The two category tables of docs/privacy-actions.md as API cases: what each role sees of a
restricted or erased student, teacher and guardian.

A case is ``(subject, category row, viewer role, probe, before, after)``: the probe is a lookup
the viewer makes through ``POST /graphql``, classified into an outcome word; ``before`` is what
the viewer sees while the subject is ACTIVE (so each case is known to test something), ``after``
what they see while the subject is RESTRICTED, and equally once ERASED: through the API the two
tables differ only in what the database keeps (checked by the erasure tests), never in what is
shown. All probes of one viewer about one subject go in one request, one alias each.

Outcome words:

* ``SHOWN``      the object (or person) resolves; an author/owner is the real person
* ``PSEUDONYM``  the object resolves, its author/owner is a stand-in exactly as the spec's
                 "Pseudonyms" section says (checked in full by ``classify_person``)
* ``NOT_FOUND``  the lookup answers null with ``NOT_FOUND`` (``user`` and ``node`` both)
* ``LISTED`` / ``LEFT_OUT``  the subject is / is not in a list (course students or teachers,
                 guardians, children, conversation participants); or the object is / is not in
                 a list (an assignment's submissions, a course's posts, assignments and events,
                 the viewer's ``documents``, ``calendarEvents`` and ``conversations``)
* ``NAMED``      an assessment resolves with ``assessorName`` and ``assessor`` the assessor
* ``NAME_ONLY``  an assessment resolves with ``assessorName`` and ``assessor`` null, no error
* ``NOT_VISIBLE`` internal logic (``preferences``) is null for the viewer
* ``NO_ACCESS``  the list itself is not readable (its holder does not resolve, or is denied)

Demo data the cases rely on (gateway/demo_data/roster/README.md, gateway/demo_activity.py), plus
what ``prepare`` adds through the mutations: a message from elev.ola to larer.dahl and
foresatt.knut, and a private document of foresatt.kari.

* elev.ola (Bjølsen 8A, Matematikk 8, Norsk 8): a post in 8A, a comment in Matematikk 8, the
  shared document "Gruppenotater" (Norsk 8), the private "Huskeliste", the personal event
  "Fotballtrening", submissions (the Norsk 8 short story with an attachment), assessments by
  larer.dahl and larer.hansen; guardians foresatt.kari and foresatt.knut.
* larer.hansen (8A contact teacher, Matematikk 8; guardian of elev.emma): posts, comments and
  assignments in Matematikk 8, messages to foresatt.kari and in the four-person conversation
  with larer.dahl, foresatt.kari, foresatt.knut; the shared "Formelark: brøk", the private
  "Planlegging uke 3", the course event "Prøve i brøk", the personal "Medarbeidersamtale";
  assessments of elev.ola and elev.jakob (ABSENCE).
* foresatt.kari (guardian of elev.ola and elev.nora): messages to larer.hansen and in the
  four-person conversation, the personal event "Utviklingssamtale for Ola".

Rows that cannot apply, so they have no case: a guardian neither gives nor receives assessments,
hands in no answers and cannot share material or events to a course; a teacher hands in no
answers; a student cannot own a course event (only a course teacher may make one), so
"Calendar: shared" is the teacher's.

Viewers are never subjects (the erasure test erases the subjects one after the other: the
guardian, the teacher, the student), except elev.ola as the student looking at foresatt.kari,
who is erased first.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from gateway_support import GraphQLResult, LiveGateway
from sqlalchemy import and_, literal, select

from config.ids import from_global_id, to_global_id
from store import tables as t

STUDENT = "elev.ola"
TEACHER = "larer.hansen"
GUARDIAN = "foresatt.kari"
SUBJECTS = (STUDENT, TEACHER, GUARDIAN)
SUBJECT_KIND = {STUDENT: "student", TEACHER: "teacher", GUARDIAN: "guardian"}

SHOWN, PSEUDONYM, NOT_FOUND = "SHOWN", "PSEUDONYM", "NOT_FOUND"
LISTED, LEFT_OUT = "LISTED", "LEFT_OUT"
NAMED, NAME_ONLY = "NAMED", "NAME_ONLY"
NOT_VISIBLE = "NOT_VISIBLE"
NO_ACCESS = "NO_ACCESS"

PERSONAL = "PERSONAL_DATA"
COMMUNICATION = "COMMUNICATION"
MATERIAL = "TEACHING_MATERIAL"
ASSESSMENTS = "ASSESSMENTS"
CALENDAR = "CALENDAR"
ANSWERS = "STUDENT_ANSWERS"
INTERNAL = "INTERNAL_LOGIC"

ROLES = ("SYSTEM_ADMINISTRATOR", "SUPERUSER", "SCHOOL_LEADER", "TEACHER", "STUDENT", "GUARDIAN")

#: Who looks, per subject and role.
VIEWERS: dict[str, dict[str, str]] = {
    subject: {
        "SYSTEM_ADMINISTRATOR": "admin",
        "SUPERUSER": "superuser.bjolsen",
        "SCHOOL_LEADER": "rektor.bjolsen",
        "TEACHER": "larer.dahl",
        "STUDENT": "elev.ola" if subject == GUARDIAN else "elev.jakob",
        "GUARDIAN": "foresatt.knut",
    }
    for subject in SUBJECTS
}

#: Every field of a User: a stand-in must answer null for all but id/isPseudonym/displayName.
PERSON_FIELDS = (
    "id isPseudonym displayName firstName lastName email nationalId processingState"
    " roles { role } guardians { id } children { id } courses { totalCount }"
    " submissions { totalCount } notifications { id } preferences { key }"
)
#: Enough to tell the real person from a stand-in: used while the subject is ACTIVE (reading
#: every field of a real person is slow: a national id read by someone else is audited).
REAL_PERSON_FIELDS = "id isPseudonym displayName"
STAND_IN_NULL_FIELDS = (
    "firstName",
    "lastName",
    "email",
    "nationalId",
    "processingState",
    "roles",
    "guardians",
    "children",
    "courses",
    "submissions",
    "notifications",
    "preferences",
)
STAND_IN_NAME = re.compile(r"Former user [0-9A-F]{6}")
AUTHZ_CODES = {"FORBIDDEN", "NOT_FOUND"}


@dataclass(frozen=True)
class Probe:
    """One request a viewer makes: ``kind`` of lookup on ``target`` (a key of ``Demo.ids``;
    ``subject`` is the subject, ``viewer`` the viewer themself)."""

    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind}({self.target})"


@dataclass(frozen=True)
class Case:
    subject: str
    category: str
    role: str
    probe: Probe
    before: str
    after: str

    @property
    def viewer(self) -> str:
        return VIEWERS[self.subject][self.role]

    @property
    def name(self) -> str:
        return f"{SUBJECT_KIND[self.subject]}-{self.category}-{self.role}-{self.probe}"


def _cases(subject: str, rows: list[tuple[str, str, str, str, str, str]]) -> list[Case]:
    return [
        Case(subject, category, role, Probe(kind, target), before, after)
        for category, role, kind, target, before, after in rows
    ]


SA, SU, SL, TE, ST, GU = ROLES

# fmt: off
STUDENT_CASES = _cases(STUDENT, [
    # Personal data: does not resolve, left out of every list (members, guardians' children,
    # conversation participants).
    (PERSONAL, SA, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SA, "students", "course:8A", LISTED, LEFT_OUT),
    (PERSONAL, SA, "children", "user:foresatt.knut", LISTED, LEFT_OUT),
    (PERSONAL, SA, "participants", "conversation:ola", LISTED, LEFT_OUT),
    (PERSONAL, SU, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SU, "students", "course:8A", LISTED, LEFT_OUT),
    (PERSONAL, SL, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SL, "students", "course:8A", LISTED, LEFT_OUT),
    (PERSONAL, TE, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, TE, "students", "course:NOR8", LISTED, LEFT_OUT),
    (PERSONAL, TE, "participants", "conversation:ola", LISTED, LEFT_OUT),
    (PERSONAL, ST, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, ST, "students", "course:8A", LISTED, LEFT_OUT),
    (PERSONAL, GU, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, GU, "children", "viewer", LISTED, LEFT_OUT),
    (PERSONAL, GU, "participants", "conversation:ola", LISTED, LEFT_OUT),
    # ... and the links through the person (guardianship, enrolments) grant nothing: the
    # guardian no longer sees the child's courses, nor the child's teachers.
    (PERSONAL, GU, "in_root", "course:NOR8", LISTED, LEFT_OUT),
    (PERSONAL, GU, "person", "user:larer.dahl", SHOWN, NOT_FOUND),
    # Communication: visible, author pseudonymised.
    (COMMUNICATION, SA, "author", "post:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SA, "author", "comment:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SA, "author", "message:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SU, "author", "post:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SU, "author", "comment:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SL, "author", "post:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, SL, "author", "comment:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, TE, "author", "message:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, TE, "author", "post:ola", NOT_FOUND, NOT_FOUND),
    (COMMUNICATION, ST, "author", "post:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, ST, "author", "comment:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, GU, "author", "message:ola", SHOWN, PSEUDONYM),
    (COMMUNICATION, GU, "author", "post:ola", NOT_FOUND, NOT_FOUND),
    # ... and stays in the lists: the course's posts, the inboxes.
    (COMMUNICATION, SU, "in_course", "post:ola", LISTED, LISTED),
    (COMMUNICATION, ST, "in_course", "post:ola", LISTED, LISTED),
    (COMMUNICATION, TE, "in_root", "conversation:ola", LISTED, LISTED),
    (COMMUNICATION, GU, "in_root", "conversation:ola", LISTED, LISTED),
    # Teaching material: visible, author pseudonymised; accessible only to the person: gone.
    (MATERIAL, SA, "author", "document:ola-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SA, "author", "document:ola-private", SHOWN, NOT_FOUND),
    (MATERIAL, SU, "author", "document:ola-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SU, "author", "document:ola-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, SL, "author", "document:ola-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SL, "author", "document:ola-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, TE, "author", "document:ola-shared", SHOWN, PSEUDONYM),
    (MATERIAL, TE, "author", "document:ola-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, ST, "author", "document:ola-shared", SHOWN, PSEUDONYM),
    (MATERIAL, ST, "author", "document:ola-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, GU, "author", "document:ola-shared", NOT_FOUND, NOT_FOUND),
    (MATERIAL, GU, "author", "document:ola-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, SA, "in_root", "document:ola-private", LISTED, LEFT_OUT),
    (MATERIAL, ST, "in_root", "document:ola-shared", LISTED, LISTED),
    # Assessments about the student: not visible (erased: deleted).
    (ASSESSMENTS, SA, "assessment", "assessment:dahl-ola", NAMED, NOT_FOUND),
    (ASSESSMENTS, SU, "assessment", "assessment:dahl-ola", NOT_FOUND, NOT_FOUND),
    (ASSESSMENTS, SL, "assessment", "assessment:dahl-ola", NAMED, NOT_FOUND),
    (ASSESSMENTS, TE, "assessment", "assessment:dahl-ola", NAMED, NOT_FOUND),
    (ASSESSMENTS, ST, "assessment", "assessment:dahl-ola", NOT_FOUND, NOT_FOUND),
    (ASSESSMENTS, GU, "assessment", "assessment:dahl-ola", NAMED, NOT_FOUND),
    # Calendar: personal, not visible.
    (CALENDAR, SA, "author", "event:ola-personal", SHOWN, NOT_FOUND),
    (CALENDAR, SU, "author", "event:ola-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, SL, "author", "event:ola-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, TE, "author", "event:ola-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, ST, "author", "event:ola-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, GU, "author", "event:ola-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, SA, "in_root", "event:ola-personal", LISTED, LEFT_OUT),
    # Student answers: not visible, neither by id nor in the assignment's list.
    (ANSWERS, SA, "submission", "submission:ola", SHOWN, NOT_FOUND),
    (ANSWERS, SA, "submissions", "submission:ola", LISTED, LEFT_OUT),
    (ANSWERS, SU, "submission", "submission:ola", NOT_FOUND, NOT_FOUND),
    (ANSWERS, SL, "submission", "submission:ola", SHOWN, NOT_FOUND),
    (ANSWERS, TE, "submission", "submission:ola", SHOWN, NOT_FOUND),
    (ANSWERS, TE, "submissions", "submission:ola", LISTED, LEFT_OUT),
    (ANSWERS, ST, "submission", "submission:ola", NOT_FOUND, NOT_FOUND),
    (ANSWERS, GU, "submission", "submission:ola", SHOWN, NOT_FOUND),
    # The guardian sees the course's assignments only through the child: not at all now.
    (ANSWERS, GU, "submissions", "submission:ola", LISTED, NO_ACCESS),
])

TEACHER_CASES = _cases(TEACHER, [
    (PERSONAL, SA, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SA, "teachers", "course:MAT8", LISTED, LEFT_OUT),
    (PERSONAL, SA, "guardians", "user:elev.emma", LISTED, LEFT_OUT),
    (PERSONAL, SA, "participants", "conversation:four", LISTED, LEFT_OUT),
    (PERSONAL, SU, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SU, "teachers", "course:MAT8", LISTED, LEFT_OUT),
    (PERSONAL, SL, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SL, "teachers", "course:MAT8", LISTED, LEFT_OUT),
    (PERSONAL, SL, "guardians", "user:elev.emma", LISTED, LEFT_OUT),
    (PERSONAL, TE, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, TE, "participants", "conversation:four", LISTED, LEFT_OUT),
    (PERSONAL, ST, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, ST, "teachers", "course:MAT8", LISTED, LEFT_OUT),
    (PERSONAL, GU, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, GU, "participants", "conversation:four", LISTED, LEFT_OUT),
    (COMMUNICATION, SA, "author", "post:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, SA, "author", "comment:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, SA, "author", "message:hansen-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, SU, "author", "post:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, SU, "author", "comment:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, SL, "author", "post:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, SL, "author", "comment:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, TE, "author", "message:hansen-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, TE, "author", "post:hansen", NOT_FOUND, NOT_FOUND),
    (COMMUNICATION, ST, "author", "post:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, ST, "author", "comment:hansen", SHOWN, PSEUDONYM),
    (COMMUNICATION, GU, "author", "message:hansen-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, SL, "in_course", "post:hansen", LISTED, LISTED),
    (COMMUNICATION, TE, "in_root", "conversation:four", LISTED, LISTED),
    (MATERIAL, SA, "author", "assignment:hansen", SHOWN, PSEUDONYM),
    (MATERIAL, SA, "author", "document:hansen-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SA, "author", "document:hansen-private", SHOWN, NOT_FOUND),
    (MATERIAL, SU, "author", "assignment:hansen", SHOWN, PSEUDONYM),
    (MATERIAL, SU, "author", "document:hansen-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SU, "author", "document:hansen-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, SL, "author", "assignment:hansen", SHOWN, PSEUDONYM),
    (MATERIAL, SL, "author", "document:hansen-shared", SHOWN, PSEUDONYM),
    (MATERIAL, SL, "author", "document:hansen-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, TE, "author", "assignment:hansen", NOT_FOUND, NOT_FOUND),
    (MATERIAL, TE, "author", "document:hansen-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, ST, "author", "assignment:hansen", SHOWN, PSEUDONYM),
    (MATERIAL, ST, "author", "document:hansen-shared", SHOWN, PSEUDONYM),
    (MATERIAL, ST, "author", "document:hansen-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, GU, "author", "assignment:hansen", SHOWN, PSEUDONYM),
    (MATERIAL, GU, "author", "document:hansen-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, GU, "in_course", "assignment:hansen", LISTED, LISTED),
    (MATERIAL, SA, "in_root", "document:hansen-private", LISTED, LEFT_OUT),
    (MATERIAL, SU, "in_root", "document:hansen-shared", LISTED, LISTED),
    # Assessments given by the teacher: still visible, assessorName kept, assessor null.
    (ASSESSMENTS, SA, "assessment", "assessment:hansen-ola", NAMED, NAME_ONLY),
    (ASSESSMENTS, SU, "assessment", "assessment:hansen-ola", NOT_FOUND, NOT_FOUND),
    (ASSESSMENTS, SL, "assessment", "assessment:hansen-ola", NAMED, NAME_ONLY),
    (ASSESSMENTS, SL, "assessment", "assessment:hansen-jakob", NAMED, NAME_ONLY),
    (ASSESSMENTS, TE, "assessment", "assessment:hansen-ola", NOT_FOUND, NOT_FOUND),
    (ASSESSMENTS, ST, "assessment", "assessment:hansen-jakob", NAMED, NAME_ONLY),
    (ASSESSMENTS, GU, "assessment", "assessment:hansen-ola", NAMED, NAME_ONLY),
    # Calendar: personal not visible; shared (course event) visible, owner pseudonymised.
    (CALENDAR, SA, "author", "event:hansen-course", SHOWN, PSEUDONYM),
    (CALENDAR, SA, "author", "event:hansen-personal", SHOWN, NOT_FOUND),
    (CALENDAR, SU, "author", "event:hansen-course", SHOWN, PSEUDONYM),
    (CALENDAR, SU, "author", "event:hansen-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, SL, "author", "event:hansen-course", SHOWN, PSEUDONYM),
    (CALENDAR, SL, "author", "event:hansen-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, TE, "author", "event:hansen-course", NOT_FOUND, NOT_FOUND),
    (CALENDAR, TE, "author", "event:hansen-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, ST, "author", "event:hansen-course", SHOWN, PSEUDONYM),
    (CALENDAR, ST, "author", "event:hansen-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, GU, "author", "event:hansen-course", SHOWN, PSEUDONYM),
    (CALENDAR, GU, "author", "event:hansen-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, ST, "in_course", "event:hansen-course", LISTED, LISTED),
    (CALENDAR, GU, "in_root", "event:hansen-course", LISTED, LISTED),
    (CALENDAR, SA, "in_root", "event:hansen-personal", LISTED, LEFT_OUT),
])

GUARDIAN_CASES = _cases(GUARDIAN, [
    (PERSONAL, SA, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SA, "guardians", "user:elev.ola", LISTED, LEFT_OUT),
    (PERSONAL, SA, "participants", "conversation:four", LISTED, LEFT_OUT),
    (PERSONAL, SU, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SL, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, SL, "guardians", "user:elev.ola", LISTED, LEFT_OUT),
    (PERSONAL, TE, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, TE, "guardians", "user:elev.ola", LISTED, LEFT_OUT),
    (PERSONAL, TE, "participants", "conversation:four", LISTED, LEFT_OUT),
    (PERSONAL, ST, "person", "subject", SHOWN, NOT_FOUND),
    (PERSONAL, ST, "guardians", "viewer", LISTED, LEFT_OUT),
    (PERSONAL, GU, "person", "subject", NOT_FOUND, NOT_FOUND),
    (PERSONAL, GU, "participants", "conversation:four", LISTED, LEFT_OUT),
    (COMMUNICATION, SA, "author", "message:kari-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, SU, "author", "message:kari-four", NOT_FOUND, NOT_FOUND),
    (COMMUNICATION, SL, "author", "message:kari-four", NOT_FOUND, NOT_FOUND),
    (COMMUNICATION, TE, "author", "message:kari-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, ST, "author", "message:kari-four", NOT_FOUND, NOT_FOUND),
    (COMMUNICATION, GU, "author", "message:kari-four", SHOWN, PSEUDONYM),
    (COMMUNICATION, GU, "in_root", "conversation:four", LISTED, LISTED),
    (MATERIAL, SA, "author", "document:kari-private", SHOWN, NOT_FOUND),
    (MATERIAL, SU, "author", "document:kari-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, SL, "author", "document:kari-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, TE, "author", "document:kari-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, ST, "author", "document:kari-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, GU, "author", "document:kari-private", NOT_FOUND, NOT_FOUND),
    (MATERIAL, SA, "in_root", "document:kari-private", LISTED, LEFT_OUT),
    (CALENDAR, SA, "author", "event:kari-personal", SHOWN, NOT_FOUND),
    (CALENDAR, SU, "author", "event:kari-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, SL, "author", "event:kari-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, TE, "author", "event:kari-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, ST, "author", "event:kari-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, GU, "author", "event:kari-personal", NOT_FOUND, NOT_FOUND),
    (CALENDAR, SA, "in_root", "event:kari-personal", LISTED, LEFT_OUT),
])
# fmt: on

#: Internal logic: never visible, to anyone, in any state (not even to the administrator).
INTERNAL_CASES = [
    Case(subject, INTERNAL, role, Probe("preferences", "subject"), NOT_VISIBLE, NOT_VISIBLE)
    for subject in SUBJECTS
    for role in ROLES
]

CASES: list[Case] = STUDENT_CASES + TEACHER_CASES + GUARDIAN_CASES + INTERNAL_CASES


def cases_of(subject: str) -> list[Case]:
    return [case for case in CASES if case.subject == subject]


# --- the demo objects the cases name ---------------------------------------------------------


@dataclass
class Demo:
    """Global ids of the demo objects the cases name, and the people's names."""

    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    #: assessment key -> the assessor's username
    assessors: dict[str, str] = field(default_factory=dict)
    #: submission key -> the key of its assignment
    assignment_of: dict[str, str] = field(default_factory=dict)
    #: post/assignment/event key -> the id of its course
    course_of: dict[str, str] = field(default_factory=dict)


def _gql_ok(live: LiveGateway, query: str, who: str, **variables: Any) -> Any:
    result = live.gql(query, variables, as_user=who)
    assert result.errors == [], result.errors
    (value,) = result.data.values()
    return value


def prepare(live: LiveGateway) -> Demo:
    """Add the activity the demo lacks (through the mutations) and look up every id."""
    p = {
        u: live.person_pk(u)
        for u in (
            "elev.ola",
            "larer.hansen",
            "foresatt.kari",
            "larer.dahl",
            "foresatt.knut",
            "elev.jakob",
        )
    }
    message = _gql_ok(
        live,
        'mutation($to: [ID!]) { sendMessage(recipientIds: $to, body: "Jeg er syk i dag") { id } }',
        "elev.ola",
        to=[live.person_id("larer.dahl"), live.person_id("foresatt.knut")],
    )["id"]
    kari_document = _gql_ok(
        live,
        'mutation { createDocument(title: "Notater fra utviklingssamtalen", body: "...") { id } }',
        "foresatt.kari",
    )["id"]

    def first(table: Any, *where: Any) -> Any:
        """The lowest id matching ``where``, as a subquery (all are read in one round trip)."""
        return (
            select(table.c.id).where(and_(*where)).order_by(table.c.id).limit(1).scalar_subquery()
        )

    course = {
        code: live.course_pk(sid)
        for code, sid in (("8A", "c-bjs-8a"), ("MAT8", "c-bjs-mat8"), ("NOR8", "c-bjs-nor8"))
    }
    participants: dict[int, set[int]] = {}
    for conversation, person in live.rows(
        select(
            t.conversation_participants.c.conversation_id, t.conversation_participants.c.person_id
        )
    ):
        participants.setdefault(conversation, set()).add(person)
    four = next(
        c
        for c, people in participants.items()
        if people == {p["larer.dahl"], p["larer.hansen"], p["foresatt.kari"], p["foresatt.knut"]}
    )
    two = next(
        c for c, people in participants.items() if people == {p["larer.hansen"], p["foresatt.kari"]}
    )
    ola_conversation = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == from_global_id(message)[1])
    )
    po, co, m, d, e, a, x, s = (
        t.posts,
        t.comments,
        t.messages,
        t.documents,
        t.calendar_events,
        t.assignments,
        t.assessments,
        t.submissions,
    )
    dahl_assignment = first(a, a.c.author_id == p["larer.dahl"], a.c.course_id == course["NOR8"])
    pks: dict[str, tuple[str, Any]] = {
        "course:8A": ("Course", course["8A"]),
        "course:MAT8": ("Course", course["MAT8"]),
        "course:NOR8": ("Course", course["NOR8"]),
        "conversation:four": ("Conversation", four),
        "conversation:two": ("Conversation", two),
        "conversation:ola": ("Conversation", ola_conversation),
        "post:ola": ("Post", first(po, po.c.author_id == p["elev.ola"])),
        "post:hansen": (
            "Post",
            first(po, po.c.author_id == p["larer.hansen"], po.c.course_id == course["MAT8"]),
        ),
        "comment:ola": ("Comment", first(co, co.c.author_id == p["elev.ola"])),
        "comment:hansen": ("Comment", first(co, co.c.author_id == p["larer.hansen"])),
        "message:hansen-four": (
            "Message",
            first(m, m.c.author_id == p["larer.hansen"], m.c.conversation_id == four),
        ),
        "message:kari-four": (
            "Message",
            first(m, m.c.author_id == p["foresatt.kari"], m.c.conversation_id == four),
        ),
        "message:hansen-two": (
            "Message",
            first(m, m.c.author_id == p["larer.hansen"], m.c.conversation_id == two),
        ),
        "message:kari-two": (
            "Message",
            first(m, m.c.author_id == p["foresatt.kari"], m.c.conversation_id == two),
        ),
        "assignment:hansen": (
            "Assignment",
            first(a, a.c.author_id == p["larer.hansen"], a.c.course_id == course["MAT8"]),
        ),
        "assignment:dahl": ("Assignment", dahl_assignment),
        "document:ola-shared": (
            "Document",
            first(d, d.c.owner_id == p["elev.ola"], d.c.course_id.is_not(None)),
        ),
        "document:ola-private": (
            "Document",
            first(d, d.c.owner_id == p["elev.ola"], d.c.course_id.is_(None)),
        ),
        "document:hansen-shared": (
            "Document",
            first(d, d.c.owner_id == p["larer.hansen"], d.c.course_id.is_not(None)),
        ),
        "document:hansen-private": (
            "Document",
            first(d, d.c.owner_id == p["larer.hansen"], d.c.course_id.is_(None)),
        ),
        "event:ola-personal": (
            "CalendarEvent",
            first(e, e.c.owner_id == p["elev.ola"], e.c.course_id.is_(None)),
        ),
        "event:hansen-course": (
            "CalendarEvent",
            first(e, e.c.owner_id == p["larer.hansen"], e.c.course_id.is_not(None)),
        ),
        "event:hansen-personal": (
            "CalendarEvent",
            first(e, e.c.owner_id == p["larer.hansen"], e.c.course_id.is_(None)),
        ),
        "event:kari-personal": (
            "CalendarEvent",
            first(e, e.c.owner_id == p["foresatt.kari"], e.c.course_id.is_(None)),
        ),
        "assessment:dahl-ola": (
            "Assessment",
            first(
                x,
                x.c.assessor_id == p["larer.dahl"],
                x.c.student_id == p["elev.ola"],
                x.c.kind == "FEEDBACK",
            ),
        ),
        "assessment:hansen-ola": (
            "Assessment",
            first(
                x,
                x.c.assessor_id == p["larer.hansen"],
                x.c.student_id == p["elev.ola"],
                x.c.kind == "FEEDBACK",
                x.c.published.is_(True),
            ),
        ),
        "assessment:hansen-jakob": (
            "Assessment",
            first(
                x,
                x.c.assessor_id == p["larer.hansen"],
                x.c.student_id == p["elev.jakob"],
                x.c.kind == "ABSENCE",
            ),
        ),
        "submission:ola": (
            "Submission",
            first(s, s.c.student_id == p["elev.ola"], s.c.assignment_id == dahl_assignment),
        ),
    }
    (found,) = live.rows(
        select(*[literal(pk) if isinstance(pk, int) else pk for _kind, pk in pks.values()])
    )
    demo = Demo()
    demo.ids = {
        key: to_global_id(kind, int(pk))
        for (key, (kind, _q)), pk in zip(pks.items(), found, strict=True)
    }
    demo.ids["message:ola"] = message
    demo.ids["document:kari-private"] = kari_document
    demo.assessors = {
        "assessment:dahl-ola": "larer.dahl",
        "assessment:hansen-ola": "larer.hansen",
        "assessment:hansen-jakob": "larer.hansen",
    }
    demo.assignment_of = {"submission:ola": "assignment:dahl"}

    def pk_of(key: str) -> int:
        return from_global_id(demo.ids[key])[1]

    for key, table in (
        ("post:ola", po),
        ("post:hansen", po),
        ("assignment:hansen", a),
        ("event:hansen-course", e),
    ):
        course_pk = live.scalar(select(table.c.course_id).where(table.c.id == pk_of(key)))
        demo.course_of[key] = to_global_id("Course", course_pk)
    people = t.people.c
    for username in ("larer.dahl", "larer.hansen"):
        given, family = live.rows(
            select(people.given_name, people.family_name).where(people.username == username)
        )[0]
        demo.names[username] = f"{given} {family}"
    return demo


# --- observing ---------------------------------------------------------------------------------
#
# All probes of one viewer for one subject go in one request, each root field under an alias of
# its own (``p3_node``); the answer is split back per probe, with the aliases renamed to the
# canonical root names, and classified. Lookups by id (``user``, ``node``, ``assessment``,
# ``submission``) report NOT_FOUND per alias, so every probe sees its own errors.


@dataclass(frozen=True)
class Seen:
    """What one probe found: the outcome word, a list's totalCount, a stand-in's (id, name),
    and for a surprise the response it came from."""

    outcome: str
    count: int | None = None
    label: tuple[str, str] | None = None
    detail: str = ""


def _only_authz_errors(result: GraphQLResult) -> bool:
    return all(e.get("extensions", {}).get("code") in AUTHZ_CODES for e in result.errors)


def _other(result: GraphQLResult) -> Seen:
    return Seen("UNEXPECTED", detail=str(dict(result)))


def stand_in_problems(person: dict[str, Any], real_id: str) -> list[str]:
    """What is wrong with ``person`` as the spec's pseudonym stand-in for ``real_id``."""
    problems = []
    if person.get("isPseudonym") is not True:
        problems.append("isPseudonym is not true")
    if person["id"] == real_id:
        problems.append("the stand-in carries the real id")
    raw = person["id"] + "=" * (-len(person["id"]) % 4)
    try:
        decoded = base64.urlsafe_b64decode(raw.encode()).decode()
    except ValueError:
        decoded = ""
    kind, _, local = decoded.partition(":")
    if kind == "User" or local == str(from_global_id(real_id)[1]):
        problems.append(f"the stand-in id decodes to the person ({decoded})")
    if not STAND_IN_NAME.fullmatch(str(person.get("displayName"))):
        problems.append(f"displayName {person.get('displayName')!r}")
    problems.extend(
        f"{name} is not null" for name in STAND_IN_NULL_FIELDS if person[name] is not None
    )
    return problems


def classify_person(person: dict[str, Any] | None, real_id: str, result: GraphQLResult) -> Seen:
    """A resolved author/owner: the real person (SHOWN) or a valid stand-in (PSEUDONYM)."""
    if person is None:
        return _other(result)
    if person["isPseudonym"] is False:
        return Seen(SHOWN) if person["id"] == real_id else _other(result)
    problems = stand_in_problems(person, real_id)
    if result.errors:
        problems.append(f"errors: {result.errors}")
    if problems:
        return Seen("BAD_PSEUDONYM", detail=str(problems))
    return Seen(PSEUDONYM, label=(person["id"], person["displayName"]))


def _missing(result: GraphQLResult, *roots: str) -> bool:
    """Every root is null with NOT_FOUND, and there is no other error."""
    return len(result.errors) == len(roots) and all(
        result.data is not None and result.data[root] is None and result.code_at(root) == NOT_FOUND
        for root in roots
    )


def _listed(result: GraphQLResult, ids: list[str] | None, wanted: str, count: int | None) -> Seen:
    if ids is None or not _only_authz_errors(result):
        return Seen(NO_ACCESS, detail=str(dict(result)))
    if count is not None and count != len(ids):
        return Seen("BAD_COUNT", detail=f"totalCount={count} rows={len(ids)}")
    return Seen(LISTED if wanted in ids else LEFT_OUT, count=count)


def _page_ids(page: dict[str, Any] | None) -> tuple[list[str] | None, int | None]:
    if page is None:
        return None, None
    return [edge["node"]["id"] for edge in page["edges"]], page["totalCount"]


@dataclass(frozen=True)
class Asked:
    """A probe made concrete: its root selections (canonical name -> selection) and how to read
    the answer."""

    roots: dict[str, str]
    probe: Probe
    target: str


PAGE = "(first: 500) { totalCount edges { node { id } } }"
#: The viewer's own lists, by the type of object looked for.
ROOT_LISTS = {
    "Course": "courses",
    "Document": "documents",
    "CalendarEvent": "calendarEvents",
    "Conversation": "conversations",
}
#: A course's lists, by the type of object looked for.
COURSE_LISTS = {
    "Post": f"posts{PAGE}",
    "Assignment": f"assignments{PAGE}",
    "CalendarEvent": "events { id }",
}


def ask(live: LiveGateway, demo: Demo, subject: str, probe: Probe, person_fields: str) -> Asked:
    if probe.target == "subject":
        target = live.person_id(subject)
    elif probe.target.startswith("user:"):
        target = live.person_id(probe.target[5:])
    elif probe.target == "viewer":
        target = ""
    else:
        target = demo.ids[probe.target]
    by_id = f'(id: "{target}")'
    kind = probe.kind
    if kind == "person":
        roots = {"user": f"user{by_id} {{ id }}", "node": f"node{by_id} {{ id }}"}
    elif kind == "author":
        type_name = from_global_id(target)[0]
        field_name = "owner" if type_name in {"Document", "CalendarEvent"} else "author"
        author = f"{field_name} {{ {person_fields} }}"
        roots = {"node": f"node{by_id} {{ id ... on {type_name} {{ {author} }} }}"}
    elif kind == "assessment":
        roots = {"assessment": f"assessment{by_id} {{ id assessorName assessor {{ id }} }}"}
    elif kind == "submission":
        roots = {"submission": f"submission{by_id} {{ id }}"}
    elif kind == "submissions":
        assignment = demo.ids[demo.assignment_of[probe.target]]
        roots = {
            "node": f'node(id: "{assignment}") {{ ... on Assignment {{ submissions{PAGE} }} }}'
        }
    elif kind == "students":
        roots = {"course": f"course{by_id} {{ students{PAGE} }}"}
    elif kind == "teachers":
        roots = {"course": f"course{by_id} {{ teachers {{ id }} }}"}
    elif kind == "participants":
        roots = {"node": f"node{by_id} {{ ... on Conversation {{ participants {{ id }} }} }}"}
    elif kind in {"guardians", "children"} and probe.target == "viewer":
        roots = {"viewer": f"viewer {{ {kind} {{ id }} }}"}
    elif kind in {"guardians", "children"}:
        roots = {"user": f"user{by_id} {{ {kind} {{ id }} }}"}
    elif kind == "in_root":
        root = ROOT_LISTS[from_global_id(target)[0]]
        roots = {root: f"{root}{PAGE}"}
    elif kind == "in_course":
        selection = COURSE_LISTS[from_global_id(target)[0]]
        roots = {"course": f'course(id: "{demo.course_of[probe.target]}") {{ {selection} }}'}
    elif kind == "preferences":
        roots = {"user": f"user{by_id} {{ preferences {{ key }} }}"}
    else:
        raise AssertionError(f"unknown probe {probe}")
    return Asked(roots, probe, target)


def classify(
    live: LiveGateway, demo: Demo, subject: str, asked: Asked, result: GraphQLResult
) -> Seen:
    """The outcome word of one probe's part of the answer (roots under canonical names)."""
    subject_id = live.person_id(subject)
    probe, data = asked.probe, result.data or {}
    kind = probe.kind
    if kind == "person":
        if _missing(result, "user", "node"):
            return Seen(NOT_FOUND)
        if result.errors == [] and data["user"] == data["node"] == {"id": asked.target}:
            return Seen(SHOWN)
        return _other(result)
    if kind == "author":
        if _missing(result, "node"):
            return Seen(NOT_FOUND)
        if not _only_authz_errors(result) or data.get("node") is None:
            return _other(result)
        field_name = "owner" if "owner" in data["node"] else "author"
        author = data["node"][field_name]
        if author is not None and author["isPseudonym"] is False:
            return Seen(SHOWN) if author["id"] == subject_id else _other(result)
        return classify_person(author, subject_id, result)
    if kind == "assessment":
        if _missing(result, "assessment"):
            return Seen(NOT_FOUND)
        found = data.get("assessment")
        assessor = demo.assessors[probe.target]
        if found is None or result.errors or found["assessorName"] != demo.names[assessor]:
            return _other(result)
        if found["assessor"] == {"id": live.person_id(assessor)}:
            return Seen(NAMED)
        return Seen(NAME_ONLY) if found["assessor"] is None else _other(result)
    if kind == "submission":
        if _missing(result, "submission"):
            return Seen(NOT_FOUND)
        if result.errors == [] and data["submission"] == {"id": asked.target}:
            return Seen(SHOWN)
        return _other(result)
    if kind == "submissions":
        ids, count = _page_ids((data.get("node") or {}).get("submissions"))
        return _listed(result, ids, asked.target, count)
    if kind == "students":
        ids, count = _page_ids((data.get("course") or {}).get("students"))
        return _listed(result, ids, subject_id, count)
    if kind == "in_root":
        (root,) = asked.roots
        ids, count = _page_ids(data.get(root))
        # A guardian loses all of a child's courses at once: that count is not one lower.
        return _listed(result, ids, asked.target, None if root == "courses" else count)
    if kind == "in_course":
        listed = data.get("course") or {}
        if "events" in listed:
            events = listed["events"]
            ids = None if events is None else [event["id"] for event in events]
            return _listed(result, ids, asked.target, None)
        page = listed.get("posts", listed.get("assignments"))
        ids, count = _page_ids(page)
        return _listed(result, ids, asked.target, count)
    if kind in {"teachers", "guardians", "children", "participants"}:
        (root,) = asked.roots
        people = (data.get(root) or {}).get(kind)
        ids = None if people is None else [person["id"] for person in people]
        return _listed(result, ids, subject_id, None)
    if kind == "preferences":
        if not _only_authz_errors(result):
            return _other(result)
        person = data.get("user")
        return Seen(NOT_VISIBLE if person is None or person["preferences"] is None else "VISIBLE")
    raise AssertionError(f"unknown probe {probe}")


def _part(result: GraphQLResult, aliases: dict[str, str]) -> GraphQLResult:
    """The answer to one probe: its aliased roots renamed to their canonical names, and the
    errors under them (request errors, which have no path, go to every part)."""
    data = result.data
    errors = []
    for error in result.errors:
        path = error.get("path") or []
        if not path:
            errors.append(error)
        elif path[0] in aliases:
            errors.append({**error, "path": [aliases[path[0]], *path[1:]]})
    part: dict[str, Any] = {
        "data": None if data is None else {aliases[a]: data.get(a) for a in aliases}
    }
    if errors:
        part["errors"] = errors
    return GraphQLResult(part)


def observe_all(
    live: LiveGateway,
    demo: Demo,
    subject: str,
    viewer: str,
    probes: list[Probe],
    person_fields: str = PERSON_FIELDS,
) -> dict[Probe, Seen]:
    """Run ``probes`` as ``viewer`` in one request and classify each."""
    asked = [ask(live, demo, subject, probe, person_fields) for probe in probes]
    aliases = [{f"p{i}_{root}": root for root in a.roots} for i, a in enumerate(asked)]
    selections = [
        f"{alias}: {a.roots[root]}"
        for a, named in zip(asked, aliases, strict=True)
        for alias, root in named.items()
    ]
    result = live.gql("{ " + "\n".join(selections) + " }", as_user=viewer)
    return {
        a.probe: classify(live, demo, subject, a, _part(result, named))
        for a, named in zip(asked, aliases, strict=True)
    }


Observations = dict[tuple[str, Probe], Seen]


def observe_subject(
    live: LiveGateway, demo: Demo, subject: str, *, active: bool = False
) -> Observations:
    """Every probe of ``subject``'s cases: one request per viewer. Authors are read in full
    (every stand-in field checked) unless the subject is ``active``."""
    wanted: dict[str, list[Probe]] = {}
    for case in cases_of(subject):
        probes = wanted.setdefault(case.viewer, [])
        if case.probe not in probes:
            probes.append(case.probe)
    seen: Observations = {}
    for viewer, probes in wanted.items():
        fields = REAL_PERSON_FIELDS if active else PERSON_FIELDS
        for probe, found in observe_all(live, demo, subject, viewer, probes, fields).items():
            seen[(viewer, probe)] = found
    return seen


def count_problems(before: Observations, after: Observations) -> tuple[int, list[str]]:
    """Lists are filtered in SQL, so totalCount follows the rows: one lower where the subject (or
    their object) left the list, unchanged where it stayed. (number of drops, what is wrong)"""
    drops, problems = 0, []
    for key, seen in before.items():
        found = after[key]
        if seen.count is None or found.count is None:
            continue
        left = seen.outcome == LISTED and found.outcome == LEFT_OUT
        drops += left
        if found.count != seen.count - left:
            problems.append(f"{key}: totalCount {seen.count} -> {found.count}")
    return drops, problems


def labels(seen: Observations) -> set[tuple[str, str]]:
    """The stand-ins (id, displayName) met in ``seen``."""
    return {s.label for s in seen.values() if s.label is not None}

"""Rows to GraphQL objects, each stamped with the viewer's relations to it.

Relations are computed once per object here, so the field guards only look them up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authz.relations import ROW_ONLY, Facts, relations_of
from config.ids import to_global_id
from resolvers.context import RequestContext
from schema.assessment import Assessment
from schema.communication import Comment, Conversation, Message, Post
from schema.course import Course
from schema.coursework import Assignment, Submission
from schema.material import CalendarEvent, Document
from schema.privacy import AuditEntry, PrivacyRequest
from schema.school_year import AcademicSession, RosterImport
from schema.user import School, User
from store.tables import AcademicSessionType, CourseState, ProcessingState, RequestOrigin

Row = Mapping[str, Any]


def _rels(ctx: RequestContext, facts: Facts) -> frozenset[str]:
    if ctx.bypass or ctx.viewer is None:
        return ROW_ONLY
    return relations_of(ctx.viewer, facts)


def display_name(given: str | None, family: str | None) -> str | None:
    name = " ".join(part for part in (given, family) if part)
    return name or None


def build_user(ctx: RequestContext, row: Row, schools: frozenset[int]) -> User:
    pk = row["id"]
    return User(
        id=to_global_id("User", pk),
        is_pseudonym=False,
        display_name=display_name(row["given_name"], row["family_name"]),
        first_name=row["given_name"],
        last_name=row["family_name"],
        email=row["email"],
        processing_state=ProcessingState(row["processing_state"]),
        pk=pk,
        national_id_value=row["national_id"],
        tavle_rels=_rels(ctx, Facts(person=pk, schools=schools)),
    )


PSEUDONYM_RELATIONS: frozenset[str] = frozenset({"row", "anyone", "authenticated", "pseudonym"})


def build_pseudonym(ctx: RequestContext, person_id: int) -> User:
    """The stand-in for a restricted or erased author: a stable label, nothing else.

    Its id is derived from the label, never the person's id, and ``pk`` is -1 so no nested
    resolver can reach the person's rows.
    """
    label = ctx.pseudonyms.label(person_id)
    return User(
        id=to_global_id("Pseudonym", label),
        is_pseudonym=True,
        display_name=ctx.pseudonyms.display_name(person_id),
        first_name=None,
        last_name=None,
        email=None,
        processing_state=None,
        pk=-1,
        national_id_value=None,
        tavle_rels=PSEUDONYM_RELATIONS,
    )


def build_school(ctx: RequestContext, row: Row) -> School:
    pk = row["id"]
    return School(
        id=to_global_id("School", pk),
        name=row["name"],
        code=row["code"],
        state=CourseState(row["state"]),
        pk=pk,
        tavle_rels=_rels(ctx, Facts(school=pk)),
    )


def build_course(ctx: RequestContext, row: Row) -> Course:
    pk = row["id"]
    return Course(
        id=to_global_id("Course", pk),
        code=row["code"],
        name=row["name"],
        is_homeroom=row["is_homeroom"],
        state=CourseState(row["state"]),
        archived_at=row["archived_at"],
        pk=pk,
        school_pk=row["school_id"],
        tavle_rels=_rels(ctx, Facts(course=pk, school=row["school_id"])),
    )


def build_assignment(ctx: RequestContext, row: Row) -> Assignment:
    pk = row["id"]
    return Assignment(
        id=to_global_id("Assignment", pk),
        title=row["title"],
        instructions=row["instructions"],
        due_at=row["due_at"],
        created_at=row["created_at"],
        pk=pk,
        course_pk=row["course_id"],
        author_pk=row["author_id"],
        tavle_rels=_rels(
            ctx, Facts(owner=row["author_id"], course=row["course_id"], school=row["school_id"])
        ),
    )


def build_submission(ctx: RequestContext, row: Row) -> Submission:
    pk = row["id"]
    student = row["student_id"]
    return Submission(
        id=to_global_id("Submission", pk),
        status=row["status"],
        submitted_at=row["submitted_at"],
        body_value=row["body"],
        last_opened_at=row["last_opened_at"],
        pk=pk,
        assignment_pk=row["assignment_id"],
        student_pk=student,
        last_opened_by_pk=row["last_opened_by_id"],
        tavle_rels=_rels(
            ctx,
            Facts(owner=student, student=student, course=row["course_id"], school=row["school_id"]),
        ),
    )


def build_assessment(ctx: RequestContext, row: Row) -> Assessment:
    pk = row["id"]
    return Assessment(
        id=to_global_id("Assessment", pk),
        kind=row["kind"],
        grade=row["grade"],
        comment=row["comment"],
        assessor_name=row["assessor_name"],
        published=row["published"],
        created_at=row["created_at"],
        course_code=row["course_code"],
        course_name=row["course_name"],
        pk=pk,
        student_pk=row["student_id"],
        course_pk=row["course_id"],
        course_state=None if row["course_state"] is None else CourseState(row["course_state"]),
        submission_pk=row["submission_id"],
        assessor_pk=row["assessor_id"],
        tavle_rels=_rels(
            ctx,
            Facts(
                student=row["student_id"],
                course=row["course_id"],
                school=row["school_id"],
                published=bool(row["published"]),
            ),
        ),
    )


def build_post(ctx: RequestContext, row: Row) -> Post:
    pk = row["id"]
    return Post(
        id=to_global_id("Post", pk),
        body=row["body"],
        created_at=row["created_at"],
        pk=pk,
        course_pk=row["course_id"],
        author_pk=row["author_id"],
        tavle_rels=_rels(
            ctx, Facts(owner=row["author_id"], course=row["course_id"], school=row["school_id"])
        ),
    )


def build_comment(ctx: RequestContext, row: Row) -> Comment:
    pk = row["id"]
    return Comment(
        id=to_global_id("Comment", pk),
        body=row["body"],
        created_at=row["created_at"],
        pk=pk,
        author_pk=row["author_id"],
        tavle_rels=_rels(
            ctx, Facts(owner=row["author_id"], course=row["course_id"], school=row["school_id"])
        ),
    )


def build_conversation(ctx: RequestContext, row: Row, participants: frozenset[int]) -> Conversation:
    pk = row["id"]
    return Conversation(
        id=to_global_id("Conversation", pk),
        pk=pk,
        participant_pks=participants,
        tavle_rels=_rels(ctx, Facts(conversation_participants=participants)),
    )


def build_message(ctx: RequestContext, row: Row) -> Message:
    pk = row["id"]
    return Message(
        id=to_global_id("Message", pk),
        body=row["body"],
        sent_at=row["sent_at"],
        pk=pk,
        author_pk=row["author_id"],
        tavle_rels=_rels(ctx, Facts(owner=row["author_id"])),
    )


def build_document(ctx: RequestContext, row: Row) -> Document:
    pk = row["id"]
    return Document(
        id=to_global_id("Document", pk),
        title=row["title"],
        body=row["body"],
        pk=pk,
        owner_pk=row["owner_id"],
        course_pk=row["course_id"],
        tavle_rels=_rels(
            ctx, Facts(owner=row["owner_id"], course=row["course_id"], school=row["school_id"])
        ),
    )


def build_calendar_event(ctx: RequestContext, row: Row) -> CalendarEvent:
    pk = row["id"]
    return CalendarEvent(
        id=to_global_id("CalendarEvent", pk),
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        pk=pk,
        owner_pk=row["owner_id"],
        course_pk=row["course_id"],
        tavle_rels=_rels(
            ctx, Facts(owner=row["owner_id"], course=row["course_id"], school=row["school_id"])
        ),
    )


def build_privacy_request(ctx: RequestContext, row: Row) -> PrivacyRequest:
    pk = row["id"]
    return PrivacyRequest(
        id=to_global_id("PrivacyRequest", pk),
        action=row["action"],
        status=row["status"],
        justification=row["justification"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        format=row["format"],
        expires_at=row["expires_at"],
        error=row["error"],
        origin=RequestOrigin(row["origin"]),
        pk=pk,
        subject_pk=row["subject_id"],
        course_pk=row["course_id"],
        requested_by_pk=row["requested_by_id"],
        confirmed_by_pk=row["confirmed_by_id"],
        effects_json=row["effects"],
        file_name=row["file_name"],
        tavle_rels=_rels(ctx, Facts()),
    )


def build_audit_entry(ctx: RequestContext, row: Row) -> AuditEntry:
    target_type, target_id = row["target_type"], row["target_id"]
    return AuditEntry(
        id=to_global_id("AuditEntry", row["id"]),
        at=row["at"],
        action=row["action"],
        target_type=target_type,
        target_id=to_global_id(target_type, target_id) if target_type and target_id else None,
        justification=row["justification"],
        trace_id=row["trace_id"],
        hash=row["hash"],
        detail=row["detail"],
        pk=row["id"],
        actor_pk=row["actor_id"],
        roster_import_pk=row["roster_import_id"],
        tavle_rels=_rels(ctx, Facts()),
    )


def build_academic_session(ctx: RequestContext, row: Row) -> AcademicSession:
    pk = row["id"]
    return AcademicSession(
        id=to_global_id("AcademicSession", pk),
        title=row["title"],
        type=AcademicSessionType(row["type"]),
        start_date=row["start_date"],
        end_date=row["end_date"],
        pk=pk,
        parent_pk=row["parent_id"],
        tavle_rels=_rels(ctx, Facts()),
    )


def build_roster_import(ctx: RequestContext, row: Row) -> RosterImport:
    pk = row["id"]
    return RosterImport(
        id=to_global_id("RosterImport", pk),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status=row["status"],
        source=row["source"],
        mode=row["mode"],
        actor=row["actor"],
        pk=pk,
        counts_json=row["counts"],
        conflicts_json=row["conflicts"],
        file_digests_json=row["file_digests"],
        tavle_rels=_rels(ctx, Facts()),
    )

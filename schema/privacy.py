"""The privacy tool's types, queries and mutations (docs/privacy-actions.md; admin console)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import strawberry

from config import clock
from config.ids import expect_id, to_global_id
from resolvers.context import Info, RequestContext
from resolvers.errors import not_found
from resolvers.records import (
    AuditEntryRecord,
    PrivacyRequestItemRecord,
    PrivacyRequestRecord,
)
from resolvers.services import course_deletion, privacy, school_export
from schema import sources
from schema.connection import Connection
from schema.course import Course
from schema.enums import (
    DataCategory,
    ExportFormat,
    Ordering,
    Outcome,
    PrivacyAction,
    PrivacyRequestStatus,
    RequestOrigin,
)
from schema.node import Node
from schema.registry import kind_type
from schema.school_year import RosterImport
from schema.user import School, User
from schema.values import made_of, member, node_id, object_of, record_field
from store.filestore import storage_of
from store.filestore.deletions import drain
from store.tables import ItemStatus


@strawberry.type
class CategoryEffect:
    category: DataCategory
    outcome: Outcome
    count: int
    item: str | None = strawberry.field(
        default=None,
        description=(
            "What is counted when a category covers several kinds of rows (a course deletion: "
            "POST, COMMENT, ASSIGNMENT, SUBMISSION, ATTACHMENT, DOCUMENT, CALENDAR_EVENT, "
            "ENROLMENT, ASSESSMENT); null on a person's privacy actions."
        ),
    )


def _effects(record: PrivacyRequestRecord, _ctx: RequestContext) -> list[CategoryEffect]:
    return [
        CategoryEffect(
            category=DataCategory(e["category"]),
            outcome=Outcome(e["outcome"]),
            count=e["count"],
            item=e.get("item"),
        )
        for e in json.loads(record.effects)
    ]


def _download_url(record: PrivacyRequestRecord, _ctx: RequestContext) -> str | None:
    exports = (PrivacyAction.EXPORT, PrivacyAction.EXPORT_SCHOOL)
    if record.action not in exports or record.status != PrivacyRequestStatus.COMPLETED:
        return None
    if record.file_name is None or (record.expires_at and record.expires_at <= clock.now()):
        return None
    return f"/privacy/exports/{to_global_id('PrivacyRequest', record.pk)}"


# --- batch and school erasure: the people and their results ----------------------------------

strawberry.enum(ItemStatus, name="PrivacyRequestItemStatus")


def _item_effects(record: PrivacyRequestItemRecord, _ctx: RequestContext) -> list[CategoryEffect]:
    return [
        CategoryEffect(
            category=DataCategory(e["category"]),
            outcome=Outcome(e["outcome"]),
            count=e["count"],
        )
        for e in json.loads(record.effects)
    ]


@made_of(PrivacyRequestItemRecord, status=member(ItemStatus, "status"))
@strawberry.type(description="One person of a batch or school erasure and their result.")
class PrivacyRequestItem:
    status: ItemStatus
    basis: str = strawberry.field(
        description="Why the person is in the batch: LISTED (named), EXPIRED (their retention "
        "had passed), SCHOOL (only at the school being erased); checked again before erasing."
    )
    reason: str | None = strawberry.field(
        description="Why a SKIPPED or FAILED person was not erased: ALREADY_ERASED, "
        "NO_LONGER_EXPIRED, NO_LONGER_ONLY_AT_SCHOOL, ACTING_ADMINISTRATOR, ERASURE_FAILED."
    )
    done_at: datetime | None
    record: strawberry.Private[PrivacyRequestItemRecord]

    effects = record_field(_item_effects, description="What erasing this person did.")

    @strawberry.field(description="The person; once erased, as a pseudonym.")
    async def subject(self, info: Info) -> User | None:
        found: User | None = await sources.reference(
            info, self.record, "PrivacyRequestItem.subject"
        )
        return found


@strawberry.type(description="The people of a batch or school erasure, counted by result.")
class PrivacyRequestItemCounts:
    total: int
    pending: int
    erased: int
    skipped: int
    failed: int


def _item_counts(
    record: PrivacyRequestRecord, _ctx: RequestContext
) -> PrivacyRequestItemCounts | None:
    if record.action not in (PrivacyAction.ERASE_BATCH, PrivacyAction.ERASE_SCHOOL):
        return None
    return PrivacyRequestItemCounts(
        total=record.items_total,
        pending=record.items_pending,
        erased=record.items_erased,
        skipped=record.items_skipped,
        failed=record.items_failed,
    )


@kind_type("PrivacyRequest")
@made_of(PrivacyRequestRecord, id=node_id("PrivacyRequest"), origin=member(RequestOrigin, "origin"))
@strawberry.type
class PrivacyRequest(Node):
    id: strawberry.ID
    action: PrivacyAction
    status: PrivacyRequestStatus
    justification: str
    created_at: datetime
    completed_at: datetime | None
    format: ExportFormat | None
    expires_at: datetime | None
    error: str | None
    origin: RequestOrigin
    record: strawberry.Private[PrivacyRequestRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    effects = record_field(_effects)
    item_counts = record_field(
        _item_counts,
        description="A batch or school erasure's people counted by result; null for others.",
    )
    download_url = record_field(
        _download_url, description="Where a finished, unexpired export can be downloaded."
    )

    @strawberry.field
    async def subject(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "PrivacyRequest.subject")
        return found

    @strawberry.field(
        description="The course a DELETE_COURSE request is about; null once it is deleted."
    )
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "PrivacyRequest.course")
        return found

    @strawberry.field(description="The school a school erasure (or school export) is about.")
    async def school(self, info: Info) -> School | None:
        found: School | None = await sources.reference(info, self.record, "PrivacyRequest.school")
        return found

    @strawberry.field(
        description="The people of a batch or school erasure with each one's result, in the "
        "order they were frozen into the request; empty for other actions."
    )
    async def items(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PrivacyRequestItem] | None:
        return await sources.embedded_connection(
            info,
            self.record,
            "PrivacyRequest.items",
            PrivacyRequestItem,
            first,
            after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def requested_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(
            info, self.record, "PrivacyRequest.requestedBy"
        )
        return found

    @strawberry.field
    async def confirmed_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(
            info, self.record, "PrivacyRequest.confirmedBy"
        )
        return found


def _target_id(record: AuditEntryRecord) -> str | None:
    target_type, target_id = record.target_type, record.target_id
    return to_global_id(target_type, target_id) if target_type and target_id else None


@kind_type("AuditEntry")
@made_of(AuditEntryRecord, id=node_id("AuditEntry"), target_id=_target_id)
@strawberry.type
class AuditEntry(Node):
    id: strawberry.ID
    at: datetime
    action: str
    target_type: str | None
    target_id: strawberry.ID | None
    justification: str | None
    trace_id: str | None
    hash: str
    #: what changed (field names, never values), on roster import entries
    detail: str | None
    justification_digest: str | None = strawberry.field(
        description="SHA-256 (hex) of the justification, kept when erasure blanks its text; "
        "null when the entry has none."
    )
    record: strawberry.Private[AuditEntryRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "AuditEntry.actor")
        return found

    @strawberry.field(
        description="The person the entry is about (a privacy action's subject); erased people "
        "as their pseudonym."
    )
    async def subject(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "AuditEntry.subject")
        return found

    @strawberry.field(description="The import run this entry belongs to; null for other entries.")
    async def roster_import(self, info: Info) -> RosterImport | None:
        found: RosterImport | None = await sources.reference(
            info, self.record, "AuditEntry.rosterImport"
        )
        return found


async def _request(info: Info, pk: int) -> PrivacyRequest:
    """The request a mutation acted on, as ``privacyRequest(id:)`` answers it."""
    request: PrivacyRequest = await sources.acted_on(
        info, "Query.privacyRequest", "PrivacyRequest", pk
    )
    return request


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="Restricted people (the recycle bin); system administrators.")
    async def recycle_bin(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        return await sources.root_page(
            info, "Query.recycleBin", first, after, last=last, before=before
        )

    @strawberry.field
    async def privacy_request(self, info: Info, id: strawberry.ID) -> PrivacyRequest | None:
        found: PrivacyRequest = await sources.lookup(info, "Query.privacyRequest", id)
        return found

    @strawberry.field(
        description="Privacy requests, oldest first; about a person (`subjectId`), in a "
        "status (`status`; null: any) and of one of the actions `action` lists (null: any; at "
        "most 9). System administrators."
    )
    async def privacy_requests(
        self,
        info: Info,
        subject_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: PrivacyRequestStatus | None = None,
        action: list[PrivacyAction] | None = None,
    ) -> Connection[PrivacyRequest]:
        return await sources.root_page(
            info,
            "Query.privacyRequests",
            first,
            after,
            subject_id,
            status,
            action,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="The audit log, oldest first unless `orderBy` says; filtered by the person "
        "it is about (`subjectId`), who acted (`actorId`), the action, and a time range (`from` "
        "inclusive, `to` exclusive). System administrators."
    )
    async def audit_log(
        self,
        info: Info,
        subject_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
        actor_id: strawberry.ID | None = None,
        action: str | None = None,
        since: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        until: Annotated[datetime | None, strawberry.argument(name="to")] = None,
    ) -> Connection[AuditEntry]:
        return await sources.root_page(
            info,
            "Query.auditLog",
            first,
            after,
            subject_id,
            actor_id,
            action,
            since,
            until,
            last=last,
            before=before,
            order_by=order_by,
        )


def _data_request_id(given: strawberry.ID | None) -> int | None:
    """The data request a privacy action fulfils (docs/data-requests.md), if one is named."""
    return None if given is None else expect_id(given, "DataRequest")


@strawberry.input
class RectificationInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    override_source: bool | None = False


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation
    async def request_export(
        self,
        info: Info,
        subject_id: strawberry.ID,
        justification: str,
        format: ExportFormat | None = ExportFormat.XML,
        data_request_id: strawberry.ID | None = None,
    ) -> PrivacyRequest:
        pk = await privacy.request_export(
            info.context.actor(),
            expect_id(subject_id, "User"),
            justification,
            format or ExportFormat.XML,
            _data_request_id(data_request_id),
        )
        return await _request(info, pk)

    @strawberry.mutation(
        description="Queue one zip archive of a school for the controller: every member's "
        "export document, each course's content with its files, and a manifest with SHA-256 "
        "digests (docs/privacy-actions.md, School export). System administrators only."
    )
    async def request_school_export(
        self,
        info: Info,
        school_id: strawberry.ID,
        justification: str,
        format: ExportFormat | None = ExportFormat.XML,
    ) -> PrivacyRequest:
        pk = await school_export.request_school_export(
            info.context.actor(),
            expect_id(school_id, "School"),
            justification,
            format or ExportFormat.XML,
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def restrict_processing(
        self,
        info: Info,
        subject_id: strawberry.ID,
        justification: str,
        data_request_id: strawberry.ID | None = None,
    ) -> PrivacyRequest:
        pk = await privacy.restrict_processing(
            info.context.actor(),
            expect_id(subject_id, "User"),
            justification,
            data_request_id=_data_request_id(data_request_id),
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def lift_restriction(
        self, info: Info, subject_id: strawberry.ID, justification: str
    ) -> PrivacyRequest:
        pk = await privacy.lift_restriction(
            info.context.actor(), expect_id(subject_id, "User"), justification
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def request_erasure(
        self,
        info: Info,
        subject_id: strawberry.ID,
        justification: str,
        data_request_id: strawberry.ID | None = None,
    ) -> PrivacyRequest:
        pk = await privacy.request_erasure(
            info.context.actor(),
            expect_id(subject_id, "User"),
            justification,
            data_request_id=_data_request_id(data_request_id),
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def confirm_erasure(self, info: Info, request_id: strawberry.ID) -> PrivacyRequest:
        outcome = await privacy.confirm_erasure(
            info.context.actor(),
            expect_id(request_id, "PrivacyRequest"),
            info.context.settings,
            identity_key=info.context.pseudonyms.key,
        )
        # The erased files' bytes, now that their rows are gone (store/filestore/deletions.py).
        await drain(info.context.engine, storage_of(info.context.settings))
        return await _request(info, outcome.request_id)

    @strawberry.mutation(
        description="Ask to delete an ARCHIVED course and its content for good (assessments "
        "stay, with the course's code and name); another system administrator confirms."
    )
    async def request_course_deletion(
        self, info: Info, course_id: strawberry.ID, justification: str
    ) -> PrivacyRequest:
        pk = await course_deletion.request_course_deletion(
            info.context.actor(), expect_id(course_id, "Course"), justification
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def confirm_course_deletion(
        self, info: Info, request_id: strawberry.ID
    ) -> PrivacyRequest:
        pk = await course_deletion.confirm_course_deletion(
            info.context.actor(), expect_id(request_id, "PrivacyRequest"), info.context.settings
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def cancel_privacy_request(self, info: Info, request_id: strawberry.ID) -> PrivacyRequest:
        pk = await privacy.cancel_request(
            info.context.actor(), expect_id(request_id, "PrivacyRequest")
        )
        return await _request(info, pk)

    @strawberry.mutation
    async def rectify_personal_data(
        self,
        info: Info,
        subject_id: strawberry.ID,
        input: RectificationInput,
        justification: str,
        data_request_id: strawberry.ID | None = None,
    ) -> User:
        changes = {
            name: value
            for name, value in (
                ("first_name", input.first_name),
                ("last_name", input.last_name),
                ("email", input.email),
            )
            if value is not strawberry.UNSET
        }
        pk = expect_id(subject_id, "User")
        await privacy.rectify_personal_data(
            info.context.actor(),
            pk,
            changes,
            bool(input.override_source),
            justification,
            _data_request_id(data_request_id),
        )
        found = await info.context.loaders.by_id("PrivacySubject").load(pk)
        if found is None:
            raise not_found("No person with that id")
        return object_of(User, found)


__all__ = ["AuditEntry", "CategoryEffect", "PrivacyMutation", "PrivacyQuery", "PrivacyRequest"]

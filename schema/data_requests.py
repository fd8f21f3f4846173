"""Data requests (docs/data-requests.md): the type, the administrators' list and the mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from config import clock
from config.ids import expect_id, to_global_id
from resolvers.context import Info, RequestContext
from resolvers.errors import not_found
from resolvers.records import DataRequestRecord
from resolvers.services import data_requests
from schema import sources
from schema.connection import Connection
from schema.enums import DataRequestKind, DataRequestStatus, RequestChannel
from schema.node import Node
from schema.privacy import PrivacyRequest, _request
from schema.registry import kind_type, to_object
from schema.user import User
from schema.values import made_of, node_id, record_field


def _export_url(record: DataRequestRecord, _ctx: RequestContext) -> str | None:
    """The released, unexpired export of an ACCESS request, for the person who asked."""
    export_id, expires = record.released_export_id, record.released_export_expires_at
    if export_id is None or (expires is not None and expires <= clock.now()):
        return None
    return f"/privacy/exports/{to_global_id('PrivacyRequest', export_id)}"


@kind_type("DataRequest")
@made_of(DataRequestRecord, id=node_id("DataRequest"))
@strawberry.type(
    description="A request from a person about their personal data (GDPR art. 15-21), and how "
    "it was handled."
)
class DataRequest(Node):
    id: strawberry.ID
    kind: DataRequestKind
    status: DataRequestStatus
    channel: RequestChannel
    message: str | None
    received_at: datetime
    #: one calendar month after it was received (art. 12(3))
    due_at: datetime
    #: the extended deadline, two months after ``due_at``; null unless extended
    extended_to: datetime | None
    extension_reason: str | None
    identity_verified: bool
    decided_at: datetime | None
    decision_reason: str | None
    completed_at: datetime | None
    record: strawberry.Private[DataRequestRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    export_download_url = record_field(
        _export_url,
        description="Where the person who asked downloads the export released to them "
        "(`releaseExport`) until it expires; null otherwise.",
    )

    @strawberry.field(description="The person the request is about.")
    async def subject(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "DataRequest.subject")
        return found

    @strawberry.field(description="Who asked: the subject, or a guardian for a child.")
    async def requested_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "DataRequest.requestedBy")
        return found

    @strawberry.field
    async def decided_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "DataRequest.decidedBy")
        return found

    @strawberry.field(description="The privacy actions that fulfil it (`dataRequestId`).")
    async def actions(self, info: Info) -> list[PrivacyRequest]:
        found = await sources.listed(info, self.record, "DataRequest.actions")
        return found or []


async def _data_request(info: Info, pk: int) -> DataRequest:
    """The request a mutation acted on, as ``node(id:)`` shows it to the caller."""
    found = await info.context.loaders.by_id("DataRequest").load(pk)
    if found is None:
        raise not_found("No data request with that id is visible to you")
    request: DataRequest = to_object(found)
    return request


@strawberry.type
class DataRequestQuery:
    @strawberry.field(
        description="Data requests, open ones overdue or due within 7 days first, then by due "
        "date; system administrators."
    )
    async def data_requests(
        self,
        info: Info,
        status: DataRequestStatus | None = None,
        kind: DataRequestKind | None = None,
        overdue: bool | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DataRequest]:
        return await sources.root_page(
            info,
            "Query.dataRequests",
            first,
            after,
            status,
            kind,
            overdue,
            last=last,
            before=before,
        )


@strawberry.type
class DataRequestMutation:
    @strawberry.mutation(
        description="Ask about one's personal data (or a child's: `subjectId`); a system "
        "administrator registers a request received another way (`channel`, `requestedById`)."
    )
    async def submit_data_request(
        self,
        info: Info,
        kind: DataRequestKind,
        subject_id: strawberry.ID | None = None,
        message: str | None = None,
        channel: RequestChannel | None = RequestChannel.SELF_SERVICE,
        requested_by_id: strawberry.ID | None = None,
    ) -> DataRequest:
        pk = await data_requests.submit(
            info.context.actor(),
            kind,
            None if subject_id is None else expect_id(subject_id, "User"),
            message,
            channel or RequestChannel.SELF_SERVICE,
            None if requested_by_id is None else expect_id(requested_by_id, "User"),
        )
        return await _data_request(info, pk)

    @strawberry.mutation
    async def decide_data_request(
        self,
        info: Info,
        request_id: strawberry.ID,
        accept: bool,
        reason: str,
        identity_verified: bool | None = None,
    ) -> DataRequest:
        pk = await data_requests.decide(
            info.context.actor(),
            expect_id(request_id, "DataRequest"),
            accept,
            reason,
            identity_verified,
        )
        return await _data_request(info, pk)

    @strawberry.mutation
    async def extend_data_request(
        self, info: Info, request_id: strawberry.ID, reason: str
    ) -> DataRequest:
        pk = await data_requests.extend(
            info.context.actor(), expect_id(request_id, "DataRequest"), reason
        )
        return await _data_request(info, pk)

    @strawberry.mutation
    async def cancel_data_request(self, info: Info, request_id: strawberry.ID) -> DataRequest:
        pk = await data_requests.cancel(info.context.actor(), expect_id(request_id, "DataRequest"))
        return await _data_request(info, pk)

    @strawberry.mutation(
        description="Let the person who asked download a finished export for their accepted "
        "ACCESS request."
    )
    async def release_export(self, info: Info, privacy_request_id: strawberry.ID) -> PrivacyRequest:
        pk = await data_requests.release_export(
            info.context.actor(), expect_id(privacy_request_id, "PrivacyRequest")
        )
        return await _request(info, pk)


__all__ = ["DataRequest", "DataRequestMutation", "DataRequestQuery"]

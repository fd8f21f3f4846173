"""Batch and school erasure mutations (docs/privacy-actions.md, "Batch erasure", "School
erasure"): requested by one system administrator, confirmed by another, run by the job worker.
"""

from __future__ import annotations

import strawberry

from config.ids import expect_id
from resolvers.context import Info
from resolvers.services import batch_erasure
from schema.privacy import PrivacyRequest, _request


@strawberry.type
class BatchErasureMutation:
    @strawberry.mutation(
        description="Ask to erase several people: the ones named in `subjectIds`, or with "
        "`allExpired: true` everyone `expiredSubjects` lists now (empty the recycle bin); "
        "exactly one of the two. The people are frozen into the request, which is PREVIEWING "
        "until the job worker has computed its `effects`, the combined preview; then it is "
        "AWAITING_CONFIRMATION and another system administrator confirms (confirmBatchErasure)."
    )
    async def request_batch_erasure(
        self,
        info: Info,
        *,
        subject_ids: list[strawberry.ID] | None = None,
        all_expired: bool | None = None,
        justification: str,
    ) -> PrivacyRequest:
        ids = None if subject_ids is None else [expect_id(i, "User") for i in subject_ids]
        pk = await batch_erasure.request_batch_erasure(
            info.context.actor(),
            ids,
            all_expired,
            justification,
            retention_file=info.context.settings.retention_file,
        )
        return await _request(info, pk)

    @strawberry.mutation(
        description="Ask to erase a school at the end of its contract: the people whose only "
        "school it is and the school's courses with their content. PREVIEWING until the job "
        "worker has computed the combined preview (`effects`); then another system "
        "administrator confirms (confirmBatchErasure)."
    )
    async def request_school_erasure(
        self, info: Info, school_id: strawberry.ID, justification: str
    ) -> PrivacyRequest:
        pk = await batch_erasure.request_school_erasure(
            info.context.actor(), expect_id(school_id, "School"), justification
        )
        return await _request(info, pk)

    @strawberry.mutation(
        description="Confirm a batch or school erasure (a different system administrator than "
        "the one who asked), once its preview is done (CONFLICT while PREVIEWING): the job "
        "worker then erases the people one by one. A FAILED one confirmed again retries the "
        "people who failed."
    )
    async def confirm_batch_erasure(self, info: Info, request_id: strawberry.ID) -> PrivacyRequest:
        pk = await batch_erasure.confirm_batch_erasure(
            info.context.actor(),
            expect_id(request_id, "PrivacyRequest"),
            info.context.settings,
        )
        return await _request(info, pk)


__all__ = ["BatchErasureMutation"]

"""``Mutation.verifyAuditLog``: the audit log's hash chain checked from the API, as
``tavle audit verify`` checks it (``resolvers.services.audit_check``)."""

from __future__ import annotations

import strawberry

from config.ids import to_global_id
from resolvers.context import Info
from resolvers.services import audit_check
from schema.values import made_of, object_of
from store.audit_verify import Verdict


def _broken_id(verdict: Verdict) -> str | None:
    bad = verdict.bad_entry_id
    return None if bad is None else to_global_id("AuditEntry", bad)


@made_of(Verdict, broken_entry_id=_broken_id)
@strawberry.type(description="The outcome of checking the audit log's hash chain.")
class AuditVerification:
    ok: bool
    checked: int = strawberry.field(
        description="Entries checked: all of them when ok, else up to and including the broken one."
    )
    broken_entry_id: strawberry.ID | None = strawberry.field(
        description="The first entry that fails the check (an AuditEntry id); null when ok."
    )
    reason: str | None = strawberry.field(description="Why that entry fails; null when ok.")
    head_hash: str | None = strawberry.field(
        description="The last entry's hash when ok: keep it to notice a cut-off tail later."
    )


@strawberry.type
class AuditVerificationMutation:
    @strawberry.mutation(
        description="Check the audit log's hash chain, as `tavle audit verify` does: every "
        "entry in order, its link to the one before and its content against its hash. Changes "
        "nothing. System administrators only."
    )
    async def verify_audit_log(self, info: Info) -> AuditVerification:
        verdict = await audit_check.verify_audit_log(info.context.actor())
        return object_of(AuditVerification, verdict)


__all__ = ["AuditVerification", "AuditVerificationMutation"]

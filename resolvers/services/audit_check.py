"""Verifying the audit log's hash chain through the API (``Mutation.verifyAuditLog``): the same
check as ``tavle audit verify`` (``store.audit_verify``), for system administrators.

The chain is read in batches of ``DEFAULT_BATCH`` entries, one short read each (memory stays
flat, no transaction is held across the log); the request's execution timeout bounds a very
long log, for which the command line is the tool.
"""

from __future__ import annotations

from authz.relations import Facts
from resolvers.services.actor import Actor
from store.audit_verify import DEFAULT_BATCH, Verdict, verify_chain


async def verify_audit_log(actor: Actor, batch_size: int = DEFAULT_BATCH) -> Verdict:
    """The chain's verdict: OK with the number of entries, or the first broken entry."""
    actor.require(Facts(), "Mutation.verifyAuditLog", "only a system administrator verifies")
    return await verify_chain(actor.engine, batch_size)

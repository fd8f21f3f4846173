"""The retention registry as the API shows it: ``retentionPolicy`` (everyone signed in) and
``expiredSubjects`` (system administrators), see ``store.privacy.retention``."""

from __future__ import annotations

import strawberry

from resolvers.context import Info, RequestContext
from schema import sources
from schema.connection import Connection
from schema.enums import DataCategory
from schema.user import User
from schema.values import record_field
from store.privacy.retention import retention_registry


@strawberry.type(description="How long one data category is kept after a person left.")
class RetentionRule:
    category: DataCategory
    keep_for: str = strawberry.field(
        description="An ISO 8601 duration (P5Y, P6M) counted from the person's leaving."
    )
    purpose: str
    legal_basis: str


def _retention_policy(_root: None, ctx: RequestContext) -> list[RetentionRule]:
    registry = retention_registry(ctx.settings.retention_file)
    return [
        RetentionRule(
            category=rule.category,
            keep_for=rule.keep_for.text,
            purpose=rule.purpose,
            legal_basis=rule.legal_basis,
        )
        for rule in registry.rules
    ]


@strawberry.type
class RetentionQuery:
    retention_policy = record_field(
        _retention_policy,
        description="The retention registry: per data category, how long it is kept after a "
        "person left, why, and on which legal basis.",
    )

    @strawberry.field(
        description="People whose retention has passed in every data category since they left "
        "(restricted), longest gone first; system administrators."
    )
    async def expired_subjects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        return await sources.root_page(
            info, "Query.expiredSubjects", first, after, last=last, before=before
        )

"""people.preferred_language and privacy_requests.school_id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-21 10:00:00

``preferred_language``: the language a person reads notifications and the privacy notice in
(``nb`` or ``en``; null = not chosen, which means Norwegian Bokmål, or the request's
Accept-Language where there is a request). ``school_id``: the school a whole-school action
(school export, school erasure) is about. The foreign key needs a batch rebuild of
``privacy_requests`` on SQLite (a small table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("preferred_language", sa.String(8), nullable=True))
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_privacy_requests_school_id", "schools", ["school_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_privacy_requests_school_id", ["school_id"])


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_index("ix_privacy_requests_school_id")
        batch.drop_constraint("fk_privacy_requests_school_id", type_="foreignkey")
        batch.drop_column("school_id")
    op.drop_column("people", "preferred_language")

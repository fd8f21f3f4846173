"""submissions.assessed_at: an assessed answer is not replaced by a resubmission

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 10:00:00

Answers that assessments already refer to get the time of the earliest one, so they are
protected from the upgrade on, like answers assessed afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True))
    submissions = sa.table("submissions", sa.column("id"), sa.column("assessed_at"))
    assessments = sa.table("assessments", sa.column("submission_id"), sa.column("created_at"))
    earliest = (
        sa.select(sa.func.min(assessments.c.created_at))
        .where(assessments.c.submission_id == submissions.c.id)
        .scalar_subquery()
    )
    op.execute(
        submissions.update()
        .where(
            sa.exists().where(assessments.c.submission_id == submissions.c.id),
        )
        .values(assessed_at=earliest)
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("assessed_at")

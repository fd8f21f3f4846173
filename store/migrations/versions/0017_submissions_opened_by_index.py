"""submissions.last_opened_by_id: an index

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 06:00:00

A person's export, erasure and erasure preview read the answers the person last opened (as a
teacher) by ``last_opened_by_id``; without an index each of them read the whole submissions table,
once per person in a school export. An index only: no data changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_submissions_last_opened_by_id"


def upgrade() -> None:
    op.create_index(INDEX, "submissions", ["last_opened_by_id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="submissions")

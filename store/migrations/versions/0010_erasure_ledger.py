"""privacy_requests.ledger_written: whether a completed erasure is in the erasure ledger

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20 10:00:00

Every completed erasure also gets an entry in the erasure ledger, a file outside the database
(``store.erasure_ledger``), so that ``tavle privacy reapply-erasures`` can erase again the people
a restored backup brings back. The entry is appended after the erasure's commit; this flag says
whether it has been. Erasures completed before this migration start with False, so the job
worker writes their entries too (from the tombstones' identity digests).

A plain ``ALTER TABLE ... ADD COLUMN`` with a server default: no batch rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "privacy_requests",
        sa.Column("ledger_written", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("privacy_requests", "ledger_written")

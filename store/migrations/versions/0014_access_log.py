"""access_log: which staff member read whose submission, assessment, national id or export

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-24 10:00:00

One row per (staff member, person, kind of datum) per GraphQL operation or download: who read
what about whom, and when (docs/privacy-actions.md, "Staff access log"). No foreign keys: the
entries are deleted with either side's erasure by the erasure itself (a privacy provider), and
the person ids stay meaningful for the incident register's scope until then. Indexes serve the
three readers: the daily retention purge (``at``), an incident's scope (``staff_id, at``) and a
person's export and erasure (``person_id``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("operation", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_staff_id_at", "access_log", ["staff_id", "at"])
    op.create_index("ix_access_log_person_id", "access_log", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_access_log_person_id", table_name="access_log")
    op.drop_index("ix_access_log_staff_id_at", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")

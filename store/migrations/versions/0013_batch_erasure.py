"""privacy_request_items and daily_runs: batch and school erasure, once-a-day upkeep

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-22 10:00:00

``privacy_request_items``: the people of a batch erasure (``ERASE_BATCH``) or a school erasure
(``ERASE_SCHOOL``), frozen when the request is made, each with its own result (PENDING, ERASED,
SKIPPED, FAILED), the effects of erasing that person, and whether the erasure ledger has its
entry. The job worker erases them one transaction per person, so a restarted job goes on with
the people still PENDING.

``daily_runs``: (task, day) rows that make a daily task happen once a day however many job
workers run (the first insert wins; the others hit the primary key).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("PENDING", "ERASED", "SKIPPED", "FAILED")


def upgrade() -> None:
    op.create_table(
        "privacy_request_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*_STATUSES, name="itemstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("effects", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_written", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["privacy_requests.id"],
            name="fk_privacy_request_items_request_id_privacy_requests",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["people.id"],
            name="fk_privacy_request_items_subject_id_people",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_request_items"),
        sa.UniqueConstraint(
            "request_id", "subject_id", name="uq_privacy_request_items_request_subject"
        ),
    )
    op.create_index("ix_privacy_request_items_request_id", "privacy_request_items", ["request_id"])
    op.create_index("ix_privacy_request_items_subject_id", "privacy_request_items", ["subject_id"])
    op.create_table(
        "daily_runs",
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task", "day", name="pk_daily_runs"),
    )


def downgrade() -> None:
    op.drop_table("daily_runs")
    op.drop_index("ix_privacy_request_items_subject_id", table_name="privacy_request_items")
    op.drop_index("ix_privacy_request_items_request_id", table_name="privacy_request_items")
    op.drop_table("privacy_request_items")

"""data_requests, data_request_reminders; privacy_requests.data_request_id and released_at

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-22 10:00:00

``data_requests``: data subjects' requests (access, erasure, ...) and their handling, the record
of compliance (docs/data-requests.md). ``data_request_reminders``: one row per day the reminder
about open requests went out, so several job workers send it once. ``privacy_requests``: the
data request an action fulfils, and when an export was released to the person who asked (a
batch rebuild on SQLite, for the foreign key).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *members: str) -> sa.Enum:
    return sa.Enum(*members, name=name, native_enum=False, length=32)


def _people_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["people.id"],
        name=f"fk_data_requests_{column}_people",
        ondelete="SET NULL",
    )


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "datarequestkind",
                "ACCESS",
                "ERASURE",
                "RECTIFICATION",
                "RESTRICTION",
                "OBJECTION",
                "OTHER",
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            _enum(
                "datarequeststatus", "RECEIVED", "ACCEPTED", "REJECTED", "COMPLETED", "CANCELLED"
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            _enum("requestchannel", "SELF_SERVICE", "LETTER", "EMAIL", "PHONE", "IN_PERSON"),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("received_at", ts, nullable=False),
        sa.Column("due_at", ts, nullable=False),
        sa.Column("extended_to", ts, nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("identity_verified_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", ts, nullable=True),
        _people_fk("subject_id"),
        _people_fk("requested_by_id"),
        _people_fk("registered_by_id"),
        _people_fk("identity_verified_by_id"),
        _people_fk("decided_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_data_requests"),
    )
    op.create_index("ix_data_requests_status", "data_requests", ["status"])
    op.create_index("ix_data_requests_subject_id", "data_requests", ["subject_id"])
    op.create_index("ix_data_requests_requested_by_id", "data_requests", ["requested_by_id"])
    op.create_table(
        "data_request_reminders",
        sa.Column("reminded_on", sa.Date(), nullable=False),
        sa.Column("sent_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("reminded_on", name="pk_data_request_reminders"),
    )
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("data_request_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("released_at", ts, nullable=True))
        batch.create_foreign_key(
            "fk_privacy_requests_data_request_id_data_requests",
            "data_requests",
            ["data_request_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_privacy_requests_data_request_id", ["data_request_id"])


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_index("ix_privacy_requests_data_request_id")
        batch.drop_constraint(
            "fk_privacy_requests_data_request_id_data_requests", type_="foreignkey"
        )
        batch.drop_column("released_at")
        batch.drop_column("data_request_id")
    op.drop_table("data_request_reminders")
    op.drop_index("ix_data_requests_requested_by_id", table_name="data_requests")
    op.drop_index("ix_data_requests_subject_id", table_name="data_requests")
    op.drop_index("ix_data_requests_status", table_name="data_requests")
    op.drop_table("data_requests")

"""submission_versions and assessment_revisions: what corrections leave behind

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 10:00:00

``submission_versions`` keeps an assessed answer's text when the student replaces it after a
teacher returned it (``returnSubmission``); ``assessment_revisions`` keeps an assessment's grade
and comment before each correction (``updateAssessment``). Both are removed with their answer or
assessment.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_versions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_versions")),
    )
    with op.batch_alter_table("submission_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_versions_submission_id"), ["submission_id"], unique=False
        )
    op.create_table(
        "assessment_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_revisions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_revisions")),
    )
    with op.batch_alter_table("assessment_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_revisions_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_revisions_assessment_id"))
    op.drop_table("assessment_revisions")
    with op.batch_alter_table("submission_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_versions_submission_id"))
    op.drop_table("submission_versions")

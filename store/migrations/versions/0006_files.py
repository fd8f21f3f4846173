"""files: uploaded files, and the attachments and documents that carry them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00

The bytes live in the file storage (local folder or S3-compatible store), under a random key;
the row holds the owner, the sanitised name, the checked media type, the size and the SHA-256.
``attachments.file_id`` and ``documents.file_id`` refer to at most one file each, and a file is
referred to by at most one of them (unique).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SOURCES = ("ROSTER", "PERSON", "REGISTRATION", "ADMINISTRATOR")


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "source",
            sa.Enum(*_SOURCES, name="datasource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name="fk_files_owner_id_people", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.UniqueConstraint("storage_key", name="uq_files_storage_key"),
    )
    op.create_index("ix_files_owner_id", "files", ["owner_id"], unique=False)
    op.create_table(
        "file_deletions",
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name="pk_file_deletions"),
    )
    for table in ("attachments", "documents"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
            batch_op.create_unique_constraint(f"uq_{table}_file_id", ["file_id"])
            batch_op.create_foreign_key(
                f"fk_{table}_file_id_files", "files", ["file_id"], ["id"], ondelete="SET NULL"
            )


def downgrade() -> None:
    for table in ("documents", "attachments"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_file_id_files", type_="foreignkey")
            batch_op.drop_constraint(f"uq_{table}_file_id", type_="unique")
            batch_op.drop_column("file_id")
    op.drop_table("file_deletions")
    op.drop_index("ix_files_owner_id", table_name="files")
    op.drop_table("files")

"""people.feide_id, and indexes for signing in by Feide id or national id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00

Bearer tokens name a person by one of several roster identifiers (config.oidc claim mappings):
the sourcedId and username (unique already), the Feide id the roster import reads from
``userIds`` (``{Feide:name@school.no}``) and the national id number. Both of the last two get an
index, so finding the caller stays one indexed statement.

The columns are added with plain ``ALTER TABLE ... ADD COLUMN`` (no batch rebuild), so SQLite
keeps the viewer-epoch triggers of migration 0005 on ``people``. No trigger watches
``feide_id``: the caller is looked up by it on every request, and a viewer's facts do not depend
on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("feide_id", sa.String(length=255), nullable=True))
    op.create_index(op.f("ix_people_feide_id"), "people", ["feide_id"], unique=False)
    op.create_index(op.f("ix_people_national_id"), "people", ["national_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_people_national_id"), table_name="people")
    op.drop_index(op.f("ix_people_feide_id"), table_name="people")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch rebuild would drop the
    # viewer-epoch triggers on ``people``.
    op.drop_column("people", "feide_id")

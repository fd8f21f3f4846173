"""console_sessions: the admin console's server-side sign-in sessions

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-26 10:00:00

One row per signed-in console session (``gateway/console``). The session id itself is never
stored, only its SHA-256 digest, so a copy of the table lets nobody take over a session. The
CSRF token is per session. ``expires_at`` is the absolute end of the session; the idle timeout
is decided from ``last_seen_at``. Deleted on sign-out, and when found expired. A new table only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_digest", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("last_seen_at"),
        _ts("expires_at"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_console_sessions_person_id_people",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_digest", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_person_id", "console_sessions", ["person_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_index("ix_console_sessions_person_id", table_name="console_sessions")
    op.drop_table("console_sessions")

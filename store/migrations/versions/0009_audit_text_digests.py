"""audit_entries: the hash covers a digest of the justification, so erasure can blank the text

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-15 10:00:00

Until now an audit entry's hash covered its justification's text, so a justification naming a
person could not be removed without breaking the chain. From here on the hash covers
``justification_digest`` (SHA-256 hex of the text) and erasure sets the text to NULL
(``store/audit.py``). Three columns:

- ``justification_digest``: computed here for the existing entries;
- ``hash_format``: 1 for the existing entries (their hash keeps covering the text and is not
  rewritten, so a head hash recorded earlier still matches), 2 for entries written from now on;
- ``legacy_seal``: for the existing entries, a second chain over their content in digest form
  (``store.audit.seal``), which still checks an entry once erasure has blanked its text.

The formulas are written out here rather than imported, so the migration keeps doing what it
did when ``store/audit.py`` changes. Plain ``ALTER TABLE ... ADD COLUMN``: no batch rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
LEGACY_FORMAT = 1
BATCH = 1000

_entries = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.Integer()),
    sa.column("subject_id", sa.Integer()),
    sa.column("justification", sa.Text()),
    sa.column("trace_id", sa.String()),
    sa.column("roster_import_id", sa.Integer()),
    sa.column("detail", sa.String()),
    sa.column("justification_digest", sa.String()),
    sa.column("legacy_seal", sa.String()),
)


def _stamp(at: datetime) -> str:
    # As ``store.tables.UTCDateTime`` reads it back: SQLite's naive values are UTC.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _seal(prev_seal: str, row: Any, digest: str | None) -> str:
    content: dict[str, object] = {
        "id": row.id,
        "at": _stamp(row.at),
        "actor": row.actor_id,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "subject": row.subject_id,
        "justification_digest": digest,
        "trace": row.trace_id,
        "format": LEGACY_FORMAT,
    }
    if row.roster_import_id is not None:
        content["roster_import"] = row.roster_import_id
    if row.detail is not None:
        content["detail"] = row.detail
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_seal + text).encode()).hexdigest()


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("justification_digest", sa.String(64)))
    op.add_column(
        "audit_entries", sa.Column("hash_format", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("audit_entries", sa.Column("legacy_seal", sa.String(64)))

    bind = op.get_bind()
    e = _entries.c
    last_id, prev_seal = 0, GENESIS
    while True:
        rows = bind.execute(
            sa.select(_entries).where(e.id > last_id).order_by(e.id).limit(BATCH)
        ).all()
        if not rows:
            break
        updates: list[dict[str, object]] = []
        for row in rows:
            digest = (
                None
                if row.justification is None
                else hashlib.sha256(row.justification.encode()).hexdigest()
            )
            prev_seal = _seal(prev_seal, row, digest)
            updates.append({"entry_id": row.id, "digest": digest, "seal": prev_seal})
            last_id = row.id
        bind.execute(
            _entries.update()
            .where(e.id == sa.bindparam("entry_id"))
            .values(justification_digest=sa.bindparam("digest"), legacy_seal=sa.bindparam("seal")),
            updates,
        )


def downgrade() -> None:
    # Entries whose text erasure blanked cannot get it back: their legacy hash no longer
    # verifies after a downgrade, and entries written at 0009 verify only at 0009.
    op.drop_column("audit_entries", "legacy_seal")
    op.drop_column("audit_entries", "hash_format")
    op.drop_column("audit_entries", "justification_digest")

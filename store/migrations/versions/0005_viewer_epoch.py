"""viewer_epoch: a counter every change to what a viewer is made of raises, for the viewer cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00

Gateways keep each caller's viewer (roles, courses, family, conversations: resolvers/viewer.py)
between requests and check it once per request against ``viewer_epoch`` (resolvers/
viewer_cache.py). Triggers raise the counter in the transaction of every write that changes
those facts, whoever writes (mutations, the roster import, privacy actions, course deletion, the
demo seeder, an operator's SQL), so a viewer cached before the write is never used after it
commits, in any process. Adding someone to a conversation raises nothing: the viewer cache
compares each viewer's own count of conversation links instead, so a new conversation does
not make every gateway forget every viewer.

What is watched: who a person is found as and whether they may sign in (``people``:
sourced id, username, enabled, processing state), roles, guardianships, enrolments, the courses'
school, homeroom flag and state, and conversation participants changed or removed. An UPDATE
that leaves the watched columns as they were raises nothing (a roster import that changes
nothing keeps the caches warm).

PostgreSQL: deferred constraint triggers, raising the counter once per transaction at commit, so
the counter's row is locked only while a transaction commits: writers never wait for it while
they hold other locks (no deadlock) and a bulk import raises it once. SQLite: one trigger per
table and event, raising it per row (writers are serialised there anyway).

SQLite's batch mode (``batch_alter_table``) rebuilds a table without its triggers: a later
migration that batch-alters one of the watched tables must create its triggers again
(``tests/api/test_viewer_cache.py`` checks that every trigger exists at head).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (columns whose change matters, whether an INSERT matters). Every DELETE matters.
#: A new course has no members yet; a new conversation participant is the cache's own check.
WATCHED: dict[str, tuple[tuple[str, ...], bool]] = {
    "people": (("sourced_id", "username", "enabled", "processing_state"), True),
    "role_assignments": (("person_id", "role", "school_id"), True),
    "guardianships": (("guardian_id", "student_id"), True),
    "enrolments": (("course_id", "person_id", "role", "ended_at"), True),
    "courses": (("school_id", "is_homeroom", "state"), False),
    "conversation_participants": (("conversation_id", "person_id"), False),
}

FUNCTION = "tavle_raise_viewer_epoch"

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: the setting is local to it (set_config's third argument).
    IF current_setting('tavle.viewer_epoch_raised_in', true)
            IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('tavle.viewer_epoch_raised_in', txid_current()::text, true);
        UPDATE viewer_epoch SET epoch = epoch + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""

RAISE = "UPDATE viewer_epoch SET epoch = epoch + 1 WHERE id = 1;"


def trigger_names(table: str) -> list[str]:
    """The triggers this migration creates on ``table`` (the same names on both backends)."""
    _columns, on_insert = WATCHED[table]
    events = (["insert"] if on_insert else []) + ["update", "delete"]
    return [f"viewer_epoch_{table}_{event}" for event in events]


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _postgresql(table: str) -> list[str]:
    columns, on_insert = WATCHED[table]
    deferred = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    run = f"EXECUTE FUNCTION {FUNCTION}()"
    statements = [
        f"CREATE CONSTRAINT TRIGGER viewer_epoch_{table}_{event} AFTER {event.upper()} "
        f"ON {table} {deferred} {run}"
        for event in (["insert"] if on_insert else []) + ["delete"]
    ]
    statements.append(
        f"CREATE CONSTRAINT TRIGGER viewer_epoch_{table}_update "
        f"AFTER UPDATE OF {', '.join(columns)} ON {table} {deferred} "
        f"WHEN ({_changed(columns, 'IS DISTINCT FROM')}) {run}"
    )
    # TRUNCATE fires no row trigger; it locks the whole table anyway.
    statements.append(
        f"CREATE TRIGGER viewer_epoch_{table}_truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT {run}"
    )
    return statements


def _sqlite(table: str) -> list[str]:
    columns, on_insert = WATCHED[table]
    statements = [
        f"CREATE TRIGGER viewer_epoch_{table}_{event} AFTER {event.upper()} ON {table} "
        f"BEGIN {RAISE} END"
        for event in (["insert"] if on_insert else []) + ["delete"]
    ]
    statements.append(
        f"CREATE TRIGGER viewer_epoch_{table}_update AFTER UPDATE OF {', '.join(columns)} "
        f"ON {table} WHEN {_changed(columns, 'IS NOT')} BEGIN {RAISE} END"
    )
    return statements


def upgrade() -> None:
    op.create_table(
        "viewer_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewer_epoch")),
    )
    op.execute("INSERT INTO viewer_epoch (id, epoch) VALUES (1, 0)")
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(POSTGRESQL_FUNCTION)
    for table in WATCHED:
        for statement in _postgresql(table) if postgresql else _sqlite(table):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for name in trigger_names(table) + (
            [f"viewer_epoch_{table}_truncate"] if postgresql else []
        ):
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    op.drop_table("viewer_epoch")

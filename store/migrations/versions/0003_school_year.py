"""school year: archived courses and schools, ended enrolments, academic sessions, import runs,
erased identities, assessment snapshots, course deletion requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:50:00

Existing data is kept as it is: every course and school becomes ACTIVE, every enrolment stays
current (no end time), and each assessment gets its course's code, name and school as the
snapshot that survives an explicit course deletion.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _state() -> sa.Enum:
    return sa.Enum("ACTIVE", "ARCHIVED", name="coursestate", native_enum=False, length=32)


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    for table in ("schools", "courses"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("state", _state(), nullable=False, server_default="ACTIVE")
            )
            batch_op.add_column(_ts("archived_at"))

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(_ts("started_at"))
        batch_op.add_column(_ts("ended_at"))

    with op.batch_alter_table("people", schema=None) as batch_op:
        for column in ("sourced_id", "username", "national_id"):
            name = f"erased_{column}_digest"
            batch_op.add_column(sa.Column(name, sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_people_{name}"), [name], unique=False)

    op.create_table(
        "academic_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "SCHOOL_YEAR",
                "TERM",
                "SEMESTER",
                "GRADING_PERIOD",
                name="academicsessiontype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("school_year", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["academic_sessions.id"],
            name=op.f("fk_academic_sessions_parent_id_academic_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_academic_sessions")),
        sa.UniqueConstraint("sourced_id", name=op.f("uq_academic_sessions_sourced_id")),
    )
    op.create_table(
        "course_terms",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_terms_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["academic_sessions.id"],
            name=op.f("fk_course_terms_session_id_academic_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "session_id", name=op.f("pk_course_terms")),
    )
    op.create_index("ix_course_terms_session", "course_terms", ["session_id"], unique=False)

    # Assessments outlive their course: course_id becomes nullable (SET NULL), with snapshots.
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("course_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("course_name", sa.String(length=255), nullable=True))
        batch_op.alter_column("course_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("fk_assessments_course_id_courses", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_course_id_courses"),
            "courses",
            ["course_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_school_id_schools"), "schools", ["school_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_assessments_school_id"), ["school_id"], unique=False)
    courses = sa.table(
        "courses",
        sa.column("id", sa.Integer()),
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("school_id", sa.Integer()),
    )
    assessments = sa.table(
        "assessments",
        sa.column("course_id", sa.Integer()),
        sa.column("school_id", sa.Integer()),
        sa.column("course_code", sa.String()),
        sa.column("course_name", sa.String()),
    )

    def of_course(column: str) -> sa.ScalarSelect[object]:
        return (
            sa.select(courses.c[column])
            .where(courses.c.id == assessments.c.course_id)
            .scalar_subquery()
        )

    op.execute(
        assessments.update().values(
            school_id=of_course("school_id"),
            course_code=of_course("code"),
            course_name=of_course("name"),
        )
    )

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_import_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_entries_roster_import_id"), ["roster_import_id"], unique=False
        )

    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    "ADMINISTRATOR",
                    "ROSTER",
                    "DATA_SUBJECT",
                    name="requestorigin",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="ADMINISTRATOR",
            )
        )
        batch_op.add_column(sa.Column("course_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_privacy_requests_course_id_courses"),
            "courses",
            ["course_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_requests_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("file_digests", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("conflicts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_imports")),
    )
    op.create_table(
        "recreate_allowances",
        sa.Column("sourced_id_digest", sa.String(length=64), nullable=False),
        sa.Column("allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sourced_id_digest", name=op.f("pk_recreate_allowances")),
    )


def downgrade() -> None:
    # Refuse rather than lose: 0002 cannot hold an assessment without its course, and it would
    # let an ended enrolment grant access again.
    bind = op.get_bind()
    orphans = bind.execute(
        sa.text("SELECT count(*) FROM assessments WHERE course_id IS NULL")
    ).scalar_one()
    ended = bind.execute(
        sa.text("SELECT count(*) FROM enrolments WHERE ended_at IS NOT NULL")
    ).scalar_one()
    if orphans or ended:
        raise RuntimeError(
            f"cannot downgrade below 0003: {orphans} assessment(s) outlive deleted courses and "
            f"{ended} enrolment(s) have ended; 0002 would lose the first and reopen the second"
        )
    op.drop_table("recreate_allowances")
    op.drop_table("roster_imports")
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_requests_course_id"))
        batch_op.drop_constraint("fk_privacy_requests_course_id_courses", type_="foreignkey")
        batch_op.drop_column("course_id")
        batch_op.drop_column("origin")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_roster_import_id"))
        batch_op.drop_column("detail")
        batch_op.drop_column("roster_import_id")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_school_id"))
        batch_op.drop_constraint("fk_assessments_school_id_schools", type_="foreignkey")
        batch_op.drop_constraint("fk_assessments_course_id_courses", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_assessments_course_id_courses",
            "courses",
            ["course_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.alter_column("course_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("course_name")
        batch_op.drop_column("course_code")
        batch_op.drop_column("school_id")
    op.drop_index("ix_course_terms_session", table_name="course_terms")
    op.drop_table("course_terms")
    op.drop_table("academic_sessions")
    with op.batch_alter_table("people", schema=None) as batch_op:
        for column in ("sourced_id", "username", "national_id"):
            name = f"erased_{column}_digest"
            batch_op.drop_index(batch_op.f(f"ix_people_{name}"))
            batch_op.drop_column(name)
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
        batch_op.drop_column("started_at")
    for table in ("courses", "schools"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("archived_at")
            batch_op.drop_column("state")

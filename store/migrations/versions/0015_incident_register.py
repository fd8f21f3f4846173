"""incidents and incident_people: the register of personal data breaches

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-25 10:00:00

``incidents``: one row per breach (GDPR art. 33(5)), with its 72-hour report deadline
(``report_due_at`` = ``detected_at`` + 72 h), status, data categories, the scope as given (by
internal ids) and the times the authority and the affected people were told.
``incident_people``: the people the scope resolved to, kept when one of them is erased (the row
then points at the tombstone). New tables only: no rebuild of existing ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _ts("detected_at"),
        _ts("recorded_at"),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        _ts("report_due_at"),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN", "REPORTED", "CLOSED", name="incidentstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column(
            "scope_kind",
            sa.Enum(
                "SCHOOL",
                "COURSES",
                "PERSONS",
                "READ_BY",
                name="incidentscopekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("scope_school_id", sa.Integer(), nullable=True),
        sa.Column("scope_course_ids", sa.Text(), nullable=True),
        sa.Column("scope_staff_id", sa.Integer(), nullable=True),
        _ts("scope_from", nullable=True),
        _ts("scope_to", nullable=True),
        sa.Column("actions_taken", sa.Text(), nullable=True),
        _ts("authority_notified_at", nullable=True),
        _ts("people_notified_at", nullable=True),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_incidents_recorded_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scope_school_id"],
            ["schools.id"],
            name=op.f("fk_incidents_scope_school_id_schools"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scope_staff_id"],
            ["people.id"],
            name=op.f("fk_incidents_scope_staff_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_status"), "incidents", ["status"], unique=False)
    op.create_table(
        "incident_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        _ts("notified_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_people_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_incident_people_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_people")),
        sa.UniqueConstraint(
            "incident_id", "person_id", name=op.f("uq_incident_people_incident_person")
        ),
    )
    op.create_index(
        op.f("ix_incident_people_incident_id"), "incident_people", ["incident_id"], unique=False
    )
    op.create_index(
        op.f("ix_incident_people_person_id"), "incident_people", ["person_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_people_person_id"), table_name="incident_people")
    op.drop_index(op.f("ix_incident_people_incident_id"), table_name="incident_people")
    op.drop_table("incident_people")
    op.drop_index(op.f("ix_incidents_status"), table_name="incidents")
    op.drop_table("incidents")

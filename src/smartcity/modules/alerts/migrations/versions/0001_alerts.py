"""alerts: detectors, the routing table, alerts and refused events

Revision ID: alerts_0001
Revises: identity_0001
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "alerts_0001"
down_revision = "identity_0001"
branch_labels = ("alerts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts_detectors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pilot_id", sa.String(length=36), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts_detectors")),
        sa.UniqueConstraint("device_id", name=op.f("uq_alerts_detectors_device_id")),
    )
    op.create_index(op.f("ix_alerts_detectors_owner"), "alerts_detectors", ["owner"])
    op.create_index(op.f("ix_alerts_detectors_pilot_id"), "alerts_detectors", ["pilot_id"])

    op.create_table(
        "alerts_routes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sub_category", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts_routes")),
        sa.UniqueConstraint(
            "category", "sub_category", name=op.f("uq_alerts_routes_category_sub_category")
        ),
    )

    op.create_table(
        "alerts_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("detector_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sub_category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("date_issued", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["detector_id"],
            ["alerts_detectors.id"],
            name=op.f("fk_alerts_alerts_detector_id_alerts_detectors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts_alerts")),
        sa.UniqueConstraint(
            "detector_id", "event_id", name=op.f("uq_alerts_alerts_detector_id_event_id")
        ),
    )
    op.create_index(op.f("ix_alerts_alerts_date_issued"), "alerts_alerts", ["date_issued"])
    op.create_index("ix_alerts_alerts_department_status", "alerts_alerts", ["department", "status"])

    op.create_table(
        "alerts_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts_dead_letters")),
    )
    op.create_index(
        op.f("ix_alerts_dead_letters_received_at"), "alerts_dead_letters", ["received_at"]
    )
    op.create_index(
        op.f("ix_alerts_dead_letters_department"), "alerts_dead_letters", ["department"]
    )


def downgrade() -> None:
    for table in ("alerts_dead_letters", "alerts_alerts", "alerts_routes", "alerts_detectors"):
        op.drop_table(table)

"""parking: segments, bays, sessions, fees, sightings.

Revision ID: parking_0001
Revises: identity_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "parking_0001"
down_revision = "identity_0001"
branch_labels = ("parking",)
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "parking_segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("fee_item", sa.String(length=40), nullable=False),
        sa.Column("tariff", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_segments")),
        sa.UniqueConstraint("code", name=op.f("uq_parking_segments_code")),
    )
    op.create_index(op.f("ix_parking_segments_department"), "parking_segments", ["department"])
    op.create_table(
        "parking_bays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("dev_eui", sa.String(length=16), nullable=True),
        sa.Column("sensor_model", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_since", UTC_TIME, nullable=True),
        sa.Column("observed_at", UTC_TIME, nullable=True),
        sa.Column("heard_at", UTC_TIME, nullable=True),
        sa.Column("battery_volts", sa.Float(), nullable=True),
        sa.Column("fault", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["parking_segments.id"],
            name=op.f("fk_parking_bays_segment_id_parking_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_bays")),
        sa.UniqueConstraint("code", name=op.f("uq_parking_bays_code")),
        sa.UniqueConstraint("dev_eui", name=op.f("uq_parking_bays_dev_eui")),
    )
    op.create_index(op.f("ix_parking_bays_segment_id"), "parking_bays", ["segment_id"])
    op.create_table(
        "parking_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bay_id", sa.Uuid(), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("arrived_at", UTC_TIME, nullable=False),
        sa.Column("departed_at", UTC_TIME, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("tariff", sa.JSON(), nullable=False),
        sa.Column("fee_item", sa.String(length=40), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bay_id"],
            ["parking_bays.id"],
            name=op.f("fk_parking_sessions_bay_id_parking_bays"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_sessions")),
    )
    op.create_index("ix_parking_sessions_bay_arrived", "parking_sessions", ["bay_id", "arrived_at"])
    for column in ("segment_id", "department", "state", "plate"):
        op.create_index(op.f(f"ix_parking_sessions_{column}"), "parking_sessions", [column])
    op.create_table(
        "parking_fees",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("billed_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["parking_sessions.id"],
            name=op.f("fk_parking_fees_session_id_parking_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_parking_fees")),
        sa.UniqueConstraint("bill_id", name=op.f("uq_parking_fees_bill_id")),
    )
    op.create_table(
        "parking_sightings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bay_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("seen_at", UTC_TIME, nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["bay_id"],
            ["parking_bays.id"],
            name=op.f("fk_parking_sightings_bay_id_parking_bays"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_sightings")),
    )
    op.create_index(op.f("ix_parking_sightings_bay_id"), "parking_sightings", ["bay_id"])
    op.create_index(op.f("ix_parking_sightings_session_id"), "parking_sightings", ["session_id"])


def downgrade() -> None:
    op.drop_table("parking_sightings")
    op.drop_table("parking_fees")
    op.drop_table("parking_sessions")
    op.drop_table("parking_bays")
    op.drop_table("parking_segments")

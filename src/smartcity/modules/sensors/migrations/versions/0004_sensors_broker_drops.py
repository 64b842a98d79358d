"""sensors: the broker's drop alarms (messages the MQTT broker could not queue and dropped).

Revision ID: sensors_0004
Revises: sensors_0003
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sensors_0004"
down_revision = "sensors_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensors_broker_drops",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("broker", sa.String(length=200), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("load", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_broker_drops")),
        sa.UniqueConstraint("broker", "load", name="uq_sensors_broker_drops_load"),
    )
    op.create_index(
        op.f("ix_sensors_broker_drops_observed_at"), "sensors_broker_drops", ["observed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sensors_broker_drops_observed_at"), table_name="sensors_broker_drops")
    op.drop_table("sensors_broker_drops")

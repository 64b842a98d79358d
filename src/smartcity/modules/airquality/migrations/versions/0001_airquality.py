"""airquality: quality flags, device health, calibrations, plume tracks, district alerts.

Revision ID: airquality_0001
Revises: sensors_0001
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "airquality_0001"
down_revision = "sensors_0001"
branch_labels = ("airquality",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airquality_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("slice_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slice_seconds", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("pm25", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airquality_flags")),
        sa.UniqueConstraint(
            "device_id", "slice_start", name=op.f("uq_airquality_flags_device_id_slice_start")
        ),
    )
    op.create_index("ix_airquality_flags_slice_start", "airquality_flags", ["slice_start"])
    op.create_table(
        "airquality_device_health",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("ranked", sa.Integer(), nullable=False),
        sa.Column("evaluated", sa.Integer(), nullable=False),
        sa.Column("neighbours", sa.Integer(), nullable=False),
        sa.Column("indoor", sa.Boolean(), nullable=False),
        sa.Column("malfunction", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("offset", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airquality_device_health")),
        sa.UniqueConstraint(
            "day", "device_id", name=op.f("uq_airquality_device_health_day_device_id")
        ),
    )
    op.create_index(
        "ix_airquality_device_health_device_id", "airquality_device_health", ["device_id"]
    )
    op.create_table(
        "airquality_calibrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("coefficients", sa.JSON(), nullable=False),
        sa.Column("rmse", sa.Float(), nullable=True),
        sa.Column("raw_rmse", sa.Float(), nullable=True),
        sa.Column("n_pairs", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airquality_calibrations")),
        sa.UniqueConstraint(
            "day", "station_id", name=op.f("uq_airquality_calibrations_day_station_id")
        ),
    )
    op.create_table(
        "airquality_plume_tracks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("track_no", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("direction_deg", sa.Float(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("peak", sa.Float(), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airquality_plume_tracks")),
        sa.UniqueConstraint(
            "day", "track_no", name=op.f("uq_airquality_plume_tracks_day_track_no")
        ),
    )
    op.create_table(
        "airquality_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pm25", sa.Float(), nullable=False),
        sa.Column("from_band", sa.String(length=20), nullable=True),
        sa.Column("to_band", sa.String(length=20), nullable=False),
        sa.Column("rising", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airquality_alerts")),
        sa.UniqueConstraint("district", "time", name=op.f("uq_airquality_alerts_district_time")),
    )
    op.create_index("ix_airquality_alerts_time", "airquality_alerts", ["time"])


def downgrade() -> None:
    op.drop_index("ix_airquality_alerts_time", table_name="airquality_alerts")
    op.drop_table("airquality_alerts")
    op.drop_table("airquality_plume_tracks")
    op.drop_table("airquality_calibrations")
    op.drop_index("ix_airquality_device_health_device_id", table_name="airquality_device_health")
    op.drop_table("airquality_device_health")
    op.drop_index("ix_airquality_flags_slice_start", table_name="airquality_flags")
    op.drop_table("airquality_flags")

"""sensors: SensorThings entities, observations (partitioned on PostgreSQL), dead letters.

Revision ID: sensors_0001
Revises: identity_0001
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sensors_0001"
down_revision = "identity_0001"
branch_labels = ("sensors",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensors_things",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_things")),
        sa.UniqueConstraint("device_id", name=op.f("uq_sensors_things_device_id")),
    )
    op.create_table(
        "sensors_locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_locations")),
    )
    op.create_table(
        "sensors_thing_locations",
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensors_things.id"],
            ondelete="CASCADE",
            name=op.f("fk_sensors_thing_locations_thing_id_sensors_things"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sensors_locations.id"],
            ondelete="CASCADE",
            name="fk_sensors_thing_locations_location",
        ),
        sa.PrimaryKeyConstraint("thing_id", "location_id", name=op.f("pk_sensors_thing_locations")),
    )
    op.create_index(
        op.f("ix_sensors_thing_locations_location_id"), "sensors_thing_locations", ["location_id"]
    )
    op.create_table(
        "sensors_historical_locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensors_things.id"],
            ondelete="CASCADE",
            name="fk_sensors_historical_locations_thing",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_historical_locations")),
    )
    op.create_index(
        op.f("ix_sensors_historical_locations_thing_id"),
        "sensors_historical_locations",
        ["thing_id"],
    )
    op.create_table(
        "sensors_historical_location_locations",
        sa.Column("historical_location_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["historical_location_id"],
            ["sensors_historical_locations.id"],
            ondelete="CASCADE",
            name="fk_sensors_hll_historical_location",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sensors_locations.id"],
            ondelete="CASCADE",
            name="fk_sensors_hll_location",
        ),
        sa.PrimaryKeyConstraint(
            "historical_location_id",
            "location_id",
            name=op.f("pk_sensors_historical_location_locations"),
        ),
    )
    op.create_index(
        "ix_sensors_hll_location_id",
        "sensors_historical_location_locations",
        ["location_id"],
    )
    op.create_table(
        "sensors_sensors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_sensors")),
    )
    op.create_table(
        "sensors_observed_properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_observed_properties")),
    )
    op.create_table(
        "sensors_features",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_features")),
    )
    op.create_index(op.f("ix_sensors_features_location_id"), "sensors_features", ["location_id"])
    op.create_table(
        "sensors_datastreams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observation_type", sa.String(length=200), nullable=False),
        sa.Column("unit_of_measurement", sa.JSON(), nullable=False),
        sa.Column("observed_area", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("observed_property_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=16), nullable=True),
        sa.Column("first_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_result", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensors_things.id"],
            ondelete="CASCADE",
            name=op.f("fk_sensors_datastreams_thing_id_sensors_things"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors_sensors.id"],
            ondelete="CASCADE",
            name=op.f("fk_sensors_datastreams_sensor_id_sensors_sensors"),
        ),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sensors_observed_properties.id"],
            ondelete="CASCADE",
            name="fk_sensors_datastreams_observed_property",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_datastreams")),
        sa.UniqueConstraint("thing_id", "quantity", name=op.f("uq_sensors_datastreams_thing_id")),
    )
    for column in ("thing_id", "sensor_id", "observed_property_id"):
        op.create_index(op.f(f"ix_sensors_datastreams_{column}"), "sensors_datastreams", [column])
    if op.get_bind().dialect.name == "postgresql":
        # Range-partitioned by month on the phenomenon time; partitions are created on
        # demand by the PostgreSQL observation store. A partitioned table's keys must
        # include the partition column.
        op.execute(
            """
            CREATE TABLE sensors_observations (
                id BIGSERIAL NOT NULL,
                datastream_id INTEGER NOT NULL,
                phenomenon_ms BIGINT NOT NULL,
                phenomenon_end_ms BIGINT,
                result_ms BIGINT,
                result_number DOUBLE PRECISION,
                result_json TEXT,
                result_quality TEXT,
                valid_start_ms BIGINT,
                valid_end_ms BIGINT,
                parameters TEXT,
                feature_id INTEGER,
                CONSTRAINT pk_sensors_observations PRIMARY KEY (id, phenomenon_ms)
            ) PARTITION BY RANGE (phenomenon_ms)
            """
        )
    else:
        op.create_table(
            "sensors_observations",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("datastream_id", sa.Integer(), nullable=False),
            sa.Column("phenomenon_ms", sa.BigInteger(), nullable=False),
            sa.Column("phenomenon_end_ms", sa.BigInteger(), nullable=True),
            sa.Column("result_ms", sa.BigInteger(), nullable=True),
            sa.Column("result_number", sa.Float(), nullable=True),
            sa.Column("result_json", sa.Text(), nullable=True),
            sa.Column("result_quality", sa.Text(), nullable=True),
            sa.Column("valid_start_ms", sa.BigInteger(), nullable=True),
            sa.Column("valid_end_ms", sa.BigInteger(), nullable=True),
            sa.Column("parameters", sa.Text(), nullable=True),
            sa.Column("feature_id", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_observations")),
        )
    op.create_index(
        "uq_sensors_observations_stream_time",
        "sensors_observations",
        ["datastream_id", "phenomenon_ms"],
        unique=True,
    )
    op.create_table(
        "sensors_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_dead_letters")),
    )
    op.create_index(
        op.f("ix_sensors_dead_letters_received_at"), "sensors_dead_letters", ["received_at"]
    )


def downgrade() -> None:
    for table in (
        "sensors_dead_letters",
        "sensors_observations",
        "sensors_datastreams",
        "sensors_features",
        "sensors_observed_properties",
        "sensors_sensors",
        "sensors_historical_location_locations",
        "sensors_historical_locations",
        "sensors_thing_locations",
        "sensors_locations",
        "sensors_things",
    ):
        op.drop_table(table)

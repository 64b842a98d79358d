"""opendata: datasets, resources, harvest sources and their runs.

Revision ID: opendata_0001
Revises: identity_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "opendata_0001"
down_revision = "identity_0001"
branch_labels = ("opendata",)
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "opendata_datasets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("notes_en", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("license_id", sa.String(length=64), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("temporal_start", UTC_TIME, nullable=True),
        sa.Column("temporal_end", UTC_TIME, nullable=True),
        sa.Column("spatial", sa.JSON(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("harvest_source", sa.String(length=40), nullable=True),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("modified_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_opendata_datasets_name")),
    )
    op.create_index(
        op.f("ix_opendata_datasets_organization"), "opendata_datasets", ["organization"]
    )
    op.create_index(op.f("ix_opendata_datasets_state"), "opendata_datasets", ["state"])
    op.create_index(
        op.f("ix_opendata_datasets_harvest_source"), "opendata_datasets", ["harvest_source"]
    )
    op.create_table(
        "opendata_resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("table", sa.String(length=100), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=True),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("modified_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_resources_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_resources")),
    )
    op.create_index(op.f("ix_opendata_resources_dataset_id"), "opendata_resources", ["dataset_id"])
    op.create_table(
        "opendata_harvest_sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_harvest_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_opendata_harvest_sources_name")),
    )
    op.create_table(
        "opendata_harvest_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["opendata_harvest_sources.id"],
            name=op.f("fk_opendata_harvest_runs_source_id_opendata_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_harvest_runs")),
    )
    op.create_index(
        op.f("ix_opendata_harvest_runs_source_id"), "opendata_harvest_runs", ["source_id"]
    )


def downgrade() -> None:
    op.drop_table("opendata_harvest_runs")
    op.drop_table("opendata_harvest_sources")
    op.drop_table("opendata_resources")
    op.drop_table("opendata_datasets")

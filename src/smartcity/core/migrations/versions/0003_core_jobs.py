"""core: the job queue and the schedules' next due times.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(32), nullable=True),
        sa.Column("schedule", sa.String(100), nullable=True),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_jobs"),
        sa.UniqueConstraint("event_id", "task", name="uq_core_jobs_event_id_task"),
    )
    op.create_index("ix_core_jobs_state_run_after", "core_jobs", ["state", "run_after"])
    op.create_table(
        "core_job_schedules",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_core_job_schedules"),
    )


def downgrade() -> None:
    op.drop_table("core_job_schedules")
    op.drop_index("ix_core_jobs_state_run_after", table_name="core_jobs")
    op.drop_table("core_jobs")

"""participation: participatory budget cycles and their projects.

Revision ID: participation_0003
Revises: participation_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "participation_0003"
down_revision = "participation_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_budget_cycles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("eligible_residents", sa.Integer(), nullable=False),
        sa.Column("min_choices", sa.Integer(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_budget_cycles_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_budget_cycles")),
    )
    for column in ("district_code", "department_code", "stage"):
        op.create_index(
            op.f(f"ix_participation_budget_cycles_{column}"),
            "participation_budget_cycles",
            [column],
        )
    op.create_table(
        "participation_budget_projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cycle_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review", sa.JSON(), nullable=True),
        sa.Column("ballot_position", sa.Integer(), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), nullable=False),
        sa.Column("updates", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["participation_budget_cycles.id"],
            name=op.f("fk_participation_budget_projects_cycle_id_participation_budget_cycles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_budget_projects")),
    )
    for column in ("cycle_id", "status"):
        op.create_index(
            op.f(f"ix_participation_budget_projects_{column}"),
            "participation_budget_projects",
            [column],
        )


def downgrade() -> None:
    op.drop_table("participation_budget_projects")
    op.drop_table("participation_budget_cycles")

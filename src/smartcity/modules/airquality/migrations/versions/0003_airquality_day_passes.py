"""airquality: what each day's quality pass was run on, so that a redo can tell whether the
day's readings changed since.

Revision ID: airquality_0003
Revises: airquality_0002
Create Date: 2026-12-07 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "airquality_0003"
down_revision = "airquality_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airquality_day_passes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slice_minutes", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_airquality_day_passes")),
    )


def downgrade() -> None:
    op.drop_table("airquality_day_passes")

"""airquality: the ended days that late readings arrived for, whose passes run again.

Revision ID: airquality_0002
Revises: airquality_0001
Create Date: 2026-12-06 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "airquality_0002"
down_revision = "airquality_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airquality_late_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_airquality_late_days")),
    )


def downgrade() -> None:
    op.drop_table("airquality_late_days")

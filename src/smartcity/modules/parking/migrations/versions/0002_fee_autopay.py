"""parking: whether a fee's bill is charged to the plate's autopay

Revision ID: parking_0002
Revises: parking_0001
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "parking_0002"
down_revision = "parking_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parking_fees") as batch:
        # Fees billed before autopay existed were notices.
        batch.add_column(
            sa.Column("autopay", sa.String(length=16), nullable=False, server_default="notice")
        )
        batch.add_column(
            sa.Column("autopay_detail", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("parking_fees") as batch:
        batch.drop_column("autopay_detail")
        batch.drop_column("autopay")

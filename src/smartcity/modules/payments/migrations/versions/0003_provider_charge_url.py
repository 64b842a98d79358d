"""payments: where autopay asks a provider to charge a bound method

Revision ID: payments_0003
Revises: payments_0002
Create Date: 2026-11-26 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "payments_0003"
down_revision = "payments_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments_providers") as batch:
        batch.add_column(
            sa.Column("charge_url", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("payments_providers") as batch:
        batch.drop_column("charge_url")

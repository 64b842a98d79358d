"""payments: Idempotency-Keys of car-park exit reports

Revision ID: payments_0004
Revises: payments_0003
Create Date: 2026-11-26 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "payments_0004"
down_revision = "payments_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments_exit_keys",
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reporter", "key", name=op.f("pk_payments_exit_keys")),
    )


def downgrade() -> None:
    op.drop_table("payments_exit_keys")

"""payments: car parks, autopay items with a cap, payout batches approved by a second officer

Revision ID: payments_0006
Revises: payments_0005
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "payments_0006"
down_revision = "payments_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments_items") as batch:
        # No item is autopay-eligible until an operator says so (docs/payments.md).
        batch.add_column(
            sa.Column("autopay", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("max_amount", sa.BigInteger(), nullable=True))
    op.create_table(
        "payments_car_parks",
        sa.Column("organisation", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["payments_items.code"],
            name=op.f("fk_payments_car_parks_item_code_payments_items"),
        ),
        sa.PrimaryKeyConstraint("organisation", name=op.f("pk_payments_car_parks")),
    )
    op.create_index(op.f("ix_payments_car_parks_department"), "payments_car_parks", ["department"])
    with op.batch_alter_table("payments_payout_batches") as batch:
        # Batches made before approvals existed were posted at once: they count as approved.
        batch.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="subsidy")
        )
        batch.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="approved")
        )
        batch.add_column(
            sa.Column("created_by", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("decided_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments_payout_batches") as batch:
        for column in ("decided_at", "decided_by", "created_by", "state", "purpose"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_payments_car_parks_department"), table_name="payments_car_parks")
    op.drop_table("payments_car_parks")
    with op.batch_alter_table("payments_items") as batch:
        batch.drop_column("max_amount")
        batch.drop_column("autopay")

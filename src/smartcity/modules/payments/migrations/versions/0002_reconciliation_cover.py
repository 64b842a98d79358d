"""payments: columnar reconciliation — payments carry department and reference; settlements
cover a window; one covering index for the unsettled payments of a provider.

Revision ID: payments_0002
Revises: payments_0001
Create Date: 2026-11-26 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "payments_0002"
down_revision = "payments_0001"
branch_labels = None
depends_on = None

UNSETTLED = sa.text("settlement_id IS NULL")


def upgrade() -> None:
    op.add_column(
        "payments_payments",
        sa.Column("department", sa.String(length=32), nullable=False, server_default=""),
    )
    op.add_column(
        "payments_payments",
        sa.Column("reference", sa.String(length=16), nullable=False, server_default=""),
    )
    # The bill's department and write-off number never change: copied once here, and by
    # record_payment from now on.
    op.execute(
        "UPDATE payments_payments SET "
        "department = (SELECT b.department FROM payments_bills b "
        "WHERE b.id = payments_payments.bill_id), "
        "reference = (SELECT b.write_off_number FROM payments_bills b "
        "WHERE b.id = payments_payments.bill_id)"
    )
    op.drop_index("ix_payments_payments_provider_paid", table_name="payments_payments")
    op.create_index(
        "ix_payments_payments_unsettled",
        "payments_payments",
        ["provider", "paid_at", "provider_txn_id", "amount", "department", "reference"],
        sqlite_where=UNSETTLED,
        postgresql_where=UNSETTLED,
    )
    op.add_column("payments_settlements", sa.Column("window_start", sa.DateTime(timezone=True)))
    op.add_column("payments_settlements", sa.Column("window_end", sa.DateTime(timezone=True)))
    op.add_column(
        "payments_settlements", sa.Column("covers_recorded_before", sa.DateTime(timezone=True))
    )
    op.create_index(
        op.f("ix_payments_settlement_lines_payment_id"),
        "payments_settlement_lines",
        ["payment_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_payments_settlement_lines_payment_id"), table_name="payments_settlement_lines"
    )
    with op.batch_alter_table("payments_settlements") as batch_op:
        batch_op.drop_column("covers_recorded_before")
        batch_op.drop_column("window_end")
        batch_op.drop_column("window_start")
    op.drop_index("ix_payments_payments_unsettled", table_name="payments_payments")
    op.create_index(
        "ix_payments_payments_provider_paid", "payments_payments", ["provider", "paid_at"]
    )
    with op.batch_alter_table("payments_payments") as batch_op:
        batch_op.drop_column("reference")
        batch_op.drop_column("department")

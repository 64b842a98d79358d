"""payments: bill files imported by the worker, reposted and assigned exceptions, closed findings

Revision ID: payments_0007
Revises: payments_0006
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "payments_0007"
down_revision = "payments_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and would drop the
    # bucket-sum triggers payments_0005 put on it.
    op.add_column(
        "payments_payments",
        sa.Column("reposted", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("payments_payments", sa.Column("assigned_to", sa.String(length=64)))
    with op.batch_alter_table("payments_settlement_lines") as batch:
        batch.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("resolution_note", sa.String(length=500), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "payments_reposts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_reposts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["payments_bills.id"],
            name=op.f("fk_payments_reposts_bill_id_payments_bills"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments_payments.id"],
            name=op.f("fk_payments_reposts_payment_id_payments_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_reposts")),
    )
    op.create_index(op.f("ix_payments_reposts_payment_id"), "payments_reposts", ["payment_id"])
    op.create_index(op.f("ix_payments_reposts_bill_id"), "payments_reposts", ["bill_id"])
    op.create_table(
        "payments_bill_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_bill_imports")),
        sa.UniqueConstraint("department", "digest", name="uq_payments_bill_imports_file"),
    )


def downgrade() -> None:
    op.drop_table("payments_bill_imports")
    op.drop_index(op.f("ix_payments_reposts_bill_id"), table_name="payments_reposts")
    op.drop_index(op.f("ix_payments_reposts_payment_id"), table_name="payments_reposts")
    op.drop_table("payments_reposts")
    with op.batch_alter_table("payments_settlement_lines") as batch:
        for column in (
            "resolved_at",
            "resolved_by",
            "assigned_to",
            "resolution_note",
            "resolution",
        ):
            batch.drop_column(column)
    op.drop_column("payments_payments", "assigned_to")
    op.drop_column("payments_payments", "reposted")

"""identity: counters of failed sign-ins, for account lockout.

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_sign_in_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_identity_sign_in_counters")),
    )
    with op.batch_alter_table("identity_sign_in_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_sign_in_counters_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("identity_sign_in_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sign_in_counters_expires_at"))
    op.drop_table("identity_sign_in_counters")

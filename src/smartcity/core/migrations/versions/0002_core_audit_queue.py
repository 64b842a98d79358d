"""core: the audit append queue (writers queue entries; a sequencer makes them leaves).

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_audit_queue",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_audit_queue"),
    )


def downgrade() -> None:
    # Entries still queued are made leaves first by `smartcity audit verify`; a downgrade
    # with entries waiting would lose them, so refuse it.
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT count(*) FROM core_audit_queue")).scalar_one()
    if waiting:
        raise RuntimeError(
            f"{waiting} audit transaction(s) are still queued; run `smartcity audit verify` first"
        )
    op.drop_table("core_audit_queue")

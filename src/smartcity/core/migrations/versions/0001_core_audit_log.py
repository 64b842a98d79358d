"""core: the audit transparency log and platform metadata.

Revision ID: core_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_audit_entries",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(100), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("change_json", sa.Text(), nullable=False),
        sa.Column("leaf_input", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("index", name="pk_core_audit_entries"),
    )
    op.create_index("ix_core_audit_entries_actor_id", "core_audit_entries", ["actor_id"])
    op.create_index("ix_core_audit_entries_action", "core_audit_entries", ["action"])
    op.create_table(
        "core_audit_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name="pk_core_audit_nodes"),
    )
    head = op.create_table(
        "core_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_audit_head"),
    )
    # The one head row exists from the start, so appends only ever lock it.
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "tree_size": 0,
                "root_hash": hashlib.sha256(b"").digest(),
                "frontier": b"",
                "updated_at": datetime.now(UTC),
            }
        ],
    )
    op.create_table(
        "core_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_core_meta"),
    )


def downgrade() -> None:
    op.drop_table("core_meta")
    op.drop_table("core_audit_head")
    op.drop_table("core_audit_nodes")
    op.drop_table("core_audit_entries")

"""identity: invitations for people to join an organisation (vendors' staff).

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_invitations_organisation_id_identity_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_invitations_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_identity_invitations_code_hash")),
    )
    with op.batch_alter_table("identity_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_invitations_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("identity_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_invitations_organisation_id"))
    op.drop_table("identity_invitations")

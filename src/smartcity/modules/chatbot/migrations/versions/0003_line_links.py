"""chatbot: LINE account links, their nonces, and citizens' home districts

Revision ID: chatbot_0003
Revises: chatbot_0002
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "chatbot_0003"
down_revision = "chatbot_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chatbot_line_links",
        sa.Column("user_ref", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_ref", name=op.f("pk_chatbot_line_links")),
    )
    op.create_index(
        op.f("ix_chatbot_line_links_user_id"), "chatbot_line_links", ["user_id"], unique=False
    )
    op.create_table(
        "chatbot_link_nonces",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_chatbot_link_nonces")),
    )
    op.create_table(
        "chatbot_home_districts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_chatbot_home_districts")),
    )


def downgrade() -> None:
    op.drop_table("chatbot_home_districts")
    op.drop_table("chatbot_link_nonces")
    op.drop_index(op.f("ix_chatbot_line_links_user_id"), table_name="chatbot_line_links")
    op.drop_table("chatbot_line_links")

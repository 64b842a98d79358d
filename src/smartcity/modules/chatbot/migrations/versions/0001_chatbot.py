"""chatbot: knowledge base, variants, versions, question log, LINE bookkeeping.

Revision ID: chatbot_0001
Revises: identity_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "chatbot_0001"
down_revision = "identity_0001"
branch_labels = ("chatbot",)
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "chatbot_kb_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatbot_kb_state")),
    )
    op.bulk_insert(state, [{"id": 1, "version": 0}])
    op.create_table(
        "chatbot_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=False),
        sa.Column("owner_department", sa.String(length=32), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kb_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatbot_items")),
        sa.UniqueConstraint("source_id", name=op.f("uq_chatbot_items_source_id")),
    )
    op.create_index(op.f("ix_chatbot_items_department_code"), "chatbot_items", ["department_code"])
    op.create_index(op.f("ix_chatbot_items_kb_seq"), "chatbot_items", ["kb_seq"])
    op.create_table(
        "chatbot_item_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["chatbot_items.id"],
            name=op.f("fk_chatbot_item_versions_item_id_chatbot_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatbot_item_versions")),
        sa.UniqueConstraint("item_id", "version", name=op.f("uq_chatbot_item_versions_item_id")),
    )
    op.create_index(op.f("ix_chatbot_item_versions_item_id"), "chatbot_item_versions", ["item_id"])
    op.create_table(
        "chatbot_variants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["chatbot_items.id"],
            name=op.f("fk_chatbot_variants_item_id_chatbot_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatbot_variants")),
        sa.UniqueConstraint("item_id", "text", name=op.f("uq_chatbot_variants_item_id")),
    )
    op.create_index(op.f("ix_chatbot_variants_item_id"), "chatbot_variants", ["item_id"])
    op.create_table(
        "chatbot_questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_ref", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.Column("triage_state", sa.String(length=16), nullable=False),
        sa.Column("resolved_item_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatbot_questions")),
    )
    op.create_index(
        "ix_chatbot_questions_triage", "chatbot_questions", ["triage_state", "department_code"]
    )
    op.create_table(
        "chatbot_line_events",
        sa.Column("webhook_event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("webhook_event_id", name=op.f("pk_chatbot_line_events")),
    )
    op.create_table(
        "chatbot_line_followers",
        sa.Column("user_ref", sa.String(length=64), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_ref", name=op.f("pk_chatbot_line_followers")),
    )


def downgrade() -> None:
    for table in (
        "chatbot_line_followers",
        "chatbot_line_events",
        "chatbot_questions",
        "chatbot_variants",
        "chatbot_item_versions",
        "chatbot_items",
        "chatbot_kb_state",
    ):
        op.drop_table(table)

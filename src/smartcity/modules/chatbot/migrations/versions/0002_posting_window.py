"""chatbot: the source site's posting window, apart from the answer's validity

Revision ID: chatbot_0002
Revises: chatbot_0001
Create Date: 2026-11-26 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "chatbot_0002"
down_revision = "chatbot_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chatbot_items") as batch:
        batch.add_column(sa.Column("posted_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("posted_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chatbot_items") as batch:
        batch.drop_column("posted_until")
        batch.drop_column("posted_from")

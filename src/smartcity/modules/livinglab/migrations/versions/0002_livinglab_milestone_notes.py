"""livinglab: a milestone marked done later keeps a note of how it was done.

Revision ID: livinglab_0002
Revises: livinglab_0001
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "livinglab_0002"
down_revision = "livinglab_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("livinglab_milestones") as batch:
        batch.add_column(sa.Column("done_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("livinglab_milestones") as batch:
        batch.drop_column("done_note")

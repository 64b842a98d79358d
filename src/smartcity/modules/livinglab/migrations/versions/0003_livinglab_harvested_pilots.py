"""livinglab: a pilot elsewhere remembers the harvest source it came through, if any.

Revision ID: livinglab_0003
Revises: livinglab_0002
Create Date: 2026-12-07 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "livinglab_0003"
down_revision = "livinglab_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("livinglab_external_pilots") as batch:
        batch.add_column(sa.Column("harvest_source", sa.String(40), nullable=True))
        batch.create_index("ix_livinglab_external_pilots_harvest_source", ["harvest_source"])


def downgrade() -> None:
    with op.batch_alter_table("livinglab_external_pilots") as batch:
        batch.drop_index("ix_livinglab_external_pilots_harvest_source")
        batch.drop_column("harvest_source")

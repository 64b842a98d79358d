"""opendata: a harvest source speaks CKAN's Action API or serves a DCAT catalogue.

Revision ID: opendata_0002
Revises: opendata_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "opendata_0002"
down_revision = "opendata_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opendata_harvest_sources") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="ckan")
        )


def downgrade() -> None:
    with op.batch_alter_table("opendata_harvest_sources") as batch:
        batch.drop_column("kind")

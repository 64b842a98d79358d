"""participation: threshold (k of n) trustees and their key ceremony.

Revision ID: participation_0004
Revises: participation_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "participation_0004"
down_revision = "participation_0003"
branch_labels = None
depends_on = None

CEREMONY = ("certificate", "polynomial", "verification_output")


def upgrade() -> None:
    op.add_column("participation_votes", sa.Column("threshold", sa.Integer(), nullable=True))
    for column in CEREMONY:
        op.add_column("participation_trustees", sa.Column(column, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participation_trustees") as batch:
        for column in CEREMONY:
            batch.drop_column(column)
    with op.batch_alter_table("participation_votes") as batch:
        batch.drop_column("threshold")

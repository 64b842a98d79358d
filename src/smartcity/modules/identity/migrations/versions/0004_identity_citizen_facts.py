"""identity: a citizen's birth date and the districts they live, study and work in.

Revision ID: identity_0004
Revises: identity_0003
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None

DISTRICT_COLUMNS = ("lives_in", "studies_in", "works_in")


def upgrade() -> None:
    with op.batch_alter_table("identity_users") as table:
        table.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        for name in DISTRICT_COLUMNS:
            table.add_column(sa.Column(name, sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_users") as table:
        for name in reversed(DISTRICT_COLUMNS):
            table.drop_column(name)
        table.drop_column("birth_date")

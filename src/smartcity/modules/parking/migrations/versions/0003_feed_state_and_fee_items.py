"""parking: the feeds' change counter, and the fee items parking bills under marked as parking fees

Revision ID: parking_0003
Revises: parking_0002
Create Date: 2026-12-07 00:45:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "parking_0003"
down_revision = "parking_0002"
branch_labels = None
depends_on = "payments_0006"  # the items' `autopay` and `max_amount` columns

ROADSIDE_CAP = 3_000
"""The cap payments' catalogue gives the roadside fee (a long day at a city car park), NTD."""


def upgrade() -> None:
    op.create_table(
        "parking_feed_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO parking_feed_state (id, version) VALUES (1, 0)")
    # Sensed stays are billed under their segments' fee items and charged to a bound plate's
    # autopay only if those items are capped parking fees. A database loaded before the
    # catalogue marked the roadside fee so has segments billing under an unmarked item; mark
    # exactly those items, here rather than by an operator's hand edit, and only where nobody
    # has marked them yet (an operator's own cap or refusal of autopay stands). The items are
    # the segments' data, not a code in the program.
    bind = op.get_bind()
    items = sa.table(
        "payments_items",
        sa.column("code", sa.String),
        sa.column("channels", sa.JSON),
        sa.column("autopay", sa.Boolean),
        sa.column("max_amount", sa.BigInteger),
    )
    segments = sa.table("parking_segments", sa.column("fee_item", sa.String))
    unmarked = bind.execute(
        sa.select(items.c.code, items.c.channels).where(
            items.c.code.in_(sa.select(segments.c.fee_item).distinct()),
            items.c.autopay.is_(sa.false()),
            items.c.max_amount.is_(None),
        )
    ).all()
    for code, channels in unmarked:
        found = json.loads(channels) if isinstance(channels, str) else list(channels or [])
        bind.execute(
            items.update()
            .where(items.c.code == code)
            .values(
                autopay=True,
                max_amount=ROADSIDE_CAP,
                channels=found if "autopay" in found else [*found, "autopay"],
            )
        )


def downgrade() -> None:
    # The items stay marked: a downgrade cannot tell this migration's marks from an operator's.
    op.drop_table("parking_feed_state")

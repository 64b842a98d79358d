"""sensors: owners of Things, Locations, Sensors, ObservedProperties and FeaturesOfInterest.

Existing rows go to whoever made them, as the audit log records it: the organisation of a
device or department key, or the department of an officer. What administrators, seeds and
the ingesters made stays the platform's (NULL), which only administrators and the MQTT
ingester without an owner of its own may change. Locations and FeaturesOfInterest that
ingestion made without an audit entry of their own follow their Thing's or Location's owner.

Revision ID: sensors_0003
Revises: sensors_0002
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op

revision = "sensors_0003"
down_revision = "sensors_0002"
branch_labels = None
depends_on = None

# Table → (audit object type, the actions that created a row of it).
CREATED = {
    "sensors_things": ("thing", ("sensors.thing.created", "sensors.thing.registered")),
    "sensors_locations": ("location", ("sensors.location.created",)),
    "sensors_sensors": ("sensor", ("sensors.sensor.created",)),
    "sensors_observed_properties": ("observedproperty", ("sensors.observedproperty.created",)),
    "sensors_features": ("featureofinterest", ("sensors.featureofinterest.created",)),
}
AUDIT = sa.table(
    "core_audit_entries",
    sa.column("index", sa.BigInteger),
    sa.column("actor_type", sa.String),
    sa.column("actor_id", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
)
ORGANISATIONS = sa.table(
    "identity_organisations", sa.column("id", sa.Uuid), sa.column("code", sa.String)
)
USERS = sa.table("identity_users", sa.column("id", sa.Uuid), sa.column("department_id", sa.Uuid))


def upgrade() -> None:
    for table in CREATED:
        op.add_column(table, sa.Column("owner", sa.String(length=32), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    for table in CREATED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("owner")


def _backfill(bind: sa.Connection) -> None:
    # An organisation's key acts under the organisation's id; an officer under their own.
    codes = {str(ident): code for ident, code in bind.execute(sa.select(ORGANISATIONS))}
    for user, department in bind.execute(
        sa.select(USERS).where(USERS.c.department_id.is_not(None))
    ):
        codes[str(user)] = codes.get(str(department))
    audited: dict[str, dict[int, str | None]] = {}
    for table, (object_type, actions) in CREATED.items():
        makers: dict[int, str | None] = {}
        # Oldest first: if an id was used again, its last creation is the current row's.
        for object_id, actor_type, actor_id in bind.execute(
            sa.select(AUDIT.c.object_id, AUDIT.c.actor_type, AUDIT.c.actor_id)
            .where(AUDIT.c.object_type == object_type, AUDIT.c.action.in_(actions))
            .order_by(AUDIT.c.index)
        ):
            if object_id.isdigit():
                acting = actor_type in ("device", "officer")
                makers[int(object_id)] = codes.get(actor_id) if acting else None
        audited[table] = makers
        _set_owners(bind, table, makers.items())
    _follow(
        bind,
        "sensors_locations",
        audited["sensors_locations"],
        # A Location made by ingestion: its device's owner.
        """SELECT tl.location_id, t.owner FROM sensors_thing_locations tl
           JOIN sensors_things t ON t.id = tl.thing_id
           UNION
           SELECT hll.location_id, t.owner FROM sensors_historical_location_locations hll
           JOIN sensors_historical_locations h ON h.id = hll.historical_location_id
           JOIN sensors_things t ON t.id = h.thing_id""",
    )
    _follow(
        bind,
        "sensors_features",
        audited["sensors_features"],
        # A FeatureOfInterest made from a Location for an observation: the Location's owner.
        """SELECT f.id, l.owner FROM sensors_features f
           JOIN sensors_locations l ON l.id = f.location_id""",
    )


def _follow(bind: sa.Connection, table: str, audited: dict[int, str | None], query: str) -> None:
    """Give unaudited rows the owner their related rows agree on (none if they disagree)."""
    seen: dict[int, set[str | None]] = defaultdict(set)
    for ident, owner in bind.execute(sa.text(query)):
        if ident not in audited:
            seen[int(ident)].add(owner)
    _set_owners(bind, table, ((i, o.pop()) for i, o in seen.items() if len(o) == 1))


def _set_owners(bind: sa.Connection, table: str, owners: Iterable[tuple[int, str | None]]) -> None:
    by_owner: dict[str, list[int]] = defaultdict(list)
    for ident, owner in owners:
        if owner is not None:
            by_owner[owner].append(ident)
    target = sa.table(table, sa.column("id", sa.Integer), sa.column("owner", sa.String))
    for owner, ids in by_owner.items():
        for start in range(0, len(ids), 500):
            bind.execute(
                target.update().where(target.c.id.in_(ids[start : start + 500])).values(owner=owner)
            )

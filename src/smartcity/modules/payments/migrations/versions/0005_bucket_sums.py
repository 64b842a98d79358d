"""payments: fingerprints and per-bucket sums of unsettled payments (reconciliation by buckets)

Revision ID: payments_0005
Revises: payments_0004
Create Date: 2026-11-26 14:10:00
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from smartcity.core.time import city_zone

revision = "payments_0005"
down_revision = "payments_0004"
branch_labels = None
depends_on = None

UNSETTLED = sa.text("settlement_id IS NULL")
KEY_NAME = "payments.fingerprint_key"
COLUMNS = ("bucket", "txn_check", "reference_check")
# The payment's share of its bucket's sums, signed by `{sign}`.
_SHARE = (
    "VALUES ({row}.provider, {row}.bucket, {row}.department, {sign}, {sign} * {row}.amount, "
    "{sign} * ({row}.txn_check >> 31), {sign} * ({row}.txn_check & 2147483647), "
    "{sign} * ({row}.reference_check >> 31), {sign} * ({row}.reference_check & 2147483647))"
)
_ADD = (
    "INSERT INTO payments_bucket_sums (provider, bucket, department, payments, amount, "
    "txn_high, txn_low, reference_high, reference_low) {share} "
    "ON CONFLICT (provider, bucket, department) DO UPDATE SET "
    "payments = payments + excluded.payments, amount = amount + excluded.amount, "
    "txn_high = txn_high + excluded.txn_high, txn_low = txn_low + excluded.txn_low, "
    "reference_high = reference_high + excluded.reference_high, "
    "reference_low = reference_low + excluded.reference_low;"
)
TRIGGERS = {
    "payments_bucket_sums_insert": (
        "AFTER INSERT ON payments_payments WHEN NEW.settlement_id IS NULL",
        _ADD.format(share=_SHARE.format(row="NEW", sign="1")),
    ),
    "payments_bucket_sums_settle": (
        "AFTER UPDATE OF settlement_id ON payments_payments "
        "WHEN (OLD.settlement_id IS NULL) <> (NEW.settlement_id IS NULL)",
        _ADD.format(share=_SHARE.format(row="NEW", sign="iif(NEW.settlement_id IS NULL, 1, -1)")),
    ),
    "payments_bucket_sums_delete": (
        "AFTER DELETE ON payments_payments WHEN OLD.settlement_id IS NULL",
        _ADD.format(share=_SHARE.format(row="OLD", sign="-1")),
    ),
    # The fingerprints are computed from these when a payment is recorded: they never change.
    "payments_payments_matched_fields": (
        "BEFORE UPDATE OF provider, provider_txn_id, amount, paid_at, department, reference, "
        "bucket, txn_check, reference_check ON payments_payments WHEN "
        + " OR ".join(
            f"NEW.{c} IS NOT OLD.{c}"
            for c in (
                "provider",
                "provider_txn_id",
                "amount",
                "paid_at",
                "department",
                "reference",
                *COLUMNS,
            )
        ),
        "SELECT RAISE(ABORT, 'a payment''s matched fields never change');",
    ),
}

# The definition of the fingerprints as of this revision (smartcity.modules.payments.fingerprints).
_MASK = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_GAMMA = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _text_hash(key: int, text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    h = _mix(key ^ (len(data) * _GAMMA & _MASK))
    if len(data) < 8:
        words = [int.from_bytes(data, "little")] if data else []
    else:
        starts = [*range(0, len(data) - 8, 8), len(data) - 8]
        words = [int.from_bytes(data[s : s + 8], "little") for s in starts]
    for word in words:
        h = ((h ^ word) * _M1) & _MASK
        h ^= h >> 29
    return _mix(h)


def _check(key: int, match: str, amount: int, day: date) -> int:
    inner = _mix((_text_hash(key, match) + amount * _GAMMA) & _MASK)
    return _mix(inner ^ day.toordinal()) >> 2


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column(
            "payments_payments",
            sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"),
        )
    op.create_table(
        "payments_bucket_sums",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("txn_high", sa.BigInteger(), nullable=False),
        sa.Column("txn_low", sa.BigInteger(), nullable=False),
        sa.Column("reference_high", sa.BigInteger(), nullable=False),
        sa.Column("reference_low", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "provider", "bucket", "department", name=op.f("pk_payments_bucket_sums")
        ),
    )
    key = secrets.randbits(64)
    connection = op.get_bind()
    connection.execute(
        sa.text("INSERT INTO core_meta (key, value) VALUES (:key, :value)"),
        {"key": KEY_NAME, "value": str(key)},
    )
    payments = sa.table(
        "payments_payments",
        sa.column("id", sa.Uuid()),
        sa.column("provider_txn_id", sa.String()),
        sa.column("amount", sa.BigInteger()),
        sa.column("paid_at", sa.DateTime(timezone=True)),
        sa.column("reference", sa.String()),
        *(sa.column(c, sa.BigInteger()) for c in COLUMNS),
    )
    rows = connection.execute(
        sa.select(
            payments.c.id,
            payments.c.provider_txn_id,
            payments.c.amount,
            payments.c.paid_at,
            payments.c.reference,
        )
    ).all()
    updates = []
    for row in rows:
        paid_at: datetime = row.paid_at
        moment = paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC)
        day = moment.astimezone(city_zone()).date()
        updates.append(
            {
                "row_id": row.id,
                "bucket": day.toordinal() * 1024 + (_text_hash(key, row.reference) >> 54),
                "txn_check": _check(key, row.provider_txn_id, row.amount, day),
                "reference_check": _check(key, row.reference, row.amount, day),
            }
        )
    if updates:
        connection.execute(
            payments.update()
            .where(payments.c.id == sa.bindparam("row_id"))
            .values({c: sa.bindparam(c) for c in COLUMNS}),
            updates,
        )
    op.drop_index("ix_payments_payments_unsettled", table_name="payments_payments")
    op.create_index(
        "ix_payments_payments_unsettled",
        "payments_payments",
        ["provider", "bucket", "provider_txn_id", "amount", "department", "reference"],
        sqlite_where=UNSETTLED,
        postgresql_where=UNSETTLED,
    )
    if connection.dialect.name == "sqlite":
        # PostgreSQL records payments concurrently and reconciles each one as before: the
        # sums would only make postings contend on shared rows.
        op.execute(
            "INSERT INTO payments_bucket_sums SELECT provider, bucket, department, count(*), "
            "sum(amount), sum(txn_check >> 31), sum(txn_check & 2147483647), "
            "sum(reference_check >> 31), sum(reference_check & 2147483647) "
            "FROM payments_payments WHERE settlement_id IS NULL "
            "GROUP BY provider, bucket, department"
        )
        for name, (when, body) in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_payments_payments_unsettled", table_name="payments_payments")
    op.create_index(
        "ix_payments_payments_unsettled",
        "payments_payments",
        ["provider", "paid_at", "provider_txn_id", "amount", "department", "reference"],
        sqlite_where=UNSETTLED,
        postgresql_where=UNSETTLED,
    )
    op.drop_table("payments_bucket_sums")
    op.get_bind().execute(sa.text("DELETE FROM core_meta WHERE key = :key"), {"key": KEY_NAME})
    with op.batch_alter_table("payments_payments") as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)

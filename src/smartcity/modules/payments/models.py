"""payments' tables (prefixed payments_). Money is integer NTD; times UTC."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow
from smartcity.modules.payments import fingerprints


class Item(Base):
    """A fee item of the catalogue: what a department collects and how."""

    __tablename__ = "payments_items"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    amount_rule: Mapped[str] = mapped_column(String(16), nullable=False, default="variable")
    """`fixed` (always `amount`) or `variable` (the officer gives the amount)."""
    amount: Mapped[int | None] = mapped_column(BigInteger)
    channels: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    refundable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    partial_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    write_off_rule: Mapped[str] = mapped_column(String(16), nullable=False, default="on_payment")
    """`on_payment` (written off when paid) or `on_settlement` (when the provider settles)."""
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    autopay: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    """A parking fee: its department's car parks bill exits under it and autopay charges it."""
    max_amount: Mapped[int | None] = mapped_column(BigInteger)
    """The most one bill of this item may be, NTD (an autopay item's per-exit cap); None: any."""


class Provider(Base):
    """A collecting provider's registration: channels, fee and webhook secret."""

    __tablename__ = "payments_providers"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    fee: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Collection fee per payment, NTD."""
    webhook_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    webhook_secret: Mapped[str] = mapped_column(String(128), nullable=False)
    charge_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    """Where autopay asks this provider to charge a bound method (empty: no autopay)."""


class Subscriber(Base):
    """A department system that receives signed webhooks."""

    __tablename__ = "payments_subscribers"

    organisation: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    secret: Mapped[str] = mapped_column(String(128), nullable=False)


class Bill(Base):
    """One amount owed by one payer for one item."""

    __tablename__ = "payments_bills"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    write_off_number: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    virtual_account: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("payments_items.code"), nullable=False)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    payer_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    """`citizen`, `plate`, `account_number` or `student_number`."""
    payer_value: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    issued_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_payments_bills_payer", "payer_kind", "payer_value"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class Payment(Base):
    """Money a provider collected: never refused, never deleted."""

    __tablename__ = "payments_payments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    bill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_bills.id"), nullable=False, index=True
    )
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_txn_id: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    applied: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    """The part that settled the bill."""
    refund_due: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    flag: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    exception_state: Mapped[str | None] = mapped_column(String(16), index=True)
    exception_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    reposted: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default=text("0")
    )
    """The part owed back that an officer posted onto other bills (`Repost`)."""
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    """The officer (a person's id) an open exception is assigned to."""
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    settlement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """The settlement file that confirmed it (the final 核銷 status)."""
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="api")
    """`api`, `settlement` (recorded from a file), `autopay` or `sandbox`."""
    department: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    """The bill's department, copied (it never changes) so reconciliation needs no join."""
    reference: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    """The bill's write-off number, copied for the same reason."""
    bucket: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=fingerprints.payment_bucket
    )
    """The local day of paid_at × 1024 + 10 bits of the write-off number's hash (ADR 9)."""
    txn_check: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=fingerprints.payment_txn_check
    )
    """A keyed hash of (provider_txn_id, amount, day): what a CSV line is matched on."""
    reference_check: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=fingerprints.payment_reference_check
    )
    """A keyed hash of (write-off number, amount, day): what a store line is matched on."""

    __table_args__ = (
        UniqueConstraint("provider", "provider_txn_id", name="uq_payments_payments_txn"),
        # Covers reconciliation's read of a provider's unsettled payments of some days, or
        # of some buckets of them, so that a million of them are one index range scan.
        Index(
            "ix_payments_payments_unsettled",
            "provider",
            "bucket",
            "provider_txn_id",
            "amount",
            "department",
            "reference",
            sqlite_where=text("settlement_id IS NULL"),
            postgresql_where=text("settlement_id IS NULL"),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class BucketSum(Base):
    """Sums over a provider's unsettled payments of one bucket and department (ADR 9).

    Kept on SQLite only, by triggers on payments_payments (migration payments_0005), in the
    transaction of every insert, settlement mark or delete: no code path can forget them.
    The checks are summed as 31-bit halves so that the sums stay exact.
    """

    __tablename__ = "payments_bucket_sums"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    txn_high: Mapped[int] = mapped_column(BigInteger, nullable=False)
    txn_low: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reference_high: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reference_low: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IdempotencyKey(Base):
    """One Idempotency-Key of one provider, and the request it answered."""

    __tablename__ = "payments_idempotency_keys"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ExitKey(Base):
    """One Idempotency-Key of one car-park system, and the exit it reported.

    A gate that retries after a lost answer must not bill the stay, or charge the car, twice.
    """

    __tablename__ = "payments_exit_keys"

    reporter: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    bill_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    settled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    """The provider's answer is recorded (False only between the two transactions)."""
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    """The autopay payment, when the charge was approved."""
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class CarPark(Base):
    """A car-park operator whose device keys report exits, and the department that runs it."""

    __tablename__ = "payments_car_parks"

    organisation: Mapped[str] = mapped_column(String(32), primary_key=True)
    """identity's code of the device-owner organisation (its `device` keys are the gates)."""
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    """The department that runs it: exits bill only that department's autopay items."""
    item_code: Mapped[str] = mapped_column(ForeignKey("payments_items.code"), nullable=False)
    """The item an exit is billed under when the gate names none."""
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Refund(Base):
    """Money returned (or to be returned) to a payer through the provider."""

    __tablename__ = "payments_refunds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_payments.id"), nullable=False, index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="completed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Repost(Base):
    """Money owed back on one payment that an officer posted onto another bill instead."""

    __tablename__ = "payments_reposts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_payments.id"), nullable=False, index=True
    )
    bill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_bills.id"), nullable=False, index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class BillImport(Base):
    """A bill file an officer uploaded in the browser, issued line by line by the job worker.

    The file is kept whole, so a line that was refused can be read again; `done` is how many
    lines were handled, each batch of them committed with the bills it issued, so a worker
    that dies mid-file resumes after the last batch and issues nothing twice."""

    __tablename__ = "payments_bill_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    department: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    """The uploader's department ('' for an administrator, who may bill any item)."""
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of the file: the same file uploaded again is this import, not a second one."""
    content: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    """`values.ImportState`."""
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    issued: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    """Each refused line: {"line": number, "code": problem code, "reason": English text}."""
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    """The uploader's role: the job issues the bills as them."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("department", "digest", name="uq_payments_bill_imports_file"),
    )


class LedgerTransaction(Base):
    """One balanced posting: its entries' debits equal their credits."""

    __tablename__ = "payments_ledger_transactions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    """The id of what it records (payment, refund, settlement, payout)."""
    bill_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """The bill a payment posting settles (so `ledger check` can find unposted bills)."""
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class LedgerEntry(Base):
    """One side of a posting on one account. Never updated or deleted."""

    __tablename__ = "payments_ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_ledger_transactions.id"), nullable=False, index=True
    )
    account: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    """`<AccountType>:<key>`."""
    debit: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    transaction: Mapped[LedgerTransaction] = relationship(lazy="raise")
    """Lets the unit of work insert the transaction before its entries in one flush."""

    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name="side"),
    )


class Settlement(Base):
    """A provider's settlement file and its reconciliation report."""

    __tablename__ = "payments_settlements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    lines: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    days: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    """The local paid dates the file covers."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """[window_start, window_end): from the file's first local day to the end of its last."""
    covers_recorded_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When set, this settlement reconciles every payment of its provider paid in the window
    and recorded before this instant, except its `missing` and `amount_mismatch` findings,
    without writing each payment (see `settled`). Set only where no other writer can record a
    payment while the file is matched (SQLite's single writer); elsewhere each matched
    payment gets `settlement_id`."""


class SettlementLine(Base):
    """One finding of a reconciliation (a file line, or a payment the file missed)."""

    __tablename__ = "payments_settlement_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    settlement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_settlements.id"), nullable=False, index=True
    )
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    """0 for a recorded payment the file does not list."""
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_txn_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    reference: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    department: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    day: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    resolution: Mapped[str | None] = mapped_column(String(16))
    """`values.FindingResolution` once a person closed the finding; None while it is open."""
    resolution_note: Mapped[str] = mapped_column(
        String(500), nullable=False, default="", server_default=""
    )
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    """The person (an id) who is to look into it."""
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


UNSETTLED_FINDINGS = ("missing", "amount_mismatch")
"""Findings that keep a payment of a settlement's window unreconciled."""


def settled() -> ColumnElement[bool]:
    """Whether a payment has its final 核銷 status: marked by a settlement, or covered by one."""
    cover = aliased(Settlement)
    finding = aliased(SettlementLine)
    exception = (
        select(finding.id)
        .where(
            finding.settlement_id == cover.id,
            finding.payment_id == Payment.id,
            finding.outcome.in_(UNSETTLED_FINDINGS),
        )
        .correlate_except(finding)
    )
    covered = (
        select(cover.id)
        .where(
            cover.provider == Payment.provider,
            cover.window_start <= Payment.paid_at,
            cover.window_end > Payment.paid_at,
            cover.covers_recorded_before > Payment.recorded_at,
            ~exception.exists(),
        )
        .correlate_except(cover)
    )
    return or_(Payment.settlement_id.is_not(None), covered.exists())


class WebhookDelivery(Base):
    """An outbound webhook (the outbox): written with the change, delivered at least once."""

    __tablename__ = "payments_webhook_deliveries"
    __audit_exempt__ = True  # delivery bookkeeping, not a change of city records

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation: Mapped[str] = mapped_column(String(32), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """The delivery log: one row per attempt."""

    __tablename__ = "payments_webhook_attempts"
    __audit_exempt__ = True  # delivery bookkeeping

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_webhook_deliveries.id"), nullable=False, index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(500), nullable=False, default="")


class SandboxIntent(Base):
    """A payment a citizen confirmed on the sandbox's hosted page."""

    __tablename__ = "payments_sandbox_intents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    bill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments_bills.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    deliver_after: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Autopay(Base):
    """A plate bound to a payment method for car-park autopay."""

    __tablename__ = "payments_autopay"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plate: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    method_binding_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    token: Mapped[str] = mapped_column(String(64), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PayoutBatch(Base):
    """A disbursement batch (e.g. a low-income student subsidy)."""

    __tablename__ = "payments_payout_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    """`values.PayoutPurpose`: decides who may be paid."""
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    """`values.BatchState`: nothing is paid before a second officer approves."""
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    """The person who made the batch (a principal id); never its approver."""
    decided_by: Mapped[str | None] = mapped_column(String(64))
    """The second person, who approved or rejected it."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Payout(Base):
    """One transfer of a batch to one citizen's bound receiving account."""

    __tablename__ = "payments_payouts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_payout_batches.id"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    account: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class LedgerIsImmutable(RuntimeError):
    """Someone tried to change or delete a ledger row."""


@event.listens_for(Session, "before_flush")
def _ledger_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    # TigerBeetle's rule: a posted entry is never edited; corrections are new postings.
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, (LedgerEntry, LedgerTransaction)) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise LedgerIsImmutable("ledger entries are immutable; post a correction instead")

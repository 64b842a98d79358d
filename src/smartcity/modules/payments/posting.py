"""Posting a payment a provider collected: the platform's hot path (docs/benchmarks.md).

Core statements only, built once; the reads in one round trip and the writes as one (ADR 10).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from smartcity.core.db import Step, execute_as_one, execute_together
from smartcity.core.repository import new_id
from smartcity.core.time import as_utc, city_zone, utcnow
from smartcity.core.uow import UnitOfWork, note_write
from smartcity.modules.payments import errors, fingerprints, ledger, webhooks
from smartcity.modules.payments.bills import bill_move
from smartcity.modules.payments.codes import parse_reference
from smartcity.modules.payments.models import (
    Bill,
    IdempotencyKey,
    Item,
    Payment,
    Provider,
    Subscriber,
    settled,
)
from smartcity.modules.payments.repository import ensure_provider, get_payment
from smartcity.modules.payments.values import (
    AccountType,
    BillState,
    Channel,
    EntryKind,
    ExceptionState,
    PaymentFlag,
)

A = AccountType

_BILLS = cast(Table, Bill.__table__)
_PAYMENTS = cast(Table, Payment.__table__)
_KEYS = cast(Table, IdempotencyKey.__table__)
_ITEMS = cast(Table, Item.__table__)
_PROVIDERS = cast(Table, Provider.__table__)
_SUBSCRIBERS = cast(Table, Subscriber.__table__)


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider reports it collected."""

    reference: str
    amount: int
    channel: str
    provider_txn_id: str
    paid_at: datetime

    def digest(self) -> str:
        """A digest of the request, to tell a retry from a different request."""
        canonical = json.dumps(
            {
                "reference": self.reference.strip(),
                "amount": self.amount,
                "channel": self.channel,
                "provider_txn_id": self.provider_txn_id,
                "paid_at": as_utc(self.paid_at).isoformat(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def _local_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(city_zone()).date()


def _url_of(code: Any) -> ColumnElement[str]:
    """The webhook URL of an organisation (subscriber first, then provider), in SQL."""
    return func.coalesce(
        select(_SUBSCRIBERS.c.url).where(_SUBSCRIBERS.c.organisation == code).scalar_subquery(),
        select(_PROVIDERS.c.webhook_url).where(_PROVIDERS.c.code == code).scalar_subquery(),
        "",
    )


def _posting_query(column: str) -> Select[*tuple[Any, ...]]:
    """The bill (locked) and everything a posting reads, in one round trip (Core columns:
    an ORM select costs more Python per execution)."""
    provider = bindparam("provider", type_=String())
    bills, items, payments = _BILLS.c, _ITEMS.c, _PAYMENTS.c
    return (
        select(
            bills.id,
            bills.write_off_number,
            bills.department,
            bills.amount,
            bills.paid_amount,
            bills.status,
            bills.due_date,
            bills.item_code,
            items.partial_allowed,
            items.write_off_rule,
            select(_PROVIDERS.c.fee).where(_PROVIDERS.c.code == provider).scalar_subquery(),
            select(payments.id)
            .where(payments.provider == provider, payments.provider_txn_id == bindparam("txn"))
            .scalar_subquery(),
            _url_of(bills.department),
            _url_of(provider),
        )
        .join_from(_BILLS, _ITEMS, items.code == bills.item_code)
        .where(bills[column] == bindparam("reference"))
        .with_for_update(of=_BILLS)
    )


# Built once: constructing a statement costs more Python than executing a cached one.
_POSTING_QUERIES = {
    column: _posting_query(column) for column in ("write_off_number", "virtual_account")
}


# A key row is claimed with INSERT … ON CONFLICT DO NOTHING, spelled per database.
_CLAIM_KEY = {
    "postgresql": postgresql.insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key),
    "sqlite": sqlite.insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key),
}

_CLAIM_COLUMNS = ("provider", "key", "request_hash", "payment_id", "created_at")


def _claiming_posting_query(column: str) -> Select[*tuple[Any, ...]]:
    """PostgreSQL: the key's claim and the posting query as one statement, one round trip.

    One row: `claimed` (1, or 0 when the key was there), then the posting query's columns, all
    NULL when no bill has the reference. The claim (a data-modifying WITH clause, counted
    on the outer side of the join) runs before the bill is locked: a concurrent request with
    the same key waits on the key row, as with two statements.
    """
    claim = (
        _CLAIM_KEY["postgresql"]
        .values({name: bindparam(name) for name in _CLAIM_COLUMNS})
        .cte("claim")
    )
    counted = select(func.count().label("claimed")).select_from(claim).subquery("counted")
    found = _posting_query(column).lateral("found")
    return select(counted.c.claimed, *found.c).select_from(counted.outerjoin(found, true()))


_CLAIMING_POSTING_QUERIES = {column: _claiming_posting_query(column) for column in _POSTING_QUERIES}


_PAYMENT_COLUMNS = list(_PAYMENTS.c)
_INSERT_PAYMENT = insert(_PAYMENTS)
# The SET clause comes from the keys of each call's parameters (compiled once per key set).
_UPDATE_BILL = update(_BILLS).where(_BILLS.c.id == bindparam("bill_id"))


def post_payment(
    uow: UnitOfWork,
    provider_code: str,
    request: PaymentRequest,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
    last_in_transaction: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Record money a provider collected; (payment view, True) when new, (view, False) on replay.

    `last_in_transaction`: the caller audits nothing after it, so the audit entry is queued
    with the posting's writes (`UnitOfWork.audit_queue_step`), one round trip fewer.

    Money is never refused: a duplicate, wrong amount or late payment is recorded, flagged
    and queued as an exception with a refund due. This is the hot path of the platform
    (docs/benchmarks.md): Core statements only, no ORM objects, the writes as one (ADR 10).
    """
    session = uow.session
    if request.amount <= 0 or request.amount > 10**12:
        raise errors.InvalidAmount("a payment's amount is a positive whole NTD")
    Channel(request.channel)
    digest = request.digest()
    payment_id = new_id()
    now = utcnow()
    session.flush()  # Core statements below must see what the caller already changed
    # Core statements on the session's connection, prepared on PostgreSQL: the reads
    # (core.db.execute_together), then the writes as one statement (execute_as_one).
    connection = session.connection()
    column, reference = parse_reference(request.reference)
    query = {"reference": reference, "provider": provider_code, "txn": request.provider_txn_id}
    claimed = True
    if idempotency_key is None:
        (bills,) = execute_together(connection, [(_POSTING_QUERIES[column], query)])
    else:
        # Claimed first: a concurrent request with the same key waits on this row, then
        # finds it and answers as a replay.
        claim = {
            "provider": provider_code,
            "key": idempotency_key,
            "request_hash": digest,
            "payment_id": payment_id,
            "created_at": now,
        }
        if connection.dialect.name == "postgresql":
            ((found,),) = execute_together(
                connection, [(_CLAIMING_POSTING_QUERIES[column], query | claim)]
            )
            claimed, bills = bool(found.claimed), [found] if found.id is not None else []
        else:
            keys, bills = execute_together(
                connection,
                [(_CLAIM_KEY[connection.dialect.name], claim), (_POSTING_QUERIES[column], query)],
            )
            claimed = bool(keys)
    if idempotency_key is not None and not claimed:
        return _replayed(session, provider_code, idempotency_key, digest), False
    if not bills:
        raise errors.ReferenceNotFound("no bill has this reference")
    bill = bills[0]
    (*_, fee, existing_id, department_url, provider_url) = bill
    if existing_id is not None:
        return _rebind(uow, bill.id, existing_id, request.amount, idempotency_key), False
    if fee is None:  # this provider's first payment registers it
        fee = ensure_provider(session, provider_code).fee
    paid_at = as_utc(request.paid_at)
    status = bill.status
    changes: dict[str, Any] = {}
    if status == BillState.OPEN and _local_date(paid_at) > bill.due_date:
        changes |= bill_move(status, BillState.EXPIRED, now)
        status = changes["status"]
    outstanding = bill.amount - bill.paid_amount
    applied = refund_due = 0
    flag = PaymentFlag.NONE
    if status in (BillState.PAID, BillState.WRITTEN_OFF):
        flag, refund_due = PaymentFlag.DUPLICATE, request.amount
    elif status in (BillState.CANCELLED, BillState.EXPIRED):
        flag, refund_due = PaymentFlag.LATE, request.amount
    elif request.amount == outstanding:
        applied = request.amount
    elif request.amount > outstanding:
        flag, applied, refund_due = PaymentFlag.OVERPAID, outstanding, request.amount - outstanding
    elif bill.partial_allowed:
        applied = request.amount
    else:
        flag, refund_due = PaymentFlag.UNDERPAID, request.amount
    if applied:
        changes["paid_amount"] = bill.paid_amount + applied
        if changes["paid_amount"] == bill.amount:
            changes |= bill_move(status, BillState.PAID, paid_at)
            if bill.write_off_rule == "on_payment":
                changes |= bill_move(changes["status"], BillState.WRITTEN_OFF, now)
    payment = {
        "id": payment_id,
        "bill_id": bill.id,
        "provider": provider_code,
        "provider_txn_id": request.provider_txn_id,
        "channel": request.channel,
        "amount": request.amount,
        "applied": applied,
        "refund_due": refund_due,
        "refunded": 0,
        "reposted": 0,
        "flag": flag.value,
        "exception_state": ExceptionState.OPEN.value if refund_due else None,
        "exception_note": "",
        "paid_at": paid_at,
        "recorded_at": now,
        "settlement_id": None,
        "source": source,
        "department": bill.department,
        "reference": bill.write_off_number,
    }
    payment["bucket"], payment["txn_check"], payment["reference_check"] = fingerprints.of_payment(
        connection, payment
    )
    writes: list[Step] = [(_INSERT_PAYMENT, payment)]
    if changes:
        writes.append((_UPDATE_BILL, {"bill_id": bill.id, **changes}))
        # A caller holding this bill as an object must not see its old state.
        loaded = session.identity_map.get(identity_key(Bill, bill.id))
        if loaded is not None:
            session.expire(loaded)
    clearing = ledger.account(A.PROVIDER_CLEARING, provider_code)
    writes += ledger.posting_steps(
        [
            ledger.Posting(
                EntryKind.PAYMENT,
                payment_id,
                [
                    ledger.debit(clearing, request.amount),
                    ledger.credit(ledger.account(A.DEPARTMENT_REVENUE, bill.item_code), applied),
                    ledger.credit(ledger.account(A.REFUNDS_PAYABLE, bill.department), refund_due),
                ],
                bill.id,
            ),
            ledger.Posting(  # no fee: no legs, no transaction
                EntryKind.FEE,
                payment_id,
                [
                    ledger.debit(ledger.account(A.PROVIDER_FEES, provider_code), fee),
                    ledger.credit(clearing, fee),
                ],
            ),
        ]
    )
    uow.audit(
        "payments.payment.recorded",
        "payment",
        payment_id,
        {
            "bill": bill.write_off_number,
            "provider": provider_code,
            "amount": request.amount,
            "applied": applied,
            "flag": flag.value,
        },
    )
    queue_audit = uow.audit_queue_step() if last_in_transaction else None
    execute_as_one(connection, [*writes, *([queue_audit] if queue_audit else [])])
    note_write(session)
    # Just recorded: no settlement can have confirmed it yet.
    view = _view(payment, bill.write_off_number, changes.get("status", bill.status), False)
    webhooks.enqueue_to(
        session,
        {bill.department: department_url, provider_code: provider_url},
        "payment.recorded",
        view,
    )
    return view, True


def record_payment(
    uow: UnitOfWork,
    provider_code: str,
    request: PaymentRequest,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
) -> tuple[Payment, bool]:
    """`post_payment` for callers that go on working with the payment as an object."""
    view, created = post_payment(
        uow, provider_code, request, idempotency_key=idempotency_key, source=source
    )
    return get_payment(uow.session, uuid.UUID(view["id"])), created


def _view_query() -> Select[*tuple[Any, ...]]:
    return select(
        *_PAYMENT_COLUMNS, Bill.write_off_number, Bill.status, settled().label("is_settled")
    ).join(Bill, Bill.id == Payment.bill_id)


def _replayed(session: Session, provider_code: str, key: str, digest: str) -> dict[str, Any]:
    seen = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.payment_id).where(
            IdempotencyKey.provider == provider_code, IdempotencyKey.key == key
        )
    ).one()
    if seen.request_hash != digest:
        raise errors.IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    row = session.execute(_view_query().where(Payment.id == seen.payment_id)).first()
    if row is None:  # pragma: no cover - the key and payment commit together
        raise errors.PaymentNotFound("the payment of this key is gone")
    return _view(row._mapping, row.write_off_number, row.status, bool(row.is_settled))


def _rebind(
    uow: UnitOfWork,
    bill_id: uuid.UUID,
    payment_id: uuid.UUID,
    amount: int,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """A provider_txn_id recorded before: the same payment (under a new key), or a Conflict."""
    row = uow.session.execute(_view_query().where(Payment.id == payment_id)).one()
    if row.bill_id != bill_id or row.amount != amount:
        raise errors.ProviderTxnReused(
            "this provider_txn_id was already recorded with other values",
        )
    if idempotency_key is not None:
        uow.session.execute(
            update(_KEYS)
            .where(_KEYS.c.provider == row.provider, _KEYS.c.key == idempotency_key)
            .values(payment_id=payment_id)
        )
        uow.audit("payments.idempotency.bound", "payment", payment_id, {})
    return _view(row._mapping, row.write_off_number, row.status, bool(row.is_settled))


def _view(
    payment: Mapping[Any, Any], reference: str, bill_status: str, settled: bool
) -> dict[str, Any]:
    return {
        "id": str(payment["id"]),
        "bill_id": str(payment["bill_id"]),
        "reference": reference,
        "provider": payment["provider"],
        "provider_txn_id": payment["provider_txn_id"],
        "channel": payment["channel"],
        "amount": payment["amount"],
        "applied": payment["applied"],
        "refund_due": payment["refund_due"],
        "refunded": payment["refunded"],
        "reposted": payment["reposted"],
        "owed_back": max(payment["refund_due"] - payment["refunded"] - payment["reposted"], 0),
        "flag": payment["flag"],
        "exception_state": payment["exception_state"],
        "assigned_to": payment.get("assigned_to"),
        "paid_at": as_utc(payment["paid_at"]).isoformat(),
        "bill_status": bill_status,
        "settled": settled,
    }


def settled_ids(session: Session, payments: Sequence[Payment]) -> set[uuid.UUID]:
    """Which of `payments` a settlement file confirmed (their final 核銷 status), in one query."""
    marked = {p.id for p in payments if p.settlement_id is not None}
    others = [p.id for p in payments if p.settlement_id is None]
    if others:
        marked.update(session.scalars(select(Payment.id).where(Payment.id.in_(others), settled())))
    return marked


def payment_view(payment: Payment, bill: Bill, *, settled: bool) -> dict[str, Any]:
    """A payment as the API shows it."""
    values = {column.key: getattr(payment, column.key) for column in _PAYMENT_COLUMNS}
    return _view(values, bill.write_off_number, bill.status, settled)

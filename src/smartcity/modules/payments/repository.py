"""Every query of payments that reads rows by key or lists them (the posting path and the
reconciliation keep their compiled Core statements beside their logic)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from smartcity.modules.payments import errors
from smartcity.modules.payments.codes import parse_reference
from smartcity.modules.payments.models import (
    Bill,
    Item,
    Payment,
    Provider,
    Refund,
)
from smartcity.modules.payments.values import (
    Channel,
)


def list_items(session: Session, department: str | None = None) -> Sequence[Item]:
    """Active fee items, by department and code."""
    query = select(Item).where(Item.active.is_(True)).order_by(Item.department, Item.code)
    if department:
        query = query.where(Item.department == department)
    return session.execute(query).scalars().all()


def get_item(session: Session, code: str) -> Item:
    """A fee item by code, or NotFound."""
    item = session.get(Item, code)
    if item is None:
        raise errors.ItemNotFound(f"no fee item {code[:40]!r}")
    return item


def ensure_provider(session: Session, code: str) -> Provider:
    """The provider's registration, made with every channel on first use."""
    provider = session.get(Provider, code)
    if provider is None:
        provider = Provider(
            code=code,
            channels=[c.value for c in Channel],
            fee=0,
            webhook_url="",
            webhook_secret=secrets.token_hex(32),
        )
        session.add(provider)
        session.flush()
    return provider


def find_bill(session: Session, reference: str, *, lock: bool = False) -> Bill:
    """A bill by write-off number (= barcode segment 2) or virtual account."""
    column, value = parse_reference(reference)
    query = select(Bill).where(getattr(Bill, column) == value)
    if lock:
        query = query.with_for_update()
    bill = session.execute(query).scalar_one_or_none()
    if bill is None:
        raise errors.ReferenceNotFound("no bill has this reference")
    return bill


def get_bill(session: Session, bill_id: uuid.UUID) -> Bill:
    """A bill by id, or NotFound."""
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise errors.BillNotFound("no such bill")
    return bill


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    """A payment by id, or NotFound."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise errors.PaymentNotFound("no such payment")
    return payment


def payments_of_bill(session: Session, bill_id: uuid.UUID) -> Sequence[Payment]:
    """Every payment of a bill, oldest first."""
    return (
        session.execute(select(Payment).where(Payment.bill_id == bill_id).order_by(Payment.paid_at))
        .scalars()
        .all()
    )


def refunds_of(session: Session, payment_ids: Sequence[uuid.UUID]) -> Sequence[Refund]:
    """Refunds of these payments."""
    if not payment_ids:
        return []
    return session.execute(select(Refund).where(Refund.payment_id.in_(payment_ids))).scalars().all()


def exception_queue(
    session: Session, department: str | None, state: str = "open", limit: int = 500
) -> list[tuple[Payment, Bill]]:
    """Payments with money owed back, for one department (or all)."""
    query = (
        select(Payment, Bill)
        .join(Bill, Bill.id == Payment.bill_id)
        .where(Payment.exception_state == state)
        .order_by(Payment.recorded_at.desc())
        .limit(limit)
    )
    if department:
        query = query.where(Bill.department == department)
    return [(p, b) for p, b in session.execute(query).all()]


def count_bills(session: Session, department: str | None) -> dict[str, int]:
    """Bills per state."""
    query = select(Bill.status, func.count()).group_by(Bill.status)
    if department:
        query = query.where(Bill.department == department)
    return {status: int(n) for status, n in session.execute(query)}

"""payments' queries: rows by key and the lists the edges show.

The posting path (`posting`) and the reconciliation's columnar reads (`reconciliation`) keep
their compiled Core statements beside their logic, where the hot path can be read whole.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.departments import acts_for
from smartcity.core.repository import as_id, get_or_404, page
from smartcity.core.sqltime import local_day
from smartcity.modules.payments import errors
from smartcity.modules.payments.codes import parse_reference
from smartcity.modules.payments.models import (
    Bill,
    Item,
    Payment,
    Provider,
    Refund,
    WebhookDelivery,
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


def get_bill(session: Session, bill_id: uuid.UUID | str) -> Bill:
    """A bill by id, or NotFound."""
    return get_or_404(session, Bill, bill_id, code=errors.BillNotFound.code, detail="no such bill")


def get_payment(session: Session, payment_id: uuid.UUID | str, *, lock: bool = False) -> Payment:
    """A payment by id (locked for the transaction's change, with `lock`), or NotFound."""
    if lock:
        key = as_id(payment_id)
        query = select(Payment).where(Payment.id == key).with_for_update()
        payment = session.execute(query).scalar_one_or_none() if key else None
        if payment is None:
            raise errors.PaymentNotFound("no such payment")
        return payment
    return get_or_404(
        session, Payment, payment_id, code=errors.PaymentNotFound.code, detail="no such payment"
    )


def visible_payment(
    session: Session, principal: Principal, payment_id: uuid.UUID
) -> tuple[Payment, Bill]:
    """A payment and its bill, for its provider or whoever acts for the bill's department;
    NotFound for anyone else, who need not know it exists."""
    payment = get_payment(session, payment_id)
    bill = get_bill(session, payment.bill_id)
    if principal.role == Role.PROVIDER:
        visible = payment.provider == principal.organisation
    else:
        visible = acts_for(principal, bill.department)
    if not visible:
        raise errors.PaymentNotFound("no such payment")
    return payment, bill


def list_bills(
    session: Session, department: str | None, status: str | None, limit: int
) -> Sequence[Bill]:
    """The newest bills (of one department, in one state, when given)."""
    query = select(Bill).order_by(Bill.created_at.desc(), Bill.id)
    if department:
        query = query.where(Bill.department == department)
    if status:
        query = query.where(Bill.status == status)
    return session.execute(page(query, limit=limit)).scalars().all()


def items_of(session: Session, bills: Sequence[Bill]) -> dict[str, Item]:
    """The items of these bills by code, in one query."""
    codes = {bill.item_code for bill in bills}
    if not codes:
        return {}
    return {item.code: item for item in session.scalars(select(Item).where(Item.code.in_(codes)))}


def bills_of_payers(session: Session, payers: Sequence[tuple[str, str]]) -> Sequence[Bill]:
    """Bills addressed to any of these (payer kind, value) pairs, newest first."""
    clauses = [(Bill.payer_kind == kind) & (Bill.payer_value == value) for kind, value in payers]
    return (
        session.execute(select(Bill).where(or_(*clauses)).order_by(Bill.created_at.desc()))
        .scalars()
        .all()
    )


def payments_of_bill(session: Session, bill_id: uuid.UUID) -> Sequence[Payment]:
    """Every payment of a bill, oldest first."""
    return (
        session.execute(select(Payment).where(Payment.bill_id == bill_id).order_by(Payment.paid_at))
        .scalars()
        .all()
    )


def payments_of_bills(
    session: Session, bill_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Payment]]:
    """Every payment of these bills, oldest first, by bill, in one query."""
    found: dict[uuid.UUID, list[Payment]] = {bill_id: [] for bill_id in bill_ids}
    if bill_ids:
        query = select(Payment).where(Payment.bill_id.in_(bill_ids)).order_by(Payment.paid_at)
        for payment in session.execute(query).scalars():
            found[payment.bill_id].append(payment)
    return found


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


def deliveries(session: Session, organisation: str | None, limit: int) -> Sequence[WebhookDelivery]:
    """The newest outbound webhook deliveries (to one organisation, when given)."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
    if organisation is not None:
        query = query.where(WebhookDelivery.organisation == organisation)
    return session.execute(page(query, limit=limit)).scalars().all()


def open_items() -> Select[*tuple[Any, ...]]:
    """The fee catalogue as open data: what the city collects, by whom, how much."""
    return select(
        Item.code.label("code"),
        Item.name.label("name"),
        Item.name_en.label("name_en"),
        Item.department.label("department"),
        Item.kind.label("kind"),
        Item.amount_rule.label("amount_rule"),
        Item.amount.label("amount"),
        Item.max_amount.label("max_amount"),
        Item.channels.label("channels"),
        Item.active.label("active"),
    )


def open_daily_totals() -> Select[*tuple[Any, ...]]:
    """Payments per fee item and the city's calendar day, counted and summed (no payer)."""
    day = local_day(Payment.paid_at)
    return (
        select(
            day.label("day"),
            Bill.item_code.label("item"),
            func.count(Payment.id).label("payments"),
            func.sum(Payment.amount).label("amount"),
        )
        .join(Bill, Bill.id == Payment.bill_id)
        .group_by(day, Bill.item_code)
    )

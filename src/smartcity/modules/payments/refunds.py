"""Money owed back: refunds of payments and the exception queue's resolutions."""

from __future__ import annotations

import uuid

from smartcity.core.auth import Role
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, ledger, webhooks
from smartcity.modules.payments.departments import check_department
from smartcity.modules.payments.models import (
    Payment,
    Refund,
)
from smartcity.modules.payments.repository import get_bill, get_item, get_payment
from smartcity.modules.payments.values import (
    AccountType,
    EntryKind,
    ExceptionState,
    RefundState,
)

A = AccountType


def refund_payment(
    uow: UnitOfWork, payment_id: uuid.UUID, amount: int | None, reason: str = ""
) -> Refund:
    """Return money to a payer: first what is owed back, then (if refundable) what was applied."""
    session = uow.session
    payment = get_payment(session, payment_id, lock=True)
    bill = get_bill(session, payment.bill_id)
    actor = uow.actor
    if actor.role != Role.PROVIDER:
        check_department(actor, bill.department)
    elif actor.organisation != payment.provider:
        raise errors.PaymentNotFound("no such payment")
    available = payment.amount - payment.refunded
    if available <= 0:
        raise errors.NothingToRefund("this payment was refunded in full")
    wanted = available if amount is None else amount
    if wanted <= 0:
        raise errors.InvalidAmount("a refund is a positive amount")
    if wanted > available:
        raise errors.RefundExceedsPayment(
            f"at most {available} NTD of this payment can be refunded",
        )
    from_due = min(wanted, max(payment.refund_due - payment.refunded, 0))
    from_applied = wanted - from_due
    item = get_item(session, bill.item_code)
    if from_applied and not item.refundable:
        raise errors.NotRefundable(f"{item.code} is not refundable")
    refund = Refund(
        payment_id=payment.id, amount=wanted, reason=reason[:500], state=RefundState.COMPLETED.value
    )
    session.add(refund)
    session.flush()
    payment.refunded += wanted
    if payment.refund_due and payment.refunded >= payment.refund_due:
        payment.exception_state = ExceptionState.REFUNDED.value
    ledger.post(
        session,
        EntryKind.REFUND_PAID,
        refund.id,
        [
            ledger.debit(ledger.account(A.REFUNDS_PAYABLE, bill.department), from_due),
            ledger.debit(ledger.account(A.DEPARTMENT_REVENUE, item.code), from_applied),
            ledger.credit(ledger.account(A.PROVIDER_CLEARING, payment.provider), wanted),
        ],
    )
    webhooks.enqueue(
        session,
        [payment.provider, bill.department],
        "refund.created",
        {"refund_id": str(refund.id), "payment_id": str(payment.id), "amount": wanted},
    )
    uow.audit(
        "payments.refund.created",
        "refund",
        refund.id,
        {"payment": str(payment.id), "amount": wanted, "reason": reason[:200]},
    )
    return refund


def resolve_exception(uow: UnitOfWork, payment_id: uuid.UUID, note: str) -> Payment:
    """Close an exception without a refund, with the reason written down."""
    payment = get_payment(uow.session, payment_id)
    bill = get_bill(uow.session, payment.bill_id)
    check_department(uow.actor, bill.department)
    if payment.exception_state != ExceptionState.OPEN:
        raise errors.NoOpenException("this payment has no open exception")
    payment.exception_state = ExceptionState.RESOLVED.value
    payment.exception_note = note[:500]
    uow.audit("payments.exception.resolved", "payment", payment.id, {"note": note[:200]})
    return payment

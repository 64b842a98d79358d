"""Money owed back: refunds of payments and the exception queue's actions (close, post onto the
right bill, assign to an officer)."""

from __future__ import annotations

import uuid

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Role
from smartcity.core.errors import NotFound
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, ledger, webhooks
from smartcity.modules.payments.bills import move_bill
from smartcity.modules.payments.departments import check_department
from smartcity.modules.payments.models import (
    Payment,
    Refund,
    Repost,
)
from smartcity.modules.payments.repository import find_bill, get_bill, get_item, get_payment
from smartcity.modules.payments.values import (
    AccountType,
    BillState,
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
    available = payment.amount - payment.refunded - payment.reposted
    if available <= 0:
        raise errors.NothingToRefund("this payment was refunded in full")
    wanted = available if amount is None else amount
    if wanted <= 0:
        raise errors.InvalidAmount("a refund is a positive amount")
    if wanted > available:
        raise errors.RefundExceedsPayment(
            f"at most {available} NTD of this payment can be refunded",
        )
    from_due = min(wanted, owed_back(payment))
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
    if payment.refund_due and owed_back(payment) == 0:
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


def owed_back(payment: Payment) -> int:
    """What is still owed back on a payment: its refund due less what was refunded or posted
    onto other bills."""
    return max(payment.refund_due - payment.refunded - payment.reposted, 0)


def _open_exception(uow: UnitOfWork, payment_id: uuid.UUID) -> Payment:
    """The payment, locked, if it has an open exception of a department the actor acts for."""
    payment = get_payment(uow.session, payment_id, lock=True)
    check_department(uow.actor, get_bill(uow.session, payment.bill_id).department)
    if payment.exception_state != ExceptionState.OPEN:
        raise errors.NoOpenException("this payment has no open exception")
    return payment


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise errors.ReasonRequired("say why")
    return reason[:500]


def resolve_exception(uow: UnitOfWork, payment_id: uuid.UUID, note: str) -> Payment:
    """Close an exception without a refund, with the reason written down."""
    payment = _open_exception(uow, payment_id)
    payment.exception_state = ExceptionState.RESOLVED.value
    payment.exception_note = note[:500]
    uow.audit("payments.exception.resolved", "payment", payment.id, {"note": note[:200]})
    return payment


def repost_payment(uow: UnitOfWork, payment_id: uuid.UUID, reference: str, reason: str) -> Repost:
    """Post the money owed back on a payment onto the bill it was meant for (named by its
    write-off number or virtual account): the payer paid the wrong bill, or the same one twice
    when another of theirs is open. What that bill still needs is applied; any rest stays owed
    back. Both bills must be of departments the actor acts for."""
    why = _reason(reason)
    payment = _open_exception(uow, payment_id)
    session = uow.session
    source = get_bill(session, payment.bill_id)
    due = owed_back(payment)
    if due <= 0:
        raise errors.NothingToRepost("nothing of this payment is owed back")
    target = find_bill(session, reference.strip(), lock=True)
    check_department(uow.actor, target.department)
    if target.id == source.id:
        raise errors.RepostTarget("choose another bill than the one paid")
    if target.status != BillState.OPEN:
        raise errors.RepostTarget("the bill is not open to be paid")
    item = get_item(session, target.item_code)
    outstanding = target.amount - target.paid_amount
    if due < outstanding and not item.partial_allowed:
        raise errors.RepostTooSmall(
            f"the bill needs {outstanding} NTD and takes no part payment; {due} NTD is owed back",
        )
    applied = min(due, outstanding)
    repost = Repost(
        payment_id=payment.id,
        bill_id=target.id,
        amount=applied,
        reason=why,
        created_by=str(uow.actor.id or uow.actor.kind)[:64],
    )
    session.add(repost)
    session.flush()
    payment.reposted += applied
    if owed_back(payment) == 0:
        payment.exception_state = ExceptionState.REPOSTED.value
        payment.exception_note = why
    target.paid_amount += applied
    if target.paid_amount == target.amount:
        move_bill(target, BillState.PAID)
        if item.write_off_rule == "on_payment":
            move_bill(target, BillState.WRITTEN_OFF)
    ledger.post(
        session,
        EntryKind.REPOSTED,
        repost.id,
        [
            ledger.debit(ledger.account(A.REFUNDS_PAYABLE, source.department), applied),
            ledger.credit(ledger.account(A.DEPARTMENT_REVENUE, item.code), applied),
        ],
        bill_id=target.id,
    )
    uow.audit(
        "payments.exception.reposted",
        "payment",
        payment.id,
        {
            "bill": target.write_off_number,
            "amount": applied,
            "reason": why[:200],
        },
    )
    return repost


def assign_exception(
    uow: UnitOfWork, payment_id: uuid.UUID, officer_id: uuid.UUID | str, reason: str
) -> Payment:
    """Give an open exception to an officer of the bill's department to handle."""
    why = _reason(reason)
    payment = _open_exception(uow, payment_id)
    department = get_bill(uow.session, payment.bill_id).department
    officer = check_officer_of(uow, department, officer_id)
    payment.assigned_to = str(officer)
    uow.audit(
        "payments.exception.assigned",
        "payment",
        payment.id,
        {"officer": str(officer), "reason": why[:200]},
    )
    return payment


def check_officer_of(uow: UnitOfWork, department: str, person_id: uuid.UUID | str) -> uuid.UUID:
    """The id of an active officer of `department`; refused for anyone else."""
    try:
        person = identity.get_user(uow.session, person_id)
    except NotFound:
        raise errors.NotAnOfficerHere("no such officer") from None
    if not any(o.id == person.id for o in identity.officers_of(uow.session, department)):
        raise errors.NotAnOfficerHere("assign to an active officer of the department")
    return person.id

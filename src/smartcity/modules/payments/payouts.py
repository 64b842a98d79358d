"""Payouts: disbursement batches paid to citizens' bound receiving accounts.

Maker–checker: one person makes a batch for their department; a second person — another
officer of the department, or an administrator who did not make it — approves it. Only then
is it posted to the ledger, its payouts instructed, and its instructions file for the bank
(the one place full account numbers appear) exported, by an officer of the department, with
an audit entry. Everywhere else an account is shown masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Principal, Role
from smartcity.core.errors import NotFound
from smartcity.core.repository import get_or_404, new_id, page
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.payments import errors, ledger
from smartcity.modules.payments.bills import citizen_identifiers
from smartcity.modules.payments.departments import check_department, department_shown
from smartcity.modules.payments.models import Bill, Payment, Payout, PayoutBatch
from smartcity.modules.payments.values import (
    AccountType,
    BatchState,
    EntryKind,
    PayoutPurpose,
    PayoutState,
)

A = AccountType
MAX_PAYEES = 10_000
_COMMITTED = (PayoutState.PENDING, PayoutState.INSTRUCTED, PayoutState.PAID)
"""Payout states that still count against what a citizen may be refunded."""


def receiving_account(session: Session, user_id: uuid.UUID) -> str | None:
    """The citizen's verified receiving bank account in force today, if any."""
    for binding in identity.bindings_of(session, user_id):
        if (
            binding.kind == BindingKind.BANK_ACCOUNT
            and binding.state == "verified"
            and user_id
            in identity.citizens_bound_to(session, BindingKind.BANK_ACCOUNT, binding.value)
        ):
            return binding.value
    return None


def _check_person(actor: Principal, department: str) -> None:
    # Two *people* make a maker–checker: a department's machine key has no one behind it.
    check_department(actor, department)
    if actor.kind != "user" or not actor.id:
        raise errors.PersonRequired(
            "payout batches are made and approved by people signed in as themselves",
        )


def _refundable(session: Session, user_id: uuid.UUID, department: str) -> int:
    """What the citizen paid the department and has not had back (refunds and refund payouts)."""
    reaches = [
        (Bill.payer_kind == kind) & (Bill.payer_value == value)
        for kind, value in citizen_identifiers(session, user_id)
    ]
    paid = session.execute(
        select(func.coalesce(func.sum(Payment.amount - Payment.refunded), 0))
        .join(Bill, Bill.id == Payment.bill_id)
        .where(
            Bill.department == department,
            or_(*reaches),
        )
    ).scalar_one()
    returned = session.execute(
        select(func.coalesce(func.sum(Payout.amount), 0))
        .join(PayoutBatch, PayoutBatch.id == Payout.batch_id)
        .where(
            PayoutBatch.department == department,
            PayoutBatch.purpose == PayoutPurpose.REFUND.value,
            Payout.user_id == user_id,
            Payout.state.in_([s.value for s in _COMMITTED]),
        )
    ).scalar_one()
    return int(paid) - int(returned)


def _payee(
    session: Session, purpose: PayoutPurpose, department: str, citizen_id: str, amount: int
) -> uuid.UUID:
    """The payee's user id if the purpose allows paying them `amount`; InvalidInput otherwise."""
    try:
        user = identity.get_user(session, citizen_id)
    except NotFound:
        raise errors.UnknownCitizen(f"no citizen {citizen_id[:40]}") from None
    if user.role != Role.CITIZEN or not user.active:
        raise errors.PayeeNotAllowed("payouts go to registered citizens only")
    if purpose == PayoutPurpose.REFUND and amount > _refundable(session, user.id, department):
        raise errors.PayeeNotAllowed(
            "a refund goes to a citizen who paid this department at least that much",
        )
    return user.id


def create_batch(
    uow: UnitOfWork,
    department: str,
    name: str,
    purpose: PayoutPurpose,
    payees: Sequence[tuple[str, int]],
) -> PayoutBatch:
    """A person's batch, awaiting a second person's approval: one payout per payee, `pending`
    with a verified receiving account and `no_account` without one."""
    _check_person(uow.actor, department)
    if not payees or len(payees) > MAX_PAYEES:
        raise errors.InvalidBatch(f"a batch has 1 to {MAX_PAYEES} payees")
    session = uow.session
    batch = PayoutBatch(
        id=new_id(),
        department=department,
        name=name[:200],
        purpose=purpose.value,
        total=0,
        state=BatchState.AWAITING_APPROVAL.value,
        created_by=str(uow.actor.id),
    )
    session.add(batch)
    session.flush()
    total = 0
    for citizen_id, amount in payees:
        if amount <= 0:
            raise errors.InvalidAmount("each payout is a positive amount")
        user_id = _payee(session, purpose, department, citizen_id, amount)
        account = receiving_account(session, user_id)
        session.add(
            Payout(
                batch_id=batch.id,
                user_id=user_id,
                amount=amount,
                account=account or "",
                state=(PayoutState.PENDING if account else PayoutState.NO_ACCOUNT).value,
                reason="" if account else "no verified receiving account",
            )
        )
        session.flush()  # a refund's next payee line counts this one (see _refundable)
        if account:
            total += amount
    batch.total = total
    uow.audit(
        "payments.payout_batch.created",
        "payout_batch",
        batch.id,
        {"department": department, "purpose": purpose.value, "payees": len(payees), "total": total},
    )
    return batch


def _decide(uow: UnitOfWork, batch_id: uuid.UUID) -> PayoutBatch:
    """The batch, locked, if it still awaits approval and the actor may decide on it."""
    batch = uow.session.execute(
        select(PayoutBatch).where(PayoutBatch.id == batch_id).with_for_update()
    ).scalar_one_or_none()
    shown = department_shown(uow.actor)
    if batch is None or (shown is not None and batch.department != shown):
        raise errors.BatchNotFound("no such payout batch")
    _check_person(uow.actor, batch.department)
    if batch.state != BatchState.AWAITING_APPROVAL:
        raise errors.BatchAlreadyDecided(f"this batch is already {batch.state}")
    return batch


def approve_batch(uow: UnitOfWork, batch_id: uuid.UUID) -> PayoutBatch:
    """A second person approves: the batch is posted and its payouts instructed."""
    batch = _decide(uow, batch_id)
    if str(uow.actor.id) == batch.created_by:
        raise errors.MakerCannotApprove("who made a batch cannot approve it: a second officer must")
    for payout in payouts_of_batch(uow.session, batch.id):
        if payout.state == PayoutState.PENDING:
            payout.state = PayoutState.INSTRUCTED.value
            payout.updated_at = utcnow()
    batch.state = BatchState.APPROVED.value
    batch.decided_by, batch.decided_at = str(uow.actor.id), utcnow()
    ledger.post(
        uow.session,
        EntryKind.PAYOUT_APPROVED,
        batch.id,
        [
            ledger.debit(ledger.account(A.DISBURSEMENTS, batch.department), batch.total),
            ledger.credit(ledger.account(A.PAYOUTS_PAYABLE, batch.department), batch.total),
        ],
    )
    uow.audit("payments.payout_batch.approved", "payout_batch", batch.id, {"total": batch.total})
    return batch


def reject_batch(uow: UnitOfWork, batch_id: uuid.UUID, reason: str) -> PayoutBatch:
    """A person of the department (its maker too) refuses the batch; nothing is paid."""
    batch = _decide(uow, batch_id)
    for payout in payouts_of_batch(uow.session, batch.id):
        if payout.state == PayoutState.PENDING:
            payout.state = PayoutState.CANCELLED.value
            payout.reason = reason[:200]
            payout.updated_at = utcnow()
    batch.state = BatchState.REJECTED.value
    batch.decided_by, batch.decided_at = str(uow.actor.id), utcnow()
    uow.audit("payments.payout_batch.rejected", "payout_batch", batch.id, {"reason": reason[:200]})
    return batch


def get_batch(session: Session, batch_id: uuid.UUID, department: str | None = None) -> PayoutBatch:
    """A batch by id (of `department`, when given), or NotFound."""
    detail = "no such payout batch"
    batch = get_or_404(
        session, PayoutBatch, batch_id, code=errors.BatchNotFound.code, detail=detail
    )
    if department is not None and batch.department != department:
        raise errors.BatchNotFound(detail)
    return batch


def list_batches(
    session: Session, department: str | None, state: BatchState | None, limit: int
) -> Sequence[PayoutBatch]:
    """Batches, newest first (of one department, in one state, when given)."""
    query = page(
        select(PayoutBatch).order_by(PayoutBatch.created_at.desc(), PayoutBatch.id), limit=limit
    )
    if department:
        query = query.where(PayoutBatch.department == department)
    if state:
        query = query.where(PayoutBatch.state == state.value)
    return session.execute(query).scalars().all()


def payouts_of_batch(session: Session, batch_id: uuid.UUID) -> Sequence[Payout]:
    """The payouts of a batch."""
    return (
        session.execute(select(Payout).where(Payout.batch_id == batch_id).order_by(Payout.id))
        .scalars()
        .all()
    )


def payouts_of_citizen(session: Session, user_id: uuid.UUID) -> list[tuple[Payout, PayoutBatch]]:
    """A citizen's payouts with their batches, newest first."""
    rows = session.execute(
        select(Payout, PayoutBatch)
        .join(PayoutBatch, PayoutBatch.id == Payout.batch_id)
        .where(Payout.user_id == user_id)
        .order_by(PayoutBatch.created_at.desc())
    ).all()
    return [(p, b) for p, b in rows]


INSTRUCTION_COLUMNS = ("payout_id", "account", "amount")
"""The columns of the instructions file for the bank."""


def export_instructions(uow: UnitOfWork, batch_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """The rows of the instructions file for the bank (payout id, full account, amount) of an
    approved batch, for an officer of its department; each export is audited."""
    batch = get_batch(uow.session, batch_id, department_shown(uow.actor))
    _check_person(uow.actor, batch.department)
    if batch.state != BatchState.APPROVED:
        raise errors.BatchNotApproved("only an approved batch goes to the bank")
    rows = [
        (str(payout.id), payout.account, payout.amount)
        for payout in payouts_of_batch(uow.session, batch_id)
        if payout.state == PayoutState.INSTRUCTED
    ]
    uow.audit("payments.payout_batch.exported", "payout_batch", batch.id, {"payouts": len(rows)})
    return rows


def record_result(uow: UnitOfWork, payout_id: uuid.UUID, paid: bool, reason: str = "") -> Payout:
    """The bank's confirmation (paid) or failure of one payout of an approved batch."""
    session = uow.session
    payout = get_or_404(
        session, Payout, payout_id, code=errors.PayoutNotFound.code, detail="no such payout"
    )
    batch = get_batch(session, payout.batch_id)
    check_department(uow.actor, batch.department)
    if batch.state != BatchState.APPROVED:
        raise errors.BatchNotApproved("this payout's batch is not approved")
    if payout.state != PayoutState.INSTRUCTED:
        raise errors.PayoutAlreadyDecided(f"this payout is already {payout.state}")
    payable = ledger.account(A.PAYOUTS_PAYABLE, batch.department)
    if paid:
        payout.state = PayoutState.PAID.value
        legs = [
            ledger.debit(payable, payout.amount),
            ledger.credit(ledger.account(A.CITY_BANK, "treasury"), payout.amount),
        ]
        kind = EntryKind.PAYOUT_PAID
    else:
        payout.state = PayoutState.FAILED.value
        legs = [
            ledger.debit(payable, payout.amount),
            ledger.credit(ledger.account(A.DISBURSEMENTS, batch.department), payout.amount),
        ]
        kind = EntryKind.PAYOUT_FAILED
    payout.reason = reason[:200]
    payout.updated_at = utcnow()
    ledger.post(session, kind, payout.id, legs)
    uow.audit("payments.payout.decided", "payout", payout.id, {"state": payout.state})
    return payout

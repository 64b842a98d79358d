"""Payouts: disbursement batches paid to citizens' bound receiving accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.errors import Conflict, InvalidInput, NotFound
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.payments import ledger, service
from smartcity.modules.payments.models import Payout, PayoutBatch
from smartcity.modules.payments.values import AccountType, EntryKind, PayoutState

A = AccountType
MAX_PAYEES = 10_000


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


def create_batch(
    uow: UnitOfWork, department: str, name: str, payees: Sequence[tuple[str, int]]
) -> PayoutBatch:
    """An officer's batch: one instruction per payee with an account, `no_account` otherwise."""
    service.check_department(uow.actor, department)
    if not payees or len(payees) > MAX_PAYEES:
        raise InvalidInput(f"a batch has 1 to {MAX_PAYEES} payees", code="invalid_batch")
    session = uow.session
    batch = PayoutBatch(id=uuid.uuid4(), department=department, name=name[:200], total=0)
    session.add(batch)
    session.flush()
    total = 0
    for citizen_id, amount in payees:
        if amount <= 0:
            raise InvalidInput("each payout is a positive amount", code="invalid_amount")
        try:
            user = identity.get_user(session, citizen_id)
        except NotFound:
            raise InvalidInput(f"no citizen {citizen_id[:40]}", code="unknown_citizen") from None
        account = receiving_account(session, user.id)
        state = PayoutState.INSTRUCTED if account else PayoutState.NO_ACCOUNT
        session.add(
            Payout(
                batch_id=batch.id,
                user_id=user.id,
                amount=amount,
                account=account or "",
                state=state.value,
                reason="" if account else "no verified receiving account",
            )
        )
        if account:
            total += amount
    batch.total = total
    session.flush()
    ledger.post(
        session,
        EntryKind.PAYOUT_APPROVED,
        batch.id,
        [
            ledger.debit(ledger.account(A.DISBURSEMENTS, department), total),
            ledger.credit(ledger.account(A.PAYOUTS_PAYABLE, department), total),
        ],
    )
    uow.audit(
        "payments.payout_batch.created",
        "payout_batch",
        batch.id,
        {"department": department, "payees": len(payees), "total": total},
    )
    return batch


def get_batch(session: Session, batch_id: uuid.UUID) -> PayoutBatch:
    """A batch by id, or NotFound."""
    batch = session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("no such payout batch", code="unknown_batch")
    return batch


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


def instructions(session: Session, batch_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """The rows of the instructions file for the bank: payout id, account, amount."""
    return [
        (str(payout.id), payout.account, payout.amount)
        for payout in payouts_of_batch(session, batch_id)
        if payout.state == PayoutState.INSTRUCTED
    ]


def record_result(uow: UnitOfWork, payout_id: uuid.UUID, paid: bool, reason: str = "") -> Payout:
    """The bank's confirmation (paid) or failure of one payout; posts the ledger."""
    session = uow.session
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound("no such payout", code="unknown_payout")
    batch = get_batch(session, payout.batch_id)
    service.check_department(uow.actor, batch.department)
    if payout.state != PayoutState.INSTRUCTED:
        raise Conflict(f"this payout is already {payout.state}", code="payout_decided")
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

"""What a citizen's bill page shows once they have paid: receipt numbers and payments on the way.

A receipt is numbered by its bill's write-off number and its place among the bill's payments
(`<write-off number>-<n>`), so numbering a payment writes nothing on the payment path (ADR 22).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.modules.payments.models import Payment, SandboxIntent
from smartcity.modules.payments.values import IntentState


def receipt_numbers(session: Session, bill_id: uuid.UUID, reference: str) -> dict[uuid.UUID, str]:
    """Each payment of a bill → its receipt number, in the order the platform recorded them."""
    ordered = session.scalars(
        select(Payment.id)
        .where(Payment.bill_id == bill_id)
        .order_by(Payment.recorded_at, Payment.id)
    )
    return {payment_id: f"{reference}-{n:02d}" for n, payment_id in enumerate(ordered, 1)}


def payment_on_the_way(session: Session, bill_id: uuid.UUID) -> bool:
    """Whether the payer confirmed at the sandbox and its payment is not recorded yet: the
    callback is pending, or delivered and its payment still being recorded (a separate
    transaction, sandbox.accept_callback)."""
    intents = session.scalars(
        select(SandboxIntent.id).where(
            SandboxIntent.bill_id == bill_id,
            SandboxIntent.state.in_((IntentState.PENDING.value, IntentState.DELIVERED.value)),
        )
    ).all()
    if not intents:
        return False
    expected = {sandbox_txn_id(intent) for intent in intents}
    recorded = set(
        session.scalars(
            select(Payment.provider_txn_id).where(
                Payment.bill_id == bill_id, Payment.provider_txn_id.in_(expected)
            )
        )
    )
    return bool(expected - recorded)


def sandbox_txn_id(intent_id: uuid.UUID) -> str:
    """The provider's transaction id the sandbox's payment for an intent is recorded under."""
    return f"sbx_{intent_id.hex}"

"""Turning rows into response bodies (shared by the API and the pages)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from smartcity.modules.identity.values import mask_bank_account
from smartcity.modules.payments import codes, payouts, service
from smartcity.modules.payments.models import Bill, Item, Payment, Payout, PayoutBatch, Refund
from smartcity.modules.payments.schemas import (
    BatchOut,
    BatchSummary,
    BillOut,
    ItemOut,
    PayerOut,
    PaymentOut,
    PayoutOut,
    RefundOut,
)
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import ItemKind


def item_out(item: Item) -> ItemOut:
    """A catalogue item."""
    return ItemOut(
        code=item.code,
        name=item.name,
        name_en=item.name_en,
        kind=ItemKind(item.kind),
        department=item.department,
        amount_rule=item.amount_rule,
        amount=item.amount,
        channels=list(item.channels),
        refundable=item.refundable,
        partial_allowed=item.partial_allowed,
        write_off_rule=item.write_off_rule,
        autopay=item.autopay,
        max_amount=item.max_amount,
    )


def bill_out(
    session: Session, bill: Bill, settings: PaymentsSettings, item: Item | None = None
) -> BillOut:
    """A bill with its barcode, virtual account and TWQR URI (its item read unless given)."""
    item = item or session.get(Item, bill.item_code)
    barcode = service.barcode_of(bill, settings)
    outstanding = max(bill.amount - bill.paid_amount, 0)
    return BillOut(
        id=bill.id,
        reference=bill.write_off_number,
        barcode=barcode.segments,
        virtual_account=bill.virtual_account,
        twqr=codes.twqr_uri(
            settings.payee_name,
            bill.write_off_number,
            # What is left to pay: a scanned code is paid as it is.
            outstanding or bill.amount,
            bill.due_date,
            item_name=item.name if item else "",
            verification_code=settings.twqr_verification_code,
            acquirer=settings.twqr_acquirer,
        ),
        status=bill.status,
        item_code=bill.item_code,
        item_name=item.name if item else bill.item_code,
        department=bill.department,
        amount=bill.amount,
        paid_amount=bill.paid_amount,
        outstanding=outstanding,
        due_date=bill.due_date,
        payer=PayerOut(kind=bill.payer_kind, value=bill.payer_value),
        description=bill.description,
        channels=list(item.channels) if item else [],
        created_at=bill.created_at,
        paid_at=bill.paid_at,
        written_off_at=bill.written_off_at,
    )


def payment_out(session: Session, payment: Payment, bill: Bill) -> PaymentOut:
    """A payment."""
    return payments_out(session, [(payment, bill)])[0]


def payments_out(session: Session, rows: Sequence[tuple[Payment, Bill]]) -> list[PaymentOut]:
    """Payments with their bills, their settled status read in one query."""
    done = service.settled_ids(session, [payment for payment, _bill in rows])
    return [
        PaymentOut.model_validate(service.payment_view(p, b, settled=p.id in done)) for p, b in rows
    ]


def refund_out(refund: Refund) -> RefundOut:
    """A refund."""
    return RefundOut(
        id=refund.id,
        payment_id=refund.payment_id,
        amount=refund.amount,
        reason=refund.reason,
        state=refund.state,
        created_at=refund.created_at,
    )


def payout_out(payout: Payout, batch: PayoutBatch | None = None) -> PayoutOut:
    """A payout, its account masked (only the bank's instructions file carries it whole)."""
    return PayoutOut(
        id=payout.id,
        batch_id=payout.batch_id,
        batch_name=batch.name if batch else "",
        amount=payout.amount,
        account=mask_bank_account(payout.account),
        state=payout.state,
        reason=payout.reason,
    )


def batch_summary(batch: PayoutBatch) -> BatchSummary:
    """A payout batch without its payouts."""
    return BatchSummary(
        id=batch.id,
        department=batch.department,
        name=batch.name,
        purpose=batch.purpose,
        state=batch.state,
        total=batch.total,
        created_by=batch.created_by,
        created_at=batch.created_at,
        decided_by=batch.decided_by,
        decided_at=batch.decided_at,
    )


def batch_out(session: Session, batch: PayoutBatch) -> BatchOut:
    """A payout batch with its payouts."""
    return BatchOut(
        **batch_summary(batch).model_dump(),
        payouts=[payout_out(p) for p in payouts.payouts_of_batch(session, batch.id)],
    )

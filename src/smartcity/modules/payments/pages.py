"""payments' citizen pages: the e-ledger, the sandbox's hosted page, receipts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import smartcity.modules.identity.service as identity
from smartcity.core.errors import NotFound
from smartcity.core.http import PageContext, page_access
from smartcity.core.platform import Platform
from smartcity.modules.payments import (
    codes,
    payouts,
    receipts,
    rules,
    sandbox,
    service,
)
from smartcity.modules.payments.values import BillState
from smartcity.modules.payments.views import bill_out, payout_out

Citizen = Annotated[PageContext, Depends(page_access(rules.CITIZENS))]


def _deliver_later(platform: Platform, delay_seconds: float) -> None:
    import time

    time.sleep(delay_seconds)
    sandbox.deliver_pending(platform)


def build_router() -> APIRouter:
    """payments' page routes."""
    router = APIRouter(include_in_schema=False)

    # -- citizens ----------------------------------------------------------------------

    @router.get("/me/payments", response_class=HTMLResponse)
    def e_ledger(ctx: Citizen) -> Response:
        settings = service.settings_of(ctx.platform)
        user_id = uuid.UUID(str(ctx.principal.id))
        with ctx.read() as session:
            bills = service.bills_of_citizen(session, user_id)
            rows = []
            for bill in bills:
                paid = service.payments_of_bill(session, bill.id)
                refunds = service.refunds_of(session, [p.id for p in paid])
                rows.append((bill_out(session, bill, settings), paid, refunds))
            my_payouts = [
                (payout_out(p, b), b) for p, b in payouts.payouts_of_citizen(session, user_id)
            ]
            names = identity.organisation_names(
                session, [p.provider for _bill, paid, _refunds in rows for p in paid], ctx.locale
            )
            return ctx.render("payments/ledger.html", rows=rows, payouts=my_payouts, names=names)

    @router.get("/me/payments/bills/{bill_id}", response_class=HTMLResponse)
    def my_bill(ctx: Citizen, bill_id: uuid.UUID) -> Response:
        return _bill_page(ctx, bill_id)

    @router.get("/payments/sandbox/{bill_id}", response_class=HTMLResponse)
    def hosted_page(ctx: Citizen, bill_id: uuid.UUID) -> Response:
        with ctx.read() as session:
            bill = service.get_bill(session, bill_id)
            service.check_can_see(session, ctx.principal, bill)
            view = bill_out(session, bill, service.settings_of(ctx.platform))
        return ctx.render("payments/sandbox.html", bill=view)

    @router.post("/payments/sandbox/{bill_id}", response_class=HTMLResponse)
    def hosted_pay(ctx: Citizen, bill_id: uuid.UUID, background: BackgroundTasks) -> Response:
        with ctx.write() as uow:
            intent = sandbox.start(uow, ctx.platform, bill_id)
            delay = max((intent.deliver_after - intent.created_at).total_seconds(), 0)
        # Like a real provider, the result arrives later as a signed callback.
        background.add_task(_deliver_later, ctx.platform, delay)
        return RedirectResponse(f"/me/payments/bills/{bill_id}?pending=1", status_code=303)

    @router.get("/me/payments/receipts/{payment_id}", response_class=HTMLResponse)
    def receipt(ctx: Citizen, payment_id: uuid.UUID) -> Response:
        with ctx.read() as session:
            payment = service.get_payment(session, payment_id)
            bill = service.get_bill(session, payment.bill_id)
            try:
                service.check_can_see(session, ctx.principal, bill)
            except NotFound:
                raise NotFound("no such receipt", code="unknown_payment") from None
            view = bill_out(session, bill, service.settings_of(ctx.platform))
            refunds = service.refunds_of(session, [payment.id])
            numbers = receipts.receipt_numbers(session, bill.id, bill.write_off_number)
            names = identity.organisation_names(
                session, [bill.department, payment.provider], ctx.locale
            )
        return ctx.render(
            "payments/receipt.html",
            payment=payment,
            bill=view,
            refunds=refunds,
            number=numbers[payment.id],
            names=names,
        )

    def _bill_page(ctx: PageContext, bill_id: uuid.UUID) -> Response:
        settings = service.settings_of(ctx.platform)
        with ctx.read() as session:
            bill = service.get_bill(session, bill_id)
            service.check_can_see(session, ctx.principal, bill)
            view = bill_out(session, bill, settings)
            paid = service.payments_of_bill(session, bill.id)
            numbers = receipts.receipt_numbers(session, bill.id, bill.write_off_number)
            on_the_way = receipts.payment_on_the_way(session, bill.id)
            names = identity.organisation_names(
                session, [view.department, *(p.provider for p in paid)], ctx.locale
            )
        payable = view.status == BillState.OPEN and not on_the_way
        return ctx.render(
            "payments/bill.html",
            bill=view,
            payments=paid,
            receipt_numbers=numbers,
            names=names,
            payable=payable,
            on_the_way=on_the_way,
            barcodes=[codes.code39_drawing(segment) for segment in view.barcode] if payable else [],
            twqr_code=codes.twqr_drawing(view.twqr) if payable else None,
            just_paid=ctx.request.query_params.get("pending") == "1",
        )

    return router

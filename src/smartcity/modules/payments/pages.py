"""payments' pages: the citizen's e-ledger, the sandbox's hosted page, the department console."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Role
from smartcity.core.csvfile import CSVResponse
from smartcity.core.errors import NotFound
from smartcity.core.http import PageContext, page_access
from smartcity.core.platform import Platform
from smartcity.core.time import CivilDate, local_today
from smartcity.modules.payments import (
    codes,
    ledger,
    payouts,
    receipts,
    reconciliation,
    rules,
    sandbox,
    service,
    states,
)
from smartcity.modules.payments.values import BillState
from smartcity.modules.payments.views import bill_out, payout_out
from smartcity.web import charts

Citizen = Annotated[PageContext, Depends(page_access(rules.CITIZENS))]
Staff = Annotated[PageContext, Depends(page_access(rules.STAFF))]


def _department(ctx: PageContext) -> str | None:
    return ctx.principal.department if ctx.principal.role == Role.OFFICER else None


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

    # -- the department console -------------------------------------------------------------

    @router.get("/staff/payments", response_class=HTMLResponse)
    def console(
        ctx: Staff,
        start: Annotated[CivilDate | None, Query()] = None,
        end: Annotated[CivilDate | None, Query()] = None,
    ) -> Response:
        department = _department(ctx)
        last = end or local_today()
        first = start or last - timedelta(days=13)
        if first > last or (last - first).days > 366:
            first = last - timedelta(days=13)
        with ctx.read() as session:
            flow = service.money_flow(session, department, first, last)
            counts = service.count_bills(session, department)
            open_exceptions = len(service.exception_queue(session, department))
            report = ledger.check(session) if ctx.principal.role == Role.ADMIN else None
        per_day: dict[date, int] = {}
        for row in flow:
            day = date.fromisoformat(row["day"])
            per_day[day] = per_day.get(day, 0) + row["collected"]
        chart = charts.daily_bars(
            per_day,
            start=first,
            end=last,
            title=ctx._("Money collected"),
            unit="NTD",
            name=ctx._("Collected"),
            empty=ctx._("No payments in this period."),
        )
        return ctx.render(
            "payments/console.html",
            department=department,
            flow=flow,
            counts=counts,
            open_exceptions=open_exceptions,
            chart=chart,
            first=first,
            last=last,
            ledger_report=report,
            dot=states.as_dot(),
        )

    @router.get("/staff/payments/items", response_class=HTMLResponse)
    def console_items(ctx: Staff) -> Response:
        with ctx.read() as session:
            items = service.list_items(session, _department(ctx))
        return ctx.render("payments/items.html", items=items)

    @router.get("/staff/payments/bills", response_class=HTMLResponse)
    def console_bills(
        ctx: Staff, status: Annotated[str | None, Query(max_length=16)] = None
    ) -> Response:
        from sqlalchemy import select

        from smartcity.modules.payments.models import Bill

        department = _department(ctx)
        with ctx.read() as session:
            query = select(Bill).order_by(Bill.created_at.desc()).limit(200)
            if department:
                query = query.where(Bill.department == department)
            if status:
                query = query.where(Bill.status == status)
            bills = session.execute(query).scalars().all()
        return ctx.render("payments/bills.html", bills=bills, status=status or "")

    @router.get("/staff/payments/bills/{bill_id}", response_class=HTMLResponse)
    def console_bill(ctx: Staff, bill_id: uuid.UUID) -> Response:
        return _bill_page(ctx, bill_id)

    @router.get("/staff/payments/payments", response_class=HTMLResponse)
    def console_payments(ctx: Staff) -> Response:
        from sqlalchemy import select

        from smartcity.modules.payments.models import Bill, Payment

        department = _department(ctx)
        with ctx.read() as session:
            query = (
                select(Payment, Bill)
                .join(Bill, Bill.id == Payment.bill_id)
                .order_by(Payment.recorded_at.desc())
                .limit(200)
            )
            if department:
                query = query.where(Bill.department == department)
            rows = session.execute(query).all()
        return ctx.render("payments/payments.html", rows=rows)

    @router.get("/staff/payments/exceptions", response_class=HTMLResponse)
    def console_exceptions(ctx: Staff) -> Response:
        with ctx.read() as session:
            rows = service.exception_queue(session, _department(ctx))
        return ctx.render("payments/exceptions.html", rows=rows)

    @router.get("/staff/payments/reconciliation", response_class=HTMLResponse)
    def console_reconciliation(ctx: Staff, day: Annotated[date | None, Query()] = None) -> Response:
        chosen = day or local_today()
        with ctx.read() as session:
            rows = reconciliation.daily_report(session, chosen, _department(ctx))
        return ctx.render("payments/reconciliation.html", rows=rows, day=chosen)

    @router.get("/staff/payments/reconciliation.csv", response_class=CSVResponse)
    def console_reconciliation_csv(
        ctx: Staff, day: Annotated[date | None, Query()] = None
    ) -> Response:
        chosen = day or local_today()
        with ctx.read() as session:
            rows = reconciliation.daily_report(session, chosen, _department(ctx))
        return CSVResponse(
            reconciliation.REPORT_COLUMNS, rows, filename=f"reconciliation-{chosen}.csv"
        )

    @router.get("/staff/payments/settlements", response_class=HTMLResponse)
    def console_settlements(ctx: Staff) -> Response:
        with ctx.read() as session:
            settlements = reconciliation.list_settlements(session)
        return ctx.render("payments/settlements.html", settlements=settlements)

    @router.get("/staff/payments/settlements/{settlement_id}", response_class=HTMLResponse)
    def console_settlement(ctx: Staff, settlement_id: uuid.UUID) -> Response:
        with ctx.read() as session:
            settlement = reconciliation.get_settlement(session, settlement_id)
            by_day, findings = reconciliation.settlement_report(
                session, settlement, _department(ctx)
            )
        return ctx.render(
            "payments/settlement.html", settlement=settlement, by_day=by_day, findings=findings
        )

    return router

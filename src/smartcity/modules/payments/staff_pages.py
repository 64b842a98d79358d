"""payments' department console: what officers and administrators do in the browser.

Each form calls the same service functions as the API; a refusal re-renders the page with the
reason in the person's language and the problem's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Role
from smartcity.core.csvfile import CSVResponse
from smartcity.core.departments import own_department
from smartcity.core.errors import DomainError, InvalidInput
from smartcity.core.http import PageContext, page_access
from smartcity.core.time import CivilDate, local_today
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import UserView
from smartcity.modules.payments import console as lists
from smartcity.modules.payments import (
    ledger,
    payouts,
    reconciliation,
    rules,
    service,
    states,
)
from smartcity.modules.payments.auth import FindingId
from smartcity.modules.payments.bills import BILL_CSV_HEADER
from smartcity.modules.payments.models import SettlementLine
from smartcity.modules.payments.values import (
    UNRESOLVED_OUTCOMES,
    BatchState,
    BillState,
    ImportState,
    SettlementFormat,
)
from smartcity.modules.payments.views import bill_out, payout_out
from smartcity.web import charts

StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""Department officers (their department's objects) and administrators."""
SettlerPage = Annotated[PageContext, Depends(page_access(rules.SETTLERS))]
"""Administrators, who receive settlement files for every department."""

NATIONAL_ID = "national_id"
"""The issue form's payer kind for a citizen named by national ID."""

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """The console's page routes."""
    return router


def _redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


@router.get("/staff/payments", response_class=HTMLResponse)
def console(
    ctx: StaffPage,
    start: Annotated[CivilDate | None, Query()] = None,
    end: Annotated[CivilDate | None, Query()] = None,
) -> Response:
    department = own_department(ctx.principal)
    last = end or local_today()
    first = start or last - timedelta(days=13)
    if first > last or (last - first).days > 366:
        first = last - timedelta(days=13)
    with ctx.read() as session:
        flow = service.money_flow(session, department, first, last)
        counts = service.count_bills(session, department)
        open_exceptions = len(service.exception_queue(session, department))
        report = ledger.check(session) if ctx.principal.role == Role.ADMIN else None
        names = identity.organisation_names(session, [department], ctx.locale)
        item_names = {item.code: item.name for item in service.list_items(session, department)}
    per_day: dict[date, int] = {}
    for row in flow:
        day = date.fromisoformat(row["day"])
        per_day[day] = per_day.get(day, 0) + row["collected"]
    chart = charts.daily_bars(
        per_day,
        start=first,
        end=last,
        title=ctx._("Money collected"),
        unit=ctx._("NTD"),
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
        department_name=names.get(department or "", ""),
        item_names=item_names,
    )


@router.get("/staff/payments/items", response_class=HTMLResponse)
def console_items(ctx: StaffPage) -> Response:
    with ctx.read() as session:
        items = service.list_items(session, own_department(ctx.principal))
        names = identity.organisation_names(session, [i.department for i in items], ctx.locale)
    return ctx.render("payments/items.html", items=items, names=names)


# -- bills ---------------------------------------------------------------------------------


def _bills_page(
    ctx: PageContext,
    status: str = "",
    error: str = "",
    code: int = 200,
    sent: dict[str, str] | None = None,
) -> Response:
    with ctx.read() as session:
        bills = lists.bills(session, ctx.principal, status or None)
        items = service.list_items(session, own_department(ctx.principal))
        imports = service.recent_imports(session, ctx.principal)
    return ctx.render(
        "payments/bills.html",
        status_code=code,
        bills=bills,
        status=status,
        states=list(BillState),
        items=items,
        item_names={item.code: item.name for item in items},
        imports=imports,
        error=error,
        sent=sent or {},
        default_due=local_today() + timedelta(days=30),
    )


@router.get("/staff/payments/bills", response_class=HTMLResponse)
def console_bills(ctx: StaffPage, status: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _bills_page(ctx, status)


@router.post("/staff/payments/bills", response_class=HTMLResponse)
def issue_bill(
    ctx: StaffPage,
    item_code: Annotated[str, Form(max_length=32)] = "",
    amount: Annotated[str, Form(max_length=12)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
    payer_kind: Annotated[str, Form(max_length=16)] = NATIONAL_ID,
    payer_value: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    sent = {
        "item_code": item_code,
        "amount": amount,
        "due_date": due_date,
        "payer_kind": payer_kind,
        "payer_value": payer_value,
        "description": description,
    }
    try:
        due = _form_date(due_date)
        with ctx.write() as uow:
            bill = service.issue_bill(
                uow,
                service.settings_of(ctx.platform),
                item_code=item_code,
                amount=_form_amount(amount),
                due_date=due,
                payer=_payer(ctx, uow.session, payer_kind, payer_value.strip()),
                description=description,
            )
            bill_id = bill.id
    except DomainError as exc:
        return _bills_page(ctx, error=ctx._(exc.detail), code=exc.status, sent=sent)
    return _redirect(f"/staff/payments/bills/{bill_id}")


@router.post("/staff/payments/bills/import", response_class=HTMLResponse)
async def import_bills(ctx: StaffPage, file: UploadFile) -> Response:
    # The platform's body limit (SMARTCITY_MAX_BODY_BYTES) has already bounded the upload; the
    # job worker issues the lines, and the import's page follows it.
    data = await file.read()
    try:
        started = service.retrying_twins(
            ctx.platform,
            ctx.principal,
            None,
            lambda uow: service.start_import(uow, file.filename or "", data)[0].id,
            attempts=2,
            busy="this file is being imported; open it from the bills page",
        )
    except DomainError as exc:
        return _bills_page(ctx, error=ctx._(exc.detail), code=exc.status)
    return _redirect(f"/staff/payments/imports/{started}")


@router.get("/staff/payments/imports/sample.csv", response_class=CSVResponse)
def import_sample(ctx: StaffPage) -> Response:
    """A file of the import's shape with the caller's own fee items, to start from."""
    with ctx.read() as session:
        items = service.list_items(session, own_department(ctx.principal))
    due = (local_today() + timedelta(days=30)).isoformat()
    payers = [("plate", "ABC-1234"), ("account_number", "2-13-045678-9")]
    rows = [
        {
            "item_code": item.code,
            "amount": item.amount or 100,
            "due_date": due,
            "payer_kind": payers[index % len(payers)][0],
            "payer_value": payers[index % len(payers)][1],
            "description": item.name,
        }
        for index, item in enumerate(items[:3])
    ]
    return CSVResponse((*BILL_CSV_HEADER, "description"), rows, filename="bills-sample.csv")


def _import_page(ctx: PageContext, import_id: uuid.UUID) -> Response:
    with ctx.read() as session:
        found = service.get_import(session, ctx.principal, import_id)
    return ctx.render("payments/import.html", found=found, done=found.state == ImportState.DONE)


@router.get("/staff/payments/imports/{import_id}", response_class=HTMLResponse)
def console_import(ctx: StaffPage, import_id: uuid.UUID) -> Response:
    return _import_page(ctx, import_id)


def _payer(ctx: PageContext, session: Session, kind: str, value: str) -> dict[str, str]:
    """The bill's payer field; officers name a citizen by national ID, the API by their id."""
    if kind != NATIONAL_ID:
        return {kind: value}
    citizen = identity.find_citizen(session, ctx.platform.keys, value)
    if citizen is None:
        raise InvalidInput("no citizen has this national ID", code="unknown_citizen")
    return {"citizen_id": str(citizen.id)}


def _form_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("give the due date as YYYY-MM-DD", code="invalid_date") from None


def _form_amount(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        amount = int(value.strip())
    except ValueError:
        raise InvalidInput("an amount is whole NTD", code="invalid_amount") from None
    if not 0 < amount <= 999_999_999:
        raise InvalidInput("an amount is whole NTD", code="invalid_amount")
    return amount


def _bill_page(ctx: PageContext, bill_id: uuid.UUID, error: str = "", code: int = 200) -> Response:
    settings = service.settings_of(ctx.platform)
    with ctx.read() as session:
        bill = service.get_bill(session, bill_id)
        service.check_can_see(session, ctx.principal, bill)
        view = bill_out(session, bill, settings)
        paid = service.payments_of_bill(session, bill.id)
        refunds = service.refunds_of(session, [p.id for p in paid])
        department = identity.get_organisation(session, view.department)
        names = identity.organisation_names(session, [p.provider for p in paid], ctx.locale)
    return ctx.render(
        "payments/staff_bill.html",
        status_code=code,
        bill=view,
        department=department,
        payments=paid,
        refunds=refunds,
        names=names,
        cancellable=states.can_move(view.status, BillState.CANCELLED),
        error=error,
    )


@router.get("/staff/payments/bills/{bill_id}", response_class=HTMLResponse)
def console_bill(ctx: StaffPage, bill_id: uuid.UUID) -> Response:
    return _bill_page(ctx, bill_id)


@router.post("/staff/payments/bills/{bill_id}/cancel", response_class=HTMLResponse)
def cancel_bill(
    ctx: StaffPage, bill_id: uuid.UUID, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    try:
        with ctx.write() as uow:
            service.cancel_bill(uow, bill_id, reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _bill_page(ctx, bill_id, ctx._(exc.detail), exc.status)
    return _redirect(f"/staff/payments/bills/{bill_id}")


# -- payments, refunds and the exception queue ----------------------------------------------


@router.get("/staff/payments/payments", response_class=HTMLResponse)
def console_payments(ctx: StaffPage) -> Response:
    with ctx.read() as session:
        rows = lists.payments(session, ctx.principal)
        names = identity.organisation_names(session, [p.provider for p, _bill in rows], ctx.locale)
    return ctx.render("payments/payments.html", rows=rows, names=names)


@router.post("/staff/payments/payments/{payment_id}/refund", response_class=HTMLResponse)
def refund(
    ctx: StaffPage,
    payment_id: uuid.UUID,
    amount: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=16)] = "bill",
) -> Response:
    with ctx.read() as session:
        bill_id = service.get_payment(session, payment_id).bill_id
    try:
        with ctx.write() as uow:
            service.refund_payment(uow, payment_id, _form_amount(amount), reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        if back == "exceptions":
            return _exceptions_page(ctx, ctx._(exc.detail), exc.status)
        return _bill_page(ctx, bill_id, ctx._(exc.detail), exc.status)
    if back == "exceptions":
        return _redirect("/staff/payments/exceptions")
    return _redirect(f"/staff/payments/bills/{bill_id}")


def _officers(session: Session, departments: Iterable[str]) -> dict[str, list[UserView]]:
    """Whom work of each department may be assigned to."""
    return {code: identity.officers_of(session, code) for code in set(departments) if code}


def _people(officers: dict[str, list[UserView]]) -> dict[str, str]:
    """Officers' names by id, for 'assigned to'."""
    return {str(o.id): o.name for group in officers.values() for o in group}


def _exceptions_page(ctx: PageContext, error: str = "", code: int = 200) -> Response:
    with ctx.read() as session:
        rows = service.exception_queue(session, own_department(ctx.principal))
        officers = _officers(session, (bill.department for _payment, bill in rows))
        names = identity.organisation_names(
            session,
            [code for payment, bill in rows for code in (payment.provider, bill.department)],
            ctx.locale,
        )
    return ctx.render(
        "payments/exceptions.html",
        status_code=code,
        rows=[(payment, bill, service.owed_back(payment)) for payment, bill in rows],
        officers=officers,
        people=_people(officers),
        names=names,
        error=error,
    )


@router.get("/staff/payments/exceptions", response_class=HTMLResponse)
def console_exceptions(ctx: StaffPage) -> Response:
    return _exceptions_page(ctx)


def _exception_action(ctx: PageContext, action: Callable[[UnitOfWork], object]) -> Response:
    """Run one exception action in its own transaction: back to the queue, or the queue with
    the reason it was refused."""
    try:
        with ctx.write() as uow:
            action(uow)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _exceptions_page(ctx, ctx._(exc.detail), exc.status)
    return _redirect("/staff/payments/exceptions")


@router.post("/staff/payments/exceptions/{payment_id}/resolve", response_class=HTMLResponse)
def resolve_exception(
    ctx: StaffPage, payment_id: uuid.UUID, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    if not note.strip():
        return _exceptions_page(ctx, ctx._("say why it is closed without a refund"), 422)
    return _exception_action(
        ctx, lambda uow: service.resolve_exception(uow, payment_id, note.strip())
    )


@router.post("/staff/payments/exceptions/{payment_id}/repost", response_class=HTMLResponse)
def repost_exception(
    ctx: StaffPage,
    payment_id: uuid.UUID,
    reference: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _exception_action(
        ctx, lambda uow: service.repost_payment(uow, payment_id, reference, reason)
    )


@router.post("/staff/payments/exceptions/{payment_id}/assign", response_class=HTMLResponse)
def assign_exception(
    ctx: StaffPage,
    payment_id: uuid.UUID,
    officer_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _exception_action(
        ctx, lambda uow: service.assign_exception(uow, payment_id, officer_id, reason)
    )


# -- reconciliation and settlement files ------------------------------------------------------


@router.get("/staff/payments/reconciliation", response_class=HTMLResponse)
def console_reconciliation(ctx: StaffPage, day: Annotated[date | None, Query()] = None) -> Response:
    chosen = day or local_today()
    with ctx.read() as session:
        rows = reconciliation.daily_report(session, chosen, own_department(ctx.principal))
        names = identity.organisation_names(
            session, [str(row["department"]) for row in rows], ctx.locale
        )
    return ctx.render("payments/reconciliation.html", rows=rows, day=chosen, names=names)


@router.get("/staff/payments/reconciliation.csv", response_class=CSVResponse)
def console_reconciliation_csv(
    ctx: StaffPage, day: Annotated[date | None, Query()] = None
) -> Response:
    chosen = day or local_today()
    with ctx.read() as session:
        rows = reconciliation.daily_report(session, chosen, own_department(ctx.principal))
    return CSVResponse(reconciliation.REPORT_COLUMNS, rows, filename=f"reconciliation-{chosen}.csv")


def _settlements_page(ctx: PageContext, error: str = "", code: int = 200) -> Response:
    with ctx.read() as session:
        settlements = [
            (settlement, lists.settlement_findings(ctx.principal, settlement))
            for settlement in reconciliation.list_settlements(session)
        ]
        providers = lists.provider_codes(session) if ctx.principal.role == Role.ADMIN else []
        names = identity.organisation_names(
            session, [*providers, *(s.provider for s, _counts in settlements)], ctx.locale
        )
    return ctx.render(
        "payments/settlements.html",
        status_code=code,
        settlements=settlements,
        providers=providers,
        names=names,
        formats=list(SettlementFormat),
        error=error,
    )


@router.get("/staff/payments/settlements", response_class=HTMLResponse)
def console_settlements(ctx: StaffPage) -> Response:
    return _settlements_page(ctx)


@router.post("/staff/payments/settlements", response_class=HTMLResponse)
async def upload_settlement(
    ctx: SettlerPage,
    file: UploadFile,
    provider: Annotated[str, Form(max_length=32)] = "",
    format: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    # The platform's body limit (SMARTCITY_MAX_BODY_BYTES) has already bounded the upload.
    data = await file.read()
    try:
        if not data:
            raise InvalidInput("choose a settlement file", code="empty_file")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the file must be UTF-8 text", code="invalid_encoding") from None
        if not provider:
            raise InvalidInput("name the provider", code="provider_required")
        chosen = SettlementFormat(format) if format in set(SettlementFormat) else None
        with ctx.write() as uow:
            if provider not in lists.provider_codes(uow.session):
                raise InvalidInput("no provider has this code", code="unknown_provider")
            settlement_id = reconciliation.reconcile(uow, provider, data, chosen).id
    except DomainError as exc:
        return _settlements_page(ctx, ctx._(exc.detail), exc.status)
    return _redirect(f"/staff/payments/settlements/{settlement_id}")


def _settlement_page(
    ctx: PageContext, settlement_id: uuid.UUID, error: str = "", code: int = 200
) -> Response:
    with ctx.read() as session:
        settlement = reconciliation.get_settlement(session, settlement_id)
        by_day, findings = reconciliation.settlement_report(
            session, settlement, own_department(ctx.principal)
        )
        officers = _officers(session, (f["department"] for f in findings))
        names = identity.organisation_names(
            session,
            [settlement.provider, *(row.get("department") for row in by_day)]
            + [f["department"] for f in findings],
            ctx.locale,
        )
    return ctx.render(
        "payments/settlement.html",
        status_code=code,
        settlement=settlement,
        by_day=by_day,
        findings=findings,
        open_outcomes={o.value for o in UNRESOLVED_OUTCOMES},
        correctable={o.value for o in reconciliation.CORRECTABLE},
        officers=officers,
        people=_people(officers),
        names=names,
        error=error,
    )


@router.get("/staff/payments/settlements/{settlement_id}", response_class=HTMLResponse)
def console_settlement(ctx: StaffPage, settlement_id: uuid.UUID) -> Response:
    return _settlement_page(ctx, settlement_id)


def _finding_action(
    ctx: PageContext, finding_id: int, action: Callable[[UnitOfWork], SettlementLine]
) -> Response:
    """Run one finding action in its own transaction; back to its settlement's page."""
    with ctx.read() as session:
        settlement_id = reconciliation.get_finding(session, ctx.principal, finding_id).settlement_id
    try:
        with ctx.write() as uow:
            action(uow)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _settlement_page(ctx, settlement_id, ctx._(exc.detail), exc.status)
    return _redirect(f"/staff/payments/settlements/{settlement_id}#finding-{finding_id}")


@router.post("/staff/payments/findings/{finding_id}/accept", response_class=HTMLResponse)
def accept_finding(
    ctx: StaffPage, finding_id: FindingId, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    return _finding_action(
        ctx, finding_id, lambda uow: reconciliation.accept_finding(uow, finding_id, reason)
    )


@router.post("/staff/payments/findings/{finding_id}/assign", response_class=HTMLResponse)
def assign_finding(
    ctx: StaffPage,
    finding_id: FindingId,
    officer_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _finding_action(
        ctx,
        finding_id,
        lambda uow: reconciliation.assign_finding(uow, finding_id, officer_id, reason),
    )


@router.post("/staff/payments/findings/{finding_id}/correct", response_class=HTMLResponse)
def correct_finding(
    ctx: StaffPage,
    finding_id: FindingId,
    reference: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _finding_action(
        ctx,
        finding_id,
        lambda uow: reconciliation.correct_finding(uow, finding_id, reference, reason),
    )


# -- payouts ----------------------------------------------------------------------------------


@router.get("/staff/payments/payouts", response_class=HTMLResponse)
def console_payouts(ctx: StaffPage) -> Response:
    with ctx.read() as session:
        batches = payouts.list_batches(session, own_department(ctx.principal), None, 100)
        names = identity.organisation_names(session, [b.department for b in batches], ctx.locale)
    return ctx.render("payments/payouts.html", batches=batches, names=names)


def _batch_page(
    ctx: PageContext, batch_id: uuid.UUID, error: str = "", code: int = 200
) -> Response:
    with ctx.read() as session:
        batch = payouts.get_batch(session, batch_id, own_department(ctx.principal))
        rows = [payout_out(p) for p in payouts.payouts_of_batch(session, batch.id)]
        names = identity.organisation_names(session, [batch.department], ctx.locale)
    return ctx.render(
        "payments/payout_batch.html",
        status_code=code,
        batch=batch,
        payouts=rows,
        names=names,
        deciding=batch.state == BatchState.AWAITING_APPROVAL,
        error=error,
    )


@router.get("/staff/payments/payouts/{batch_id}", response_class=HTMLResponse)
def console_batch(ctx: StaffPage, batch_id: uuid.UUID) -> Response:
    return _batch_page(ctx, batch_id)


@router.post("/staff/payments/payouts/{batch_id}/approve", response_class=HTMLResponse)
def approve_batch(ctx: StaffPage, batch_id: uuid.UUID) -> Response:
    try:
        with ctx.write() as uow:
            payouts.get_batch(uow.session, batch_id, own_department(ctx.principal))
            payouts.approve_batch(uow, batch_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _batch_page(ctx, batch_id, ctx._(exc.detail), exc.status)
    return _redirect(f"/staff/payments/payouts/{batch_id}")


@router.post("/staff/payments/payouts/{batch_id}/reject", response_class=HTMLResponse)
def reject_batch(
    ctx: StaffPage, batch_id: uuid.UUID, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    try:
        with ctx.write() as uow:
            payouts.get_batch(uow.session, batch_id, own_department(ctx.principal))
            payouts.reject_batch(uow, batch_id, reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _batch_page(ctx, batch_id, ctx._(exc.detail), exc.status)
    return _redirect(f"/staff/payments/payouts/{batch_id}")

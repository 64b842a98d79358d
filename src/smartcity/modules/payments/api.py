"""payments' JSON routes at /api/v1/payments: catalogue, bills, payments, refunds, settlements,
reports, the ledger, providers and webhooks, the citizen's e-ledger, car parks and payouts.

Each endpoint parses, opens the unit of work, calls the logic and shapes the answer; queries
live in `repository`, department scoping in `departments`, errors in `errors`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from smartcity.core.auth import Role
from smartcity.core.csvfile import CSVResponse
from smartcity.core.http import RequestContext
from smartcity.core.ratelimit import throttle
from smartcity.core.time import CivilDate, local_today
from smartcity.modules.payments import (
    autopay,
    errors,
    ledger,
    payouts,
    reconciliation,
    repository,
    rules,
    sandbox,
    service,
    webhooks,
)
from smartcity.modules.payments.auth import (
    Admin,
    BillReader,
    CarPark,
    Citizen,
    FindingId,
    Issuer,
    Open,
    PayoutExporter,
    Provider,
    Refunder,
    SettlementReader,
    Settler,
    Staff,
)
from smartcity.modules.payments.departments import (
    delivery_owner,
    department_shown,
    own_organisation,
)
from smartcity.modules.payments.models import Settlement, SettlementLine
from smartcity.modules.payments.schemas import (
    AcceptIn,
    AssignIn,
    AutopayIn,
    AutopayOut,
    BatchIn,
    BatchOut,
    BatchSummary,
    BillIn,
    BillOut,
    BulkIssued,
    CancelIn,
    CarParkIn,
    CarParkOut,
    CitizenBillOut,
    DeliveryOut,
    ExitIn,
    ExitOut,
    FindingOut,
    ItemOut,
    LedgerCheckOut,
    PaymentIn,
    PaymentOut,
    PayoutOut,
    PayoutResultIn,
    ProviderIn,
    ProviderOut,
    RefundIn,
    RefundOut,
    RejectIn,
    ReportRow,
    RepostIn,
    RepostOut,
    ResolveIn,
    SettlementOut,
    SettlementSummary,
    SubscriberIn,
    SubscriberOut,
)
from smartcity.modules.payments.values import BatchState, SettlementFormat
from smartcity.modules.payments.views import (
    batch_out,
    batch_summary,
    bill_out,
    item_out,
    payment_out,
    payments_out,
    payout_out,
    refund_out,
)

RAW_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}
IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Unique per payment; a retry with the same key and body answers 200",
    ),
]


async def _text(request: Request) -> str:
    return _utf8(await request.body()).decode("utf-8")


def _utf8(body: bytes) -> bytes:
    """`body` when it is UTF-8 text."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.NotUtf8("the file must be UTF-8 text") from None
    return body


PageSize = Annotated[int, Query(ge=1, le=500)]
"""How many rows a list route returns at most."""


def _summary(settlement: Settlement) -> dict[str, Any]:
    """A settlement file's fields, without its findings."""
    return {
        "id": settlement.id,
        "provider": settlement.provider,
        "format": settlement.format,
        "lines": settlement.lines,
        "total": settlement.total,
        "days": list(settlement.days),
        "received_at": settlement.received_at,
        "outcomes": dict(settlement.counts.get("outcomes", {})),
    }


def _citizen_id(ctx: RequestContext) -> uuid.UUID:
    return uuid.UUID(str(ctx.principal.id))


router = APIRouter(tags=["payments"])


def build_router() -> APIRouter:
    """payments' API routes (the manifest's factory)."""
    return router


# -- catalogue ------------------------------------------------------------------


@router.get("/items", response_model=list[ItemOut], summary="The public fee catalogue")
def items(
    ctx: Open,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> list[ItemOut]:
    with ctx.read() as session:
        return [item_out(i) for i in service.list_items(session, department)]


@router.get("/items/{code}", response_model=ItemOut, summary="One fee item")
def item(ctx: Open, code: str) -> ItemOut:
    with ctx.read() as session:
        return item_out(service.get_item(session, code))


# -- bills ------------------------------------------------------------------------


@router.post("/bills", response_model=BillOut, status_code=201, summary="Issue a bill")
def issue(ctx: Issuer, body: BillIn) -> BillOut:
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        bill = service.issue_bill(
            uow,
            settings,
            item_code=body.item_code,
            amount=body.amount,
            due_date=body.due_date,
            payer=body.payer.model_dump(exclude_none=True),
            description=body.description,
        )
        return bill_out(uow.session, bill, settings)


@router.post(
    "/bills/import",
    response_model=BulkIssued,
    status_code=201,
    summary="Issue bills from CSV: item_code,amount,due_date,payer_kind,payer_value",
    openapi_extra=RAW_FILE,
)
async def bulk_import(ctx: Issuer, request: Request) -> BulkIssued:
    text = await _text(request)
    rows = service.parse_bill_csv(text)
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        references = [service.issue_bill(uow, settings, **row).write_off_number for row in rows]
    return BulkIssued(issued=len(references), references=references)


@router.get("/bills", response_model=list[BillOut], summary="A department's bills")
def list_bills(
    ctx: Staff,
    status: Annotated[str | None, Query(max_length=16)] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    limit: PageSize = 100,
) -> list[BillOut]:
    settings = service.settings_of(ctx.platform)
    shown = department_shown(ctx.principal, department)
    with ctx.read() as session:
        bills = repository.list_bills(session, shown, status, limit)
        items = repository.items_of(session, bills)
        return [bill_out(session, bill, settings, items.get(bill.item_code)) for bill in bills]


@router.get(
    "/bills/{reference}",
    response_model=BillOut,
    summary="Look a bill up by write-off number (= barcode segment 2) or virtual account",
)
def lookup(ctx: BillReader, reference: str) -> BillOut:
    provider = ctx.principal.role == Role.PROVIDER
    throttle(ctx, "bill-lookup", rules.PROVIDER_LOOKUPS if provider else rules.LOOKUPS)
    with ctx.read() as session:
        bill = service.find_bill(session, reference[:40])
        service.check_can_see(session, ctx.principal, bill)
        return bill_out(session, bill, service.settings_of(ctx.platform))


@router.post("/bills/{bill_id}/cancel", response_model=BillOut, summary="Cancel a bill")
def cancel(
    ctx: Issuer,
    bill_id: uuid.UUID,
    body: CancelIn,
) -> BillOut:
    with ctx.write() as uow:
        bill = service.cancel_bill(uow, bill_id, body.reason)
        return bill_out(uow.session, bill, service.settings_of(ctx.platform))


# -- payments ------------------------------------------------------------------------


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Record a collected payment (201 new; 200 replay; 409 key reused)",
    responses={200: {"description": "A replay of an earlier request with this key"}},
)
def pay(
    ctx: Provider,
    body: PaymentIn,
    idempotency_key: IdempotencyKeyHeader,
    response: Response,
) -> PaymentOut:
    provider = ctx.principal.organisation
    if not provider:
        raise errors.NotAProvider("this key belongs to no provider")
    view, created = service.record_payment_retrying(
        ctx.platform,
        ctx.principal,
        ctx.request_id,
        provider,
        service.PaymentRequest(
            reference=body.reference,
            amount=body.amount,
            channel=body.channel.value,
            provider_txn_id=body.provider_txn_id,
            paid_at=body.paid_at,
        ),
        idempotency_key,
    )
    response.status_code = 201 if created else 200
    return PaymentOut.model_validate(view)


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment")
def read_payment(
    ctx: Refunder,
    payment_id: uuid.UUID,
) -> PaymentOut:
    with ctx.read() as session:
        payment, bill = repository.visible_payment(session, ctx.principal, payment_id)
        return payment_out(session, payment, bill)


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundOut,
    status_code=201,
    summary="Refund (part of) a payment",
)
def refund(
    ctx: Refunder,
    payment_id: uuid.UUID,
    body: RefundIn,
) -> RefundOut:
    with ctx.write() as uow:
        return refund_out(service.refund_payment(uow, payment_id, body.amount, body.reason))


# -- exceptions ------------------------------------------------------------------------


@router.get("/exceptions", response_model=list[PaymentOut], summary="Payments with money owed back")
def exceptions(
    ctx: Staff,
    state: Annotated[str, Query(pattern="^(open|refunded|resolved)$")] = "open",
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> list[PaymentOut]:
    with ctx.read() as session:
        rows = service.exception_queue(session, department_shown(ctx.principal, department), state)
        return payments_out(session, rows)


@router.post(
    "/exceptions/{payment_id}/resolve",
    response_model=PaymentOut,
    summary="Close an exception without a refund",
)
def resolve(
    ctx: Staff,
    payment_id: uuid.UUID,
    body: ResolveIn,
) -> PaymentOut:
    with ctx.write() as uow:
        payment = service.resolve_exception(uow, payment_id, body.note)
        return payment_out(uow.session, payment, service.get_bill(uow.session, payment.bill_id))


@router.post(
    "/exceptions/{payment_id}/repost",
    response_model=RepostOut,
    status_code=201,
    summary="Post the money owed back onto the bill it was meant for",
)
def repost(
    ctx: Staff,
    payment_id: uuid.UUID,
    body: RepostIn,
) -> RepostOut:
    with ctx.write() as uow:
        moved = service.repost_payment(uow, payment_id, body.reference, body.reason)
        return RepostOut.model_validate(moved, from_attributes=True)


@router.post(
    "/exceptions/{payment_id}/assign",
    response_model=PaymentOut,
    summary="Assign an exception to an officer of the department",
)
def assign(
    ctx: Staff,
    payment_id: uuid.UUID,
    body: AssignIn,
) -> PaymentOut:
    with ctx.write() as uow:
        payment = service.assign_exception(uow, payment_id, body.officer_id, body.reason)
        return payment_out(uow.session, payment, service.get_bill(uow.session, payment.bill_id))


# -- settlements and reports ---------------------------------------------------------------


def _finding_out(finding: SettlementLine) -> FindingOut:
    return FindingOut(
        id=finding.id,
        settlement_id=finding.settlement_id,
        line=finding.line_no,
        outcome=finding.outcome,
        reference=finding.reference,
        amount=finding.amount,
        department=finding.department,
        payment_id=finding.payment_id,
        resolution=finding.resolution,
        resolution_note=finding.resolution_note,
        assigned_to=finding.assigned_to,
    )


@router.post(
    "/settlement-findings/{finding_id}/accept",
    response_model=FindingOut,
    summary="Close a settlement finding as it is, with a reason",
)
def accept_finding(ctx: Staff, finding_id: FindingId, body: AcceptIn) -> FindingOut:
    with ctx.write() as uow:
        return _finding_out(reconciliation.accept_finding(uow, finding_id, body.reason))


@router.post(
    "/settlement-findings/{finding_id}/assign",
    response_model=FindingOut,
    summary="Assign a settlement finding to an officer of its department",
)
def assign_finding(ctx: Staff, finding_id: FindingId, body: AssignIn) -> FindingOut:
    with ctx.write() as uow:
        return _finding_out(
            reconciliation.assign_finding(uow, finding_id, body.officer_id, body.reason)
        )


@router.post(
    "/settlement-findings/{finding_id}/correct",
    response_model=FindingOut,
    summary="Record an unknown line's money as a payment of the bill it was meant for",
)
def correct_finding(ctx: Staff, finding_id: FindingId, body: RepostIn) -> FindingOut:
    with ctx.write() as uow:
        return _finding_out(
            reconciliation.correct_finding(uow, finding_id, body.reference, body.reason)
        )


@router.post(
    "/settlements",
    response_model=SettlementOut,
    status_code=201,
    summary="Send a settlement file (CSV or the store's fixed-width record); get the report",
    openapi_extra=RAW_FILE,
)
async def settle(
    ctx: Settler,
    request: Request,
    format: Annotated[SettlementFormat | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32)] = None,
) -> SettlementOut:
    throttle(ctx, "settlement-file", rules.SETTLEMENT_FILES)
    code = ctx.principal.organisation if ctx.principal.role == Role.PROVIDER else provider
    if not code:
        raise errors.ProviderRequired("name the provider")
    data = _utf8(await request.body())
    with ctx.write() as uow:
        settlement = reconciliation.reconcile(uow, code, data, format)
        settlement_id = settlement.id
    return _settlement_out(ctx, settlement_id)


@router.get(
    "/settlements",
    response_model=list[SettlementSummary],
    summary="Settlement files received, newest first (a provider: its own)",
)
def list_settlement_files(
    ctx: SettlementReader,
    limit: PageSize = 100,
) -> list[SettlementSummary]:
    with ctx.read() as session:
        found = reconciliation.list_settlements(session, limit, own_organisation(ctx.principal))
        return [SettlementSummary(**_summary(settlement)) for settlement in found]


@router.get(
    "/settlements/{settlement_id}",
    response_model=SettlementOut,
    summary="A reconciliation report",
)
def read_settlement(
    ctx: SettlementReader,
    settlement_id: uuid.UUID,
) -> SettlementOut:
    return _settlement_out(ctx, settlement_id)


def _settlement_out(ctx: RequestContext, settlement_id: uuid.UUID) -> SettlementOut:
    with ctx.read() as session:
        settlement, by_day, findings = reconciliation.report_for(
            session, ctx.principal, settlement_id
        )
        return SettlementOut(**_summary(settlement), by_department_day=by_day, findings=findings)


@router.get(
    "/reports/daily",
    response_model=list[ReportRow],
    summary="Reconciliation per department for one day (add format=csv for CSV)",
)
def daily(
    ctx: Staff,
    day: CivilDate | None = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    with ctx.read() as session:
        rows = reconciliation.daily_report(
            session, day or local_today(), department_shown(ctx.principal, department)
        )
    if format == "csv":
        return CSVResponse(reconciliation.REPORT_COLUMNS, rows)
    return [ReportRow.model_validate(row) for row in rows]


@router.get("/ledger/check", response_model=LedgerCheckOut, summary="Prove the ledger")
def ledger_check(
    ctx: Staff,
) -> LedgerCheckOut:
    with ctx.read() as session:
        report = ledger.check(session)
    return LedgerCheckOut(
        ok=report.ok,
        transactions=report.transactions,
        debits=report.debits,
        credits=report.credits,
        unbalanced=report.unbalanced[:100],
        bills_without_postings=report.bills_without_postings[:100],
    )


@router.get(
    "/ledger/balances",
    response_model=dict[str, int],
    summary="Balance (debits − credits) of every account",
)
def balances(
    ctx: Staff,
    prefix: Annotated[str, Query(max_length=80)] = "",
) -> dict[str, int]:
    with ctx.read() as session:
        return ledger.balances(session, prefix)


# -- providers and webhooks --------------------------------------------------------------


@router.put(
    "/providers/{code}",
    response_model=ProviderOut,
    summary="Register a provider (returns a new webhook secret)",
)
def register_provider(
    ctx: Admin,
    code: str,
    body: ProviderIn,
) -> ProviderOut:
    if not code.isalnum() or len(code) > 32:
        raise errors.InvalidProviderCode("a provider code is letters and digits")
    with ctx.write() as uow:
        provider = webhooks.register_provider(
            uow,
            service.ensure_provider(uow.session, code),
            channels=[c.value for c in body.channels],
            fee=body.fee,
            webhook_url=body.webhook_url,
            charge_url=body.charge_url,
            allow_private=ctx.platform.settings.outbound_private_allowed,
        )
        return ProviderOut(
            code=code,
            channels=provider.channels,
            fee=provider.fee,
            webhook_url=provider.webhook_url,
            charge_url=provider.charge_url,
            webhook_secret=provider.webhook_secret,
        )


@router.put(
    "/subscription",
    response_model=SubscriberOut,
    summary="Set the department's webhook endpoint (returns a new secret)",
)
def subscribe(
    ctx: Staff,
    body: SubscriberIn,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> SubscriberOut:
    code = department_shown(ctx.principal, department)
    if not code:
        raise errors.DepartmentRequired("name the department")
    with ctx.write() as uow:
        row = webhooks.subscribe(
            uow, code, body.url, allow_private=ctx.platform.settings.outbound_private_allowed
        )
        return SubscriberOut(organisation=code, url=row.url, secret=row.secret)


@router.get(
    "/webhooks/deliveries",
    response_model=list[DeliveryOut],
    summary="The outbound webhook delivery log",
)
def deliveries(
    ctx: SettlementReader,
    limit: PageSize = 100,
) -> list[DeliveryOut]:
    with ctx.read() as session:
        found = repository.deliveries(session, delivery_owner(ctx.principal), limit)
        return [
            DeliveryOut(
                id=d.id,
                organisation=d.organisation,
                event=d.event,
                state=d.state,
                attempts=d.attempts,
                next_attempt_at=d.next_attempt_at,
                delivered_at=d.delivered_at,
            )
            for d in found
        ]


@router.post(
    "/sandbox/callbacks",
    response_model=PaymentOut,
    summary="Signed callbacks of the built-in sandbox provider (X-Smartcity-Signature)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def sandbox_callback(ctx: Open, request: Request) -> PaymentOut:
    body = await request.body()
    view = sandbox.accept_callback(ctx.platform, request.headers.get(webhooks.HEADER), body)
    return PaymentOut.model_validate(view)


# -- the citizen's e-ledger -----------------------------------------------------------------


@router.get(
    "/me/bills",
    response_model=list[CitizenBillOut],
    summary="Every bill addressed to me or an identifier I bound, with payments and refunds",
)
def my_bills(
    ctx: Citizen,
) -> list[CitizenBillOut]:
    settings = service.settings_of(ctx.platform)
    with ctx.read() as session:
        entries = service.citizen_ledger(session, _citizen_id(ctx))
        shown = iter(
            payments_out(session, [(p, entry.bill) for entry in entries for p in entry.payments])
        )
        return [
            CitizenBillOut(
                **bill_out(session, entry.bill, settings, entry.item).model_dump(),
                payments=[next(shown) for _ in entry.payments],
                refunds=[refund_out(r) for r in entry.refunds],
            )
            for entry in entries
        ]


@router.get("/me/payouts", response_model=list[PayoutOut], summary="My payouts")
def my_payouts(
    ctx: Citizen,
) -> list[PayoutOut]:
    with ctx.read() as session:
        return [payout_out(p, b) for p, b in payouts.payouts_of_citizen(session, _citizen_id(ctx))]


@router.get("/me/autopay", response_model=list[AutopayOut], summary="My parking autopay")
def my_autopay(
    ctx: Citizen,
) -> list[AutopayOut]:
    with ctx.read() as session:
        return [_autopay_out(a) for a in autopay.autopays_of(session, _citizen_id(ctx))]


@router.post(
    "/me/autopay",
    response_model=AutopayOut,
    status_code=201,
    summary="Bind a plate to a payment method (from tomorrow by default)",
)
def bind_autopay(ctx: Citizen, body: AutopayIn) -> AutopayOut:
    with ctx.write() as uow:
        row = autopay.bind_autopay(
            uow,
            service.settings_of(ctx.platform),
            _citizen_id(ctx),
            body.plate,
            body.payment_method_binding_id,
            body.effective_from,
        )
        return _autopay_out(row)


@router.delete(
    "/me/autopay/{autopay_id}", response_model=AutopayOut, summary="Stop parking autopay"
)
def end_autopay(
    ctx: Citizen,
    autopay_id: uuid.UUID,
) -> AutopayOut:
    with ctx.write() as uow:
        return _autopay_out(autopay.end_autopay(uow, _citizen_id(ctx), autopay_id))


# -- car parks -----------------------------------------------------------------------------


@router.post(
    "/parking/exits",
    response_model=ExitOut,
    status_code=201,
    summary="A car park reports an exit: bill the plate and charge its autopay",
    responses={200: {"description": "A repeat of an exit reported with this key"}},
)
def parking_exit(
    ctx: CarPark,
    body: ExitIn,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Unique per exit; a retry with the same key and body answers 200 "
            "with the same bill and is never billed or charged again",
        ),
    ] = None,
) -> ExitOut:
    settings = service.settings_of(ctx.platform)
    reporter = str(ctx.principal.organisation or ctx.principal.id)
    key = (reporter, idempotency_key) if idempotency_key else None
    billed = service.retrying_twins(
        ctx.platform,
        ctx.principal,
        ctx.request_id,
        lambda uow: autopay.bill_exit(
            uow,
            settings,
            plate=body.plate,
            car_park=body.car_park,
            amount=body.amount,
            exited_at=body.exited_at,
            item_code=body.item_code,
            idempotency_key=key,
        ),
        # A twin with this key that committed first is answered as its replay.
        attempts=2 if key else 1,
        busy="this exit is being reported; retry",
    )
    if billed.replayed is not None:
        response.status_code = 200
        with ctx.read() as session:
            done = billed.replayed
            return ExitOut(
                bill=bill_out(session, service.get_bill(session, billed.bill_id), settings),
                charged=done.charged,
                payment_id=done.payment_id,
                reason=done.reason,
            )
    # No transaction is open while the provider charges: it may be slow.
    outcome = (
        autopay.charge(
            billed.charge,
            settings.autopay_charge_timeout_seconds,
            allow_private=ctx.platform.settings.outbound_private_allowed,
        )
        if billed.charge
        else None
    )
    with ctx.write() as uow:
        result = autopay.settle_exit(uow, billed, outcome)
        return ExitOut(
            bill=bill_out(uow.session, result.bill, settings),
            charged=result.charged,
            payment_id=result.payment_id,
            reason=result.reason,
        )


@router.put(
    "/car-parks/{organisation}",
    response_model=CarParkOut,
    summary="Make a device owner a car park of a department (its device keys report exits)",
)
def register_car_park(
    ctx: Admin,
    organisation: Annotated[str, Path(max_length=32)],
    body: CarParkIn,
) -> CarParkOut:
    with ctx.write() as uow:
        row = autopay.register_car_park(uow, organisation, body.department, body.item_code)
        return _car_park_out(row)


@router.get("/car-parks", response_model=list[CarParkOut], summary="Registered car parks")
def list_car_parks(
    ctx: Staff,
) -> list[CarParkOut]:
    with ctx.read() as session:
        rows = autopay.car_parks(session, department_shown(ctx.principal))
        return [_car_park_out(row) for row in rows]


# -- payouts -------------------------------------------------------------------------------


@router.post(
    "/payouts",
    response_model=BatchOut,
    status_code=201,
    summary="Make a payout batch (a second person approves it)",
)
def create_batch(ctx: Staff, body: BatchIn) -> BatchOut:
    department = department_shown(ctx.principal, body.department)
    if not department:
        raise errors.DepartmentRequired("name the department")
    with ctx.write() as uow:
        batch = payouts.create_batch(
            uow,
            department,
            body.name,
            body.purpose,
            [(p.citizen_id, p.amount) for p in body.payees],
        )
        return batch_out(uow.session, batch)


@router.get(
    "/payouts",
    response_model=list[BatchSummary],
    summary="Payout batches, newest first (officers: their department's)",
)
def list_batches(
    ctx: Staff,
    state: Annotated[BatchState | None, Query()] = None,
    limit: PageSize = 100,
) -> list[BatchSummary]:
    with ctx.read() as session:
        found = payouts.list_batches(session, department_shown(ctx.principal), state, limit)
        return [batch_summary(b) for b in found]


@router.get("/payouts/{batch_id}", response_model=BatchOut, summary="A payout batch")
def read_batch(ctx: Staff, batch_id: uuid.UUID) -> BatchOut:
    with ctx.read() as session:
        batch = payouts.get_batch(session, batch_id, department_shown(ctx.principal))
        return batch_out(session, batch)


@router.post(
    "/payouts/{batch_id}/approve",
    response_model=BatchOut,
    summary="Approve a batch (not by who made it): post it and instruct its payouts",
)
def approve_batch(ctx: Staff, batch_id: uuid.UUID) -> BatchOut:
    with ctx.write() as uow:
        return batch_out(uow.session, payouts.approve_batch(uow, batch_id))


@router.post(
    "/payouts/{batch_id}/reject",
    response_model=BatchOut,
    summary="Refuse a batch awaiting approval; nothing is paid",
)
def reject_batch(
    ctx: Staff,
    batch_id: uuid.UUID,
    body: RejectIn,
) -> BatchOut:
    with ctx.write() as uow:
        return batch_out(uow.session, payouts.reject_batch(uow, batch_id, body.reason))


@router.get(
    "/payouts/{batch_id}/instructions",
    summary="An approved batch's instructions for the bank (CSV, full accounts; audited)",
    response_class=CSVResponse,
)
def instructions(
    ctx: PayoutExporter,
    batch_id: uuid.UUID,
) -> CSVResponse:
    with ctx.write() as uow:
        rows = payouts.export_instructions(uow, batch_id)
    answer = CSVResponse(payouts.INSTRUCTION_COLUMNS, rows)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post(
    "/payouts/results/{payout_id}",
    response_model=PayoutOut,
    summary="Record the bank's confirmation or failure of one payout of an approved batch",
)
def payout_result(
    ctx: Staff,
    payout_id: uuid.UUID,
    body: PayoutResultIn,
) -> PayoutOut:
    with ctx.write() as uow:
        return payout_out(payouts.record_result(uow, payout_id, body.paid, body.reason))


def _car_park_out(row: Any) -> CarParkOut:
    return CarParkOut(
        organisation=row.organisation,
        department=row.department,
        item_code=row.item_code,
        active=row.active,
    )


def _autopay_out(row: Any) -> AutopayOut:
    return AutopayOut(
        id=row.id,
        plate=row.plate,
        provider=row.provider,
        effective_from=row.effective_from,
        active=row.active,
    )

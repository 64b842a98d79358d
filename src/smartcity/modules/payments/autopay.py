"""Parking autopay: a plate bound to a payment method; car parks report exits; we charge.

An exit is three steps: bill the stay (one transaction), ask the provider to charge with no
transaction open (a slow provider must not hold the database), record the answer (a second
transaction). If the process dies between the charge and its record, the provider's settlement
file still carries the payment and reconciliation records it ("in the file, unknown here").
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core import outbound
from smartcity.core.auth import Principal, Role
from smartcity.core.errors import NotFound
from smartcity.core.repository import get_or_404
from smartcity.core.time import as_utc, city_zone, local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import (
    BindingKind,
    OrganisationKind,
    normalise_binding_value,
)
from smartcity.modules.payments import errors, sandbox, service, webhooks
from smartcity.modules.payments.models import Autopay, Bill, CarPark, ExitKey, Item, Provider
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import BillState, Channel, ChargeOutcome, ChargeRequest


def bind_autopay(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    user_id: uuid.UUID,
    plate: str,
    method_binding_id: uuid.UUID,
    effective_from: date | None = None,
) -> Autopay:
    """Bind one of the citizen's verified plates to one of their verified payment methods."""
    session = uow.session
    normalised = normalise_binding_value(BindingKind.PLATE, plate)
    if user_id not in identity.citizens_bound_to(session, BindingKind.PLATE, normalised):
        raise errors.PlateNotBound("bind and verify this plate first")
    methods = {b.id: b for b in identity.bindings_of(session, user_id)}
    method = methods.get(method_binding_id)
    if method is None or method.kind != BindingKind.PAYMENT_METHOD or method.state != "verified":
        raise errors.MethodNotBound("choose one of your verified payment methods")
    if method.provider_id is None:  # pragma: no cover - identity requires a provider
        raise errors.MethodNotBound("this payment method has no provider")
    provider_code = _provider_code(uow, method.provider_id)
    start = effective_from or local_today() + timedelta(days=settings.autopay_delay_days)
    if start < local_today():
        raise errors.InvalidEffectiveFrom("autopay cannot start in the past")
    for old in session.execute(
        select(Autopay).where(Autopay.plate == normalised, Autopay.active.is_(True))
    ).scalars():
        if old.user_id != user_id:
            raise errors.PlateTaken("another citizen has autopay on this plate")
        old.active = False
    row = Autopay(
        user_id=user_id,
        plate=normalised,
        method_binding_id=method.id,
        provider=provider_code,
        token=method.value,
        effective_from=start,
        active=True,
    )
    session.add(row)
    session.flush()
    uow.audit(
        "payments.autopay.bound",
        "autopay",
        row.id,
        {"plate": normalised, "provider": provider_code, "from": start.isoformat()},
    )
    return row


def _provider_code(uow: UnitOfWork, organisation_id: uuid.UUID) -> str:
    # identity exposes organisations by code; a payment method names its provider by id.
    for code in _provider_codes(uow):
        try:
            org = identity.get_organisation(uow.session, code)
        except NotFound:
            continue
        if org.id == organisation_id and org.kind == OrganisationKind.PROVIDER:
            return code
    raise errors.MethodNotBound("the payment method's provider is unknown")


def _provider_codes(uow: UnitOfWork) -> list[str]:
    from smartcity.modules.payments.models import Provider

    codes = list(uow.session.execute(select(Provider.code)).scalars())
    return [*codes, "SANDBOX"]


def autopays_of(session: Session, user_id: uuid.UUID) -> Sequence[Autopay]:
    """A citizen's autopay bindings, newest first."""
    return (
        session.execute(
            select(Autopay).where(Autopay.user_id == user_id).order_by(Autopay.created_at.desc())
        )
        .scalars()
        .all()
    )


def end_autopay(uow: UnitOfWork, user_id: uuid.UUID, autopay_id: uuid.UUID) -> Autopay:
    """The citizen stops autopay."""
    detail = "no such autopay binding"
    row = get_or_404(
        uow.session, Autopay, autopay_id, code=errors.AutopayNotFound.code, detail=detail
    )
    if row.user_id != user_id:  # another citizen's binding: they need not know it exists
        raise errors.AutopayNotFound(detail)
    row.active = False
    uow.audit("payments.autopay.ended", "autopay", row.id, {})
    return row


# -- car parks -------------------------------------------------------------------------


def register_car_park(
    uow: UnitOfWork, organisation: str, department: str, item_code: str
) -> CarPark:
    """Make a device owner a car park run by `department`, billing exits under `item_code`."""
    session = uow.session
    operator = _organisation(session, organisation, OrganisationKind.DEVICE_OWNER)
    runner = _organisation(session, department, OrganisationKind.DEPARTMENT)
    item = service.get_item(session, item_code)
    _check_parking_item(item, runner.code)
    row = session.get(CarPark, operator.code)
    if row is None:
        row = CarPark(organisation=operator.code)
        session.add(row)
    row.department, row.item_code, row.active = runner.code, item.code, True
    session.flush()
    uow.audit(
        "payments.car_park.registered",
        "car_park",
        operator.code,
        {"department": runner.code, "item": item.code},
    )
    return row


def car_parks(session: Session, department: str | None = None) -> Sequence[CarPark]:
    """Registered car parks (of one department), by organisation."""
    query = select(CarPark).order_by(CarPark.organisation)
    if department:
        query = query.where(CarPark.department == department)
    return session.execute(query).scalars().all()


def _organisation(session: Session, code: str, kind: OrganisationKind) -> Any:
    try:
        found = identity.get_organisation(session, code)
    except NotFound:
        found = None
    if found is None or found.kind != kind.value:
        raise errors.UnknownOrganisation(f"{code[:32]} is not a {kind.value}")
    return found


def _check_parking_item(item: Item, department: str) -> None:
    # Exits bill only the running department's capped parking fees (never a caller's pick).
    if (
        item.department != department
        or not item.autopay
        or item.max_amount is None
        or not item.active
    ):
        raise errors.ItemNotForCarPark(
            f"{item.code} is not a capped parking fee of {department}",
        )


def car_park_of(session: Session, principal: Principal) -> CarPark:
    """The registered car park whose device key is calling, or PermissionDenied."""
    row = (
        session.get(CarPark, principal.organisation)
        if principal.role == Role.DEVICE and principal.organisation
        else None
    )
    if row is None or not row.active:
        raise errors.NotACarPark("only the device keys of a registered car park report exits")
    return row


def charge(request: ChargeRequest, timeout: float, *, allow_private: bool) -> ChargeOutcome:
    """Ask the provider to charge the bound method; any failure is a decline, never an error.

    The built-in sandbox declines tokens that start with `fail` (a test card that always
    fails). Other providers receive a signed POST at their registered charge URL, with the
    bill id as idempotency key so that a retried charge cannot be taken twice; the URL goes
    through core.outbound (unless `allow_private`, only public addresses, no redirects).
    """
    if request.provider == sandbox.CODE:
        if request.token.lower().startswith("fail"):
            return ChargeOutcome(False, "declined by the provider")
        return ChargeOutcome(True, f"ap_{uuid.uuid4().hex[:20]}")
    if not request.charge_url:
        return ChargeOutcome(False, f"{request.provider} takes no autopay charges")
    body = json.dumps(
        {
            "token": request.token,
            "amount": request.amount,
            "currency": "TWD",
            "reference": request.reference,
            "idempotency_key": str(request.bill_id),
        },
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        webhooks.HEADER: webhooks.sign(request.secret, body),
        "Idempotency-Key": str(request.bill_id),
    }
    try:
        with outbound.client(allow_private=allow_private, timeout=timeout) as http:
            response = http.post(request.charge_url, content=body, headers=headers)
    except outbound.OutboundRefused:
        return ChargeOutcome(False, "the provider's charge URL is not an allowed destination")
    except httpx.HTTPError as exc:
        return ChargeOutcome(False, f"provider unreachable ({type(exc).__name__})")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict):
        return ChargeOutcome(False, f"provider answered {response.status_code}")
    txn = answer.get("provider_txn_id")
    if answer.get("approved") is True and isinstance(txn, str) and 0 < len(txn) <= 64:
        return ChargeOutcome(True, txn)
    reason = answer.get("reason")
    return ChargeOutcome(False, str(reason)[:200] if reason else "declined by the provider")


@dataclass
class ExitResult:
    """What happened at the gate."""

    bill: Bill
    charged: bool
    payment_id: uuid.UUID | None
    reason: str


@dataclass
class BilledExit:
    """The bill for a stay, and the charge still to make (None when autopay does not apply).

    `replayed` is the stored answer when the car park repeats an exit it already reported.
    """

    bill_id: uuid.UUID
    charge: ChargeRequest | None
    reason: str
    key: tuple[str, str] | None = None
    replayed: ExitResult | None = None


def exit_digest(plate: str, car_park: str, amount: int, exited_at: datetime, item: str) -> str:
    """What identifies one reported exit, for its Idempotency-Key."""
    text = json.dumps(
        [normalise_binding_value(BindingKind.PLATE, plate), car_park, amount,
         as_utc(exited_at).isoformat(), item]
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def bill_exit(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    *,
    plate: str,
    car_park: str,
    amount: int,
    exited_at: datetime,
    item_code: str | None = None,
    idempotency_key: tuple[str, str] | None = None,
) -> BilledExit:
    """The calling car park bills the plate for the stay, and finds the autopay method to
    charge, if one is in force.

    Only a registered car park's device key may call it, for one of its department's capped
    parking fees (its own item unless `item_code` names another); the amount is at most
    the item's cap. With an `idempotency_key` (reporter, key), a repeated report answers as
    the first did; one whose charge was never recorded (the first attempt died) finishes it:
    the charge carries the bill id as its own idempotency key, so the provider does not take
    it twice.
    """
    operator = car_park_of(uow.session, uow.actor)
    item = service.get_item(uow.session, item_code or operator.item_code)
    _check_parking_item(item, operator.department)
    normalised = normalise_binding_value(BindingKind.PLATE, plate)
    exit_day = as_utc(exited_at).astimezone(city_zone()).date()
    digest = exit_digest(plate, car_park, amount, exited_at, item.code)
    seen = uow.session.get(ExitKey, idempotency_key) if idempotency_key else None
    if seen is not None:
        if seen.request_hash != digest:
            raise errors.IdempotencyKeyReused("this Idempotency-Key was used for another exit")
        bill = service.get_bill(uow.session, seen.bill_id)
        if seen.settled:
            done = ExitResult(bill, seen.payment_id is not None, seen.payment_id, seen.reason)
            return BilledExit(bill.id, None, seen.reason, idempotency_key, done)
    else:
        bill = service.bill_item(
            uow,
            settings,
            item,
            amount=amount,
            due_date=max(exit_day, local_today()) + timedelta(days=14),
            payer={"plate": normalised},
            description=f"{car_park[:60]} {exit_day.isoformat()}",
        )
        if idempotency_key:
            reporter, key = idempotency_key
            uow.session.add(
                ExitKey(
                    reporter=reporter,
                    key=key,
                    request_hash=digest,
                    bill_id=bill.id,
                )
            )
    request, reason = _autopay_charge(uow.session, bill, item, normalised, exit_day)
    return BilledExit(bill.id, request, reason, idempotency_key)


def _autopay_charge(
    session: Session, bill: Bill, item: Item, plate: str, day: date
) -> tuple[ChargeRequest | None, str]:
    row = session.execute(
        select(Autopay).where(
            Autopay.plate == plate,
            Autopay.active.is_(True),
            Autopay.effective_from <= day,
        )
    ).scalar_one_or_none()
    if row is None:
        return None, "no autopay in force for this plate"
    if not item.autopay or item.max_amount is None or bill.amount > item.max_amount:
        # A bound card pays capped parking fees only, whatever else billed the plate.
        return None, "autopay does not charge this item"
    # The citizen who bound autopay must still hold the plate.
    if row.user_id not in identity.citizens_bound_to(session, BindingKind.PLATE, plate):
        return None, "the plate's binding has ended"
    provider = session.get(Provider, row.provider)
    request = ChargeRequest(
        bill_id=bill.id,
        reference=bill.write_off_number,
        amount=bill.amount,
        provider=row.provider,
        token=row.token,
        charge_url=provider.charge_url if provider else "",
        secret=provider.webhook_secret if provider else "",
    )
    return request, ""


def autopay_charge_for(
    session: Session, bill_id: uuid.UUID, day: date
) -> tuple[ChargeRequest | None, str]:
    """The charge the plate's autopay owes an open bill addressed to that plate, as of the
    local `day` the fee arose (a roadside stay's departure), or why there is none."""
    bill = service.get_bill(session, bill_id)
    if bill.payer_kind != "plate":
        return None, "the bill is not addressed to a plate"
    if bill.status != BillState.OPEN:
        return None, f"the bill is {bill.status}"
    item = service.get_item(session, bill.item_code)
    return _autopay_charge(session, bill, item, bill.payer_value, day)


def settle_autopay(
    uow: UnitOfWork, request: ChargeRequest, outcome: ChargeOutcome
) -> uuid.UUID | None:
    """Record a provider's answer to an autopay charge: the payment's id when approved;
    a decline is audited and leaves the bill open, payable as any notice."""
    billed = BilledExit(request.bill_id, request, "")
    return _settle(uow, billed, outcome).payment_id


def settle_exit(uow: UnitOfWork, billed: BilledExit, outcome: ChargeOutcome | None) -> ExitResult:
    """Record the provider's answer: a payment when approved, the decline otherwise."""
    result = _settle(uow, billed, outcome)
    if billed.key is not None:
        seen = uow.session.get(ExitKey, billed.key)
        if seen is not None and not seen.settled:
            seen.settled, seen.payment_id, seen.reason = (
                True,
                result.payment_id,
                result.reason[:200],
            )
            uow.audit("payments.parking.exit_settled", "bill", result.bill.id, {})
    return result


def _settle(uow: UnitOfWork, billed: BilledExit, outcome: ChargeOutcome | None) -> ExitResult:
    bill = service.get_bill(uow.session, billed.bill_id)
    if billed.charge is None or outcome is None:
        return ExitResult(bill, False, None, billed.reason)
    if not outcome.approved:
        uow.audit("payments.autopay.declined", "bill", bill.id, {"reason": outcome.detail})
        return ExitResult(bill, False, None, outcome.detail)
    payment, _created = service.record_payment(
        uow,
        billed.charge.provider,
        service.PaymentRequest(
            reference=bill.write_off_number,
            amount=billed.charge.amount,
            channel=Channel.AUTOPAY.value,
            provider_txn_id=outcome.detail,
            paid_at=utcnow(),
        ),
        source="autopay",
    )
    return ExitResult(bill, True, payment.id, "charged")

"""Parking autopay: a plate bound to a payment method; car parks report exits; we charge."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.errors import Conflict, InvalidInput, NotFound
from smartcity.core.time import TAIPEI, as_utc, taipei_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import BindingKind, normalise_binding_value
from smartcity.modules.payments import service
from smartcity.modules.payments.models import Autopay, Bill
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import Channel

PARKING_ITEM = "PMO-PARK-OFFSTREET"
"""The fee item a car-park exit is billed under unless the car park names another."""


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
        raise InvalidInput("bind and verify this plate first", code="plate_not_bound")
    methods = {b.id: b for b in identity.bindings_of(session, user_id)}
    method = methods.get(method_binding_id)
    if method is None or method.kind != BindingKind.PAYMENT_METHOD or method.state != "verified":
        raise InvalidInput("choose one of your verified payment methods", code="method_not_bound")
    if method.provider_id is None:  # pragma: no cover - identity requires a provider
        raise InvalidInput("this payment method has no provider", code="method_not_bound")
    provider_code = _provider_code(uow, method.provider_id)
    start = effective_from or taipei_today() + timedelta(days=settings.autopay_delay_days)
    if start < taipei_today():
        raise InvalidInput("autopay cannot start in the past", code="invalid_effective_from")
    for old in session.execute(
        select(Autopay).where(Autopay.plate == normalised, Autopay.active.is_(True))
    ).scalars():
        if old.user_id != user_id:
            raise Conflict("another citizen has autopay on this plate", code="plate_taken")
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
    from smartcity.modules.identity.values import OrganisationKind

    for code in _provider_codes(uow):
        try:
            org = identity.get_organisation(uow.session, code)
        except NotFound:
            continue
        if org.id == organisation_id and org.kind == OrganisationKind.PROVIDER:
            return code
    raise InvalidInput("the payment method's provider is unknown", code="method_not_bound")


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
    row = uow.session.get(Autopay, autopay_id)
    if row is None or row.user_id != user_id:
        raise NotFound("no such autopay binding", code="unknown_autopay")
    row.active = False
    uow.audit("payments.autopay.ended", "autopay", row.id, {})
    return row


def charge(provider: str, token: str, amount: int) -> tuple[bool, str]:
    """Ask the provider to charge a stored method. Only the sandbox is wired in.

    The sandbox declines tokens that start with `fail` (a test card that always fails).
    """
    if token.lower().startswith("fail"):
        return False, "declined by the provider"
    return True, f"ap_{uuid.uuid4().hex[:20]}"


@dataclass
class ExitResult:
    """What happened at the gate."""

    bill: Bill
    charged: bool
    payment_id: uuid.UUID | None
    reason: str


def report_exit(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    *,
    plate: str,
    car_park: str,
    amount: int,
    exited_at: datetime,
    item_code: str = PARKING_ITEM,
) -> ExitResult:
    """Bill the plate for the stay and charge its autopay method; a failure leaves an open bill."""
    normalised = normalise_binding_value(BindingKind.PLATE, plate)
    exit_day = as_utc(exited_at).astimezone(TAIPEI).date()
    bill = service.issue_bill(
        uow,
        settings,
        item_code=item_code,
        amount=amount,
        due_date=max(exit_day, taipei_today()) + timedelta(days=14),
        payer={"plate": normalised},
        description=f"{car_park[:60]} {exit_day.isoformat()}",
    )
    row = uow.session.execute(
        select(Autopay).where(
            Autopay.plate == normalised,
            Autopay.active.is_(True),
            Autopay.effective_from <= exit_day,
        )
    ).scalar_one_or_none()
    if row is None:
        return ExitResult(bill, False, None, "no autopay in force for this plate")
    # The citizen who bound autopay must still hold the plate.
    if row.user_id not in identity.citizens_bound_to(uow.session, BindingKind.PLATE, normalised):
        return ExitResult(bill, False, None, "the plate's binding has ended")
    ok, detail = charge(row.provider, row.token, bill.amount)
    if not ok:
        uow.audit("payments.autopay.declined", "bill", bill.id, {"reason": detail})
        return ExitResult(bill, False, None, detail)
    payment, _created = service.record_payment(
        uow,
        row.provider,
        service.PaymentRequest(
            reference=bill.write_off_number,
            amount=bill.amount,
            channel=Channel.AUTOPAY.value,
            provider_txn_id=detail,
            paid_at=utcnow(),
        ),
        source="autopay",
    )
    return ExitResult(bill, True, payment.id, "charged")

"""Plates and bills: a sighting names a session's plate, and a session with a plate and a
departure is billed once, in payments, to the plate.

One session, one bill: the session row is locked while it is billed, and `parking_fees`
has the session as its primary key, so two transactions that both try (a departure and a
sighting at once, a replayed event) leave one bill; the loser's transaction, bill and all,
rolls back and its retry finds the bill made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

import smartcity.modules.payments.service as payments
from smartcity.core.departments import own_department, require_department
from smartcity.core.errors import InvalidInput
from smartcity.core.time import city_zone, local_today
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import BindingKind, normalise_binding_value
from smartcity.modules.parking import errors, repository
from smartcity.modules.parking.models import Fee, ParkingSession, Segment, Sighting
from smartcity.modules.parking.schemas import SightingIn
from smartcity.modules.parking.settings import ParkingSettings
from smartcity.modules.parking.tariffs import fee_of
from smartcity.modules.parking.values import AutopayState, SessionState
from smartcity.modules.payments.values import ChargeOutcome, ChargeRequest


@dataclass(frozen=True)
class Config:
    """What billing needs to know of the platform: parking's and payments' settings."""

    parking: ParkingSettings
    payments: Any


def normal_plate(plate: str) -> str:
    """The plate as bindings and bills write it, or `invalid_plate`."""
    try:
        return normalise_binding_value(BindingKind.PLATE, plate)
    except InvalidInput as refused:
        raise errors.InvalidPlate(refused.detail) from None


def bill_if_ready(uow: UnitOfWork, stay: ParkingSession, config: Config) -> Fee | None:
    """Bill a closed session with a plate, once; the session's bill, if it has one."""
    stay = repository.lock_session(uow.session, stay.id)
    made = repository.fee_of_session(uow.session, stay.id)
    if made is not None or stay.state != SessionState.CLOSED:
        return made
    if stay.plate is None or stay.departed_at is None:
        return None
    amount = fee_of(stay.tariff, stay.arrived_at, stay.departed_at)
    stay.fee = amount
    if amount == 0:
        uow.audit("parking.session.free", "session", stay.id, {"fee": 0})
        return None
    item = payments.get_item(uow.session, stay.fee_item)
    if item.max_amount is not None and amount > item.max_amount:
        # Payments bills a capped item only up to its cap: an officer deals with such a stay.
        uow.audit(
            "parking.session.over_cap", "session", stay.id, {"fee": amount, "cap": item.max_amount}
        )
        return None
    day = stay.departed_at.astimezone(city_zone()).date()
    bill = payments.bill_item(
        uow,
        config.payments,
        item,
        amount=amount,
        due_date=max(day, local_today()) + timedelta(days=config.parking.due_days),
        payer={"plate": stay.plate},
        description=f"路邊停車 Roadside parking {day.isoformat()}",
    )
    fee = Fee(session_id=stay.id, bill_id=bill.id, reference=bill.write_off_number, amount=amount)
    charge, reason = payments.autopay_charge_for(uow.session, bill.id, day)
    if charge is None:
        fee.autopay, fee.autopay_detail = AutopayState.NOTICE, reason
    else:
        # The provider is asked after this commits, by a job: no transaction waits on it.
        fee.autopay = AutopayState.PENDING
        uow.enqueue("parking.charge_autopay", {"session": str(stay.id)})
    uow.session.add(fee)
    uow.session.flush()
    uow.audit(
        "parking.session.billed",
        "session",
        stay.id,
        {"amount": amount, "bill": str(bill.id), "autopay": fee.autopay},
    )
    return fee


def autopay_charge_due(
    session: Session, session_id: uuid.UUID
) -> tuple[Fee | None, ChargeRequest | None, str]:
    """A pending fee, and the charge its plate's autopay still owes (None, and why, when the
    autopay ended or the bill was paid meanwhile); (None, None, "") when nothing is pending."""
    fee = repository.fee_of_session(session, session_id)
    if fee is None or fee.autopay != AutopayState.PENDING:
        return None, None, ""
    stay = session.get(ParkingSession, session_id)
    departed = stay.departed_at if stay and stay.departed_at else fee.billed_at
    charge, reason = payments.autopay_charge_for(
        session, fee.bill_id, departed.astimezone(city_zone()).date()
    )
    return fee, charge, reason


def settle_autopay(
    uow: UnitOfWork,
    session_id: uuid.UUID,
    charge: ChargeRequest | None,
    outcome: ChargeOutcome | None,
    reason: str = "",
) -> AutopayState | None:
    """Record what came of a pending fee's charge, once: a second settlement of the same fee
    (a job run again after its lease ended) changes nothing. None when it was not pending."""
    fee = repository.lock_fee(uow.session, session_id)
    if fee is None or fee.autopay != AutopayState.PENDING:
        return None
    if charge is None or outcome is None:
        fee.autopay, fee.autopay_detail = AutopayState.NOTICE, reason[:200]
    else:
        paid = payments.settle_autopay(uow, charge, outcome)
        fee.autopay = AutopayState.CHARGED if paid else AutopayState.DECLINED
        fee.autopay_detail = outcome.detail[:200]
    uow.audit(
        "parking.fee.autopay_settled",
        "session",
        session_id,
        {"autopay": fee.autopay, "detail": fee.autopay_detail},
    )
    return AutopayState(fee.autopay)


def record_sighting(
    uow: UnitOfWork, body: SightingIn, config: Config
) -> tuple[Sighting, Fee | None]:
    """A plate seen in a bay: it names the session sensed there then (if any), which is
    billed at once if the vehicle has already left."""
    plate = normal_plate(body.plate)
    bay = repository.bay_by_code(uow.session, body.bay)
    if own_department(uow.actor) is not None:
        segment = uow.session.get(Segment, bay.segment_id)
        require_department(
            uow.actor,
            segment.department if segment else None,
            code=errors.OtherDepartment.code,
            detail="officers report sightings in their own department's bays",
        )
    stay = repository.session_at(uow.session, bay.id, body.seen_at)
    sighting = Sighting(
        bay_id=bay.id,
        plate=plate,
        seen_at=body.seen_at,
        session_id=stay.id if stay else None,
        reported_by=str(uow.actor.id or uow.actor.organisation or uow.actor.kind)[:64],
    )
    uow.session.add(sighting)
    fee = None
    if stay is not None and stay.plate is None:
        # The first plate seen names the stay; a later, different one stays on record only.
        stay.plate = plate
        uow.session.flush()
        fee = bill_if_ready(uow, stay, config)
    elif stay is not None:
        fee = repository.fee_of_session(uow.session, stay.id)
    uow.session.flush()
    uow.audit(
        "parking.sighting.recorded",
        "sighting",
        sighting.id,
        {"bay": bay.code, "matched": stay is not None},
    )
    return sighting, fee

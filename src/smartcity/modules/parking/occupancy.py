"""What the bay sensors say becomes bay status and parking sessions.

The sensor hub stores each uplink once and tells parking (sensors' `UplinksStored`). An
uplink moves a bay only forward in time: one older than the newest applied (out of order,
a late replay) is kept by the hub but changes nothing here. Occupied after free opens a
session at the uplink's time; free after occupied closes it, and a stay shorter than the
debounce time is a passing car, never billed. A fault report or a silence of an hour makes
the bay unknown and flags an open session: it is not billed by guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.parking import billing, repository
from smartcity.modules.parking.models import Bay, ParkingSession, Segment
from smartcity.modules.parking.values import BayStatus, SessionState

Uplink = tuple[str, datetime, str, int | None, float | None, str | None]
"""(dev EUI, uplink time, message kind, occupied 1 / 0 / None, battery volts, fault)."""


def _open(uow: UnitOfWork, bay: Bay, at: datetime) -> None:
    segment = uow.session.get_one(Segment, bay.segment_id)
    uow.session.add(
        ParkingSession(
            bay_id=bay.id,
            segment_id=segment.id,
            department=segment.department,
            arrived_at=at,
            state=SessionState.OPEN,
            tariff=segment.tariff,
            fee_item=segment.fee_item,
        )
    )


def _close(uow: UnitOfWork, bay: Bay, at: datetime, config: billing.Config) -> None:
    stay = repository.open_session(uow.session, bay.id)
    if stay is None:
        return
    stay.departed_at = at
    if at - stay.arrived_at < timedelta(seconds=config.parking.debounce_seconds):
        stay.state = SessionState.TRANSIENT
        return
    stay.state = SessionState.CLOSED
    uow.session.flush()
    billing.bill_if_ready(uow, stay, config)


def _flag(uow: UnitOfWork, bay: Bay, reason: str) -> None:
    stay = repository.open_session(uow.session, bay.id)
    if stay is not None:
        stay.state = SessionState.SENSOR_FAULT
        uow.audit("parking.session.flagged", "session", stay.id, {"reason": reason[:200]})


def apply_uplink(uow: UnitOfWork, bay: Bay, uplink: Uplink, config: billing.Config) -> bool:
    """Move the bay by one uplink; whether it changed the bay's status."""
    _eui, at, _message, occupied, battery, fault = uplink
    if bay.heard_at is None or at > bay.heard_at:
        bay.heard_at = at
    if battery is not None:
        bay.battery_volts = battery
    if bay.observed_at is not None and at <= bay.observed_at:
        return False  # older than what the bay already shows
    bay.observed_at = at
    bay.fault = fault[:200] if fault else None
    if fault:
        if bay.status == BayStatus.OCCUPIED:
            _flag(uow, bay, fault)
        changed = bay.status != BayStatus.UNKNOWN
        bay.status, bay.status_since = BayStatus.UNKNOWN, at
        return changed
    if occupied is None:
        return False
    status = BayStatus.OCCUPIED if occupied else BayStatus.FREE
    if status == bay.status:
        return False
    before = bay.status
    bay.status, bay.status_since = status, at
    if status == BayStatus.OCCUPIED and before == BayStatus.FREE:
        _open(uow, bay, at)
    elif status == BayStatus.FREE and before == BayStatus.OCCUPIED:
        _close(uow, bay, at, config)
    # From unknown, the arrival time is not known: no session is opened by guess.
    return True


def apply_uplinks(uow: UnitOfWork, uplinks: Sequence[Uplink], config: billing.Config) -> int:
    """Apply the hub's newly stored uplinks in time order; how many bays changed status."""
    bays = repository.bays_by_dev_eui(uow.session, sorted({u[0] for u in uplinks}))
    changed = 0
    for uplink in sorted(uplinks, key=lambda u: u[1]):
        bay = bays.get(uplink[0])
        if bay is not None and apply_uplink(uow, bay, uplink, config):
            changed += 1
    if uplinks and bays:
        repository.bump_feed_version(uow.session)
        uow.audit(
            "parking.bays.sensed",
            "uplinks",
            uow.request_id,
            {"uplinks": len(uplinks), "changed": changed},
        )
    return changed


def mark_silent(uow: UnitOfWork, config: billing.Config, now: datetime | None = None) -> int:
    """Bays whose sensors fell silent become unknown, their open sessions flagged."""
    cutoff = (now or utcnow()) - timedelta(minutes=config.parking.silent_after_minutes)
    silent = repository.silent_bays(uow.session, cutoff)
    for bay in silent:
        if bay.status == BayStatus.OCCUPIED:
            _flag(uow, bay, "the sensor fell silent")
        bay.status = BayStatus.UNKNOWN
        bay.status_since = bay.heard_at
    if silent:
        repository.bump_feed_version(uow.session)
        uow.audit("parking.bays.silent", "bays", uow.request_id, {"count": len(silent)})
    return len(silent)

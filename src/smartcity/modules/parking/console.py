"""The officers' console: their segments' counts and revenue, sensor health, enforcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import scoped
from smartcity.core.time import utcnow
from smartcity.modules.parking.models import Bay, Fee, ParkingSession, Segment
from smartcity.modules.parking.settings import ParkingSettings
from smartcity.modules.parking.values import BayStatus, SessionState

LOW_BATTERY_VOLTS = 3.0
"""Below this a bay sensor's battery needs changing (the makers' low threshold)."""


@dataclass(frozen=True)
class SegmentLine:
    """One segment's row of the console."""

    code: str
    name: str
    bays: int
    free: int
    occupied: int
    unknown: int
    sessions_today: int
    revenue: int


@dataclass(frozen=True)
class Maintenance:
    """A sensor that needs a visit, and why."""

    bay: str
    segment: str
    reason: str
    """A message id the page translates: never heard, silent, fault or low battery."""
    heard_at: datetime | None
    detail: str = ""
    """What the sensor said: its fault, or its battery's voltage."""


@dataclass(frozen=True)
class Enforcement:
    """A session for the wardens: over its time, or gone without a known plate."""

    bay: str
    segment: str
    arrived_at: datetime
    departed_at: datetime | None
    plate: str | None
    reason: str


@dataclass(frozen=True)
class Console:
    """The whole console."""

    segments: list[SegmentLine]
    maintenance: list[Maintenance]
    enforcement: list[Enforcement]
    occupancy: list[tuple[datetime, float]]
    """The share of sensed bays occupied (%), every quarter hour of the last 24 hours."""


STEP = timedelta(minutes=15)


def occupancy_over_day(
    session: Session, segment_ids: list[Any], sensed: int, now: datetime
) -> list[tuple[datetime, float]]:
    """The share of `sensed` bays (%) that a sensed stay occupied, each quarter hour of the
    day before `now`; a passing car (a transient stay) does not count."""
    if not sensed:
        return []
    start = now - timedelta(days=1)
    stays = session.execute(
        select(ParkingSession.arrived_at, ParkingSession.departed_at).where(
            ParkingSession.segment_id.in_(segment_ids),
            ParkingSession.state != SessionState.TRANSIENT,
            ParkingSession.arrived_at <= now,
            ParkingSession.departed_at.is_(None) | (ParkingSession.departed_at > start),
        )
    ).all()
    moments = [start + STEP * n for n in range(int(timedelta(days=1) / STEP) + 1)]
    return [
        (
            moment,
            round(
                100
                * sum(
                    1 for came, left in stays if came <= moment and (left is None or left > moment)
                )
                / sensed,
                1,
            ),
        )
        for moment in moments
    ]


def _why(stay: ParkingSession) -> str:
    if stay.state == SessionState.OPEN:
        return "overstay"
    if stay.plate is None:
        return "left without a plate"
    return "fee over the bill's cap"


def console_of(
    session: Session, principal: Principal, settings: ParkingSettings, now: datetime | None = None
) -> Console:
    """The console of the caller's department (every department for administrators)."""
    now = now or utcnow()
    segments = list(
        session.execute(
            scoped(select(Segment), Segment.department, principal).order_by(Segment.code)
        ).scalars()
    )
    ids = [s.id for s in segments]
    bays = list(
        session.execute(select(Bay).where(Bay.segment_id.in_(ids)).order_by(Bay.code)).scalars()
    )
    day_ago = now - timedelta(days=1)
    turnover = dict(
        session.execute(
            select(ParkingSession.segment_id, func.count())
            .where(ParkingSession.segment_id.in_(ids), ParkingSession.arrived_at >= day_ago)
            .group_by(ParkingSession.segment_id)
        ).all()
    )
    revenue = dict(
        session.execute(
            select(ParkingSession.segment_id, func.sum(Fee.amount))
            .join(Fee, Fee.session_id == ParkingSession.id)
            .where(ParkingSession.segment_id.in_(ids))
            .group_by(ParkingSession.segment_id)
        ).all()
    )
    lines = []
    for segment in segments:
        own = [b for b in bays if b.segment_id == segment.id]
        lines.append(
            SegmentLine(
                segment.code,
                segment.name,
                len(own),
                sum(1 for b in own if b.status == BayStatus.FREE),
                sum(1 for b in own if b.status == BayStatus.OCCUPIED),
                sum(1 for b in own if b.status == BayStatus.UNKNOWN),
                int(turnover.get(segment.id, 0)),
                int(revenue.get(segment.id) or 0),
            )
        )
    codes = {s.id: s.code for s in segments}
    silent_before = now - timedelta(minutes=settings.silent_after_minutes)
    maintenance = []
    for bay in bays:
        if not bay.dev_eui:
            continue
        detail = ""
        if bay.heard_at is None:
            reason = "never heard"
        elif bay.heard_at < silent_before:
            reason = "silent"
        elif bay.fault:
            reason, detail = "fault", bay.fault
        elif bay.battery_volts is not None and bay.battery_volts < LOW_BATTERY_VOLTS:
            reason, detail = "low battery", f"{bay.battery_volts:.2f} V"
        else:
            continue
        maintenance.append(
            Maintenance(bay.code, codes[bay.segment_id], reason, bay.heard_at, detail)
        )
    bay_codes = {b.id: b.code for b in bays}
    overstay = now - timedelta(hours=settings.overstay_hours)
    rows = session.execute(
        select(ParkingSession)
        .outerjoin(Fee, Fee.session_id == ParkingSession.id)
        .where(
            ParkingSession.segment_id.in_(ids),
            ((ParkingSession.state == SessionState.OPEN) & (ParkingSession.arrived_at < overstay))
            | ((ParkingSession.state == SessionState.CLOSED) & ParkingSession.plate.is_(None))
            | (
                (ParkingSession.state == SessionState.CLOSED)
                & (ParkingSession.fee > 0)
                & Fee.session_id.is_(None)
            ),
        )
        .order_by(ParkingSession.arrived_at)
        .limit(200)
    ).scalars()
    enforcement = [
        Enforcement(
            bay_codes[s.bay_id],
            codes[s.segment_id],
            s.arrived_at,
            s.departed_at,
            s.plate,
            _why(s),
        )
        for s in rows
    ]
    sensed = sum(1 for b in bays if b.dev_eui)
    return Console(lines, maintenance, enforcement, occupancy_over_day(session, ids, sensed, now))

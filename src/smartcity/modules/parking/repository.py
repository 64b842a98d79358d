"""Every query of parking."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, case, func, select, update
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import scoped
from smartcity.modules.parking import errors
from smartcity.modules.parking.models import (
    Bay,
    Fee,
    FeedState,
    ParkingSession,
    Segment,
    Sighting,
)
from smartcity.modules.parking.values import BayKind, BayStatus, SessionState


def segment_by_code(session: Session, code: str) -> Segment:
    """The segment with `code`, or 404."""
    found = session.execute(select(Segment).where(Segment.code == code)).scalar_one_or_none()
    if found is None:
        raise errors.SegmentNotFound(f"no segment {code[:40]}")
    return found


def locked_bays(query: Select[Bay]) -> Select[Bay]:
    """`query`'s bays locked for the transaction against other writers of their rows, not
    against rows that refer to them (PostgreSQL's FOR NO KEY UPDATE). A sighting that holds
    its session's lock inserts a row referring to the bay; with a plain FOR UPDATE, held by an
    uplink that waits in turn for that session, its foreign-key check deadlocked. No path
    changes a bay's key."""
    return query.with_for_update(key_share=True)


def bay_by_code(session: Session, code: str, *, lock: bool = False) -> Bay:
    """The bay with `code`, or 404 (locked for the transaction when asked)."""
    query = select(Bay).where(Bay.code == code)
    found = session.execute(locked_bays(query) if lock else query).scalar_one_or_none()
    if found is None:
        raise errors.BayNotFound(f"no bay {code[:40]}")
    return found


def bays_by_dev_eui(session: Session, dev_euis: Sequence[str]) -> dict[str, Bay]:
    """The bays whose sensors have these dev EUIs, locked for the transaction."""
    query = select(Bay).where(Bay.dev_eui.in_(list(dev_euis))).order_by(Bay.id)
    rows = session.execute(locked_bays(query)).scalars()
    return {bay.dev_eui: bay for bay in rows if bay.dev_eui}


def bays_of(session: Session, segment_ids: Sequence[uuid.UUID]) -> list[Bay]:
    """The bays of these segments, by code."""
    if not segment_ids:
        return []
    return list(
        session.execute(
            select(Bay).where(Bay.segment_id.in_(list(segment_ids))).order_by(Bay.code)
        ).scalars()
    )


def segments(session: Session, principal: Principal | None = None) -> list[Segment]:
    """Every segment (those of the caller's department when a principal is given), by code."""
    query: Select[Any] = select(Segment).order_by(Segment.code)
    if principal is not None:
        query = scoped(query, Segment.department, principal)
    return list(session.execute(query).scalars())


def availability_rows(session: Session) -> list[Any]:
    """Every segment with its bays counted by status, by code, in one aggregate query."""
    scooter = Bay.kind == BayKind.SCOOTER
    return list(
        session.execute(
            select(
                Segment.code,
                Segment.name,
                Segment.name_en,
                Segment.district,
                func.count(Bay.id).label("total"),
                func.count(Bay.id).filter(Bay.status == BayStatus.FREE).label("free"),
                func.count(Bay.id).filter(Bay.status == BayStatus.UNKNOWN).label("unknown"),
                func.count(Bay.id).filter(scooter).label("scooters"),
                func.count(Bay.id)
                .filter(scooter, Bay.status == BayStatus.FREE)
                .label("free_scooters"),
                func.count(Bay.id)
                .filter(scooter, Bay.status == BayStatus.UNKNOWN)
                .label("unknown_scooters"),
                func.max(Bay.observed_at).label("newest"),
                func.avg(Bay.latitude).label("latitude"),
                func.avg(Bay.longitude).label("longitude"),
            )
            .outerjoin(Bay, Bay.segment_id == Segment.id)
            .group_by(Segment.id, Segment.code, Segment.name, Segment.name_en, Segment.district)
            .order_by(Segment.code)
        ).all()
    )


def feed_version(session: Session) -> int:
    """How many times the bays' feeds have changed: read before the feeds' data."""
    return int(session.execute(select(FeedState.version)).scalar() or 0)


def bump_feed_version(session: Session) -> None:
    """The feeds changed in this transaction (one atomic increment, ordered across processes)."""
    moved = session.execute(update(FeedState).values(version=FeedState.version + 1))
    if not moved.rowcount:  # type: ignore[attr-defined]  # a CursorResult
        session.add(FeedState(id=1, version=1))  # migration parking_0003 makes it; be sure


def open_session(session: Session, bay_id: uuid.UUID) -> ParkingSession | None:
    """The bay's open session, if a vehicle is in it."""
    return session.execute(
        select(ParkingSession)
        .where(ParkingSession.bay_id == bay_id, ParkingSession.state == SessionState.OPEN)
        .order_by(ParkingSession.arrived_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def session_at(session: Session, bay_id: uuid.UUID, moment: datetime) -> ParkingSession | None:
    """The bay's session that covers `moment` (arrived by then, not yet gone), locked."""
    return session.execute(
        select(ParkingSession)
        .where(
            ParkingSession.bay_id == bay_id,
            ParkingSession.arrived_at <= moment,
            (ParkingSession.departed_at.is_(None)) | (ParkingSession.departed_at >= moment),
            ParkingSession.state != SessionState.TRANSIENT,
        )
        .order_by(ParkingSession.arrived_at.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()


def lock_session(session: Session, session_id: uuid.UUID) -> ParkingSession:
    """A session row, locked for the transaction (concurrent departures and sightings)."""
    return session.execute(
        select(ParkingSession).where(ParkingSession.id == session_id).with_for_update()
    ).scalar_one()


def fee_of_session(session: Session, session_id: uuid.UUID) -> Fee | None:
    """The bill already made for a session, if any."""
    return session.get(Fee, session_id)


def lock_fee(session: Session, session_id: uuid.UUID) -> Fee | None:
    """A session's fee row, locked for the transaction (one autopay charge per bill)."""
    return session.execute(
        select(Fee).where(Fee.session_id == session_id).with_for_update()
    ).scalar_one_or_none()


def sessions_of_plate(
    session: Session, plate: str, principal: Principal, *, limit: int, offset: int
) -> list[tuple[ParkingSession, str, str, str | None]]:
    """The plate's sessions the caller may see, newest first: (session, bay, segment, bill)."""
    visible = scoped(
        select(ParkingSession.id).where(ParkingSession.plate == plate),
        ParkingSession.department,
        principal,
    )
    query = (
        select(ParkingSession, Bay.code, Segment.code, Fee.reference)
        .join(Bay, Bay.id == ParkingSession.bay_id)
        .join(Segment, Segment.id == ParkingSession.segment_id)
        .outerjoin(Fee, Fee.session_id == ParkingSession.id)
        .where(ParkingSession.id.in_(visible))
        .order_by(ParkingSession.arrived_at.desc(), ParkingSession.id)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query).all()]


def silent_bays(session: Session, heard_before: datetime) -> list[Bay]:
    """Bays with a known status whose sensors have not been heard since `heard_before`."""
    query = (
        select(Bay)
        .where(Bay.status != BayStatus.UNKNOWN, Bay.heard_at < heard_before)
        .order_by(Bay.id)
    )
    return list(session.execute(locked_bays(query)).scalars())


def sightings_of_session(session: Session, session_id: uuid.UUID) -> list[Sighting]:
    """The sightings that named a session, oldest first."""
    return list(
        session.execute(
            select(Sighting).where(Sighting.session_id == session_id).order_by(Sighting.seen_at)
        ).scalars()
    )


def open_availability() -> Select[*tuple[Any, ...]]:
    """Free and sensed bays per segment now, as open data (no session, no plate)."""
    free = func.sum(case((Bay.status == BayStatus.FREE.value, 1), else_=0))
    return (
        select(
            Segment.code.label("segment"),
            Segment.name.label("name"),
            Segment.name_en.label("name_en"),
            Segment.district.label("district"),
            func.count(Bay.id).label("bays"),
            free.label("free"),
            func.max(Bay.observed_at).label("observed_at"),
            func.avg(Bay.latitude, type_=Float).label("latitude"),
            func.avg(Bay.longitude, type_=Float).label("longitude"),
        )
        .join(Bay, Bay.segment_id == Segment.id)
        .group_by(Segment.code, Segment.name, Segment.name_en, Segment.district)
    )

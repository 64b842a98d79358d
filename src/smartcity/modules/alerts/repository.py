"""Every query of the alerts module."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import scoped
from smartcity.modules.alerts.models import Alert, DeadLetter, Detector, Route


def detector_by_device(session: Session, device_id: str) -> Detector | None:
    """The detector sending as `device_id`."""
    return session.execute(
        select(Detector).where(Detector.device_id == device_id)
    ).scalar_one_or_none()


def detectors(session: Session) -> Sequence[Detector]:
    """Every detector, by device id."""
    return session.execute(select(Detector).order_by(Detector.device_id)).scalars().all()


def route(session: Session, category: str, sub_category: str) -> Route | None:
    """The route of exactly (category, sub-category); "" is the category's catch-all."""
    return session.execute(
        select(Route).where(Route.category == category, Route.sub_category == sub_category)
    ).scalar_one_or_none()


def routes(session: Session) -> Sequence[Route]:
    """The routing table, by category and sub-category."""
    return (
        session.execute(select(Route).order_by(Route.category, Route.sub_category)).scalars().all()
    )


def alert_by_event(session: Session, detector_id: uuid.UUID, event_id: str) -> Alert | None:
    """The alert a detector raised under its own event id."""
    return session.execute(
        select(Alert).where(Alert.detector_id == detector_id, Alert.event_id == event_id)
    ).scalar_one_or_none()


def alert_for_update(session: Session, alert_id: uuid.UUID) -> tuple[Alert, str] | None:
    """An alert and its detector's device id, locked for a change."""
    found = session.execute(
        select(Alert, Detector.device_id)
        .join(Detector, Detector.id == Alert.detector_id)
        .where(Alert.id == alert_id)
        .with_for_update(of=Alert)
    ).first()
    return (found[0], found[1]) if found else None


def alert(session: Session, alert_id: uuid.UUID) -> tuple[Alert, str] | None:
    """An alert and its detector's device id."""
    found = session.execute(
        select(Alert, Detector.device_id)
        .join(Detector, Detector.id == Alert.detector_id)
        .where(Alert.id == alert_id)
    ).first()
    return (found[0], found[1]) if found else None


def alerts(
    session: Session,
    *,
    principal: Principal,
    statuses: Sequence[str] | None,
    limit: int,
) -> list[tuple[Alert, str]]:
    """Alerts newest first, of the departments `principal` acts for, in `statuses` (None: any)."""
    query = (
        scoped(select(Alert), Alert.department, principal)
        .add_columns(Detector.device_id)
        .join(Detector, Detector.id == Alert.detector_id)
    )
    if statuses is not None:
        query = query.where(Alert.status.in_(statuses))
    rows = session.execute(query.order_by(Alert.date_issued.desc(), Alert.id).limit(limit))
    return [(row[0], row[1]) for row in rows]


def pilot_alerts(
    session: Session, pilot_id: str, start: datetime, end: datetime
) -> Sequence[Alert]:
    """Alerts of a pilot's detectors issued in [start, end)."""
    return (
        session.execute(
            select(Alert)
            .join(Detector, Detector.id == Alert.detector_id)
            .where(
                Detector.pilot_id == pilot_id,
                Alert.date_issued >= start,
                Alert.date_issued < end,
            )
        )
        .scalars()
        .all()
    )


def dead_letters(session: Session, *, principal: Principal, limit: int) -> Sequence[DeadLetter]:
    """Refused events, newest first, of the departments `principal` acts for."""
    query = scoped(select(DeadLetter), DeadLetter.department, principal)
    return session.execute(query.order_by(DeadLetter.id.desc()).limit(limit)).scalars().all()

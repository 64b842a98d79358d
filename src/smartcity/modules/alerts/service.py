"""alerts' domain logic: detectors, routing, storing events once, the officers' verdicts.

Services never commit: callers pass a unit of work (writes) or a session (reads).
Public services for other modules: `pilot_figures` (the living lab's KPIs).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.alerts import repository as repo
from smartcity.modules.alerts.errors import (
    AlertAlreadyAcknowledged,
    AlertAlreadyResolved,
    AlertNotAcknowledged,
    AlertNotFound,
    DetectorExists,
    EventConflict,
    InvalidEvent,
    OrganisationKindMismatch,
    UnknownCategory,
    UnknownDetector,
    UnknownSubCategory,
)
from smartcity.modules.alerts.models import Alert, DeadLetter, Detector, Route
from smartcity.modules.alerts.schemas import EventIn
from smartcity.modules.alerts.values import (
    SUB_CATEGORIES,
    AlertFigure,
    AlertStatus,
    Category,
    Source,
    Verdict,
)
from smartcity.modules.identity.service import get_organisation
from smartcity.modules.identity.values import OrganisationKind

# -- detectors and routes ------------------------------------------------------------


def _organisation_of_kind(session: Session, code: str, kind: OrganisationKind) -> str:
    organisation = get_organisation(session, code)
    if organisation.kind != kind.value:
        raise OrganisationKindMismatch(
            f"{organisation.code} is a {organisation.kind}, not a {kind.value}"
        )
    return organisation.code


def register_detector(
    uow: UnitOfWork,
    *,
    device_id: str,
    owner: str,
    name: str = "",
    pilot_id: str | None = None,
    department: str | None = None,
) -> Detector:
    """Register a detector of device owner `owner`; its owner's device keys send for it."""
    session = uow.session
    if repo.detector_by_device(session, device_id) is not None:
        raise DetectorExists(f"detector {device_id} is registered already")
    detector = Detector(
        device_id=device_id,
        owner=_organisation_of_kind(session, owner, OrganisationKind.DEVICE_OWNER),
        name=name[:200],
        pilot_id=pilot_id,
        department=(
            _organisation_of_kind(session, department, OrganisationKind.DEPARTMENT)
            if department
            else None
        ),
    )
    session.add(detector)
    session.flush()
    uow.audit(
        "alerts.detector.registered",
        "alerts_detector",
        detector.id,
        {
            "device_id": device_id,
            "owner": detector.owner,
            "pilot_id": pilot_id,
            "department": detector.department,
        },
    )
    return detector


def detectors(session: Session) -> Sequence[Detector]:
    """Every registered detector."""
    return repo.detectors(session)


def set_route(uow: UnitOfWork, category: str, sub_category: str, department: str) -> Route:
    """Send alerts of (category, sub-category) to `department`; "" covers the whole category."""
    try:
        known = Category(category)
    except ValueError:
        raise UnknownCategory(f"unknown category {category!r}") from None
    if sub_category and sub_category not in SUB_CATEGORIES[known]:
        raise UnknownSubCategory(f"{sub_category!r} is not a sub-category of {category}")
    code = _organisation_of_kind(uow.session, department, OrganisationKind.DEPARTMENT)
    row = repo.route(uow.session, category, sub_category)
    before = row.department if row else None
    if row is None:
        row = Route(category=category, sub_category=sub_category, department=code)
        uow.session.add(row)
    row.department = code
    uow.session.flush()
    uow.audit(
        "alerts.route.set",
        "alerts_route",
        row.id,
        {"category": category, "sub_category": sub_category, "from": before, "to": code},
    )
    return row


def routes(session: Session) -> Sequence[Route]:
    """The routing table."""
    return repo.routes(session)


def department_for(
    session: Session, detector: Detector, category: str, sub_category: str
) -> str | None:
    """Who answers: the detector's own department, else the routing table's (exact
    sub-category first, then the category's catch-all); None if nothing matches."""
    if detector.department:
        return detector.department
    for sub in (sub_category, ""):
        found = repo.route(session, category, sub)
        if found is not None:
            return found.department
    return None


# -- events ----------------------------------------------------------------------


def event_digest(event: EventIn, device_id: str) -> str:
    """SHA-256 of the event in canonical JSON, the detector named: what a replay must repeat."""
    document = event.model_dump(mode="json", by_alias=True)
    document["alertSource"] = device_id
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def find_detector(session: Session, device_id: str, owner: str | None) -> Detector:
    """The detector `device_id` if `owner` (None: anyone) may send for it."""
    detector = repo.detector_by_device(session, device_id)
    if detector is None or (owner is not None and detector.owner != owner):
        # The same answer for another owner's detector: senders learn nothing of others.
        raise UnknownDetector(
            f"no detector {device_id} of {owner or 'any owner'} is registered"
            " (`smartcity alerts detectors add`)"
        )
    return detector


def raise_alert(
    uow: UnitOfWork,
    event: EventIn,
    *,
    device_id: str,
    owner: str | None,
    source: Source,
    max_skew: timedelta,
    received_at: datetime | None = None,
) -> tuple[Alert, bool]:
    """Store `event` once per (detector, event id): (the alert, whether it is new).

    A replay with the same content returns the stored alert; another event under a
    used id raises EventConflict. `received_at` (default now) is for loading history.
    """
    session = uow.session
    detector = find_detector(session, device_id, owner)
    now = received_at or utcnow()
    if event.date_issued > now + max_skew:
        raise InvalidEvent(
            "dateIssued lies in the future; check the device's clock",
            code="alert_date_in_future",
        )
    digest = event_digest(event, device_id)
    stored = repo.alert_by_event(session, detector.id, event.event_id)
    if stored is None:
        alert = Alert(
            detector_id=detector.id,
            event_id=event.event_id,
            digest=digest,
            category=event.category.value,
            sub_category=event.sub_category,
            severity=event.severity.value,
            latitude=event.location.coordinates[1],
            longitude=event.location.coordinates[0],
            date_issued=event.date_issued,
            description=event.description,
            data=event.data,
            source=source.value,
            department=department_for(session, detector, event.category.value, event.sub_category),
            status=AlertStatus.OPEN.value,
            received_at=now,
        )
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            # The same event arrived twice at once (a redelivery racing a retry).
            stored = repo.alert_by_event(session, detector.id, event.event_id)
            if stored is None:
                raise
        else:
            uow.audit(
                "alerts.alert.raised",
                "alert",
                alert.id,
                {
                    "device_id": device_id,
                    "event_id": event.event_id,
                    "category": alert.category,
                    "sub_category": alert.sub_category,
                    "severity": alert.severity,
                    "department": alert.department,
                },
            )
            return alert, True
    if stored.digest != digest:
        raise EventConflict(
            f"event {event.event_id} of {device_id} was stored with other content",
            alert=str(stored.id),
        )
    return stored, False


def keep_dead_letter(
    uow: UnitOfWork,
    *,
    source: Source,
    sender: str,
    device_id: str,
    owner: str | None,
    code: str,
    reason: str,
    payload: str,
) -> DeadLetter:
    """Keep a refused event with its reason (in the intake's own transaction).

    It is shown to the department of the detector it names only if the sender may send for
    that detector: nobody fills another owner's department's list."""
    detector = repo.detector_by_device(uow.session, device_id) if device_id else None
    if detector is not None and owner is not None and detector.owner != owner:
        detector = None
    letter = DeadLetter(
        received_at=utcnow(),
        source=source.value,
        sender=sender[:64],
        device_id=device_id[:64],
        department=detector.department if detector else None,
        code=code[:64],
        reason=reason[:500],
        payload=payload,
    )
    uow.session.add(letter)
    uow.session.flush()
    return letter


# -- the officers' console ---------------------------------------------------------------


def visible_alerts(
    session: Session, principal: Principal, *, open_only: bool = True, limit: int = 200
) -> list[tuple[Alert, str]]:
    """Alerts of the caller's department (all for administrators), newest first."""
    statuses = [AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value] if open_only else None
    return repo.alerts(session, principal=principal, statuses=statuses, limit=limit)


def get_alert(session: Session, principal: Principal, alert_id: uuid.UUID) -> tuple[Alert, str]:
    """One alert and its device id; 404 for another department's, as for none at all."""
    found = repo.alert(session, alert_id)
    if found is None or not acts_for(principal, found[0].department):
        raise AlertNotFound("no such alert")
    return found


def _for_change(uow: UnitOfWork, alert_id: uuid.UUID) -> tuple[Alert, str]:
    found = repo.alert_for_update(uow.session, alert_id)
    if found is None or not acts_for(uow.actor, found[0].department):
        raise AlertNotFound("no such alert")
    return found


def acknowledge(
    uow: UnitOfWork, alert_id: uuid.UUID, at: datetime | None = None
) -> tuple[Alert, str]:
    """The acting officer has seen the alert and is checking it (`at`: now, or history's)."""
    alert, device_id = _for_change(uow, alert_id)
    if alert.status != AlertStatus.OPEN:
        raise AlertAlreadyAcknowledged(f"the alert is {alert.status} already")
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_at = at or utcnow()
    alert.acknowledged_by = str(uow.actor.id or uow.actor.kind)[:64]
    uow.audit("alerts.alert.acknowledged", "alert", alert.id, {"status": alert.status})
    return alert, device_id


def resolve(
    uow: UnitOfWork,
    alert_id: uuid.UUID,
    verdict: Verdict,
    note: str = "",
    at: datetime | None = None,
) -> tuple[Alert, str]:
    """The acting officer's verdict on an acknowledged alert: confirmed or a false alarm."""
    alert, device_id = _for_change(uow, alert_id)
    if alert.status == AlertStatus.OPEN:
        raise AlertNotAcknowledged("acknowledge the alert before giving a verdict")
    if alert.status != AlertStatus.ACKNOWLEDGED:
        raise AlertAlreadyResolved(f"the alert is {alert.status} already")
    alert.status = AlertStatus(verdict.value).value
    alert.resolved_at = at or utcnow()
    alert.resolved_by = str(uow.actor.id or uow.actor.kind)[:64]
    alert.note = note[:500]
    uow.audit(
        "alerts.alert.resolved", "alert", alert.id, {"verdict": verdict.value, "note": alert.note}
    )
    return alert, device_id


def dead_letters(session: Session, principal: Principal, limit: int = 100) -> Sequence[DeadLetter]:
    """Refused events of the caller's department's detectors (all for administrators)."""
    return repo.dead_letters(session, principal=principal, limit=limit)


# -- figures for other modules ---------------------------------------------------------------


@dataclass(frozen=True)
class AlertFigures:
    """*Public value.* A pilot's alerts over a window, as the living lab's KPIs read them."""

    detections: int
    days: float
    confirmed: int
    false_alarms: int
    minutes_to_acknowledge: tuple[float, ...]

    @property
    def detections_per_day(self) -> float | None:
        """Alerts per day of the window."""
        return self.detections / self.days if self.days > 0 else None

    @property
    def share_confirmed(self) -> float | None:
        """Confirmed ÷ (confirmed + false alarms), in per cent; None before any verdict."""
        decided = self.confirmed + self.false_alarms
        return 100 * self.confirmed / decided if decided else None

    @property
    def median_minutes_to_acknowledge(self) -> float | None:
        """Median minutes from receipt to acknowledgement; None before any."""
        ordered = sorted(self.minutes_to_acknowledge)
        if not ordered:
            return None
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2

    def figure(self, name: str) -> float | None:
        """One figure by its `AlertFigure` name."""
        values: dict[str, float | None] = {
            AlertFigure.DETECTIONS_PER_DAY: self.detections_per_day,
            AlertFigure.SHARE_CONFIRMED: self.share_confirmed,
            AlertFigure.MINUTES_TO_ACKNOWLEDGE: self.median_minutes_to_acknowledge,
        }
        return values.get(name)


def pilot_figures(session: Session, pilot_id: str, start: datetime, end: datetime) -> AlertFigures:
    """*Public service.* Figures over alerts of `pilot_id`'s detectors issued in [start, end)."""
    rows = repo.pilot_alerts(session, pilot_id, start, end)
    return AlertFigures(
        detections=len(rows),
        days=(end - start) / timedelta(days=1),
        confirmed=sum(1 for a in rows if a.status == AlertStatus.CONFIRMED),
        false_alarms=sum(1 for a in rows if a.status == AlertStatus.FALSE_ALARM),
        minutes_to_acknowledge=tuple(
            (a.acknowledged_at - a.received_at) / timedelta(minutes=1)
            for a in rows
            if a.acknowledged_at is not None
        ),
    )

"""The devices' side: the Airbox open-data document, each device's health and the ranking."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.time import isoformat_z, utcnow
from smartcity.modules.airquality import errors, repository
from smartcity.modules.airquality.adapters import airbox_feed, calibrate_latest
from smartcity.modules.airquality.calibrating import models_by_device
from smartcity.modules.airquality.calibration import CalibrationModel
from smartcity.modules.airquality.days import local_day
from smartcity.modules.airquality.quality import flag_names
from smartcity.modules.airquality.readings import PROPERTIES, REFERENCE


def airbox_document(session: Session) -> dict[str, Any]:
    """The Airbox open-data document of every device's latest reading, with c_d0."""
    latest = [d for d in sensors.latest(session, PROPERTIES) if d.kind != REFERENCE]
    models: dict[str, CalibrationModel] = {}
    if latest:
        models = models_by_device(
            session,
            local_day(max(d.time for d in latest)),
            [d.device_id for d in latest],
            np.array([d.latitude for d in latest]),
            np.array([d.longitude for d in latest]),
        )
    return airbox_feed(
        latest,
        calibrate_latest(latest, models),
        source="smartcity airquality (Airbox open-data form)",
        version=isoformat_z(utcnow()),
    )


def _health_doc(row: Any) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "score": row.score,
        "rank": row.rank,
        "ranked": row.ranked,
        "evaluated": row.evaluated,
        "neighbours": row.neighbours,
        "indoor": row.indoor,
        "malfunction": row.malfunction,
        "flag_counts": dict(row.counts),
        "offset": row.offset,
    }


def device_health(session: Session, device_id: str) -> dict[str, Any]:
    """A device's newest health summary, its history and its newest flagged slices."""
    history = repository.health_history(session, device_id)
    latest = next(
        (d for d in sensors.latest(session, PROPERTIES) if d.device_id == device_id), None
    )
    if not history and latest is None:
        raise errors.UnknownDevice(f"no device {device_id!r}")
    flags = repository.recent_flags(session, device_id)
    return {
        "device_id": device_id,
        "name": latest.name if latest else None,
        "latitude": latest.latitude if latest else None,
        "longitude": latest.longitude if latest else None,
        "assessed": bool(history),
        "status": status_of(history[0]) if history else "not_assessed",
        "latest": _health_doc(history[0]) if history else None,
        "history": [_health_doc(r) for r in history],
        "recent_flags": [
            {
                "time": isoformat_z(f.slice_start),
                "minutes": f.slice_seconds // 60,
                "pm25": f.pm25,
                "flags": flag_names(f.flags),
            }
            for f in flags
        ],
    }


def status_of(row: Any) -> str:
    """A device's state on its health row's day: malfunction, indoor or ok."""
    if row.malfunction:
        return "malfunction"
    if row.indoor:
        return "indoor"
    return "ok"


def ranking(session: Session, day: date | None = None) -> tuple[date | None, list[Any]]:
    """The malfunction ranking of a day (the newest assessed day by default)."""
    found = repository.health_day(session, day or date(2100, 12, 31))
    if found is None:
        return None, []
    return found, repository.health_of_day(session, found)

"""airquality's daily passes as tasks for the job worker (scheduled in the manifest).

Each runs on the city day its schedule names: the day that ended at the last midnight,
whose readings are in (calibration chooses the regression for the day that began).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import smartcity.modules.sensors.service as sensors
from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import to_local, utcnow
from smartcity.modules.airquality import repository, service
from smartcity.modules.airquality.service import settings_of
from smartcity.modules.sensors.events import ObservationsArrivedLate

ACTOR = system_actor("airquality-jobs")


def _due_day(payload: dict[str, Any]) -> date:
    """The city day on which the schedule was due (a retry keeps its day)."""
    return to_local(datetime.fromisoformat(payload["due_at"])).date()


def calibrate(platform: Platform, payload: dict[str, Any]) -> None:
    """Choose each reference station's regression on yesterday, for use today."""
    service.calibrate_day(platform, ACTOR, _due_day(payload), settings_of(platform))


def quality_pass(platform: Platform, payload: dict[str, Any]) -> None:
    """Flag yesterday's readings and rank the devices."""
    day = _due_day(payload) - timedelta(days=1)
    service.assess_day(platform, ACTOR, day, settings_of(platform))


def track_plumes(platform: Platform, payload: dict[str, Any]) -> None:
    """Track yesterday's plumes and raise its district band-crossing alerts."""
    day = _due_day(payload) - timedelta(days=1)
    service.track_day(platform, ACTOR, day, settings_of(platform))


def track_plumes_today(platform: Platform, _payload: dict[str, Any]) -> None:
    """In a demo city, track today's plumes so far, so the map and the district alerts are
    current at any hour (elsewhere the nightly pass is enough and this does nothing)."""
    with platform.db.read_session() as session:
        if sensors.demo_fed_until(session) is None:
            return
    service.track_day(platform, ACTOR, to_local(utcnow()).date(), settings_of(platform))


def mark_late_days(platform: Platform, event: ObservationsArrivedLate) -> None:
    """Remember the ended days that readings arrived for (the sensors module's event): a
    device's backlog comes in many batches, so the passes run once for all of them, later."""
    now = utcnow()
    with platform.db.write_session() as session, session.begin():
        for day in event.days:
            repository.mark_late_day(session, date.fromisoformat(day), now)


def redo_late_days(platform: Platform, _payload: dict[str, Any]) -> None:
    """Run the quality and plume passes again on every day late readings arrived for."""
    started = utcnow()
    with platform.db.read_session() as session:
        days = repository.late_days(session)
    settings = settings_of(platform)
    for day in days:
        # Readings that came while this ran marked the day again: it stays for next time.
        service.redo_late_day(platform, ACTOR, day, settings, started)

"""airquality's part of the demo city: flags, calibrations, plumes and alerts computed from
sensors' demo readings (sensors seeds first: airquality depends on it)."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.airquality import service
from smartcity.modules.airquality.settings import AirqualitySettings


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Run the day jobs over the demo readings' days, oldest first, in the caller's unit of work."""
    found = platform.module_settings.get("airquality")
    settings = found if isinstance(found, AirqualitySettings) else AirqualitySettings()
    today = service.local_day(utcnow())
    # sensors' demo holds three days of hourly readings: assess them with hourly slices.
    days = [today - timedelta(days=n) for n in (3, 2, 1, 0)]
    for day in days:
        service.run_quality(uow, day, settings, slice_minutes=60)
        service.run_calibration(uow, day, settings)
        service.run_plumes(uow, day, settings)

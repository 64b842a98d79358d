"""sensors' part of the demo city: ~60 school Airboxes with three days of hourly readings,
and the city's reference stations (invented readings at the real stations' places), and the
newest hours of the city's own Airbox recording as they were, if its profile names one; then
the demo feed (`demo_feed.py`) keeps them sending."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors.demo_feed import (
    feed_window,
    keep_alive,
    load_recorded_sample,
    register_stations,
)

HOURS = 72


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo devices, stations and readings into the caller's unit of work."""
    now = utcnow()
    end = now.replace(minute=0, second=0, microsecond=0)
    register_stations(uow, platform)
    # The real readings first: the data portal's preview of the readings shows them.
    load_recorded_sample(uow, platform)
    feed_window(uow, platform, end - timedelta(hours=HOURS - 1), end, timedelta(hours=1))
    # The current hour at the feed's own step: a map read just after the next full hour, before
    # the worker's first feed, must still find every device within its window.
    keep_alive(uow, platform, now)

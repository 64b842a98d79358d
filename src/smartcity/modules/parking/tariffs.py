"""Fees by tariff: charging windows by day type, free minutes, daily caps, and midnight.

Rules, as the city's roadside tariffs read: a stay no longer than the free minutes costs
nothing, a longer one is charged from arrival; within each charging window of each local
day the time parked is rounded up to whole units (an hour or half an hour) of that window's
rate; a day's total is at most the daily cap. Days are the city's, so a stay across
midnight is two days, each with its own cap.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from smartcity.core.time import city_zone
from smartcity.modules.parking.schemas import TariffIn, WindowIn

WEEKEND = (5, 6)


def parse_tariff(stored: dict[str, Any]) -> TariffIn:
    """A stored tariff (a session's snapshot, a segment's current one) as its schema."""
    return TariffIn.model_validate(stored)


def _clock(day: date, text: str) -> datetime:
    if text == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=city_zone())
    hours, minutes = map(int, text.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=city_zone())


def _windows(tariff: TariffIn, day: date) -> list[WindowIn]:
    if not tariff.windows:
        return [
            WindowIn(
                days="all",
                start="00:00",
                end="24:00",
                per_hour=tariff.per_hour,
                per_half_hour=tariff.per_half_hour,
            )
        ]
    kind = "weekend" if day.weekday() in WEEKEND else "weekday"
    return [w for w in tariff.windows if w.days in ("all", kind)]


def _unit_and_rate(window: WindowIn, tariff: TariffIn) -> tuple[int, int]:
    if window.per_half_hour is not None:
        return 30 * 60, window.per_half_hour
    if window.per_hour is not None:
        return 60 * 60, window.per_hour
    if tariff.per_half_hour is not None:
        return 30 * 60, tariff.per_half_hour
    return 60 * 60, tariff.per_hour or 0


def fee_of(stored: dict[str, Any], arrived: datetime, departed: datetime) -> int:
    """The fee in NTD for a stay from `arrived` to `departed` (aware datetimes)."""
    tariff = parse_tariff(stored)
    if departed <= arrived or departed - arrived <= timedelta(minutes=tariff.free_minutes):
        return 0
    zone = city_zone()
    start, end = arrived.astimezone(zone), departed.astimezone(zone)
    total = 0
    day = start.date()
    while day <= end.date():
        day_fee = 0
        for window in _windows(tariff, day):
            low = max(start, _clock(day, window.start))
            high = min(end, _clock(day, window.end))
            seconds = (high - low).total_seconds()
            if seconds > 0:
                unit, rate = _unit_and_rate(window, tariff)
                day_fee += math.ceil(seconds / unit) * rate
        total += day_fee if tariff.daily_cap is None else min(day_fee, tariff.daily_cap)
        day += timedelta(days=1)
    return total

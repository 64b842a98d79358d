"""The city's calendar days and times the passes and maps are asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from smartcity.core.time import city_zone, utcnow
from smartcity.modules.airquality import errors


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a calendar day in the city."""
    start = datetime.combine(day, time.min, tzinfo=city_zone()).astimezone(UTC)
    return start, start + timedelta(days=1)


def local_day(when: datetime) -> date:
    """The city's calendar day of an aware time."""
    return when.astimezone(city_zone()).date()


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` day, or InvalidDay."""
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise errors.InvalidDay("day must be YYYY-MM-DD") from None
    check_day(day)
    return day


def check_day(day: date) -> date:
    """Refuse days outside the years the platform can hold readings for."""
    if not 2000 <= day.year <= 2100:
        raise errors.InvalidDay("day must be between 2000 and 2100")
    return day


def parse_time(text: str | None) -> datetime:
    """An ISO 8601 time (naive = the city's local time) as aware UTC; now when empty."""
    if text is None or not text.strip():
        return utcnow()
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=city_zone())
        result = value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise errors.InvalidTime("time must be ISO 8601, e.g. 2024-11-02T08:00:00+08:00") from None
    if not 2000 <= result.year <= 2100:
        raise errors.InvalidTime("time must be between 2000 and 2100")
    return result

"""Times are stored in UTC and shown in the city's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator

_city_zone = ZoneInfo("Asia/Taipei")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def _within_civil_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError("dates must lie between 1900-01-01 and 2999-12-31")
    return value


CivilDate = Annotated[date, AfterValidator(_within_civil_range)]
"""A date people could mean; keeps date arithmetic (a day later, a week earlier) in range."""


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def city_zone() -> ZoneInfo:
    """The city's time zone: times are shown in it and its days start at its midnight."""
    return _city_zone


def use_city_zone(zone: ZoneInfo) -> None:
    """Set the city's time zone, once at start-up, from the city's settings."""
    global _city_zone
    _city_zone = zone


def to_local(value: datetime) -> datetime:
    """`value` in the city's time, for display."""
    return as_utc(value).astimezone(_city_zone)


def format_local(value: datetime | None, with_seconds: bool = False) -> str:
    """The city's local time as people there write it: 2026-11-26 15:04."""
    if value is None:
        return ""
    pattern = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    return to_local(value).strftime(pattern)


def local_today() -> date:
    """Today's date in the city (a day starts at local midnight, not UTC's)."""
    return utcnow().astimezone(_city_zone).date()


def isoformat_z(value: datetime) -> str:
    """RFC 3339 UTC text with a Z, the form used in logs and public records."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp column that always goes in and comes out as aware UTC.

    SQLite has no time zone type, so values are stored naive in UTC there;
    PostgreSQL gets `timestamp with time zone`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("UTCDateTime needs a datetime")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("UTCDateTime read a non-datetime")
        return as_utc(value)

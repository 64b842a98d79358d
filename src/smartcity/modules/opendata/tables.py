"""The live tables modules register: finding them, and their statistics for the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    Select,
    Subquery,
    func,
    select,
)
from sqlalchemy.orm import Session

from smartcity.core.platform import Platform
from smartcity.core.registry import Dataset as Registration
from smartcity.core.registry import lazy
from smartcity.core.time import as_utc


def registrations(platform: Platform) -> dict[str, Registration]:
    """Every dataset the enabled modules declare, by name (and this module's own)."""
    found: dict[str, Registration] = {}
    for module in platform.modules:
        for registration in module.datasets:
            if registration.name in found:
                raise ValueError(f"two modules register the dataset {registration.name!r}")
            found[registration.name] = registration
    return found


def live_table(registration: Registration) -> Subquery:
    """The registered `Select`, as a subquery the DataStore filters, sorts and pages."""
    statement: Select[Any] = lazy(registration.records)()
    return statement.subquery("live")


def ckan_type(column_type: Any) -> str:
    """The DataStore's name for a column's type."""
    column_type = getattr(column_type, "impl", column_type)  # a TypeDecorator's storage type
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer | BigInteger):
        return "int"
    if isinstance(column_type, Float | Numeric):
        return "numeric"
    if isinstance(column_type, DateTime):
        return "timestamp"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, JSON):
        return "json"
    return "text"


@dataclass(frozen=True)
class TableStats:
    """What the catalogue shows of a live table: its size, time span and extent."""

    records: int
    first: datetime | None
    last: datetime | None
    bbox: tuple[float, float, float, float] | None
    """(west, south, east, north), when the table has `latitude` and `longitude`."""


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value:
        return as_utc(datetime.fromisoformat(value))
    return None


def stats(session: Session, registration: Registration) -> TableStats:
    """Count the live table's records and find its time span and extent, in one query."""
    table = live_table(registration)
    columns: list[Any] = [func.count()]
    time = table.c.get(registration.time_column) if registration.time_column else None
    if time is not None:
        columns += [func.min(time), func.max(time)]
    spatial = registration.spatial and "latitude" in table.c and "longitude" in table.c
    if spatial:
        columns += [
            func.min(table.c.longitude),
            func.min(table.c.latitude),
            func.max(table.c.longitude),
            func.max(table.c.latitude),
        ]
    row = list(session.execute(select(*columns).select_from(table)).one())
    count = int(row.pop(0) or 0)
    first = last = None
    if time is not None:
        first, last = _as_time(row.pop(0)), _as_time(row.pop(0))
    bbox = None
    if spatial and all(value is not None for value in row):
        bbox = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    return TableStats(count, first, last, bbox)

"""What the map and a device's page need beyond one moment: a device's PM2.5 over a day, a
week or a month, the newest reading anywhere (for an honest "no recent data"), and the search
for a place among the devices and districts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.city import CityProfile

RANGES = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
"""The spans a device's page offers, by the name its query string uses."""
HOURLY_AFTER = timedelta(days=2)
"""Longer spans are shown as hourly means (a month of 10-minute readings is 4,000 points)."""


def pm25_history(
    session: Session, device_id: str, end: datetime, span: timedelta
) -> list[tuple[datetime, float]]:
    """The device's PM2.5 readings in (end - span, end], as hourly means for long spans."""
    found = sensors.readings(
        session, end - span, end + timedelta(seconds=1), ("pm25",), [device_id]
    )
    if not found:
        return []
    seconds = found[0].times.astype("datetime64[s]").astype(np.int64)
    values = found[0].values["pm25"]
    keep = ~np.isnan(values)
    seconds, values = seconds[keep], values[keep]
    if span > HOURLY_AFTER and len(seconds):
        hours = seconds // 3600
        unique, index = np.unique(hours, return_inverse=True)
        sums = np.bincount(index, weights=values)
        counts = np.bincount(index)
        seconds, values = unique * 3600, sums / counts  # each mean at its hour's start
    return [
        (datetime.fromtimestamp(int(t), UTC), round(float(v), 1))
        for t, v in zip(seconds, values, strict=True)
    ]


def newest_reading(session: Session) -> datetime | None:
    """When any Airbox last reported PM2.5."""
    times = [d.time for d in sensors.latest(session, ("pm25",)) if d.kind != "reference"]
    return max(times, default=None)


@dataclass(frozen=True)
class Place:
    """A search hit: a device, the district it stands in, and its page."""

    name: str
    district: str
    link: str


def search_places(
    city: CityProfile, devices: list[dict[str, Any]], query: str, locale: str, limit: int = 30
) -> list[Place]:
    """Devices (schools) whose name, id or district contains `query`."""
    needle = query.strip().casefold()
    if not needle:
        return []
    hits = []
    for device in devices:
        district = city.district_of(device["lat"], device["lon"])
        names = (district.name_zh, district.name_en) if district else ()
        if any(needle in text.casefold() for text in (device["name"], device["device_id"], *names)):
            shown = names[1 if locale.startswith("en") else 0] if names else ""
            hits.append(Place(device["name"], shown, f"/airquality/devices/{device['device_id']}"))
    return hits[:limit]

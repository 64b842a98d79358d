"""Simulated Airboxes at school locations: plausible PM2.5 with a diurnal cycle and a shared field.

Locations come from ../shared/data/airbox/lass-airbox-schools.json when it exists
(read at run time, never copied; the schools inside the city's districts), else from the city
profile's schools, else around its districts' points.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from smartcity.core.city import CityProfile, current_city
from smartcity.core.time import city_zone
from smartcity.modules.sensors.lass import format_line

SCHOOLS_FILE = Path("../shared/data/airbox/lass-airbox-schools.json")


@dataclass(frozen=True)
class School:
    """Where a simulated device stands."""

    device_id: str
    name: str
    latitude: float
    longitude: float


def _profile_places(city: CityProfile) -> list[tuple[str, float, float]]:
    if city.schools:
        return [(school.name, *school.point) for school in city.schools]
    return [(f"{city.name_zh}{d.name_zh}示範測站", *d.point) for d in city.districts]


def _near(city: CityProfile, rng: random.Random, lat: float, lon: float) -> tuple[float, float]:
    for _ in range(20):
        moved = lat + rng.uniform(-0.003, 0.003), lon + rng.uniform(-0.003, 0.003)
        if city.district_of(*moved):
            return moved
    return lat, lon


def schools(count: int, seed: int = 7, path: Path | None = None) -> list[School]:
    """`count` school locations in the city, from the shared registry when present."""
    rng = random.Random(seed)  # noqa: S311  # simulated placement, not a secret
    city = current_city()
    source = path or SCHOOLS_FILE
    places: list[tuple[str, float, float]] = []
    if source.exists():
        try:
            document = json.loads(source.read_text(encoding="utf-8"))
            for entry in document.get("school", []):
                lat, lon = float(entry["lat"]), float(entry["lon"])
                if city.extent.contains(lat, lon) and city.district_of(lat, lon):
                    places.append((str(entry.get("name") or entry.get("id")), lat, lon))
        except (ValueError, KeyError, TypeError):
            places = []
    if not places:
        places = _profile_places(city)
    chosen: list[School] = []
    for index in range(count):
        name, lat, lon = places[index % len(places)]
        if index >= len(places):  # more devices than places: within ~300 m, in the city
            lat, lon = _near(city, rng, lat, lon)
            name = f"{name} #{index // len(places) + 1}"
        chosen.append(School(f"74DA38{index:06X}", name, round(lat, 5), round(lon, 5)))
    return chosen


class Field:
    """A smooth PM2.5 field over the city: diurnal cycle, a drifting plume and local noise."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)  # noqa: S311  # simulated readings, not a secret
        self.offsets: dict[str, float] = {}
        city = current_city()
        self.west, (self.centre_lat, _) = city.extent.west, city.centre

    def values(self, school: School, when: datetime) -> dict[str, float]:
        """One device's readings at `when`."""
        local = when.astimezone(city_zone())
        hour = local.hour + local.minute / 60
        diurnal = (
            1
            + 0.35 * math.sin((hour - 4) / 24 * 2 * math.pi)
            + 0.25 * math.exp(-((hour - 8.5) ** 2) / 2)
            + 0.2 * math.exp(-((hour - 18.5) ** 2) / 3)
        )
        days = when.timestamp() / 86400
        # A plume drifting west to east over the city's west, once a day.
        plume_lon = self.west + 0.2 * ((days * 1.0) % 1.0)
        plume = 25 * math.exp(
            -(
                ((school.longitude - plume_lon) / 0.03) ** 2
                + ((school.latitude - (self.centre_lat + 0.01)) / 0.04) ** 2
            )
        )
        north = self.centre_lat + 0.06 - school.latitude
        base = 14 + 6 * math.sin(days / 3 * 2 * math.pi) + 8 * north
        offset = self.offsets.setdefault(school.device_id, self.rng.gauss(0, 2))
        pm25 = max(1.0, base * diurnal + plume + offset + self.rng.gauss(0, 1.5))
        temperature = 22 + 5 * math.sin((hour - 9) / 24 * 2 * math.pi) + self.rng.gauss(0, 0.4)
        humidity = min(
            99.0,
            max(30.0, 75 - 12 * math.sin((hour - 9) / 24 * 2 * math.pi) + self.rng.gauss(0, 2)),
        )
        return {
            "pm25": round(pm25),
            "pm10": round(pm25 * 1.4 + self.rng.uniform(0, 3)),
            "pm1": round(pm25 * 0.65),
            "temperature": round(temperature, 1),
            "humidity": round(humidity),
        }


def lines(
    devices: list[School], start: datetime, steps: int, interval: timedelta, seed: int = 7
) -> Iterator[tuple[datetime, School, str]]:
    """LASS lines of every device at each step."""
    field = Field(seed)
    for step in range(steps):
        when = start + step * interval
        for tick, school in enumerate(devices):
            yield (
                when,
                school,
                format_line(
                    school.device_id,
                    when,
                    field.values(school, when),
                    school.latitude,
                    school.longitude,
                    tick=step * len(devices) + tick,
                ),
            )

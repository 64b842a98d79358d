"""Simulated Airboxes at school locations: plausible PM2.5 with a diurnal cycle and a shared field.

Locations come from ../shared/data/airbox/lass-airbox-schools.json when it exists
(read at run time, never copied), else from a small built-in list of Taipei schools.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from smartcity.core.time import city_zone
from smartcity.modules.sensors.lass import format_line

SCHOOLS_FILE = Path("../shared/data/airbox/lass-airbox-schools.json")

# (name, latitude, longitude): public elementary schools of Taipei, positions rounded.
BUILT_IN_SCHOOLS: tuple[tuple[str, float, float], ...] = (
    ("臺北市中正區東門國小", 25.0365, 121.5230),
    ("臺北市大安區大安國小", 25.0306, 121.5480),
    ("臺北市信義區興雅國小", 25.0389, 121.5680),
    ("臺北市中山區長安國小", 25.0498, 121.5270),
    ("臺北市松山區民生國小", 25.0585, 121.5600),
    ("臺北市內湖區內湖國小", 25.0830, 121.5880),
    ("臺北市士林區士林國小", 25.0930, 121.5240),
    ("臺北市北投區北投國小", 25.1320, 121.5010),
    ("臺北市萬華區龍山國小", 25.0360, 121.4990),
    ("臺北市文山區景美國小", 24.9920, 121.5420),
    ("臺北市南港區南港國小", 25.0540, 121.6070),
    ("臺北市大同區日新國小", 25.0560, 121.5130),
    ("臺北市中正區河堤國小", 25.0140, 121.5230),
    ("臺北市大安區仁愛國小", 25.0370, 121.5520),
    ("臺北市信義區三興國小", 25.0280, 121.5590),
    ("臺北市中山區中山國小", 25.0640, 121.5270),
    ("臺北市松山區敦化國小", 25.0510, 121.5500),
    ("臺北市內湖區麗山國小", 25.0790, 121.5720),
    ("臺北市士林區天母國小", 25.1170, 121.5330),
    ("臺北市北投區石牌國小", 25.1150, 121.5150),
    ("臺北市萬華區西門國小", 25.0390, 121.5040),
    ("臺北市文山區興隆國小", 25.0000, 121.5520),
    ("臺北市南港區玉成國小", 25.0450, 121.5870),
    ("臺北市大同區蓬萊國小", 25.0600, 121.5160),
)


@dataclass(frozen=True)
class School:
    """Where a simulated device stands."""

    device_id: str
    name: str
    latitude: float
    longitude: float


def schools(count: int, seed: int = 7, path: Path | None = None) -> list[School]:
    """`count` school locations, from the shared registry when present, built-in otherwise."""
    rng = random.Random(seed)  # noqa: S311  # simulated placement, not a secret
    source = path or SCHOOLS_FILE
    places: list[tuple[str, float, float]] = []
    if source.exists():
        try:
            document = json.loads(source.read_text(encoding="utf-8"))
            for entry in document.get("school", []):
                lat, lon = float(entry["lat"]), float(entry["lon"])
                # Greater Taipei, where the demo city is.
                if 24.95 <= lat <= 25.21 and 121.40 <= lon <= 121.67:
                    places.append((str(entry.get("name") or entry.get("id")), lat, lon))
        except (ValueError, KeyError, TypeError):
            places = []
    if not places:
        places = list(BUILT_IN_SCHOOLS)
    chosen: list[School] = []
    for index in range(count):
        name, lat, lon = places[index % len(places)]
        if index >= len(places):  # more devices than places: jitter within ~300 m
            lat += rng.uniform(-0.003, 0.003)
            lon += rng.uniform(-0.003, 0.003)
            name = f"{name} #{index // len(places) + 1}"
        chosen.append(School(f"74DA38{index:06X}", name, round(lat, 5), round(lon, 5)))
    return chosen


class Field:
    """A smooth PM2.5 field over Taipei: diurnal cycle, a drifting plume and local noise."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)  # noqa: S311  # simulated readings, not a secret
        self.offsets: dict[str, float] = {}

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
        # A plume drifting west to east over the basin, once a day.
        plume_lon = 121.45 + 0.2 * ((days * 1.0) % 1.0)
        plume = 25 * math.exp(
            -(
                ((school.longitude - plume_lon) / 0.03) ** 2
                + ((school.latitude - 25.05) / 0.04) ** 2
            )
        )
        base = 14 + 6 * math.sin(days / 3 * 2 * math.pi) + 8 * (25.10 - school.latitude)
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

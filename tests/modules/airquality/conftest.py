"""A small generated network stored through sensors' public services, for integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.airquality.synthetic import Network, network, plume_field
from smartcity.modules.sensors import service as sensors

DAY = date(2024, 11, 1)
"""The Taipei day the tests assess (readings cover it and the day after)."""
NEXT_DAY = date(2024, 11, 2)
"""The day calibrated from DAY's pairs."""
START = datetime(2024, 10, 31, 16, 0, tzinfo=UTC)
"""Taipei midnight of 1 November 2024, in UTC."""
N = 40
STATIONS = (("REF-A", "Station A", 25.03, 121.52), ("REF-B", "Station B", 25.10, 121.58))


@dataclass
class Loaded:
    """What was stored: the generated network and the device ids by fault."""

    net: Network
    ids: list[str]

    def of(self, which: np.ndarray) -> list[str]:
        return [self.ids[int(i)] for i in which]


@pytest.fixture
def loaded(platform: Platform) -> Loaded:
    """40 devices and 2 reference stations, hourly readings over 1–2 November 2024 (Taipei)."""
    net = network(
        N,
        slices=48,
        step_seconds=3600,
        seed=5,
        start="2024-10-31T16:00:00",
        box=(24.99, 121.48, 25.11, 121.62),
    )
    ids = [f"AQTEST{i:04d}" for i in range(N)]
    times = [START + timedelta(hours=h) for h in range(48)]
    with platform.unit_of_work(system_actor("test")) as uow:
        for i, device in enumerate(ids):
            sensors.register_station(
                uow,
                station_id=device,
                name=f"School {i}",
                latitude=float(net.lat[i]),
                longitude=float(net.lon[i]),
                kind="airbox",
            )
            sensors.record_readings(
                uow,
                device,
                [
                    (
                        when,
                        {
                            "pm25": float(net.pm25[i, h]),
                            "temperature": float(net.temperature[i, h]),
                            "humidity": float(net.humidity[i, h]),
                        },
                    )
                    for h, when in enumerate(times)
                ],
            )
        hours = np.arange(48, dtype=float)
        for station, name, lat, lon in STATIONS:
            sensors.register_station(
                uow, station_id=station, name=name, latitude=lat, longitude=lon
            )
            truth = plume_field(np.array([lat]), np.array([lon]), hours)[0]
            sensors.record_readings(
                uow,
                station,
                [
                    (
                        when,
                        {
                            "pm25": round(float(truth[h]) * 0.8, 1),
                            "temperature": 24.0,
                            "humidity": 70.0,
                        },
                    )
                    for h, when in enumerate(times)
                ],
            )
    return Loaded(net, ids)

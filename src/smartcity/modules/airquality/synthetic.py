"""Generated PM2.5 networks with known faults, for tests, benchmarks and the demo city."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from smartcity.core.city import current_city

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Network:
    """A generated day: device positions, slices and readings, and the faults planted in it."""

    lat: FloatArray
    lon: FloatArray
    times: NDArray[np.datetime64]
    pm25: FloatArray
    temperature: FloatArray
    humidity: FloatArray
    truth: FloatArray
    """The smooth field at each device (what a perfect sensor would read)."""
    indoor: NDArray[np.int64]
    emitting: NDArray[np.int64]
    broken: NDArray[np.int64]
    stuck: NDArray[np.int64]


def plume_field(
    lat: FloatArray, lon: FloatArray, hours: FloatArray, *, base: float = 18.0
) -> FloatArray:
    """A background plus a plume drifting north-east at ~0.75 km/h (devices × slices)."""
    centre_lat, centre_lon = current_city().centre
    lat0, lon0 = centre_lat - 0.01, centre_lon - 0.02
    clat = lat0 + 0.004 * hours
    clon = lon0 + 0.006 * hours
    d2 = ((lat[:, None] - clat[None, :]) / 0.02) ** 2 + ((lon[:, None] - clon[None, :]) / 0.02) ** 2
    diurnal = 6.0 * np.sin(2 * np.pi * (hours - 8.0) / 24.0)
    gradient = 8.0 * np.tanh((lat[:, None] - (centre_lat + 0.01)) / 0.1)
    return np.asarray(base + diurnal[None, :] + gradient + 45.0 * np.exp(-0.5 * d2))


def network(
    n: int = 200,
    *,
    slices: int = 288,
    step_seconds: int = 300,
    seed: int = 7,
    start: str = "2024-11-02T00:00:00",
    box: tuple[float, float, float, float] | None = None,
    faults: bool = True,
    lat: FloatArray | None = None,
    lon: FloatArray | None = None,
) -> Network:
    """`n` devices over `box` (south, west, north, east; around the city's centre by default)
    for one day of slices."""
    rng = np.random.default_rng(seed)
    if box is None:
        lat0, lon0 = current_city().centre
        box = (lat0 - 0.06, lon0 - 0.07, lat0 + 0.10, lon0 + 0.08)
    if lat is None or lon is None:
        lat = rng.uniform(box[0], box[2], n)
        lon = rng.uniform(box[1], box[3], n)
    n = len(lat)
    t0 = np.datetime64(start, "s")
    times = t0 + np.arange(slices) * np.timedelta64(step_seconds, "s")
    hours = np.arange(slices) * step_seconds / 3600.0
    truth = plume_field(lat, lon, hours)
    gain = rng.normal(1.0, 0.05, n)[:, None]
    pm = np.round(truth * gain + rng.normal(0, 1.5, (n, slices)), 1)
    temp = np.round(
        24 + 3 * np.sin(2 * np.pi * (hours - 14) / 24)[None, :] + rng.normal(0, 0.3, (n, slices)), 1
    )
    hum = np.round(
        np.clip(
            70
            - 10 * np.sin(2 * np.pi * (hours - 14) / 24)[None, :]
            + rng.normal(0, 2, (n, slices)),
            0,
            100,
        ),
        1,
    )
    none = np.array([], dtype=np.int64)
    indoor = emitting = broken = stuck = none
    if faults and n >= 20:
        picks = rng.choice(n, size=8, replace=False)
        indoor, emitting, broken, stuck = picks[0:2], picks[2:4], picks[4:6], picks[6:8]
        pm[indoor] = np.round(0.35 * truth[indoor] + rng.normal(0, 0.5, (len(indoor), slices)), 1)
        burst = slice(slices // 3, slices // 3 + max(slices // 24, 2))
        pm[emitting, burst] += 80.0
        pm[broken] = np.round(rng.uniform(0, 200, (len(broken), slices)), 1)
        pm[stuck, slices // 2 :] = pm[stuck, slices // 2 : slices // 2 + 1]
    return Network(
        lat, lon, times, pm, temp, hum.astype(np.float64), truth, indoor, emitting, broken, stuck
    )

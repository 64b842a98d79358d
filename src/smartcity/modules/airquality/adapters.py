"""Thin glue from sensors' public results to the array form the algorithms take.

Only the attributes of `sensors.service.DeviceSeries` / `DeviceLatest` named in the contract
are read (`device_id`, `latitude`, `longitude`, `times`, `values`, `time`), so any object
with them will do — tests pass plain stand-ins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from smartcity.modules.airquality.calibration import CalibrationModel
from smartcity.modules.airquality.quality import to_slices

FloatArray = NDArray[np.float64]


class SeriesLike(Protocol):
    """The part of `sensors.service.DeviceSeries` this module reads."""

    @property
    def device_id(self) -> str: ...
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...
    @property
    def times(self) -> Any: ...
    @property
    def values(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Window:
    """Devices × slices matrices of one time window."""

    device_ids: list[str]
    lat: FloatArray
    lon: FloatArray
    times: NDArray[np.datetime64]
    pm25: FloatArray
    temperature: FloatArray
    humidity: FloatArray


def window_from_series(
    series: Sequence[SeriesLike], start: datetime, step_seconds: int, n_slices: int
) -> Window:
    """Average each device's readings into fixed slices starting at `start` (UTC)."""
    t0 = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "s")
    times = [np.asarray(s.times, dtype="datetime64[s]") for s in series]

    def matrix(name: str) -> FloatArray:
        values = [
            np.asarray(s.values.get(name, np.full(len(t), np.nan)), dtype=np.float64)
            for s, t in zip(series, times, strict=True)
        ]
        return to_slices(times, values, t0, step_seconds, n_slices)

    return Window(
        device_ids=[s.device_id for s in series],
        lat=np.array([s.latitude for s in series], dtype=float),
        lon=np.array([s.longitude for s in series], dtype=float),
        times=t0 + np.arange(n_slices) * np.timedelta64(step_seconds, "s"),
        pm25=matrix("pm25"),
        temperature=matrix("temperature"),
        humidity=matrix("humidity"),
    )


def airbox_feed(
    latest: Sequence[Any],
    calibrated: dict[str, float] | None = None,
    *,
    source: str = "smartcity airquality",
    version: str | None = None,
) -> dict[str, Any]:
    """The Airbox open-data document (`last-all-airbox.json`) from `sensors.service.latest`."""
    calibrated = calibrated or {}
    feeds = []
    for d in latest:
        values = d.values
        pm = values.get("pm25")
        if pm is None or not np.isfinite(pm):
            continue
        when: datetime = d.time
        c = calibrated.get(d.device_id)
        feeds.append(
            {
                "device_id": d.device_id,
                "SiteName": d.name,
                "gps_lat": round(float(d.latitude), 6),
                "gps_lon": round(float(d.longitude), 6),
                "s_d0": _number(pm),
                "s_t0": _number(values.get("temperature")),
                "s_h0": _number(values.get("humidity")),
                "timestamp": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "c_d0": _number(c) if c is not None else _number(pm),
            }
        )
    return {
        "source": source,
        "feeds": feeds,
        "version": version or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "num_of_records": len(feeds),
    }


AIRBOX_FIELDS = (
    "device_id",
    "SiteName",
    "gps_lat",
    "gps_lon",
    "s_d0",
    "s_t0",
    "s_h0",
    "timestamp",
    "c_d0",
)
"""Column order of the CSV export (the fields of one Airbox feed)."""


def calibrate_latest(
    latest: Sequence[Any], model_of_device: dict[str, CalibrationModel]
) -> dict[str, float]:
    """c_d0 of each device's latest reading with the model of its nearest station."""
    out: dict[str, float] = {}
    for d in latest:
        model = model_of_device.get(d.device_id)
        if model is None:
            continue
        v = d.values
        c = model.apply(
            np.array([v.get("pm25", np.nan)]),
            np.array([v.get("temperature", np.nan)]),
            np.array([v.get("humidity", np.nan)]),
        )[0]
        if np.isfinite(c):
            out[d.device_id] = float(c)
    return out


def _number(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 2)

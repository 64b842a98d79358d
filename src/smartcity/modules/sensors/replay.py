"""Recorded device readings (CSV, optionally gzipped) as LASS lines, in time order, for replay.

Columns are matched by name, so both the minute file of real Airboxes
(`device_id,date,time,temperature,RH,PM2.5,lat,lon`) and the hourly open-data file
(`device_id,time,latitude,longitude,pm25`) read as they are. Times without a zone are the
city's local time, as devices report them.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from smartcity.core.time import city_zone
from smartcity.modules.sensors.lass import format_line

# Column names as recorded files spell them → the quantity the hub stores.
_QUANTITIES = {
    "pm2.5": "pm25",
    "pm25": "pm25",
    "pm10": "pm10",
    "pm1": "pm1",
    "temperature": "temperature",
    "rh": "humidity",
    "humidity": "humidity",
}
_LATITUDE = ("lat", "latitude", "gps_lat")
_LONGITUDE = ("lon", "lng", "longitude", "gps_lon")


class RecordingError(ValueError):
    """The file is not a recording of device readings."""


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _time(row: dict[str, str]) -> datetime:
    text = f"{row['date']}T{row['time']}" if row.get("date") else row["time"]
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=city_zone())


def _first(row: dict[str, str], names: tuple[str, ...]) -> float:
    for name in names:
        if row.get(name):
            return float(row[name])
    return math.nan


def recorded_lines(path: Path, newest: timedelta | None = None) -> Iterator[tuple[datetime, str]]:
    """(time, LASS line) of every readable row, in time order (rows out of order are sorted);
    with `newest`, only the rows of that stretch before the recording's last time."""
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        fields = {name.lower(): name for name in reader.fieldnames or ()}
        if "device_id" not in fields or "time" not in fields:
            raise RecordingError(f"{path.name}: no device_id and time columns")
        quantities = {fields[k]: q for k, q in _QUANTITIES.items() if k in fields}
        timed: list[tuple[datetime, dict[str, str]]] = []
        for raw in reader:
            try:
                timed.append(
                    (_time({name.lower(): value for name, value in raw.items() if name}), raw)
                )
            except (KeyError, ValueError):
                continue  # a broken row of the recording: the device sent nothing readable
    if newest is not None and timed:
        since = max(when for when, _raw in timed) - newest
        timed = [(when, raw) for when, raw in timed if when > since]
    rows: list[tuple[datetime, str]] = []
    for when, raw in timed:
        row = {name.lower(): value for name, value in raw.items() if name}
        try:
            values = {q: float(raw[column]) for column, q in quantities.items() if raw[column]}
            latitude, longitude = _first(row, _LATITUDE), _first(row, _LONGITUDE)
        except (KeyError, ValueError):
            continue
        rows.append((when, format_line(row["device_id"], when, values, latitude, longitude)))
    rows.sort(key=lambda item: item[0])
    yield from rows


@dataclass(frozen=True)
class RecordedDevice:
    """One recorded device's readings as arrays, for replaying it at another time."""

    device_id: str
    latitude: float
    longitude: float
    times: NDArray[np.int64]
    """Epoch seconds, ascending."""
    values: dict[str, NDArray[np.float64]]
    """Per quantity, NaN where the device did not report it."""


def recorded_devices(
    path: Path, keep: Callable[[float, float], bool] = lambda _lat, _lon: True
) -> list[RecordedDevice]:
    """The devices of a recording whose first position `keep` accepts, each as arrays."""
    rows: dict[str, list[tuple[float, dict[str, float]]]] = {}
    places: dict[str, tuple[float, float]] = {}
    refused: set[str] = set()
    with _open(path) as handle:
        reader = csv.reader(handle)
        header = [name.lower() for name in next(reader, [])]
        if "device_id" not in header or "time" not in header:
            raise RecordingError(f"{path.name}: no device_id and time columns")
        at = {name: index for index, name in enumerate(header)}
        device_at = at["device_id"]
        quantities = [(at[k], q) for k, q in _QUANTITIES.items() if k in at]
        latitude = next((at[k] for k in _LATITUDE if k in at), None)
        longitude = next((at[k] for k in _LONGITUDE if k in at), None)
        for raw in reader:
            # Rows of devices outside are skipped before anything is parsed: most of a
            # country-wide file is.
            device = raw[device_at] if len(raw) == len(header) else ""
            if not device or device in refused:
                continue
            try:
                if device not in places:
                    if latitude is None or longitude is None:
                        raise ValueError("no position")
                    place = float(raw[latitude]), float(raw[longitude])
                    if not keep(*place):
                        refused.add(device)
                        continue
                    places[device] = place
                row = dict(zip(header, raw, strict=True))
                when = _time(row).timestamp()
                values = {q: float(raw[index]) for index, q in quantities if raw[index]}
            except (KeyError, ValueError):
                continue  # a broken row of the recording: the device sent nothing readable
            rows.setdefault(device, []).append((when, values))
    found = []
    for device, series in sorted(rows.items()):
        series.sort(key=lambda item: item[0])
        names = sorted({q for _when, values in series for q in values})
        found.append(
            RecordedDevice(
                device,
                *places[device],
                np.array([round(when) for when, _values in series], dtype=np.int64),
                {q: np.array([v.get(q, np.nan) for _w, v in series]) for q in names},
            )
        )
    return found

"""The maps: the network's snapshot at a time, estimates at a point and on a grid, map points.

Every map reads the newest calibrated reading of each usable device in the estimate window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.time import isoformat_z
from smartcity.modules.airquality import aqi, errors, repository
from smartcity.modules.airquality.calibrating import models_by_device
from smartcity.modules.airquality.calibration import IDENTITY
from smartcity.modules.airquality.days import local_day
from smartcity.modules.airquality.devices import status_of
from smartcity.modules.airquality.geo import LocalProjection, haversine_km
from smartcity.modules.airquality.interpolation import Variogram, idw, ordinary_kriging, scaled
from smartcity.modules.airquality.readings import PROPERTIES, FloatArray, airboxes
from smartcity.modules.airquality.rendering import GridSpec, estimate_grid
from smartcity.modules.airquality.settings import AirqualitySettings

Method = Literal["kriging", "idw"]
MAX_GRID_CELLS = 500 * 500


def default_variogram(settings: AirqualitySettings) -> Variogram:
    """The unit-variance variogram of the default map (rescaled to each slice's variance)."""
    share = settings.nugget_share
    return Variogram("exponential", share, 1.0 - share, settings.range_km)


@dataclass(frozen=True)
class Snapshot:
    """Each usable device's newest (calibrated) PM2.5 in the window before a time."""

    time: datetime
    device_ids: list[str]
    lat: FloatArray
    lon: FloatArray
    pm25: FloatArray
    excluded: int


def snapshot(session: Session, when: datetime, settings: AirqualitySettings) -> Snapshot:
    """The map's input at `when`: newest reading per device within the estimate window.

    Devices judged malfunctioning or indoor on the newest assessed day are left out.
    """
    start = when - timedelta(minutes=settings.estimate_window_minutes)
    series = airboxes(sensors.readings(session, start, when + timedelta(seconds=1), PROPERTIES))
    excluded = repository.excluded_devices(session, local_day(when))
    ids: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    raw: list[float] = []
    temp: list[float] = []
    hum: list[float] = []
    skipped = 0
    for s in series:
        if s.device_id in excluded:
            skipped += 1
            continue
        pm = s.values["pm25"]
        ok = np.flatnonzero(~np.isnan(pm))
        if not len(ok):
            continue
        last = int(ok[-1])
        ids.append(s.device_id)
        lat.append(s.latitude)
        lon.append(s.longitude)
        raw.append(float(pm[last]))
        temp.append(float(s.values["temperature"][last]))
        hum.append(float(s.values["humidity"][last]))
    lat_a, lon_a = np.array(lat, dtype=float), np.array(lon, dtype=float)
    # Each device's persistent offset from its neighbours, learnt on the previous days only,
    # is taken off before the map is made (LOO on real data: docs/airquality.md).
    offsets = repository.offsets_before(session, local_day(when))
    raw = [max(r - offsets.get(d, 0.0), 0.0) for r, d in zip(raw, ids, strict=True)]
    values = np.array(raw, dtype=float)
    models = models_by_device(session, local_day(when), ids, lat_a, lon_a)
    for i, device in enumerate(ids):
        model = models.get(device)
        if model is not None and model is not IDENTITY:
            c = model.apply(np.array([raw[i]]), np.array([temp[i]]), np.array([hum[i]]))[0]
            if np.isfinite(c):
                values[i] = c
    return Snapshot(when, ids, lat_a, lon_a, values, skipped)


def estimate_at(
    session: Session,
    latitude: float,
    longitude: float,
    when: datetime,
    settings: AirqualitySettings,
    method: Method = "kriging",
) -> dict[str, Any]:
    """PM2.5 at one point and time: `{"pm25", "method", "n_neighbours", "time", ...}`."""
    if not (np.isfinite(latitude) and np.isfinite(longitude)):
        raise errors.InvalidPosition("lat and lon must be numbers")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise errors.InvalidPosition("lat or lon out of range")
    snap = snapshot(session, when, settings)
    if not snap.device_ids:
        raise errors.NoReadings("no device reported in the window before that time")
    dist = haversine_km(snap.lat, snap.lon, latitude, longitude)
    nearest = float(dist.min())
    if nearest > settings.max_distance_km:
        raise errors.TooFar(
            f"the nearest device is {nearest:.1f} km away (limit {settings.max_distance_km} km)"
        )
    proj = LocalProjection.around(snap.lat, snap.lon)
    xy = proj.forward(snap.lat, snap.lon)
    query = proj.forward(np.array([latitude]), np.array([longitude]))
    k = min(16, len(snap.pm25))
    if method == "idw":
        value = float(idw(xy, snap.pm25, query, power=2.0, k=k)[0])
    else:
        vg = scaled(default_variogram(settings), snap.pm25)
        value = float(ordinary_kriging(xy, snap.pm25, query, vg, k=k)[0][0])
    value = max(value, 0.0)
    band = aqi.band_of(value)
    return {
        "pm25": round(value, 2),
        "method": method,
        "n_neighbours": k,
        "time": isoformat_z(when),
        "band": band.key if band else None,
        "aqi": aqi.sub_index(value),
        "nearest_km": round(nearest, 3),
    }


def check_grid(spec: GridSpec) -> GridSpec:
    """Refuse grids that are inverted, too large or not on Earth."""
    if not (-90 <= spec.south < spec.north <= 90 and -180 <= spec.west < spec.east <= 180):
        raise errors.InvalidBbox("need south < north and west < east, within ±90 / ±180")
    if spec.north - spec.south > 5 or spec.east - spec.west > 5:
        raise errors.BboxTooLarge("a map covers at most 5° × 5°")
    if spec.width * spec.height > MAX_GRID_CELLS or spec.width < 2 or spec.height < 2:
        raise errors.GridTooLarge("a grid has 2…500 cells a side")
    return spec


def grid_at(
    session: Session,
    spec: GridSpec,
    when: datetime,
    settings: AirqualitySettings,
    method: Method = "kriging",
) -> tuple[FloatArray, Snapshot]:
    """Estimates on every cell of `spec` at `when` (NaN far from devices), and their input."""
    check_grid(spec)
    snap = snapshot(session, when, settings)
    if not snap.device_ids:
        return np.full((spec.height, spec.width), np.nan), snap
    vg = scaled(default_variogram(settings), snap.pm25)
    grid = estimate_grid(
        snap.lat,
        snap.lon,
        snap.pm25,
        spec,
        method=method,
        variogram=vg,
        max_distance_km=settings.max_distance_km,
    )
    return grid, snap


def map_points(
    session: Session, when: datetime, settings: AirqualitySettings
) -> list[dict[str, Any]]:
    """Every device with a reading in the window before `when`: position, PM2.5, band, status.

    Unlike `snapshot`, flagged devices are kept (the map marks them).
    """
    start = when - timedelta(minutes=settings.estimate_window_minutes)
    series = airboxes(sensors.readings(session, start, when + timedelta(seconds=1), ("pm25",)))
    day = repository.health_day(session, local_day(when))
    status: dict[str, str] = {}
    if day is not None:
        for row in repository.health_of_day(session, day):
            status[row.device_id] = status_of(row)
    points = []
    for s in series:
        pm = s.values["pm25"]
        ok = np.flatnonzero(~np.isnan(pm))
        if not len(ok):
            continue
        value = float(pm[int(ok[-1])])
        band = aqi.band_of(value)
        points.append(
            {
                "device_id": s.device_id,
                "name": s.name,
                "lat": s.latitude,
                "lon": s.longitude,
                "pm25": round(value, 1),
                "band": band,
                "status": status.get(s.device_id, "not_assessed"),
            }
        )
    return points

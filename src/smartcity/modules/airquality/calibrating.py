"""Calibration: each reference station's daily regression, and the models in force on a day.

Writes take the caller's unit of work, audit what they replaced and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.airquality import repository
from smartcity.modules.airquality.adapters import Window, window_from_series
from smartcity.modules.airquality.calibration import (
    IDENTITY,
    CalibrationModel,
    choose_model,
    hourly_blocks,
    nearest_station,
)
from smartcity.modules.airquality.days import check_day, day_bounds
from smartcity.modules.airquality.geo import LocalProjection, haversine_km
from smartcity.modules.airquality.models import Calibration
from smartcity.modules.airquality.readings import (
    PROPERTIES,
    REFERENCE,
    FloatArray,
    Progress,
    airboxes,
    no_progress,
)
from smartcity.modules.airquality.settings import AirqualitySettings


def _model_of(row: Calibration) -> CalibrationModel:
    return CalibrationModel(
        row.kind,
        tuple(float(c) for c in row.coefficients),
        float("nan") if row.rmse is None else row.rmse,
        float("nan") if row.raw_rmse is None else row.raw_rmse,
        row.n_pairs,
    )


def models_by_device(
    session: Session, day: date, device_ids: Sequence[str], lat: FloatArray, lon: FloatArray
) -> dict[str, CalibrationModel]:
    """The model in force on `day` for each device: its nearest station's."""
    rows = repository.calibrations_for(session, day)
    if not rows or not len(device_ids):
        return {}
    proj = LocalProjection.around(lat, lon)
    station_xy = proj.forward([r.latitude for r in rows], [r.longitude for r in rows])
    idx, _dist = nearest_station(proj.forward(lat, lon), station_xy)
    models = [_model_of(r) for r in rows]
    return {device: models[int(i)] for device, i in zip(device_ids, idx, strict=True)}


def calibrated(
    models: dict[str, CalibrationModel], window: Window, pm25: FloatArray | None = None
) -> FloatArray:
    """c_d0 of every reading of a window (the raw reading where no model applies)."""
    raw = window.pm25 if pm25 is None else pm25
    out = raw.copy()
    for i, device in enumerate(window.device_ids):
        model = models.get(device)
        if model is None or model is IDENTITY:
            continue
        corrected = model.apply(raw[i], window.temperature[i], window.humidity[i])
        out[i] = np.where(np.isnan(corrected), raw[i], corrected)
    return out


def run_calibration(
    uow: UnitOfWork, day: date, settings: AirqualitySettings, *, progress: Progress = no_progress
) -> list[dict[str, Any]]:
    """Choose each reference station's regression on the day before `day`, for use on `day`.

    Pairs are hourly means of the devices within `pair_radius_km` of the station (devices
    judged malfunctioning or indoor that day are left out) against the station's hourly mean.
    """
    check_day(day)
    before = day - timedelta(days=1)
    start, end = day_bounds(before)
    series = sensors.readings(uow.session, start, end, PROPERTIES)
    stations = [s for s in series if s.kind == REFERENCE]
    excluded = repository.excluded_devices(uow.session, before)
    devices = [s for s in airboxes(series) if s.device_id not in excluded]
    chosen: list[dict[str, Any]] = []
    progress(0, max(len(stations), 1))
    if not stations:
        uow.audit("airquality.calibration.chosen", "day", day.isoformat(), {"stations": 0})
        return chosen
    station_window = window_from_series(stations, start, 3600, 24)
    device_window = window_from_series(devices, start, 3600, 24)
    blocks_row = hourly_blocks(np.arange(24))
    for j, station in enumerate(stations):
        if len(devices):
            dist = haversine_km(
                device_window.lat, device_window.lon, station.latitude, station.longitude
            )
            near = np.flatnonzero(dist <= settings.pair_radius_km)
        else:
            near = np.array([], dtype=np.int64)
        x = device_window.pm25[near].ravel()
        t = device_window.temperature[near].ravel()
        h = device_window.humidity[near].ravel()
        y = np.tile(station_window.pm25[j], len(near))
        blocks = np.tile(blocks_row, len(near))
        model, scores = choose_model(x, t, h, y, blocks)
        values = {
            "day": day,
            "station_id": station.device_id,
            "latitude": station.latitude,
            "longitude": station.longitude,
            "kind": model.kind,
            "coefficients": [round(c, 6) for c in model.coefficients],
            "rmse": None if not np.isfinite(model.rmse) else round(model.rmse, 4),
            "raw_rmse": None if not np.isfinite(model.raw_rmse) else round(model.raw_rmse, 4),
            "n_pairs": model.n_pairs,
            "scores": {k: round(v, 4) for k, v in scores.items() if np.isfinite(v)},
            "computed_at": utcnow(),
        }
        repository.upsert_calibration(uow.session, values)
        uow.audit(
            "airquality.calibration.chosen",
            "station",
            station.device_id,
            {
                "day": day.isoformat(),
                "kind": model.kind,
                "n_pairs": model.n_pairs,
                "rmse": values["rmse"],
            },
        )
        chosen.append({**values, "day": day.isoformat(), "computed_at": None, "near": len(near)})
        progress(j + 1, len(stations))
    return chosen

"""airquality's services: the quality pass, calibration, plume tracking and the map reads.

Readings come only from `sensors.service` (`readings`, `latest`); results are stored in
this module's tables. Every write function takes the caller's unit of work, audits what
it replaced and never commits. Days are the city's calendar days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.city import current_city
from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.time import city_zone, isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.airquality import aqi, repository
from smartcity.modules.airquality.adapters import (
    Window,
    airbox_feed,
    calibrate_latest,
    window_from_series,
)
from smartcity.modules.airquality.alerts import crossings
from smartcity.modules.airquality.calibration import (
    IDENTITY,
    CalibrationModel,
    choose_model,
    hourly_blocks,
    nearest_station,
)
from smartcity.modules.airquality.geo import LocalProjection, haversine_km
from smartcity.modules.airquality.interpolation import (
    Variogram,
    device_offsets,
    idw,
    loo_residuals,
    ordinary_kriging,
    scaled,
)
from smartcity.modules.airquality.models import Calibration
from smartcity.modules.airquality.plumes import find_regions, track
from smartcity.modules.airquality.quality import (
    FLAG_NAMES,
    QualityParameters,
    assess,
    flag_names,
)
from smartcity.modules.airquality.rendering import GridSpec, estimate_grid
from smartcity.modules.airquality.settings import AirqualitySettings

FloatArray = NDArray[np.float64]
Method = Literal["kriging", "idw"]
Progress = Callable[[int, int], None]
REFERENCE = "reference"
MAX_GRID_CELLS = 500 * 500
PROPERTIES = ("pm25", "temperature", "humidity")


def _noop(_done: int, _total: int) -> None:
    return None


# -- days and times --------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a calendar day in the city."""
    start = datetime.combine(day, time.min, tzinfo=city_zone()).astimezone(UTC)
    return start, start + timedelta(days=1)


def local_day(when: datetime) -> date:
    """The city's calendar day of an aware time."""
    return when.astimezone(city_zone()).date()


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` day, or InvalidInput."""
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidInput("day must be YYYY-MM-DD", code="invalid_day") from None
    check_day(day)
    return day


def check_day(day: date) -> date:
    """Refuse days outside the years the platform can hold readings for."""
    if not 2000 <= day.year <= 2100:
        raise InvalidInput("day must be between 2000 and 2100", code="invalid_day")
    return day


def parse_time(text: str | None) -> datetime:
    """An ISO 8601 time (naive = the city's local time) as aware UTC; now when empty."""
    if text is None or not text.strip():
        return utcnow()
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=city_zone())
        result = value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            "time must be ISO 8601, e.g. 2024-11-02T08:00:00+08:00", code="invalid_time"
        ) from None
    if not 2000 <= result.year <= 2100:
        raise InvalidInput("time must be between 2000 and 2100", code="invalid_time")
    return result


# -- calibration models -----------------------------------------------------------------


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


# -- the quality pass ------------------------------------------------------------------


@dataclass(frozen=True)
class QualityRun:
    """What one quality pass found."""

    day: date
    slice_minutes: int
    devices: int
    readings: int
    flagged_slices: int
    malfunctioning: list[str]
    indoor: list[str]
    ranking: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "day": self.day.isoformat(),
            "slice_minutes": self.slice_minutes,
            "devices": self.devices,
            "readings": self.readings,
            "flagged_slices": self.flagged_slices,
            "malfunctioning": self.malfunctioning,
            "indoor": self.indoor,
            "ranking": self.ranking[:10],
        }


def _airboxes(series: Sequence[sensors.DeviceSeries]) -> list[sensors.DeviceSeries]:
    return [s for s in series if s.kind != REFERENCE]


def run_quality(
    uow: UnitOfWork,
    day: date,
    settings: AirqualitySettings,
    *,
    slice_minutes: int | None = None,
    progress: Progress = _noop,
) -> QualityRun:
    """Flag every device's readings of one day and rank the devices; replaces that day's run."""
    check_day(day)
    minutes = slice_minutes or settings.slice_minutes
    if not 1 <= minutes <= 60 or 1440 % minutes:
        raise InvalidInput("slice minutes must divide a day (1…60)", code="invalid_slice")
    start, end = day_bounds(day)
    progress(0, 3)
    series = _airboxes(sensors.readings(uow.session, start, end, PROPERTIES))
    step = minutes * 60
    n_slices = 86400 // step
    window = window_from_series(series, start, step, n_slices)
    progress(1, 3)
    params = QualityParameters(
        radius_km=settings.neighbour_radius_km, stuck_slices=max(6, 3600 // step)
    )
    flag_rows: list[dict[str, Any]] = []
    health_rows: list[dict[str, Any]] = []
    malfunctioning: list[str] = []
    indoor: list[str] = []
    ranking: list[dict[str, Any]] = []
    present = int(np.count_nonzero(~np.isnan(window.pm25)))
    if series:
        result = assess(
            window.lat, window.lon, window.pm25, window.temperature, window.humidity, params
        )
        counts = result.counts()
        offsets = _offsets_of_day(series, start, settings)
        dev, col = np.nonzero(result.flags)
        slice_times = [
            datetime.fromtimestamp(int(t.astype("datetime64[s]").astype(np.int64)), UTC)
            for t in window.times
        ]
        for d, c in zip(dev.tolist(), col.tolist(), strict=True):
            value = window.pm25[d, c]
            flag_rows.append(
                {
                    "device_id": window.device_ids[d],
                    "slice_start": slice_times[c],
                    "slice_seconds": step,
                    "flags": int(result.flags[d, c]),
                    "pm25": None if np.isnan(value) else round(float(value), 2),
                }
            )
        now = utcnow()
        n = len(window.device_ids)
        for i, device in enumerate(window.device_ids):
            row = {
                "day": day,
                "device_id": device,
                "score": round(float(result.score[i]), 4),
                "rank": int(result.rank[i]),
                "ranked": n,
                "evaluated": int(result.evaluated[i]),
                "neighbours": int(result.neighbours[i]),
                "indoor": bool(result.indoor[i]),
                "malfunction": bool(result.malfunction[i]),
                "counts": {name: int(counts[name][i]) for name in FLAG_NAMES.values()},
                "offset": offsets.get(device),
                "computed_at": now,
            }
            health_rows.append(row)
            if row["malfunction"]:
                malfunctioning.append(device)
            if row["indoor"]:
                indoor.append(device)
        ranking = sorted(
            (
                {"device_id": r["device_id"], "rank": r["rank"], "score": r["score"]}
                for r in health_rows
            ),
            key=lambda r: r["rank"],
        )
    progress(2, 3)
    repository.replace_flags(uow.session, start, end, flag_rows)
    repository.replace_health(uow.session, day, health_rows)
    run = QualityRun(
        day, minutes, len(series), present, len(flag_rows), malfunctioning, indoor, ranking
    )
    uow.audit(
        "airquality.quality.assessed",
        "day",
        day.isoformat(),
        {
            "devices": run.devices,
            "readings": run.readings,
            "flagged_slices": run.flagged_slices,
            "malfunctioning": len(malfunctioning),
            "indoor": len(indoor),
            "slice_minutes": minutes,
        },
    )
    progress(3, 3)
    return run


def _offsets_of_day(
    series: Sequence[sensors.DeviceSeries], start: datetime, settings: AirqualitySettings
) -> dict[str, float]:
    """Each device's mean hourly LOO kriging residual over the day (its offset).

    Devices judged malfunctioning are not special-cased: their offsets are never used,
    because the map leaves them out.
    """
    hourly = window_from_series(series, start, 3600, 24)
    if len(hourly.device_ids) < 4:
        return {}
    proj = LocalProjection.around(hourly.lat, hourly.lon)
    residuals = loo_residuals(
        proj.forward(hourly.lat, hourly.lon), hourly.pm25, default_variogram(settings)
    )
    offsets = device_offsets(residuals)
    has = np.asarray((~np.isnan(residuals)).any(axis=1)).tolist()
    return {
        d: round(float(o), 3) for d, o, h in zip(hourly.device_ids, offsets, has, strict=True) if h
    }


# -- calibration -----------------------------------------------------------------------


def run_calibration(
    uow: UnitOfWork, day: date, settings: AirqualitySettings, *, progress: Progress = _noop
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
    devices = [s for s in _airboxes(series) if s.device_id not in excluded]
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


# -- maps ------------------------------------------------------------------------------


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
    series = _airboxes(sensors.readings(session, start, when + timedelta(seconds=1), PROPERTIES))
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
        raise InvalidInput("lat and lon must be numbers", code="invalid_position")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("lat or lon out of range", code="invalid_position")
    snap = snapshot(session, when, settings)
    if not snap.device_ids:
        raise NotFound("no device reported in the window before that time", code="no_readings")
    dist = haversine_km(snap.lat, snap.lon, latitude, longitude)
    nearest = float(dist.min())
    if nearest > settings.max_distance_km:
        raise InvalidInput(
            f"the nearest device is {nearest:.1f} km away (limit {settings.max_distance_km} km)",
            code="too_far",
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
        raise InvalidInput(
            "need south < north and west < east, within ±90 / ±180", code="invalid_bbox"
        )
    if spec.north - spec.south > 5 or spec.east - spec.west > 5:
        raise InvalidInput("a map covers at most 5° × 5°", code="bbox_too_large")
    if spec.width * spec.height > MAX_GRID_CELLS or spec.width < 2 or spec.height < 2:
        raise InvalidInput("a grid has 2…500 cells a side", code="grid_too_large")
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


# -- plumes and district alerts ----------------------------------------------------------


def _spec_around(lat: FloatArray, lon: FloatArray, cells: int) -> GridSpec:
    pad = 0.01
    return GridSpec(
        float(lat.min()) - pad,
        float(lon.min()) - pad,
        float(lat.max()) + pad,
        float(lon.max()) + pad,
        cells,
        cells,
    )


def run_plumes(
    uow: UnitOfWork, day: date, settings: AirqualitySettings, *, progress: Progress = _noop
) -> dict[str, Any]:
    """Track plumes over the hours of one day and raise district band-crossing alerts.

    Each hour's calibrated device means (malfunctioning and indoor devices left out) are
    kriged onto a grid around the devices; regions at or above `plume_threshold` are
    followed across hours. District estimates use the same hourly inputs.
    """
    check_day(day)
    start, end = day_bounds(day)
    session = uow.session
    excluded = repository.excluded_devices(session, day)
    series = [
        s
        for s in _airboxes(sensors.readings(session, start, end, PROPERTIES))
        if s.device_id not in excluded
    ]
    hours = [start + timedelta(hours=h) for h in range(24)]
    progress(0, 24)
    track_rows: list[dict[str, Any]] = []
    alert_rows: list[dict[str, Any]] = []
    if series:
        window = window_from_series(series, start, 3600, 24)
        models = models_by_device(session, day, window.device_ids, window.lat, window.lon)
        values = calibrated(models, window)
        spec = _spec_around(window.lat, window.lon, settings.plume_grid)
        proj = LocalProjection.around(window.lat, window.lon)
        xy = proj.forward(window.lat, window.lon)
        districts = current_city().districts
        d_lat = np.array([d.point[0] for d in districts])
        d_lon = np.array([d.point[1] for d in districts])
        nearest = haversine_km(
            d_lat[:, None], d_lon[:, None], window.lat[None, :], window.lon[None, :]
        ).min(axis=1)
        covered = nearest <= settings.max_distance_km
        d_xy = proj.forward(d_lat, d_lon)
        district_est = np.full((len(districts), 24), np.nan)
        slices = []
        unit = default_variogram(settings)
        for h, when in enumerate(hours):
            z = values[:, h]
            ok = ~np.isnan(z)
            if ok.sum() >= 3:
                vg = scaled(unit, z[ok])
                grid = estimate_grid(
                    window.lat[ok],
                    window.lon[ok],
                    z[ok],
                    spec,
                    variogram=vg,
                    max_distance_km=settings.max_distance_km,
                )
                slices.append(
                    find_regions(
                        grid, spec.lats, spec.lons, when, threshold=settings.plume_threshold
                    )
                )
                est, _ = ordinary_kriging(
                    xy[ok], z[ok], d_xy[covered], vg, k=min(16, int(ok.sum()))
                )
                district_est[covered, h] = np.maximum(est, 0.0)
            else:
                slices.append([])
            progress(h + 1, 24)
        for t in track(slices):
            doc = t.as_dict()
            track_rows.append(
                {
                    "day": day,
                    "track_no": t.id,
                    "started_at": t.path[0].time,
                    "ended_at": t.path[-1].time,
                    "speed_kmh": round(t.speed_kmh, 3),
                    "direction_deg": doc["direction_deg"],
                    "distance_km": round(t.distance_km, 3),
                    "peak": round(max(r.peak for r in t.path), 2),
                    "path": doc["path"],
                }
            )
        keys = {b.key: b.index for b in aqi.BANDS}
        previous = {
            d: keys[b] for d, b in repository.last_bands(session, start).items() if b in keys
        }
        found, _last = crossings([d.code for d in districts], hours, district_est, previous)
        now = utcnow()
        alert_rows = [
            {
                "district": c.district,
                "time": c.time,
                "pm25": round(c.pm25, 2),
                "from_band": c.from_band,
                "to_band": c.to_band,
                "rising": c.rising,
                "created_at": now,
            }
            for c in found
        ]
    repository.replace_tracks(session, day, track_rows)
    repository.replace_alerts(session, start, end, alert_rows)
    uow.audit(
        "airquality.plumes.tracked",
        "day",
        day.isoformat(),
        {"devices": len(series), "tracks": len(track_rows), "alerts": len(alert_rows)},
    )
    return {
        "day": day.isoformat(),
        "devices": len(series),
        "tracks": len(track_rows),
        "alerts": len(alert_rows),
    }


# -- reads -----------------------------------------------------------------------------


def airbox_document(session: Session) -> dict[str, Any]:
    """The Airbox open-data document of every device's latest reading, with c_d0."""
    latest = [d for d in sensors.latest(session, PROPERTIES) if d.kind != REFERENCE]
    models: dict[str, CalibrationModel] = {}
    if latest:
        models = models_by_device(
            session,
            local_day(max(d.time for d in latest)),
            [d.device_id for d in latest],
            np.array([d.latitude for d in latest]),
            np.array([d.longitude for d in latest]),
        )
    return airbox_feed(
        latest,
        calibrate_latest(latest, models),
        source="smartcity airquality (Airbox open-data form)",
        version=isoformat_z(utcnow()),
    )


def _health_doc(row: Any) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "score": row.score,
        "rank": row.rank,
        "ranked": row.ranked,
        "evaluated": row.evaluated,
        "neighbours": row.neighbours,
        "indoor": row.indoor,
        "malfunction": row.malfunction,
        "flag_counts": dict(row.counts),
        "offset": row.offset,
    }


def device_health(session: Session, device_id: str) -> dict[str, Any]:
    """A device's newest health summary, its history and its newest flagged slices."""
    history = repository.health_history(session, device_id)
    latest = next(
        (d for d in sensors.latest(session, PROPERTIES) if d.device_id == device_id), None
    )
    if not history and latest is None:
        raise NotFound(f"no device {device_id!r}", code="unknown_device")
    flags = repository.recent_flags(session, device_id)
    return {
        "device_id": device_id,
        "name": latest.name if latest else None,
        "latitude": latest.latitude if latest else None,
        "longitude": latest.longitude if latest else None,
        "assessed": bool(history),
        "status": _status(history[0]) if history else "not_assessed",
        "latest": _health_doc(history[0]) if history else None,
        "history": [_health_doc(r) for r in history],
        "recent_flags": [
            {
                "time": isoformat_z(f.slice_start),
                "minutes": f.slice_seconds // 60,
                "pm25": f.pm25,
                "flags": flag_names(f.flags),
            }
            for f in flags
        ],
    }


def _status(row: Any) -> str:
    if row.malfunction:
        return "malfunction"
    if row.indoor:
        return "indoor"
    return "ok"


def plume_tracks(session: Session, day: date | None) -> dict[str, Any]:
    """The plume tracks of a day (the newest tracked day by default)."""
    if day is not None:
        check_day(day)
    found, rows = repository.tracks_of(session, day)
    return {
        "day": found.isoformat() if found else None,
        "tracks": [
            {
                "id": r.track_no,
                "start": isoformat_z(r.started_at),
                "end": isoformat_z(r.ended_at),
                "speed_kmh": r.speed_kmh,
                "direction_deg": r.direction_deg,
                "distance_km": r.distance_km,
                "peak": r.peak,
                "path": r.path,
            }
            for r in rows
        ],
    }


def district_alerts(session: Session, limit: int, district: str | None) -> list[dict[str, Any]]:
    """The newest district band-crossing alerts."""
    names = {d.code: d.label for d in current_city().districts}
    if district is not None and district not in names:
        raise NotFound(f"no district {district!r}", code="unknown_district")
    return [
        {
            "district": a.district,
            "district_name": names.get(a.district, a.district),
            "time": isoformat_z(a.time),
            "pm25": a.pm25,
            "from_band": a.from_band,
            "to_band": a.to_band,
            "rising": a.rising,
        }
        for a in repository.alerts(session, limit, district)
    ]


def ranking(session: Session, day: date | None = None) -> tuple[date | None, list[Any]]:
    """The malfunction ranking of a day (the newest assessed day by default)."""
    found = repository.health_day(session, day or date(2100, 12, 31))
    if found is None:
        return None, []
    return found, repository.health_of_day(session, found)


def map_points(
    session: Session, when: datetime, settings: AirqualitySettings
) -> list[dict[str, Any]]:
    """Every device with a reading in the window before `when`: position, PM2.5, band, status.

    Unlike `snapshot`, flagged devices are kept (the map marks them).
    """
    start = when - timedelta(minutes=settings.estimate_window_minutes)
    series = _airboxes(sensors.readings(session, start, when + timedelta(seconds=1), ("pm25",)))
    day = repository.health_day(session, local_day(when))
    status: dict[str, str] = {}
    if day is not None:
        for row in repository.health_of_day(session, day):
            status[row.device_id] = _status(row)
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

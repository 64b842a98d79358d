"""Plumes and district alerts: the daily tracking pass and what it stored.

The pass reads and computes (`trace_plumes`, in any session) and stores (`store_plumes`) in
two steps, so that a caller can keep the long computation out of its write transaction.
Writes take the caller's unit of work, audit what they replaced and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.city import current_city
from smartcity.core.time import isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.airquality import aqi, errors, repository
from smartcity.modules.airquality.adapters import window_from_series
from smartcity.modules.airquality.alerts import crossings
from smartcity.modules.airquality.calibrating import calibrated, models_by_device
from smartcity.modules.airquality.days import check_day, day_bounds
from smartcity.modules.airquality.geo import LocalProjection, haversine_km
from smartcity.modules.airquality.interpolation import ordinary_kriging, scaled
from smartcity.modules.airquality.maps import default_variogram
from smartcity.modules.airquality.plumes import find_regions, track
from smartcity.modules.airquality.readings import (
    PROPERTIES,
    FloatArray,
    Progress,
    airboxes,
    no_progress,
)
from smartcity.modules.airquality.rendering import GridSpec, estimate_grid
from smartcity.modules.airquality.settings import AirqualitySettings


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


@dataclass(frozen=True)
class PlumeFindings:
    """A day's plume tracks and district alerts, computed and not yet stored."""

    day: date
    devices: int
    track_rows: list[dict[str, Any]]
    alert_rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """JSON form: what was found, in counts."""
        return {
            "day": self.day.isoformat(),
            "devices": self.devices,
            "tracks": len(self.track_rows),
            "alerts": len(self.alert_rows),
        }


def trace_plumes(
    session: Session, day: date, settings: AirqualitySettings, *, progress: Progress = no_progress
) -> PlumeFindings:
    """Track plumes over the hours of one day and find district band-crossing alerts.

    Each hour's calibrated device means (malfunctioning and indoor devices left out) are
    kriged onto a grid around the devices; regions at or above `plume_threshold` are
    followed across hours. District estimates use the same hourly inputs.
    """
    check_day(day)
    start, end = day_bounds(day)
    excluded = repository.excluded_devices(session, day)
    series = [
        s
        for s in airboxes(sensors.readings(session, start, end, PROPERTIES))
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
    return PlumeFindings(day, len(series), track_rows, alert_rows)


def store_plumes(uow: UnitOfWork, found: PlumeFindings) -> dict[str, Any]:
    """Replace the day's plume tracks and district alerts with `found`'s."""
    start, end = day_bounds(found.day)
    repository.replace_tracks(uow.session, found.day, found.track_rows)
    repository.replace_alerts(uow.session, start, end, found.alert_rows)
    summary = found.as_dict()
    uow.audit(
        "airquality.plumes.tracked",
        "day",
        found.day.isoformat(),
        {k: summary[k] for k in ("devices", "tracks", "alerts")},
    )
    return summary


def run_plumes(
    uow: UnitOfWork, day: date, settings: AirqualitySettings, *, progress: Progress = no_progress
) -> dict[str, Any]:
    """Trace and store one day's plumes in the caller's transaction."""
    return store_plumes(uow, trace_plumes(uow.session, day, settings, progress=progress))


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
        raise errors.UnknownDistrict(f"no district {district!r}")
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

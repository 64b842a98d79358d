"""The daily quality pass: flag every device's readings and rank the devices.

The pass reads (`day_readings`), assesses (`assess_quality`, no database) and stores
(`store_quality`) in three steps, so that a caller can keep the long assessment out of its
write transaction. Writes take the caller's unit of work, audit what they replaced and never
commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.sensors.service as sensors
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.airquality import errors, repository
from smartcity.modules.airquality.adapters import window_from_series
from smartcity.modules.airquality.days import check_day, day_bounds
from smartcity.modules.airquality.geo import LocalProjection
from smartcity.modules.airquality.interpolation import device_offsets, loo_residuals
from smartcity.modules.airquality.maps import default_variogram
from smartcity.modules.airquality.quality import FLAG_NAMES, QualityParameters, assess
from smartcity.modules.airquality.readings import PROPERTIES, Progress, airboxes, no_progress
from smartcity.modules.airquality.settings import AirqualitySettings


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


@dataclass(frozen=True)
class QualityAssessment:
    """A day's assessment, computed and not yet stored."""

    run: QualityRun
    observations: int
    flag_rows: list[dict[str, Any]]
    health_rows: list[dict[str, Any]]


def day_readings(session: Session, day: date) -> list[sensors.DeviceSeries]:
    """The Airboxes' readings of one city day, as the quality pass reads them."""
    start, end = day_bounds(check_day(day))
    return airboxes(sensors.readings(session, start, end, PROPERTIES))


def observation_count(series: Sequence[sensors.DeviceSeries]) -> int:
    """How many readings `series` holds (each property of each time counts once)."""
    return sum(int(np.count_nonzero(~np.isnan(v))) for s in series for v in s.values.values())


def assess_quality(
    series: Sequence[sensors.DeviceSeries],
    day: date,
    settings: AirqualitySettings,
    *,
    slice_minutes: int | None = None,
    progress: Progress = no_progress,
) -> QualityAssessment:
    """Flag every device's readings of one day (`day_readings`) and rank the devices."""
    check_day(day)
    minutes = slice_minutes or settings.slice_minutes
    if not 1 <= minutes <= 60 or 1440 % minutes:
        raise errors.InvalidSlice("slice minutes must divide a day (1…60)")
    start, _end = day_bounds(day)
    progress(0, 3)
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
    run = QualityRun(
        day, minutes, len(series), present, len(flag_rows), malfunctioning, indoor, ranking
    )
    return QualityAssessment(run, observation_count(series), flag_rows, health_rows)


def store_quality(
    uow: UnitOfWork, found: QualityAssessment, *, progress: Progress = no_progress
) -> QualityRun:
    """Replace the day's flags, health and pass record with `found`'s."""
    run = found.run
    start, end = day_bounds(run.day)
    repository.replace_flags(uow.session, start, end, found.flag_rows)
    repository.replace_health(uow.session, run.day, found.health_rows)
    repository.record_day_pass(
        uow.session, run.day, run.slice_minutes, found.observations, utcnow()
    )
    uow.audit(
        "airquality.quality.assessed",
        "day",
        run.day.isoformat(),
        {
            "devices": run.devices,
            "readings": run.readings,
            "flagged_slices": run.flagged_slices,
            "malfunctioning": len(run.malfunctioning),
            "indoor": len(run.indoor),
            "slice_minutes": run.slice_minutes,
        },
    )
    progress(3, 3)
    return run


def run_quality(
    uow: UnitOfWork,
    day: date,
    settings: AirqualitySettings,
    *,
    slice_minutes: int | None = None,
    progress: Progress = no_progress,
) -> QualityRun:
    """Read, assess and store one day in the caller's transaction."""
    series = day_readings(uow.session, day)
    found = assess_quality(series, day, settings, slice_minutes=slice_minutes, progress=progress)
    return store_quality(uow, found, progress=progress)


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

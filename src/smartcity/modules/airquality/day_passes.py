"""A day's passes as the edges and the worker run them: each reads and computes outside any
write transaction and stores its results in a short one.

SQLite has one writer, and a write transaction holds the lock from its first statement: a pass
computed inside one would make every sign-in, payment and reading wait for it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from smartcity.core.auth import Principal
from smartcity.core.platform import Platform
from smartcity.modules.airquality import repository
from smartcity.modules.airquality.calibrating import run_calibration
from smartcity.modules.airquality.plume_pass import store_plumes, trace_plumes
from smartcity.modules.airquality.quality_pass import (
    QualityRun,
    assess_quality,
    day_readings,
    observation_count,
    store_quality,
)
from smartcity.modules.airquality.readings import Progress, no_progress
from smartcity.modules.airquality.settings import AirqualitySettings


def assess_day(
    platform: Platform,
    actor: Principal,
    day: date,
    settings: AirqualitySettings,
    *,
    slice_minutes: int | None = None,
    progress: Progress = no_progress,
    request_id: str | None = None,
) -> QualityRun:
    """Run the quality pass on one day and store it."""
    with platform.db.read_session() as session:
        series = day_readings(session, day)
    found = assess_quality(series, day, settings, slice_minutes=slice_minutes, progress=progress)
    with platform.unit_of_work(actor, request_id) as uow:
        return store_quality(uow, found, progress=progress)


def calibrate_day(
    platform: Platform,
    actor: Principal,
    day: date,
    settings: AirqualitySettings,
    *,
    progress: Progress = no_progress,
    request_id: str | None = None,
) -> list[dict[str, Any]]:
    """Choose the stations' regressions for one day (a short pass: one transaction)."""
    with platform.unit_of_work(actor, request_id) as uow:
        return run_calibration(uow, day, settings, progress=progress)


def track_day(
    platform: Platform,
    actor: Principal,
    day: date,
    settings: AirqualitySettings,
    *,
    progress: Progress = no_progress,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Track one day's plumes and raise its district alerts."""
    with platform.db.read_session() as session:
        found = trace_plumes(session, day, settings, progress=progress)
    with platform.unit_of_work(actor, request_id) as uow:
        return store_plumes(uow, found)


def redo_late_day(
    platform: Platform,
    actor: Principal,
    day: date,
    settings: AirqualitySettings,
    marked_by: datetime,
) -> bool:
    """Pass a day that late readings arrived for again, unless its readings are those its last
    quality pass read; then forget its mark unless readings marked it after `marked_by`.
    Whether the passes ran."""
    with platform.db.read_session() as session:
        series = day_readings(session, day)
        last = repository.day_pass(session, day)
    changed = last is None or last.observations != observation_count(series)
    if changed:
        # The day keeps the slices it was assessed in (a demo's hourly history, say).
        minutes = last.slice_minutes if last else None
        found = assess_quality(series, day, settings, slice_minutes=minutes)
        with platform.unit_of_work(actor) as uow:
            store_quality(uow, found)
        # Plumes leave out the devices the quality pass just judged: they read its results.
        track_day(platform, actor, day, settings)
    with platform.db.write_session() as session, session.begin():
        repository.forget_late_day(session, day, marked_by)
    return changed

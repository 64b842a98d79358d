"""airquality's public face: what its edges (API, pages, CLI, jobs, seed) and other code call.

The logic lives in one file per seam: `days` (the city's days and times), `calibrating`
(the stations' daily regressions and the models in force), `quality_pass` (flags and the
malfunction ranking), `maps` (snapshots, estimates, grids, map points), `plume_pass` (plume
tracks and district alerts) and `devices` (the Airbox open-data document, device health, the
ranking); `day_passes` runs a pass for an edge or the worker, computing outside the write
transaction. Readings come only from `sensors.service`; results are stored in this module's
tables. Every other write takes the caller's unit of work, audits what it replaced and never
commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

import smartcity.modules.sensors.service as sensors
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.modules.airquality.aqi import Band, band_named
from smartcity.modules.airquality.calibrating import run_calibration
from smartcity.modules.airquality.day_passes import (
    assess_day,
    calibrate_day,
    redo_late_day,
    track_day,
)
from smartcity.modules.airquality.days import check_day, local_day, parse_day, parse_time
from smartcity.modules.airquality.devices import airbox_document, device_health, ranking
from smartcity.modules.airquality.maps import Method, check_grid, estimate_at, grid_at, map_points
from smartcity.modules.airquality.plume_pass import district_alerts, plume_tracks, run_plumes
from smartcity.modules.airquality.quality_pass import QualityRun, run_quality
from smartcity.modules.airquality.repository import open_calibrations as open_calibrations
from smartcity.modules.airquality.repository import open_quality_flags as open_quality_flags
from smartcity.modules.airquality.settings import AirqualitySettings

__all__ = [
    "Band",
    "Method",
    "QualityRun",
    "airbox_document",
    "assess_day",
    "band_named",
    "calibrate_day",
    "check_day",
    "check_grid",
    "device_health",
    "district_alerts",
    "estimate_at",
    "grid_at",
    "local_day",
    "map_points",
    "parse_day",
    "parse_time",
    "plume_tracks",
    "ranking",
    "redo_late_day",
    "run_calibration",
    "run_plumes",
    "run_quality",
    "settings_of",
    "track_day",
]


def settings_of(platform: Platform) -> AirqualitySettings:
    """This platform's airquality settings (defaults when the module was not set up)."""
    return module_settings(platform, "airquality", AirqualitySettings)


def open_readings() -> Select[*tuple[Any, ...]]:
    """*Open data.* The Airbox readings the sensor hub stored, as the public sees them."""
    return sensors.open_airbox_readings()

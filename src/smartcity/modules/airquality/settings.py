"""airquality's own settings (`SMARTCITY_AIRQUALITY_*`), each documented in docs/airquality.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AirqualitySettings(BaseSettings):
    """Thresholds and limits of the air-quality services."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_AIRQUALITY_", env_file=".env", extra="ignore", frozen=True
    )

    slice_minutes: int = Field(5, ge=1, le=60, description="Length of a quality-pass time slice.")
    neighbour_radius_km: float = Field(
        3.0, gt=0, le=50, description="Neighbourhood of the per-slice spatial comparison (ADF)."
    )
    pair_radius_km: float = Field(
        3.0, gt=0, le=50, description="Devices this close to a reference station calibrate it."
    )
    estimate_window_minutes: int = Field(
        60, ge=1, le=1440, description="How far back a map looks for each device's reading."
    )
    max_distance_km: float = Field(
        10.0, gt=0, le=200, description="No estimate farther than this from every device."
    )
    nugget_share: float = Field(
        0.3, ge=0, lt=1, description="Kriging variogram: share of the variance that is noise."
    )
    range_km: float = Field(20.0, gt=0, le=500, description="Kriging variogram range.")
    plume_threshold: float = Field(
        30.5, gt=0, le=1000, description="PM2.5 (µg/m³) at which a region counts as a plume."
    )
    plume_grid: int = Field(
        100, ge=10, le=500, description="Cells along each side of the plume-tracking grid."
    )

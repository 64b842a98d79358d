"""Pydantic bodies of airquality's API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    """Which of the city's days to process."""

    model_config = ConfigDict(extra="forbid")

    day: date = Field(description="The city's calendar day, YYYY-MM-DD.")


class AirboxFeed(BaseModel):
    """One device in the Airbox open-data form."""

    device_id: str
    SiteName: str
    gps_lat: float
    gps_lon: float
    s_d0: float | None
    s_t0: float | None
    s_h0: float | None
    timestamp: str
    c_d0: float | None


class AirboxDocument(BaseModel):
    """`last-all-airbox.json`: every device's latest reading."""

    source: str
    feeds: list[AirboxFeed]
    version: str
    num_of_records: int


class EstimateOut(BaseModel):
    """An estimate of PM2.5 at one point and time."""

    pm25: float
    method: str
    n_neighbours: int
    time: str
    band: str | None = None
    aqi: int | None = None
    nearest_km: float | None = None


class RunOut(BaseModel):
    """The summary of a run."""

    model_config = ConfigDict(extra="allow")

    day: str
    detail: dict[str, Any] = Field(default_factory=dict)

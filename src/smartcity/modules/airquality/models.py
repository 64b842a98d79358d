"""Tables owned by airquality (prefixed `airquality_`).

Readings stay in sensors; these tables keep what airquality derives from them:
quality flags, device health, calibration models, plume tracks and district alerts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.time import UTCDateTime, utcnow


class SliceFlags(Base):
    """The quality flags of one device in one time slice (only slices with a flag are kept)."""

    __tablename__ = "airquality_flags"
    __table_args__ = (
        UniqueConstraint("device_id", "slice_start"),
        Index("ix_airquality_flags_slice_start", "slice_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64), nullable=False)
    slice_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    slice_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    flags: Mapped[int] = mapped_column(Integer, nullable=False)
    """Bit set of `quality.Flag`."""
    pm25: Mapped[float | None] = mapped_column(Float)
    """The slice's mean reading."""


class DeviceHealth(Base):
    """One device's quality summary for one day, with its place in the malfunction ranking."""

    __tablename__ = "airquality_device_health"
    __table_args__ = (
        UniqueConstraint("day", "device_id"),
        Index("ix_airquality_device_health_device_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    """The city's calendar day."""
    device_id: Mapped[str] = mapped_column(String(64), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    """Share of readings with unexplained anomalies (0…1)."""
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    """1 = most suspicious device of the day."""
    ranked: Mapped[int] = mapped_column(Integer, nullable=False)
    """How many devices were ranked that day."""
    evaluated: Mapped[int] = mapped_column(Integer, nullable=False)
    neighbours: Mapped[int] = mapped_column(Integer, nullable=False)
    indoor: Mapped[bool] = mapped_column(Boolean, nullable=False)
    malfunction: Mapped[bool] = mapped_column(Boolean, nullable=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """Slices carrying each flag, by flag name."""
    offset: Mapped[float | None] = mapped_column(Float)
    """Mean hourly leave-one-out kriging residual (µg/m³): the device's persistent offset
    from its neighbourhood, subtracted from its readings on later days' maps."""
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Calibration(Base):
    """The regression applied on `day` to the devices whose nearest station this is."""

    __tablename__ = "airquality_calibrations"
    __table_args__ = (UniqueConstraint("day", "station_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    """The city's day the model applies to (it was chosen on the day before)."""
    station_id: Mapped[str] = mapped_column(String(64), nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    coefficients: Mapped[list[float]] = mapped_column(JSON, nullable=False)
    rmse: Mapped[float | None] = mapped_column(Float)
    raw_rmse: Mapped[float | None] = mapped_column(Float)
    n_pairs: Mapped[int] = mapped_column(Integer, nullable=False)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PlumeTrack(Base):
    """A high-PM2.5 region followed across the hours of one day."""

    __tablename__ = "airquality_plume_tracks"
    __table_args__ = (UniqueConstraint("day", "track_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    track_no: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    speed_kmh: Mapped[float] = mapped_column(Float, nullable=False)
    direction_deg: Mapped[float | None] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float, nullable=False)
    peak: Mapped[float] = mapped_column(Float, nullable=False)
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)


class DistrictAlert(Base):
    """A district's estimated PM2.5 moved into another AQI band."""

    __tablename__ = "airquality_alerts"
    __table_args__ = (
        UniqueConstraint("district", "time"),
        Index("ix_airquality_alerts_time", "time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district: Mapped[str] = mapped_column(String(32), nullable=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    pm25: Mapped[float] = mapped_column(Float, nullable=False)
    from_band: Mapped[str | None] = mapped_column(String(20))
    to_band: Mapped[str] = mapped_column(String(20), nullable=False)
    rising: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class DayPass(Base):
    """What the newest quality pass of a city day was run on: a day whose readings have not
    changed since is not passed again when it is marked late."""

    __tablename__ = "airquality_day_passes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slice_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    """The slices it was assessed in: a redo keeps them."""
    observations: Mapped[int] = mapped_column(Integer, nullable=False)
    """How many Airbox readings of the day it read (readings are only ever added)."""
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LateDay(Base):
    """A city day whose passes must run again: readings of it arrived after it ended.

    Bookkeeping of the worker, like its jobs: the passes it causes are audited."""

    __tablename__ = "airquality_late_days"
    __audit_exempt__ = True

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    """When late readings last arrived for it: a redo that began before keeps the mark."""

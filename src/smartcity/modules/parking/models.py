"""Tables owned by parking (prefixed `parking_`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow


class Segment(Base):
    """A stretch of road with paid roadside bays under one tariff."""

    __tablename__ = "parking_segments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    district: Mapped[str | None] = mapped_column(String(40))
    """The city profile's district code, found from the bays' positions."""
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    fee_item: Mapped[str] = mapped_column(String(40), nullable=False)
    tariff: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A GeoJSON LineString along the kerb, if known."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Bay(Base):
    """One bay, its sensor, and what the sensor last said."""

    __tablename__ = "parking_bays"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    segment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parking_segments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="car")
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    dev_eui: Mapped[str | None] = mapped_column(String(16), unique=True)
    sensor_model: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="unknown")
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the sensor saw the current status begin (the uplink's own time)."""
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The newest uplink time applied; older uplinks do not move the status back."""
    heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    battery_volts: Mapped[float | None] = mapped_column(Float)
    fault: Mapped[str | None] = mapped_column(String(200))


class ParkingSession(Base):
    """A vehicle's stay in a bay, from the sensor's arrival to its departure."""

    __tablename__ = "parking_sessions"
    __table_args__ = (Index("ix_parking_sessions_bay_arrived", "bay_id", "arrived_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    bay_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parking_bays.id", ondelete="CASCADE"), nullable=False
    )
    segment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    plate: Mapped[str | None] = mapped_column(String(16), index=True)
    tariff: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """The segment's tariff when the vehicle arrived: a later edit does not change this stay."""
    fee_item: Mapped[str] = mapped_column(String(40), nullable=False)
    fee: Mapped[int | None] = mapped_column(Integer)


class Fee(Base):
    """The one bill of a session: the primary key makes a second one impossible."""

    __tablename__ = "parking_fees"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parking_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    bill_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, unique=True)
    reference: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    billed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    autopay: Mapped[str] = mapped_column(String(16), nullable=False, default="notice")
    """An `AutopayState`: whether the plate's autopay charges the bill, or it is a notice."""
    autopay_detail: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    """Why autopay does not charge it, or the provider's transaction id when it did."""


class Sighting(Base):
    """A plate seen in a bay by a warden's handheld or a camera."""

    __tablename__ = "parking_sightings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    bay_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parking_bays.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plate: Mapped[str] = mapped_column(String(16), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """The session it named; None when no vehicle was sensed there then (a wrong bay)."""
    reported_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class FeedState(Base):
    """One row: bumped in every transaction that changes what the availability feeds show,
    so each process serves its serialised feeds until the next change (ADR 30)."""

    __tablename__ = "parking_feed_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

"""alerts' tables: detectors, the routing table, alerts and refused events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow


class Detector(Base):
    """A device that raises alerts, owned by a device owner (an identity organisation)."""

    __tablename__ = "alerts_detectors"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    """The id the device sends itself (HTTP `alertSource`, the MQTT topic's second level)."""
    owner: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    """Code of the organisation whose device key may send for it."""
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    pilot_id: Mapped[str | None] = mapped_column(String(36), index=True)
    """The living-lab pilot it belongs to (an id; modules refer to each other by id)."""
    department: Mapped[str | None] = mapped_column(String(32))
    """The department answering its alerts; None: the routing table decides."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Route(Base):
    """Which department answers alerts of a category (and sub-category)."""

    __tablename__ = "alerts_routes"
    __table_args__ = (UniqueConstraint("category", "sub_category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    sub_category: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    """Empty: every sub-category of `category` without a route of its own."""
    department: Mapped[str] = mapped_column(String(32), nullable=False)


class Alert(Base):
    """An event a detector raised, stored once per (detector, event id)."""

    __tablename__ = "alerts_alerts"
    __table_args__ = (
        UniqueConstraint("detector_id", "event_id"),
        Index("ix_alerts_alerts_department_status", "department", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    detector_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts_detectors.id"), nullable=False
    )
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of the event as received (canonical JSON): a replay must match it."""
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    sub_category: Mapped[str] = mapped_column(String(32), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    date_issued: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    """The detector's raw output, as sent."""
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    department: Mapped[str | None] = mapped_column(String(32))
    """The department answering it; None: no route matched, administrators see it."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")


class DeadLetter(Base):
    """An event the platform refused, kept with the reason for officers to see."""

    __tablename__ = "alerts_dead_letters"
    # Kept by the intake after the refused transaction rolled back: a record of what
    # arrived, not a change of the city's state.
    __audit_exempt__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    sender: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    """The organisation code of the credential (HTTP) or the MQTT topic."""
    device_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    """The detector's department when it is known; None: administrators only."""
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)

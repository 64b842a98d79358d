"""Tables owned by sensors (prefixed `sensors_`): the SensorThings entities and the dead letters.

Observations keep their times as integer epoch milliseconds (UTC): the form both
engines index and compare fastest, and the one batch inserts bind without
conversion. The latest observation of each datastream is copied onto the
datastream row, so "the current value" never scans history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.time import UTCDateTime, utcnow


class Thing(Base):
    """A SensorThings Thing: a device, a station, anything that carries sensors."""

    __tablename__ = "sensors_things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    device_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The device's own id (LASS `device_id`, a station code); None for plain STA Things."""
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="generic")
    owner: Mapped[str | None] = mapped_column(String(32))
    """Code of the organisation it belongs to; None: the platform's (see `owners.py`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Location(Base):
    """A SensorThings Location (GeoJSON), with its point's coordinates for geo filters."""

    __tablename__ = "sensors_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    location: Mapped[Any] = mapped_column(JSON, nullable=False)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(32))
    """Code of the organisation it belongs to; None: the platform's (see `owners.py`)."""


class ThingLocation(Base):
    """A Thing's current Location(s)."""

    __tablename__ = "sensors_thing_locations"

    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_things.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class HistoricalLocation(Base):
    """When a Thing was at its Location(s)."""

    __tablename__ = "sensors_historical_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_things.id", ondelete="CASCADE"), nullable=False, index=True
    )
    time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class HistoricalLocationLocation(Base):
    """The Locations of one HistoricalLocation."""

    __tablename__ = "sensors_historical_location_locations"
    # Named by hand: the conventional name is long and the migration already uses this one.
    __table_args__ = (Index("ix_sensors_hll_location_id", "location_id"),)

    historical_location_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_historical_locations.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_locations.id", ondelete="CASCADE"), primary_key=True
    )


class Sensor(Base):
    """A SensorThings Sensor: the instrument model and its description."""

    __tablename__ = "sensors_sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    metadata_: Mapped[Any] = mapped_column("metadata", JSON, nullable=False)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(32))
    """Code of the organisation it belongs to; None: the platform's (see `owners.py`)."""


class ObservedProperty(Base):
    """A SensorThings ObservedProperty (PM2.5, temperature, …)."""

    __tablename__ = "sensors_observed_properties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    definition: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(32))
    """Code of the organisation it belongs to; None: the platform's (see `owners.py`)."""


class FeatureOfInterest(Base):
    """A SensorThings FeatureOfInterest (where an observation applies)."""

    __tablename__ = "sensors_features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    feature: Mapped[Any] = mapped_column(JSON, nullable=False)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The Location this feature was generated from, if any."""
    owner: Mapped[str | None] = mapped_column(String(32))
    """Code of the organisation it belongs to; None: the platform's (see `owners.py`)."""


class Datastream(Base):
    """A SensorThings Datastream, with its latest observation copied in."""

    __tablename__ = "sensors_datastreams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    observation_type: Mapped[str] = mapped_column(String(200), nullable=False)
    unit_of_measurement: Mapped[Any] = mapped_column(JSON, nullable=False)
    observed_area: Mapped[Any | None] = mapped_column(JSON)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_things.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_sensors.id", ondelete="CASCADE"), nullable=False, index=True
    )
    observed_property_id: Mapped[int] = mapped_column(
        ForeignKey("sensors_observed_properties.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quantity: Mapped[str | None] = mapped_column(String(16))
    """`pm25`, `temperature`, … for the hub's own streams; None for other STA datastreams."""
    first_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_ms: Mapped[int | None] = mapped_column(BigInteger)
    """Phenomenon time of the latest observation (epoch ms)."""
    last_result: Mapped[float | None] = mapped_column(Float)
    """Numeric result of the latest observation."""

    # Room for each batch's latest-value update to stay on its page (migration sensors_0002).
    __table_args__ = (
        UniqueConstraint("thing_id", "quantity", name="uq_sensors_datastreams_thing_id"),
        {"postgresql_with": {"fillfactor": 50}},
    )


class Observation(Base):
    """A SensorThings Observation; times are epoch milliseconds in UTC.

    On PostgreSQL the table is range-partitioned by month on `phenomenon_ms`.
    """

    __tablename__ = "sensors_observations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    datastream_id: Mapped[int] = mapped_column(Integer, nullable=False)
    phenomenon_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    phenomenon_end_ms: Mapped[int | None] = mapped_column(BigInteger)
    """End of the phenomenon interval, if the phenomenon time is an interval."""
    result_ms: Mapped[int | None] = mapped_column(BigInteger)
    result_number: Mapped[float | None] = mapped_column(Float)
    result_json: Mapped[str | None] = mapped_column(Text)
    """JSON text of a non-numeric result (None when `result_number` holds it)."""
    result_quality: Mapped[str | None] = mapped_column(Text)
    valid_start_ms: Mapped[int | None] = mapped_column(BigInteger)
    valid_end_ms: Mapped[int | None] = mapped_column(BigInteger)
    parameters: Mapped[str | None] = mapped_column(Text)
    feature_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("uq_sensors_observations_stream_time", "datastream_id", "phenomenon_ms", unique=True),
    )


class DeadLetter(Base):
    """A message the hub could not store, kept with the reason."""

    __tablename__ = "sensors_dead_letters"
    __audit_exempt__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    topic: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)


class BrokerDrop(Base):
    """Messages the MQTT broker reported dropping: it could not queue them for a subscriber."""

    __tablename__ = "sensors_broker_drops"
    __table_args__ = (UniqueConstraint("broker", "load", name="uq_sensors_broker_drops_load"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    observed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    broker: Mapped[str] = mapped_column(String(200), nullable=False)
    dropped: Mapped[int] = mapped_column(Integer, nullable=False)
    """Messages dropped since the broker's previous report, estimated from its load average."""
    load: Mapped[str] = mapped_column(String(32), nullable=False)
    """The broker's report as published: every ingester that heard it records it once."""

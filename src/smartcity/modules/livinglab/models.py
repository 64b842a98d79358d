"""Tables owned by livinglab (prefixed `livinglab_`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
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


class Field(Base):
    """A test site a department offers: a school, a ward, a road segment, a park."""

    __tablename__ = "livinglab_fields"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    availability: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    """[[start ISO date, end ISO date], ...]; empty means always available."""
    site_rules: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contact: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    domains: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Challenge(Base):
    """A need a department publishes: "the government sets the problem"."""

    __tablename__ = "livinglab_challenges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    domain: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    expected_outcome: Mapped[str] = mapped_column(Text, nullable=False, default="")
    field_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    opens_on: Mapped[date] = mapped_column(Date, nullable=False)
    closes_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    round: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Proposal(Base):
    """A vendor's proposal, to a challenge or bottom-up."""

    __tablename__ = "livinglab_proposals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vendor: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    challenge_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("livinglab_challenges.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    technology: Mapped[str] = mapped_column(Text, nullable=False, default="")
    domain: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    field_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    field_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    duration_weeks: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    cost_bearer: Mapped[str] = mapped_column(String(16), nullable=False, default="vendor")
    cost_ntd: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    data_produced: Mapped[str] = mapped_column(Text, nullable=False, default="")
    risks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    earliest_start: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file attached to a proposal, stored under the data folder."""

    __tablename__ = "livinglab_attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_proposals.id"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Pilot(Base):
    """A proof-of-concept project with its state."""

    __tablename__ = "livinglab_pilots"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("livinglab_proposals.id"), unique=True
    )
    challenge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("livinglab_challenges.id"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    domain: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    track: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    vendor: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    agreement_ref: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    decision_reference: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    running_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Transition(Base):
    """One move of a pilot from one state to another (time in each state comes from these)."""

    __tablename__ = "livinglab_transitions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Milestone(Base):
    """A planned step of a pilot."""

    __tablename__ = "livinglab_milestones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_on: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    """How it was done, written when it is marked done."""


class StatusReport(Base):
    """A periodic status report (what happened, health flag)."""

    __tablename__ = "livinglab_reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Booking(Base):
    """A pilot's booking of a field for a date range."""

    __tablename__ = "livinglab_bookings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    field_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_fields.id"), nullable=False, index=True
    )
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class BookingDay(Base):
    """One day of one booking: the unique key makes double-booking impossible, even racing."""

    __tablename__ = "livinglab_booking_days"
    __table_args__ = (UniqueConstraint("field_id", "day", "slot"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_bookings.id"), nullable=False, index=True
    )
    field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("livinglab_fields.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    slot: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """0 … capacity-1: a field with capacity 2 hosts two pilots a day."""


class Kpi(Base):
    """A pilot's key performance indicator with baseline and target."""

    __tablename__ = "livinglab_kpis"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float, nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="higher")
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="manual")
    statistic: Mapped[str] = mapped_column(String(16), nullable=False, default="median")
    datastream_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    thing_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    device_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    """Sensor-hub device ids, read with `quantity` when datastream ids are not given."""
    quantity: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    expected_interval_s: Mapped[int] = mapped_column(Integer, nullable=False, default=300)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Measurement(Base):
    """A KPI value entered by hand (or a snapshot of a live one)."""

    __tablename__ = "livinglab_measurements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kpi_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_kpis.id"), nullable=False, index=True
    )
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    note: Mapped[str] = mapped_column(String(300), nullable=False, default="")


class Barrier(Base):
    """A legal or regulatory constraint found in a pilot."""

    __tablename__ = "livinglab_barriers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("livinglab_pilots.id"), index=True
    )
    department: Mapped[str] = mapped_column(String(32), nullable=False)
    law: Mapped[str] = mapped_column(String(200), nullable=False)
    article: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    blocks: Mapped[str] = mapped_column(Text, nullable=False)
    workaround: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amendment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="identified")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Feedback(Base):
    """A verified citizen's rating and comment on a pilot they tried."""

    __tablename__ = "livinglab_feedback"
    __table_args__ = (UniqueConstraint("pilot_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    ease: Mapped[int | None] = mapped_column(Integer)
    would_use: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Score(Base):
    """One criterion of the opportunity evaluation, scored by an officer or an expert."""

    __tablename__ = "livinglab_scores"
    __table_args__ = (UniqueConstraint("pilot_id", "criterion", "scorer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pilot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("livinglab_pilots.id"), nullable=False, index=True
    )
    criterion: Mapped[str] = mapped_column(String(32), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    scorer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    scorer_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    """`officer`, `expert` or `admin`."""
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ExternalPilot(Base):
    """A pilot another city exported and this city imported: shown as "pilot elsewhere"."""

    __tablename__ = "livinglab_external_pilots"
    __table_args__ = (UniqueConstraint("origin", "source_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    origin: Mapped[str] = mapped_column(String(200), nullable=False)
    source_id: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    domain: Mapped[str] = mapped_column(String(16), nullable=False)
    vendor: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    key_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    harvest_source: Mapped[str | None] = mapped_column(String(40), index=True)
    """The open-data harvest source it came through (by name); None if posted by hand."""

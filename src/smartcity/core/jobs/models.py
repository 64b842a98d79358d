"""Tables of the job queue (owned by core, prefixed `core_job`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.time import UTCDateTime


class Job(Base):
    """One run of a task: enqueued by a write, a schedule or an event's subscriber.

    Bookkeeping, not a state change of its own: the write that enqueues it is audited.
    """

    __tablename__ = "core_jobs"
    __audit_exempt__ = True
    __table_args__ = (
        # An event reaches each subscriber once, however often it is stored or replayed.
        UniqueConstraint("event_id", "task"),
        Index("ix_core_jobs_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    task: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    """JSON object handed to the task."""
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    """A `JobState`."""
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The event this job delivers, if any (subscribers de-duplicate on it)."""
    schedule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The schedule that enqueued this job, if any."""
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """The running worker's lease: past it, another worker takes the job again."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")


class JobSchedule(Base):
    """When a schedule is next due; moving it forward is how one worker claims a run."""

    __tablename__ = "core_job_schedules"
    __audit_exempt__ = True

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

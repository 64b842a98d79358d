"""Jobs written into the caller's transaction, and the staff's view and retry of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from smartcity.core.errors import Conflict, NotFound
from smartcity.core.jobs.models import Job, JobSchedule
from smartcity.core.time import utcnow

if TYPE_CHECKING:
    from smartcity.core.uow import UnitOfWork

MAX_ATTEMPTS = 8
"""Tries before a job is `failed` (kept, shown to staff, retryable)."""


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    """Waiting for `run_after` and a free worker."""
    RUNNING = "running"
    """Held by a worker until its lease ends."""
    DONE = "done"
    """Ran to the end; pruned after `SMARTCITY_JOBS_KEEP_DAYS`."""
    FAILED = "failed"
    """Failed `max_attempts` times; waits for staff to retry it."""


def new_job(
    task: str,
    payload: str | dict[str, Any],
    *,
    run_after: datetime | None = None,
    event_id: str | None = None,
    schedule: str | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Job:
    """A queued job row, to be added to a session."""
    now = utcnow()
    return Job(
        task=task,
        payload=payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True),
        state=JobState.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or now,
        created_at=now,
        event_id=event_id,
        schedule=schedule,
        last_error="",
    )


@dataclass(frozen=True)
class JobView:
    """A job as staff see it."""

    id: int
    task: str
    state: str
    attempts: int
    max_attempts: int
    run_after: datetime
    created_at: datetime
    finished_at: datetime | None
    last_error: str
    schedule: str | None
    """The schedule that made it, if one did."""
    event_id: str | None
    """The event it was subscribed to, if one did."""

    @property
    def origin(self) -> str:
        """`schedule <name>`, `event <id>` or `enqueued`."""
        if self.schedule:
            return f"schedule {self.schedule}"
        return f"event {self.event_id}" if self.event_id else "enqueued"


def _view(job: Job) -> JobView:
    return JobView(
        job.id,
        job.task,
        job.state,
        job.attempts,
        job.max_attempts,
        job.run_after,
        job.created_at,
        job.finished_at,
        job.last_error,
        job.schedule or None,
        str(job.event_id) if job.event_id else None,
    )


def list_jobs(session: Session, state: JobState, limit: int = 100) -> list[JobView]:
    """Jobs in `state`, the most recent first."""
    order = Job.finished_at.desc() if state is JobState.DONE else Job.run_after.desc()
    rows = session.execute(
        select(Job).where(Job.state == state.value).order_by(order, Job.id.desc()).limit(limit)
    )
    return [_view(job) for job in rows.scalars()]


def count_by_state(session: Session) -> dict[str, int]:
    """How many jobs are in each state."""
    counts = {state.value: 0 for state in JobState}
    for state, count in session.execute(select(Job.state, func.count()).group_by(Job.state)):
        counts[state] = count
    return counts


def claimable(moment: datetime) -> ColumnElement[bool]:
    """Jobs a worker may take at `moment`: queued and due, or running past their lease (the
    worker holding them stopped)."""
    return or_(
        and_(Job.state == JobState.QUEUED.value, Job.run_after <= moment),
        and_(Job.state == JobState.RUNNING.value, Job.locked_until < moment),
    )


def count_due(session: Session, now: datetime | None = None) -> int:
    """How many jobs a worker may take by `now` (what `run-ready` starts with)."""
    return int(session.scalar(select(func.count()).where(claimable(now or utcnow()))) or 0)


def pending_payloads(session: Session, task: str) -> list[dict[str, Any]]:
    """The payloads of `task`'s jobs that have not run to the end yet (queued or running)."""
    rows = session.scalars(
        select(Job.payload).where(
            Job.task == task, Job.state.in_([JobState.QUEUED.value, JobState.RUNNING.value])
        )
    )
    return [json.loads(payload) for payload in rows]


def schedules(session: Session) -> list[JobSchedule]:
    """Every schedule the workers have seen, with when it is next due."""
    return list(session.execute(select(JobSchedule).order_by(JobSchedule.name)).scalars())


def retry(uow: UnitOfWork, job_id: int) -> JobView:
    """Queue a failed job again, from its first attempt."""
    job = uow.session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound(f"no job {job_id}", code="job_not_found")
    if job.state != JobState.FAILED.value:
        raise Conflict(f"job {job_id} is {job.state}, not failed", code="job_not_failed")
    job.state = JobState.QUEUED.value
    job.attempts = 0
    job.run_after = utcnow()
    job.finished_at = None
    uow.audit("core.job.retried", "job", job.id, {"task": job.task})
    return _view(job)

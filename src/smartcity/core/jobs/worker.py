"""The job worker: claims due jobs and schedules from the database and runs them.

Several workers (processes, hosts) share one database safely:
- a job is claimed inside a write transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the
  write lock (`BEGIN IMMEDIATE`) on SQLite — and held under a lease that the running worker
  renews; a worker that dies stops renewing, and another takes the job when the lease ends;
- a schedule's run is claimed by moving its `next_due_at` forward with a conditional UPDATE
  (`WHERE next_due_at = <the value read>`): of several workers exactly one changes the row, and
  it enqueues the run in that same transaction;
- a failing job is retried after an exponential backoff with jitter, and after `max_attempts`
  tries it is `failed`: kept with its error for staff to see and retry (ADR 15).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcity.core.events import load_event
from smartcity.core.jobs.catalogue import next_due
from smartcity.core.jobs.models import Job, JobSchedule
from smartcity.core.jobs.queue import JobState, claimable, new_job
from smartcity.core.time import city_zone, utcnow

if TYPE_CHECKING:
    from smartcity.core.platform import Platform

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    """Delay before try `attempts + 1`: 10 s × 2^(attempts − 1), capped at an hour, ±25 %.

    The jitter spreads out the retries of jobs that failed together (a receiver was down)."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.75, 1.25))  # noqa: S311  # jitter, not a secret


class Worker:
    """Runs the platform's due jobs; `run_ready()` for tests and commands, `run()` as a service."""

    def __init__(self, platform: Platform, *, name: str | None = None) -> None:
        self.platform = platform
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:100]
        self.catalogue = platform.jobs
        self.lease = timedelta(seconds=platform.settings.worker_lease_seconds)
        """How long a claimed job stays this worker's without renewal (renewed every third)."""
        self._quiet_until: datetime | None = None
        """No schedule is due before this: due times only move forward, so an idle worker
        need not take the write lock every poll to find that out."""

    # -- schedules ------------------------------------------------------------------------

    def enqueue_due_schedules(self, now: datetime | None = None) -> int:
        """Enqueue one run of every schedule that is due; returns how many this worker claimed."""
        moment = now or utcnow()
        if self._quiet_until is not None and moment < self._quiet_until:
            return 0
        zone = city_zone()
        claimed = 0
        upcoming: list[datetime] = []
        with self.platform.db.write_session() as session, session.begin():
            rows = session.execute(select(JobSchedule.name, JobSchedule.next_due_at))
            known: dict[str, datetime] = {row.name: row.next_due_at for row in rows}
            for schedule in self.catalogue.schedules:
                seen = known.get(schedule.name)
                if seen is None:
                    # First sight: due at its next time, not at once (a new host is no reason
                    # to recalibrate).
                    upcoming.append(next_due(schedule, moment, zone))
                    self._insert_schedule(session, schedule.name, upcoming[-1])
                    continue
                if seen > moment:
                    upcoming.append(seen)
                    continue
                upcoming.append(next_due(schedule, moment, zone))
                moved = session.execute(
                    update(JobSchedule)
                    .where(JobSchedule.name == schedule.name, JobSchedule.next_due_at == seen)
                    .values(next_due_at=upcoming[-1], last_enqueued_at=moment)
                )
                if moved.rowcount == 1:  # type: ignore[attr-defined]
                    session.add(
                        new_job(
                            schedule.task,
                            {"due_at": seen.isoformat()},
                            run_after=moment,
                            schedule=schedule.name,
                        )
                    )
                    claimed += 1
        # Another worker may have moved a schedule to a due time computed a moment earlier;
        # never later than ours, as both are the first cron time after their own now.
        self._quiet_until = min(upcoming, default=None)
        return claimed

    def _insert_schedule(self, session: Session, name: str, due: datetime) -> None:
        dialect = postgresql if self.platform.db.dialect == "postgresql" else sqlite
        session.execute(
            dialect.insert(JobSchedule)
            .values(name=name, next_due_at=due)
            .on_conflict_do_nothing(index_elements=["name"])
        )

    # -- jobs -----------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> Job | None:
        """Take the next due job (or one whose worker's lease ran out) under a lease."""
        moment = now or utcnow()
        due = claimable(moment)
        with self.platform.db.read_session() as session:
            # Looking first without the write lock: an idle worker polls often, and on SQLite
            # the lock would make the web server's writers wait.
            if session.execute(select(Job.id).where(due).limit(1)).first() is None:
                return None
        with self.platform.db.write_session() as session, session.begin():
            while True:
                job = session.execute(
                    select(Job)
                    .where(due)
                    .order_by(Job.run_after, Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if job is None:
                    return None
                if job.state == JobState.RUNNING.value and job.attempts >= job.max_attempts:
                    # Its worker died on the last try: no more tries without staff.
                    job.state = JobState.FAILED.value
                    job.locked_by = job.locked_until = None
                    job.finished_at = moment
                    job.last_error = (
                        f"the worker running it stopped ({job.last_error or 'no error'})"
                    )
                    session.flush()
                    continue
                job.state = JobState.RUNNING.value
                job.attempts += 1
                job.locked_by = self.name
                job.locked_until = moment + self.lease
                return job

    def execute(self, job: Job) -> bool:
        """Run a claimed job to its end; whether it succeeded."""
        renewing = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(job.id, renewing), daemon=True)
        renewer.start()
        try:
            self._call(job)
        except Exception as error:
            renewing.set()
            renewer.join()
            log.warning("job %s (%s) failed: %s", job.id, job.task, error)
            self._failed(job, error)
            return False
        renewing.set()
        renewer.join()
        self._finish(
            job,
            state=JobState.DONE.value,
            finished_at=utcnow(),
            locked_by=None,
            locked_until=None,
            last_error="",
        )
        return True

    def _call(self, job: Job) -> None:
        task = self.catalogue.tasks.get(job.task)
        if task is None:
            raise LookupError(f"no task {job.task!r} (is its module enabled?)")
        payload: Any = json.loads(job.payload)
        task(self.platform, load_event(payload) if job.event_id else payload)

    def _failed(self, job: Job, error: Exception) -> None:
        message = "".join(traceback.format_exception_only(error)).strip()[-2000:]
        if job.attempts >= job.max_attempts:
            self._finish(
                job,
                state=JobState.FAILED.value,
                finished_at=utcnow(),
                locked_by=None,
                locked_until=None,
                last_error=message,
            )
        else:
            self._finish(
                job,
                state=JobState.QUEUED.value,
                run_after=utcnow() + backoff(job.attempts),
                locked_by=None,
                locked_until=None,
                last_error=message,
            )

    def _finish(self, job: Job, **values: Any) -> None:
        with self.platform.db.write_session() as session, session.begin():
            result = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.locked_by == self.name)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                # The lease ran out and another worker took it: its outcome counts.
                log.warning("job %s was taken over by another worker", job.id)

    def _renew(self, job_id: int, done: threading.Event) -> None:
        while not done.wait(self.lease.total_seconds() / 3):
            try:
                with self.platform.db.write_session() as session, session.begin():
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.locked_by == self.name)
                        .values(locked_until=utcnow() + self.lease)
                        .execution_options(synchronize_session=False)
                    )
            except Exception:
                log.exception("could not renew the lease of job %s", job_id)

    # -- loops ----------------------------------------------------------------------------

    def run_ready(
        self, now: datetime | None = None, after_each: Callable[[], None] | None = None
    ) -> int:
        """Enqueue due schedules, then run every job due now, until none is left; how many ran.
        `after_each` is called after every job (a progress bar).

        A job that fails is queued for later (its backoff), so this ends."""
        self.enqueue_due_schedules(now)
        ran = 0
        while (job := self.claim(now)) is not None:
            self.execute(job)
            ran += 1
            if after_each is not None:
                after_each()
        return ran

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; the job in hand is finished first."""
        poll = self.platform.settings.worker_poll_seconds
        log.info("job worker %s started", self.name)
        first = True
        while not stop.is_set():
            try:
                self.enqueue_due_schedules()
                job = self.claim()
                if first:
                    log.info("job worker %s looked for due jobs", self.name)
                    first = False
                if job is not None:
                    self.execute(job)
                    continue
            except Exception:
                # The database is away (a restart): its lease brings the job back; try again
                # after the poll interval.
                log.exception("job worker could not reach the database")
            stop.wait(poll)
        log.info("job worker %s stopped", self.name)

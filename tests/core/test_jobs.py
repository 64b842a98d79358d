"""The job worker: jobs live and die with their transaction, run once, retry, fail visibly,
survive a dead worker; schedules run once per due time; events reach each subscriber once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from smartcity.core.auth import system_actor
from smartcity.core.errors import Conflict
from smartcity.core.events import Event
from smartcity.core.jobs import queue
from smartcity.core.jobs.catalogue import next_due
from smartcity.core.jobs.models import Job, JobSchedule
from smartcity.core.jobs.worker import Worker, backoff
from smartcity.core.meta import Meta
from smartcity.core.platform import Platform
from smartcity.core.registry import Schedule
from smartcity.core.time import city_zone, utcnow
from tests.support.concurrency import run_in_threads

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _without_module_schedules(platform: Platform) -> None:
    # These tests move time forward; the modules' own schedules would run along.
    platform.jobs.schedules.clear()


@dataclass(frozen=True)
class Noted(Event):
    text: str
    at: datetime
    about: uuid.UUID | None = None


def _jobs(platform: Platform, task: str) -> list[Job]:
    with platform.db.read_session() as session:
        return list(session.execute(select(Job).where(Job.task == task)).scalars())


def _write(platform: Platform, key: str, *, fail: bool = False, **enqueue: Any) -> None:
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key=key, value="x"))
        uow.audit("test.changed", "meta", key, {})
        for task, payload in enqueue.items():
            uow.enqueue(task.replace("_", "."), payload)
        if fail:
            raise RuntimeError("the write failed after enqueueing")


def test_a_job_runs_once_after_its_commit_and_never_after_a_rollback(platform: Platform) -> None:
    ran: list[str] = []
    platform.jobs.add_task("test.note", lambda _p, payload: ran.append(payload["key"]))
    with pytest.raises(RuntimeError):
        _write(platform, "rolled-back", fail=True, test_note={"key": "rolled-back"})
    _write(platform, "committed", test_note={"key": "committed"})
    assert ran == []
    assert Worker(platform).run_ready() == 1
    assert Worker(platform).run_ready() == 0
    assert ran == ["committed"]
    (job,) = _jobs(platform, "test.note")
    assert (job.state, job.attempts, job.locked_by) == ("done", 1, None)


def test_run_ready_runs_what_was_due_and_reports_each_job(platform: Platform) -> None:
    platform.jobs.add_task("test.note", lambda _p, _payload: None)
    _write(platform, "now", test_note={"key": "now"})
    _write(platform, "later", test_note={"key": "later"})
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="tomorrow", value="x"))
        uow.audit("test.changed", "meta", "tomorrow", {})
        uow.session.add(queue.new_job("test.note", {}, run_after=utcnow() + timedelta(days=1)))
    with platform.db.read_session() as session:
        assert queue.count_due(session) == 2
    reported: list[int] = []
    ran = Worker(platform).run_ready(after_each=lambda: reported.append(len(reported)))
    assert ran == 2 and reported == [0, 1]
    with platform.db.read_session() as session:
        assert queue.count_due(session) == 0
        assert queue.count_due(session, utcnow() + timedelta(days=2)) == 1


def test_an_unknown_task_is_refused_when_enqueued(platform: Platform) -> None:
    with pytest.raises(LookupError), platform.unit_of_work(system_actor("t")) as uow:
        uow.enqueue("test.nobody")


def test_a_failing_job_backs_off_then_fails_and_staff_retry_it(platform: Platform) -> None:
    calls: list[int] = []

    def flaky(_platform: Platform, _payload: Any) -> None:
        calls.append(1)
        if len(calls) < 4:
            raise ConnectionError(f"receiver down ({len(calls)})")

    platform.jobs.add_task("test.flaky", flaky)
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(queue.new_job("test.flaky", {}, max_attempts=3))
        uow.audit("test.enqueued", "job", "flaky", {})
    worker = Worker(platform)
    assert worker.run_ready() == 1
    (job,) = _jobs(platform, "test.flaky")
    assert job.state == "queued" and "receiver down (1)" in job.last_error
    first_delay = job.run_after - utcnow()
    assert timedelta(seconds=6) < first_delay <= timedelta(seconds=13)
    assert worker.run_ready() == 0  # not due yet
    worker.run_ready(now=job.run_after)
    (job,) = _jobs(platform, "test.flaky")
    assert job.attempts == 2 and job.run_after - utcnow() > timedelta(seconds=14)
    worker.run_ready(now=job.run_after)
    (job,) = _jobs(platform, "test.flaky")
    assert (job.state, job.attempts) == ("failed", 3)
    assert "receiver down (3)" in job.last_error
    assert worker.run_ready(now=utcnow() + timedelta(days=1)) == 0  # failed jobs wait for staff

    with platform.unit_of_work(system_actor("t")) as uow:
        queue.retry(uow, job.id)
    assert worker.run_ready() == 1
    (job,) = _jobs(platform, "test.flaky")
    assert (job.state, len(calls)) == ("done", 4)
    with pytest.raises(Conflict), platform.unit_of_work(system_actor("t")) as uow:
        queue.retry(uow, job.id)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, base in ((1, 10), (2, 20), (5, 160), (30, 3600)):
        delay = backoff(attempts).total_seconds()
        assert base * 0.75 <= delay <= base * 1.25


def test_each_job_runs_once_with_several_workers(platform: Platform) -> None:
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    def note(_platform: Platform, payload: dict[str, int]) -> None:
        with lock:
            ran[payload["n"]] += 1

    platform.jobs.add_task("test.count", note)
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add_all(queue.new_job("test.count", {"n": n}) for n in range(40))
        uow.audit("test.enqueued", "job", "many", {})
    run_in_threads(lambda n: Worker(platform, name=f"w{n}").run_ready() and None, 4)
    assert ran == Counter(range(40))


def test_a_due_schedule_is_enqueued_once_across_workers(platform: Platform) -> None:
    ran: list[str] = []
    platform.jobs.add_task("test.tick", lambda _p, payload: ran.append(payload["due_at"]))
    platform.jobs.add_schedule(Schedule("test.tick", "0 1 * * *", "test.tick"))
    start = utcnow()
    Worker(platform).enqueue_due_schedules(start)  # first sight: due at the next 01:00
    with platform.db.read_session() as session:
        due = session.get(JobSchedule, "test.tick").next_due_at  # type: ignore[union-attr]
    assert due == next_due(Schedule("x", "0 1 * * *", "x"), start, _zone(platform))
    assert due > start and _local_hour(due) == 1
    later = due + timedelta(minutes=5)
    claimed: list[int] = []
    run_in_threads(
        lambda n: claimed.append(Worker(platform, name=f"w{n}").enqueue_due_schedules(later)), 6
    )
    assert sorted(claimed) == [0, 0, 0, 0, 0, 1]
    Worker(platform).run_ready(later)
    assert ran == [due.isoformat()]
    with platform.db.read_session() as session:
        assert session.get(JobSchedule, "test.tick").next_due_at == due + timedelta(days=1)  # type: ignore[union-attr]


def _zone(platform: Platform) -> Any:
    return city_zone()


def _local_hour(moment: datetime) -> int:
    from smartcity.core.time import to_local

    return to_local(moment).hour


def test_an_event_reaches_each_subscriber_once_and_a_failure_blocks_no_other(
    platform: Platform,
) -> None:
    seen: Counter[tuple[str, str]] = Counter()

    def remember(name: str) -> Any:
        def task(_platform: Platform, event: Noted) -> None:
            assert isinstance(event.at, datetime) and isinstance(event.about, uuid.UUID)
            seen[(name, event.id)] += 1

        return task

    def broken(_platform: Platform, _event: Noted) -> None:
        raise ValueError("subscriber bug")

    for name in ("test.a", "test.b"):
        platform.jobs.add_task(name, remember(name))
        platform.jobs.subscribe(Noted, name)
    platform.jobs.add_task("test.broken", broken)
    platform.jobs.subscribe(Noted, "test.broken")
    event = Noted("hello", utcnow(), uuid.uuid4())
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="e", value="x"))
        uow.audit("test.changed", "meta", "e", {})
        uow.emit(event)
    Worker(platform).run_ready()
    Worker(platform).run_ready()
    assert seen == {("test.a", event.id): 1, ("test.b", event.id): 1}
    (failing,) = _jobs(platform, "test.broken")
    assert failing.state == "queued" and "subscriber bug" in failing.last_error
    assert failing.event_id == event.id


def test_an_event_nobody_subscribes_to_is_not_stored(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="n", value="x"))
        uow.audit("test.changed", "meta", "n", {})
        uow.emit(Noted("nobody listens", utcnow()))
    with platform.db.read_session() as session:
        assert session.execute(select(func.count()).select_from(Job)).scalar_one() == 0


def test_a_job_whose_worker_stopped_renewing_its_lease_runs_again(platform: Platform) -> None:
    ran: list[str] = []
    platform.jobs.add_task("test.once", lambda _p, _payload: ran.append("ran"))
    _write(platform, "lease", test_once={})
    lost = Worker(platform, name="lost").claim()
    assert lost is not None
    assert Worker(platform).run_ready() == 0  # still leased
    assert (
        Worker(platform).run_ready(now=utcnow() + Worker(platform).lease + timedelta(seconds=1))
        == 1
    )
    assert ran == ["ran"]
    (job,) = _jobs(platform, "test.once")
    assert (job.state, job.attempts) == ("done", 2)


_WORKER_SCRIPT = """
import sys, time
from pathlib import Path
from smartcity.app import build_platform
from smartcity.core.jobs.worker import Worker
from smartcity.core.keys import KeyRing
from smartcity.core.settings import Settings

marker = Path(sys.argv[2])
def hang(_platform, _payload):
    marker.write_text("started")
    time.sleep(600)

platform = build_platform(
    Settings(database_url=sys.argv[1], data_dir=Path(sys.argv[3]), environment="test"),
    keys=KeyRing.ephemeral(),
)
platform.jobs.add_task("test.idempotent", hang)
Worker(platform, name="doomed").run_ready()
"""


def test_a_killed_worker_s_job_is_taken_over_after_its_lease(
    platform: Platform, tmp_path: Path
) -> None:
    done: list[str] = []
    platform.jobs.add_task("test.idempotent", lambda _p, payload: done.append(payload["key"]))
    _write(platform, "killed", test_idempotent={"key": "k"})
    marker = tmp_path / "started"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WORKER_SCRIPT,
            platform.settings.resolved_database_url,
            str(marker),
            str(tmp_path / "var"),
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the worker process ended early"
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    (job,) = _jobs(platform, "test.idempotent")
    assert (job.state, job.locked_by) == ("running", "doomed")
    assert Worker(platform).run_ready() == 0
    assert (
        Worker(platform).run_ready(now=utcnow() + Worker(platform).lease + timedelta(seconds=1))
        == 1
    )
    (job,) = _jobs(platform, "test.idempotent")
    assert (job.state, job.attempts, done) == ("done", 2, ["k"])

"""Late readings redo their days: sensors' event, airquality's subscriber and its schedule."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from smartcity.core.auth import system_actor
from smartcity.core.jobs.models import Job
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, local_today, utcnow
from smartcity.modules.airquality import jobs, service
from smartcity.modules.airquality.jobs import ACTOR
from smartcity.modules.airquality.models import DayPass, DeviceHealth, LateDay
from smartcity.modules.airquality.settings import AirqualitySettings
from smartcity.modules.sensors import service as sensors


def _record(platform: Platform, device: str, day_offset: int) -> None:
    """Hourly readings of `device` over the city day `day_offset` days from today."""
    day = local_today() + timedelta(days=day_offset)
    start = datetime.combine(day, time(), tzinfo=city_zone()).astimezone(UTC)
    hours = 24 if day_offset < 0 else 1
    with platform.unit_of_work(system_actor("test")) as uow:
        sensors.register_station(
            uow, station_id=device, name=device, latitude=25.03, longitude=121.52, kind="airbox"
        )
        sensors.record_readings(
            uow,
            device,
            [(start + timedelta(hours=h), {"pm25": 10.0 + h % 5}) for h in range(hours)],
        )


def _late_jobs(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Job).where(Job.task == "airquality.mark_late_days")
            )
            or 0
        )


def test_readings_of_today_make_no_work(platform: Platform) -> None:
    _record(platform, "LATE0001", 0)
    assert _late_jobs(platform) == 0


def test_readings_of_an_ended_day_redo_its_passes_once(platform: Platform) -> None:
    yesterday = local_today() - timedelta(days=1)
    _record(platform, "LATE0002", -1)
    _record(platform, "LATE0003", -1)  # a second batch of the same day
    assert _late_jobs(platform) == 2
    Worker(platform).run_ready()
    with platform.db.read_session() as session:
        assert list(session.scalars(select(LateDay.day))) == [yesterday]
        assert session.scalar(select(func.count()).select_from(DeviceHealth)) == 0

    jobs.redo_late_days(platform, {})
    with platform.db.read_session() as session:
        assert list(session.scalars(select(LateDay.day))) == []
        ranked = set(
            session.scalars(select(DeviceHealth.device_id).where(DeviceHealth.day == yesterday))
        )
    assert {"LATE0002", "LATE0003"} <= ranked


def test_a_day_marked_again_after_its_redo_began_stays_marked(platform: Platform) -> None:
    day = local_today() - timedelta(days=2)
    _record(platform, "LATE0004", -2)
    Worker(platform).run_ready()
    # Late readings of the same day while the redo runs mark it after the redo's start.
    with platform.db.write_session() as session, session.begin():
        session.execute(update(LateDay).values(marked_at=utcnow() + timedelta(minutes=5)))
    jobs.redo_late_days(platform, {})
    with platform.db.read_session() as session:
        assert list(session.scalars(select(LateDay.day))) == [day]
        assert session.scalar(select(func.count()).select_from(DeviceHealth)) >= 1


def _assessed_at(platform: Platform, day: date) -> tuple[datetime, int] | None:
    with platform.db.read_session() as session:
        found = session.get(DayPass, day)
        return (found.assessed_at, found.slice_minutes) if found else None


def test_a_late_day_is_passed_again_only_when_its_readings_changed(platform: Platform) -> None:
    day = local_today() - timedelta(days=1)
    _record(platform, "LATE0005", -1)
    service.assess_day(platform, ACTOR, day, AirqualitySettings(), slice_minutes=60)
    first = _assessed_at(platform, day)
    Worker(platform).run_ready()  # the readings' late mark, made after the pass had read them

    jobs.redo_late_days(platform, {})
    assert _assessed_at(platform, day) == first
    with platform.db.read_session() as session:
        assert list(session.scalars(select(LateDay.day))) == []

    _record(platform, "LATE0006", -1)
    Worker(platform).run_ready()
    jobs.redo_late_days(platform, {})
    again = _assessed_at(platform, day)
    assert first is not None and again is not None
    assert again[0] > first[0]
    assert again[1] == 60  # the day keeps the slices it was assessed in
    with platform.db.read_session() as session:
        ranked = set(session.scalars(select(DeviceHealth.device_id).where(DeviceHealth.day == day)))
    assert {"LATE0005", "LATE0006"} <= ranked


def test_others_can_write_while_a_pass_computes(platform: Platform) -> None:
    if platform.db.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite lets one writer at a time")
    day = local_today() - timedelta(days=1)
    _record(platform, "LATE0007", -1)
    path = platform.db.engine.url.database
    assert path
    writable: list[bool] = []

    def try_to_write(done: int, _total: int) -> None:
        if done != 1:  # the readings are read; the assessment is being computed
            return
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:
            writable.append(False)
        finally:
            other.close()

    service.assess_day(platform, ACTOR, day, AirqualitySettings(), progress=try_to_write)
    with platform.db.read_session() as session:
        flag_day = session.get(DayPass, day)
    assert writable == [True]
    assert flag_day is not None

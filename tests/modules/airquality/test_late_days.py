"""Late readings redo their days: sensors' event, airquality's subscriber and its schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select, update

from smartcity.core.auth import system_actor
from smartcity.core.jobs.models import Job
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, local_today, utcnow
from smartcity.modules.airquality import jobs
from smartcity.modules.airquality.models import DeviceHealth, LateDay
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

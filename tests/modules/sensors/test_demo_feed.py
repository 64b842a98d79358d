"""The demo city stays alive: its devices keep sending after the demo was loaded, and only there."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import system_actor
from smartcity.core.city import current_city
from smartcity.core.jobs.worker import Worker
from smartcity.core.meta import Meta, get_meta
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, isoformat_z, local_today, utcnow
from smartcity.modules.airquality.jobs import track_plumes_today
from smartcity.modules.airquality.service import map_points
from smartcity.modules.airquality.settings import AirqualitySettings
from smartcity.modules.sensors import demo_feed
from smartcity.modules.sensors.jobs import keep_demo_alive
from smartcity.modules.sensors.models import Observation
from smartcity.modules.sensors.seed import seed
from smartcity.modules.sensors.settings import SensorsSettings


def _recordings(platform: Platform, directory: Path) -> None:
    platform.module_settings["sensors"] = SensorsSettings(demo_recordings=str(directory))
    platform.services.pop("sensors.demo_recording", None)


def _observations(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return int(session.scalar(select(func.count(Observation.id))) or 0)


def _fed_until(session: Session) -> datetime:
    return datetime.fromisoformat(get_meta(session, demo_feed.FEED_MARK) or "")


def _seeded(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("demo")) as uow:
        seed(uow, platform)


def test_a_city_without_the_demo_gets_no_readings(platform: Platform, tmp_path: Path) -> None:
    _recordings(platform, tmp_path)
    with platform.unit_of_work(system_actor("test")) as uow:
        assert demo_feed.keep_alive(uow, platform, utcnow() + timedelta(hours=5)) == 0
    Worker(platform).run_ready()
    assert _observations(platform) == 0


def test_the_map_shows_current_readings_hours_after_the_demo_was_loaded(
    platform: Platform, client: TestClient, tmp_path: Path
) -> None:
    _recordings(platform, tmp_path)  # no recording: the simulated field
    _seeded(platform)
    later = utcnow() + timedelta(hours=5, minutes=7)
    with platform.db.read_session() as session:
        assert map_points(session, later, AirqualitySettings()) == []  # the map would be dead
        seeded_until = _fed_until(session)
    with platform.unit_of_work(system_actor("test")) as uow:
        stored = demo_feed.keep_alive(uow, platform, later)
    with platform.db.read_session() as session:
        points = map_points(session, later, AirqualitySettings())
        fed_until = _fed_until(session)
    assert len(points) == 60 and all(p["pm25"] > 0 for p in points)
    assert later - timedelta(minutes=10) < fed_until <= later
    # Every 10-minute step since the seed's last hour, five quantities of 60 devices each.
    assert stored == 60 * 5 * ((fed_until - seeded_until) // demo_feed.STEP)
    page = client.get("/airquality", params={"time": isoformat_z(later)})
    assert page.status_code == 200 and page.text.count('href="/airquality/devices/') == 60
    # Run again at the same moment: nothing new, nothing twice.
    before = _observations(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        assert demo_feed.keep_alive(uow, platform, later) == 0
    assert _observations(platform) == before


def test_the_map_has_every_device_just_after_the_hour_the_demo_was_loaded_in(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _recordings(platform, tmp_path)
    next_hour = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    monkeypatch.setattr(
        "smartcity.modules.sensors.seed.utcnow", lambda: next_hour - timedelta(minutes=2)
    )
    _seeded(platform)
    with platform.db.read_session() as session:
        points = map_points(session, next_hour + timedelta(minutes=3), AirqualitySettings())
        assert _fed_until(session) == next_hour - demo_feed.STEP
    assert len(points) == 60


def test_a_long_sleep_fills_only_the_last_day(platform: Platform, tmp_path: Path) -> None:
    _recordings(platform, tmp_path)
    _seeded(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        stored = demo_feed.keep_alive(uow, platform, utcnow() + timedelta(days=9))
    steps = int(demo_feed.CATCH_UP / demo_feed.STEP) + 1
    assert stored == 60 * 5 * steps


def _write_recording(path: Path, start: datetime) -> None:
    """Two devices inside the city with hourly readings for two days."""
    city = current_city()
    inside = [d.point for d in city.districts[:2]]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["device_id", "time", "latitude", "longitude", "pm25"])
        for hour in range(48):
            when = start + timedelta(hours=hour)
            for index, (lat, lon) in enumerate(inside):
                writer.writerow([f"rec-{index}", when.isoformat(), lat, lon, 100 + hour])


def test_devices_replay_the_recording_at_the_same_time_of_day(
    platform: Platform, tmp_path: Path
) -> None:
    recorded_start = datetime(2017, 3, 1, tzinfo=city_zone())
    _write_recording(tmp_path / "airbox.csv.gz", recorded_start)
    _recordings(platform, tmp_path)
    recording = demo_feed.recording_of(platform)
    assert recording is not None and recording.days == 1
    assert [d.device_id for d in recording.devices] == ["rec-0", "rec-1"]
    device = recording.devices[0]
    # 09:00 local on any day replays the recording's 09:00 (PM2.5 100 + 9).
    when = datetime(2026, 12, 6, 9, 0, tzinfo=city_zone()).astimezone(UTC)
    assert demo_feed._replayed(recording, device, when)["pm25"] == 109.0
    assert demo_feed._replayed(recording, device, when + timedelta(minutes=30))["pm25"] == 109.0


def test_the_shared_recordings_feed_the_demo(platform: Platform) -> None:
    recordings = Path(SensorsSettings().demo_recordings)
    if not any(recordings.glob("*.csv.gz")):
        pytest.skip("../shared/data/airbox is absent")
    recording = demo_feed.recording_of(platform)
    assert recording is not None and len(recording.devices) >= 10
    assert recording.days >= 13


def _plume_days(platform: Platform) -> list[str]:
    with platform.db.read_session() as session:
        return list(
            session.scalars(
                select(AuditEntry.object_id).where(AuditEntry.action == "airquality.plumes.tracked")
            )
        )


def test_the_worker_keeps_the_demo_and_its_plumes_current(
    platform: Platform, tmp_path: Path
) -> None:
    _recordings(platform, tmp_path)
    track_plumes_today(platform, {})
    keep_demo_alive(platform, {})
    assert _observations(platform) == 0 and _plume_days(platform) == []  # not a demo city
    _seeded(platform)
    with platform.db.read_session() as session:
        session.execute(
            update(Meta)
            .where(Meta.key == demo_feed.FEED_MARK)
            .values(value=isoformat_z(utcnow() - timedelta(hours=2)))
        )
        session.commit()
    keep_demo_alive(platform, {})
    with platform.db.read_session() as session:
        assert utcnow() - _fed_until(session) < demo_feed.STEP
    track_plumes_today(platform, {})
    assert _plume_days(platform) == [local_today().isoformat()]

"""Replayed recordings of real devices: read as LASS lines, stored, and judged by air quality.

The quality pass (airquality's `run_quality`) must flag the faults real Airboxes show: a dead
PM sensor that reads 0 all the time and one stuck on one value.
"""

from __future__ import annotations

import csv
import gzip
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone
from smartcity.modules.airquality.service import run_quality
from smartcity.modules.airquality.settings import AirqualitySettings
from smartcity.modules.sensors.ingest import ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.replay import RecordingError, recorded_lines
from smartcity.modules.sensors.values import DeadLetterSource
from tests.conftest import SHARED

KAOHSIUNG = SHARED / "data" / "airbox" / "kaohsiung-2022-10-minutes.csv.gz"
DAY = date(2022, 10, 20)
HEADER = ["device_id", "date", "time", "temperature", "RH", "PM2.5", "lat", "lon"]


def store(platform: Platform, recording: Path) -> int:
    """Replay a recording into the hub (as the MQTT ingester would store it)."""
    lines = [line for _when, line in recorded_lines(recording)]
    readings, refused = parse_lines(lines)
    assert not refused
    with platform.unit_of_work(system_actor("test")) as uow:
        result = ingest(
            uow, readings, (), source=DeadLetterSource.FILE, acting=Acting(None, everything=True)
        )
    return result.stored


def assess(platform: Platform, day: date) -> tuple[set[str], int]:
    with platform.unit_of_work(system_actor("test")) as uow:
        run = run_quality(uow, day, AirqualitySettings())
    return set(run.malfunctioning), run.devices


def test_a_recording_reads_in_time_order_with_its_local_times(tmp_path: Path) -> None:
    recording = tmp_path / "r.csv"
    recording.write_text(
        "device_id,date,time,temperature,RH,PM2.5,lat,lon\n"
        "B,2022-10-15,00:05:00,27.0,90.0,12.0,22.62,120.30\n"
        "A,2022-10-15,00:00:05,27.1,100.0,0.0,22.62,120.27\n"
        "C,2022-10-15,not a time,27.1,100.0,0.0,22.62,120.27\n"
    )
    rows = list(recorded_lines(recording))
    assert [when for when, _line in rows] == [
        datetime(2022, 10, 15, 0, 0, 5, tzinfo=city_zone()),
        datetime(2022, 10, 15, 0, 5, tzinfo=city_zone()),
    ]
    readings, refused = parse_lines([line for _when, line in rows])
    assert not refused
    assert readings[0].device_id == "A" and readings[0].values["pm25"] == 0.0
    assert readings[1].values == {"temperature": 27.0, "humidity": 90.0, "pm25": 12.0}
    (tmp_path / "bad.csv").write_text("name,value\nx,1\n")
    with pytest.raises(RecordingError):
        list(recorded_lines(tmp_path / "bad.csv"))


def test_the_quality_pass_flags_a_dead_and_a_stuck_device(
    platform: Platform, tmp_path: Path
) -> None:
    recording = tmp_path / "devices.csv.gz"
    start = datetime(2022, 10, 20, tzinfo=city_zone())
    with gzip.open(recording, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for step in range(288):  # every 5 minutes of one day
            when = start + timedelta(minutes=5 * step)
            for index in range(6):
                healthy = float(20 + 8 * ((step // 12 + index) % 5) + index + step % 3)
                device = {0: "DEAD01", 1: "STUCK1"}.get(index, f"GOOD{index:02d}")
                pm25 = 0.0 if device == "DEAD01" else 35.0 if device == "STUCK1" else healthy
                place = [22.62 + index * 0.002, 120.30 + index * 0.002]
                writer.writerow(
                    [device, f"{when:%Y-%m-%d}", f"{when:%H:%M:%S}", 27.0, 80.0, pm25, *place]
                )
    assert store(platform, recording) == 288 * 6 * 3
    malfunctioning, devices = assess(platform, DAY)
    assert devices == 6
    assert malfunctioning == {"DEAD01", "STUCK1"}


def test_the_real_recordings_dead_devices_are_flagged(platform: Platform, tmp_path: Path) -> None:
    if not KAOHSIUNG.exists():
        pytest.skip(f"{KAOHSIUNG} is absent")
    day = tmp_path / "day.csv"
    zeros: dict[str, list[bool]] = {}
    with gzip.open(KAOHSIUNG, "rt", newline="") as source, day.open("w", newline="") as target:
        reader, writer = csv.DictReader(source), csv.writer(target)
        writer.writerow(HEADER)
        for row in reader:
            if row["date"] == DAY.isoformat():
                writer.writerow([row[name] for name in HEADER])
                zeros.setdefault(row["device_id"], []).append(float(row["PM2.5"]) == 0)
    dead = {device for device, zero in zeros.items() if sum(zero) > len(zero) / 2}
    assert len(zeros) == 20 and dead, "the recording's day has twenty devices, some dead"
    store(platform, day)
    malfunctioning, devices = assess(platform, DAY)
    assert devices == 20
    assert dead <= malfunctioning, sorted(dead - malfunctioning)
    # Working devices stay unflagged: the faults are told apart from the air.
    assert len(malfunctioning - dead) <= 2, sorted(malfunctioning - dead)

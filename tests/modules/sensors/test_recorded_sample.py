"""A city whose profile names its own Airbox recording: the demo loads the recording's newest
hours as they were (real ids, places, times and values), and the data portal lists them."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.auth import system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.opendata import service as opendata
from smartcity.modules.sensors.demo_feed import RECORDED_SAMPLE, load_recorded_sample
from smartcity.modules.sensors.settings import SensorsSettings


@pytest.fixture
def kaohsiung(database_url: str, settings_factory: Callable[..., Settings]) -> Iterator[Platform]:
    built = build_platform(settings_factory(database_url, city="kaohsiung"), KeyRing.ephemeral())
    yield built
    built.db.dispose()


def _recording(folder: Path, name: str) -> None:
    """Two devices, one reading every 30 minutes over ten hours (the recordings' columns)."""
    rows = ["device_id,date,time,temperature,RH,PM2.5,lat,lon"]
    for half_hour in range(20):
        clock = f"{8 + half_hour // 2:02d}:{30 * (half_hour % 2):02d}:00"
        rows.append(f"TESTBOXA0001,2022-10-20,{clock},27.5,80.0,{10 + half_hour},22.63,120.30")
        rows.append(f"TESTBOXB0002,2022-10-20,{clock},26.0,85.0,{40 - half_hour},22.60,120.33")
    with gzip.open(folder / name, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")


def _load(platform: Platform) -> int:
    with platform.unit_of_work(system_actor("test")) as uow:
        return load_recorded_sample(uow, platform)


def test_the_demo_loads_the_newest_hours_and_the_portal_lists_them(
    kaohsiung: Platform, tmp_path: Path
) -> None:
    name = kaohsiung.settings.city_profile.airbox_recording
    assert name, "Kaohsiung's profile names its recording"
    kaohsiung.module_settings["sensors"] = SensorsSettings(demo_recordings=str(tmp_path))
    assert _load(kaohsiung) == 0  # absent: nothing, and no error

    _recording(tmp_path, name)
    stored = _load(kaohsiung)
    readings_per_device = RECORDED_SAMPLE.total_seconds() // 1800  # newer than 6 hours before
    assert stored == 2 * readings_per_device * 3  # PM2.5, temperature, humidity

    opendata.refresh_catalogue(kaohsiung)
    with TestClient(create_app(platform=kaohsiung)) as client:
        package = client.get("/api/3/action/package_show", params={"id": "airbox-readings"})
        (resource,) = package.json()["result"]["resources"]
        for device in ("TESTBOXA0001", "TESTBOXB0002"):
            search = {"resource_id": resource["id"], "filters": {"device_id": device}}
            found = client.post("/api/3/action/datastore_search", json=search).json()
            assert found["result"]["total"] == readings_per_device * 3
        page = client.get("/opendata/dataset/airbox-readings")
        assert 'class="opendata-chart"' in page.text
        assert "2022-10-20" in page.text  # the chart's times are the recording's own

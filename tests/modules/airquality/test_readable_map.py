"""Maps people can read: district names, a place search, a device's PM2.5 over time, honest
"no recent data" states, no walk into the future and a ranking of what needs looking at."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import isoformat_z, utcnow
from smartcity.modules.sensors.seed import seed
from smartcity.modules.sensors.settings import SensorsSettings
from smartcity.modules.sensors.simulate import schools


@pytest.fixture
def demo(platform: Platform, tmp_path: Path) -> None:
    """sensors' demo devices with the simulated field (no recording in `tmp_path`)."""
    platform.module_settings["sensors"] = SensorsSettings(demo_recordings=str(tmp_path))
    with platform.unit_of_work(system_actor("demo")) as uow:
        seed(uow, platform)


def test_the_map_names_its_districts_and_stops_at_now(
    client: TestClient, platform: Platform, demo: None
) -> None:
    page = client.get("/airquality").text
    for district in platform.settings.city_profile.districts:
        assert f">{district.name_zh}</text>" in page
    assert "後一小時" not in page and "data-no-recent-data" not in page
    earlier = client.get("/airquality", params={"time": isoformat_z(utcnow() - timedelta(hours=3))})
    assert "後一小時" in earlier.text and 'href="/airquality">現在' in earlier.text


def test_the_estimate_is_drawn_inside_the_city_only(client: TestClient, demo: None) -> None:
    """Past the city's boundary there is no Airbox; the estimate is clipped to the districts."""
    page = client.get("/airquality").text
    clip = re.search(r'<clipPath id="aq-city"><path d="([^"]+)"/></clipPath>', page)
    assert clip is not None
    outlines = re.findall(r'<path d="([^"]+)" data-district=', page)
    assert outlines and clip.group(1).split() == " ".join(outlines).split()
    assert re.search(r'<image href="[^"]+"[^>]* clip-path="url\(#aq-city\)"', page)


def test_a_time_without_readings_says_so_and_names_the_newest(
    client: TestClient, demo: None
) -> None:
    page = client.get("/airquality", params={"time": isoformat_z(utcnow() - timedelta(days=9))})
    assert page.status_code == 200
    assert "data-no-recent-data" in page.text and "最新一筆讀數時間為" in page.text


def _places(page: str) -> str:
    """The search's answer, without the map (which links every device)."""
    start = page.index('class="card aq-places"')
    return page[start : page.index("</section>", start)]


def test_a_school_or_district_is_found_by_name(
    client: TestClient, platform: Platform, demo: None
) -> None:
    school = schools(60)[0]
    found = _places(client.get("/airquality", params={"q": school.name}).text)
    assert f'href="/airquality/devices/{school.device_id}">{school.name}</a>' in found
    district = platform.settings.city_profile.district_of(school.latitude, school.longitude)
    assert district is not None
    by_district = _places(client.get("/airquality", params={"q": district.name_zh}).text)
    assert f'href="/airquality/devices/{school.device_id}"' in by_district
    assert by_district.count("<li>") < 60  # only that district's
    nothing = _places(client.get("/airquality", params={"q": "沒有這所學校"}).text)
    assert "沒有符合的學校或行政區。" in nothing and "<li>" not in nothing


def test_a_device_page_draws_its_pm25_over_a_day_a_week_and_a_month(
    client: TestClient, demo: None
) -> None:
    device = schools(60)[0].device_id
    day = client.get(f"/airquality/devices/{device}")
    assert day.status_code == 200
    assert 'class="chart"' in day.text and "µg/m³" in day.text
    # The seed's last day hour by hour, then the current hour at the feed's 10-minute step.
    points = int(re.search(r'data-points="(\d+)"', day.text).group(1))  # type: ignore[union-attr]
    assert 24 <= points <= 24 + 5
    assert "data-no-recent-data" not in day.text
    month = client.get(f"/airquality/devices/{device}", params={"range": "month"})
    assert 'data-points="72"' in month.text  # the seed's three days, hour by hour
    assert client.get(f"/airquality/devices/{device}", params={"range": "year"}).status_code == 422


def test_a_silent_device_says_so(client: TestClient, platform: Platform, demo: None) -> None:
    from smartcity.modules.sensors import service as sensors

    with platform.unit_of_work(system_actor("test")) as uow:
        sensors.register_station(
            uow, station_id="QUIET01", name="quiet", latitude=25.04, longitude=121.52, kind="airbox"
        )
        sensors.record_readings(uow, "QUIET01", [(utcnow() - timedelta(hours=5), {"pm25": 9.0})])
    page = client.get("/airquality/devices/QUIET01").text
    assert "data-no-recent-data" in page and "此裝置最近一小時沒有回報。" in page


def test_district_alerts_read_in_local_time_and_band_names(
    client: TestClient, platform: Platform, demo: None
) -> None:
    from smartcity.core.time import local_today
    from smartcity.modules.airquality import service
    from smartcity.modules.airquality.settings import AirqualitySettings

    with platform.unit_of_work(system_actor("test")) as uow:
        for days in (2, 1, 0):
            service.run_plumes(uow, local_today() - timedelta(days=days), AirqualitySettings())
    page = client.get("/airquality").text
    table = page[page.index("<tbody>", page.index("aq-plumes")) :]
    assert table.count("<tr>") >= 1
    assert "Z</td>" not in table and "moderate" not in table and "→" in table
    assert "普通" in table or "良好" in table

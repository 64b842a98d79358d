"""A dataset page: its times in the city's, its update frequency by name, a chart of its time
series, a map of its places, and API examples that run as the page writes them."""

from __future__ import annotations

import html
import json
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from smartcity.core.city import load_city
from smartcity.core.platform import Platform
from smartcity.modules.opendata import previews
from tests.modules.opendata.conftest import serve

pytestmark = pytest.mark.usefixtures("with_catalogue")

FIELDS = [
    {"id": "id", "type": "int"},
    {"id": "device_id", "type": "text"},
    {"id": "quantity", "type": "text"},
    {"id": "time_ms", "type": "int"},
    {"id": "value", "type": "numeric"},
]


def test_a_chart_follows_the_commonest_kind_and_averages_readings_taken_together() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    records = []
    for minute in range(3):
        at = int((start + timedelta(minutes=10 * minute)).timestamp() * 1000)
        for device, pm25 in (("A", 10.0 + minute), ("B", 20.0 + minute)):
            records.append({"device_id": device, "quantity": "pm2.5", "time_ms": at, "value": pm25})
        records.append({"device_id": "A", "quantity": "temperature", "time_ms": at, "value": 99.0})
    plan = previews.chart_plan(records, FIELDS, None)
    assert plan == previews.ChartPlan("time_ms", "value", "quantity", "pm2.5")
    chart = previews.time_series(records, plan, title="t")
    assert [point.value for point in chart.lines[0].points] == ["15", "16", "17"]
    snapshot = [r for r in records if r["time_ms"] == records[0]["time_ms"]]
    assert not previews.time_series(snapshot, plan, title="t").has_values
    no_numbers = [f for f in FIELDS if f["id"] != "value"]
    assert previews.chart_plan(records, no_numbers, None) is None


def test_a_map_places_the_records_inside_the_city_and_outlines_the_coverage() -> None:
    city = load_city("taipei")
    inside = {"latitude": city.centre[0], "longitude": city.centre[1], "name": "中心"}
    outside = {"latitude": 0.0, "longitude": 0.0, "name": "遠方"}
    west, south, east, north = 121.5, 25.0, 121.55, 25.05
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    drawn = previews.data_map(
        city, [inside, outside], {"type": "Polygon", "coordinates": [ring]}, "name"
    )
    assert [point.label for point in drawn.points] == ["中心"]
    (point,) = drawn.points
    assert 0 < point.x < drawn.width and 0 < point.y < drawn.height
    assert drawn.coverage.startswith("M") and drawn.outlines


def test_times_are_the_citys_and_the_frequency_is_named(client: TestClient) -> None:
    package = client.get("/api/3/action/package_show", params={"id": "payment-items"}).json()
    modified = datetime.fromisoformat(package["result"]["metadata_modified"]).replace(tzinfo=UTC)
    page = client.get("/opendata/dataset/payment-items").text
    local = modified.astimezone(ZoneInfo(load_city("taipei").time_zone)).strftime("%Y-%m-%d %H:%M")
    assert f"<dd>{local}</dd>" in page and "UTC" not in page
    assert "<dd>不定期更新</dd>" in page
    client.cookies.set("sc_lang", "en")
    assert "<dd>When something changes</dd>" in client.get("/opendata/dataset/payment-items").text


def test_the_pages_api_examples_run_as_written(platform: Platform, client: TestClient) -> None:
    page = client.get("/opendata/dataset/payment-items").text
    base = platform.settings.base_url.rstrip("/")
    blocks = [html.unescape(b) for b in re.findall(r"<pre><code>(.*?)</code></pre>", page, re.S)]
    (curl,) = [b for b in blocks if b.startswith("curl ")]
    (python,) = [b for b in blocks if "RemoteCKAN" in b]
    with serve(platform) as url:
        fetched = subprocess.run(
            shlex.split(curl.replace(base, url)), capture_output=True, text=True, check=True
        )
        assert json.loads(fetched.stdout)["success"] is True
        ran = subprocess.run(
            [sys.executable, "-c", python.replace(base, url)],
            capture_output=True,
            text=True,
        )
        assert ran.returncode == 0, ran.stderr

"""KPIs computed live from the pilot's own devices in the sensor hub."""

from __future__ import annotations

import uuid
from datetime import timedelta

from smartcity.core.auth import system_actor
from smartcity.core.time import utcnow
from smartcity.modules.livinglab.models import Pilot
from smartcity.modules.sensors.service import record_readings, register_station
from tests.modules.livinglab.conftest import Lab


def _devices(lab: Lab, running_since):  # type: ignore[no-untyped-def]
    """Two devices with hourly PM2.5; the second misses six hours."""
    things = []
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        for index, device in enumerate(("LL-T-1", "LL-T-2")):
            things.append(
                register_station(
                    uow,
                    station_id=device,
                    name=device,
                    latitude=25.05,
                    longitude=121.52,
                    kind="airbox",
                )
            )
            rows = [
                (running_since + timedelta(hours=h, minutes=5), {"pm25": 10.0 + index * 4})
                for h in range(24)
                if not (index == 1 and h < 6)
            ]
            record_readings(uow, device, rows)
    return things


def test_online_ratio_and_median_come_from_the_sensor_hub(lab: Lab) -> None:
    pilot = lab.pilot("running")
    since = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        row = uow.session.get(Pilot, uuid.UUID(pilot))
        assert row is not None
        row.running_since = since
        uow.audit("test.backdate", "pilot", pilot, {})
    things = _devices(lab, since)
    online = lab.ok(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.dot,
            {
                "name": "裝置上線率",
                "unit": "%",
                "target": 95,
                "source": "sensor",
                "statistic": "online_ratio",
                "thing_ids": [str(t) for t in things],
                "expected_interval_s": 3600,
            },
        ),
        201,
    )["id"]
    median = lab.ok(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.dot,
            {
                "name": "PM2.5 中位數",
                "target": 15,
                "direction": "lower",
                "source": "sensor",
                "statistic": "median",
                "device_ids": ["LL-T-1", "LL-T-2"],
                "quantity": "pm25",
            },
        ),
        201,
    )["id"]
    values = {k["id"]: k for k in lab.ok(lab.get(f"/pilots/{pilot}/kpis"))}
    assert values[online]["live"] == "live"
    assert values[online]["current"] == round(42 / 48 * 100, 2)
    assert values[online]["met"] is False
    assert values[median]["current"] == 12.0 and values[median]["met"] is True
    # Linked by Datastream ids, as the SensorThings API lists them.
    streams = lab.client.get(f"/sta/v1.1/Things({things[1]})/Datastreams").json()["value"]
    pm25 = [s["@iot.id"] for s in streams if "PM2.5" in s["name"]]
    assert pm25, streams
    by_stream = lab.ok(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.dot,
            {
                "name": "PM2.5 平均",
                "target": 15,
                "direction": "lower",
                "source": "sensor",
                "statistic": "mean",
                "datastream_ids": [str(i) for i in pm25],
            },
        ),
        201,
    )["id"]
    values = {k["id"]: k for k in lab.ok(lab.get(f"/pilots/{pilot}/kpis"))}
    assert values[by_stream]["current"] == 14.0 and values[by_stream]["met"] is True
    hand = lab.post(f"/kpis/{online}/measurements", lab.dot, {"value": 99})
    assert hand.status_code == 409 and hand.json()["code"] == "kpi_is_live"
    # Live values count as measured: the pilot may move on to evaluation.
    lab.ok(lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "evaluating"}))


def test_sensor_kpis_need_hub_ids(lab: Lab) -> None:
    pilot = lab.pilot("running")
    bad = lab.post(
        f"/pilots/{pilot}/kpis",
        lab.dot,
        {"name": "x", "target": 1, "source": "sensor", "datastream_ids": ["abc"]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "kpi_bad_id"
    quantity = lab.post(
        f"/pilots/{pilot}/kpis",
        lab.dot,
        {"name": "x", "target": 1, "source": "sensor", "device_ids": ["a"], "quantity": "co2"},
    )
    assert quantity.json()["code"] == "kpi_bad_quantity"

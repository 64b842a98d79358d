"""WiFi bay sensors and parking meters post readings over HTTP with a device key; they move
bays and sessions under the same exactly-once and event-time rules as LoRaWAN uplinks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.auth import Role
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.sensors.models import DeadLetter
from tests.conftest import Actors, bearer

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
METER = "a4cf12fffe000001"
UPLINKS = "/api/v1/sensors/uplinks"


@pytest.fixture
def meter_key(actors: Actors) -> dict[str, str]:
    """The device key of the meter's owner (it also makes the organisation)."""
    return bearer(actors.token(Role.DEVICE, "METERCO"))


@pytest.fixture
def wifi_segment(
    client: TestClient, officer: dict[str, str], meter_key: dict[str, str], with_catalogue: None
) -> dict[str, Any]:
    body = {
        "code": "WIFI-1",
        "name": "測試街",
        "tariff": {"per_hour": 30},
        "bays": [
            {"code": "WIFI-1-01", "lat": 25.05, "lon": 121.55, "dev_eui": METER,
             "sensor_model": "wifi-meter", "sensor_owner": "METERCO"},
        ],
    }  # fmt: skip
    response = client.post("/api/v1/parking/segments", json=body, headers=officer)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def post(
    client: TestClient, platform: Platform, headers: dict[str, str], *readings: dict[str, Any]
) -> Any:
    response = client.post(UPLINKS, json={"readings": list(readings)}, headers=headers)
    Worker(platform).run_ready()
    return response


def reading(at: datetime, occupied: bool, device: str = METER) -> dict[str, Any]:
    return {"device_id": device.upper(), "time": at.isoformat(), "occupied": occupied}


def bay(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/api/v1/parking/bays/WIFI-1-01").json()
    return found


def test_a_meters_readings_move_its_bay_at_the_meters_own_time(
    client: TestClient, platform: Platform, wifi_segment: Any, meter_key: dict[str, str]
) -> None:
    answer = post(
        client, platform, meter_key, reading(T0, False), reading(T0 + timedelta(minutes=1), True)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 2, "stored": 2, "duplicates": 0, "refused": []}
    now = bay(client)
    assert now["status"] == "occupied"
    assert datetime.fromisoformat(now["since"]) == T0 + timedelta(minutes=1)


def test_a_repeated_post_stores_nothing_and_an_older_reading_moves_nothing(
    client: TestClient, platform: Platform, wifi_segment: Any, meter_key: dict[str, str]
) -> None:
    post(client, platform, meter_key, reading(T0, True))
    again = post(client, platform, meter_key, reading(T0, True))
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    late = post(client, platform, meter_key, reading(T0 - timedelta(minutes=5), False))
    assert late.json()["stored"] == 1  # kept in the hub, at its own time…
    assert bay(client)["status"] == "occupied"  # …but older than what the bay knows


def test_a_stay_sensed_over_http_is_billed_once_like_a_lorawan_one(
    client: TestClient,
    platform: Platform,
    wifi_segment: Any,
    meter_key: dict[str, str],
    officer: dict[str, str],
) -> None:
    post(client, platform, meter_key, reading(T0 - timedelta(minutes=30), False))
    post(client, platform, meter_key, reading(T0, True))
    post(client, platform, meter_key, reading(T0 + timedelta(minutes=50), False))
    post(client, platform, meter_key, reading(T0 + timedelta(minutes=50), False))  # a retry
    seen = client.post(
        "/api/v1/parking/sightings",
        json={
            "bay": "WIFI-1-01",
            "plate": "HTT-0001",
            "seen_at": (T0 + timedelta(minutes=9)).isoformat(),
        },
        headers=officer,
    )
    assert seen.status_code == 201, seen.text
    (stay,) = client.get(
        "/api/v1/parking/sessions", params={"plate": "HTT-0001"}, headers=officer
    ).json()
    assert (stay["fee"], stay["bill_reference"]) == (30, seen.json()["bill_reference"])


def test_another_owners_key_is_refused_and_an_unknown_device_is_a_dead_letter(
    client: TestClient, platform: Platform, wifi_segment: Any, actors: Actors
) -> None:
    other = bearer(actors.token(Role.DEVICE, "OTHERCO"))
    refused = post(client, platform, other, reading(T0, True))
    assert (refused.status_code, refused.json()["code"]) == (403, "sensors_not_owner")
    assert bay(client)["status"] == "unknown"
    unknown = post(client, platform, other, reading(T0, True, device="a4cf12fffe0000ff"))
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["refused"] == ["unknown WiFi device a4cf12fffe0000ff"]
    with platform.db.read_session() as session:
        (letter,) = session.scalars(select(DeadLetter)).all()
    assert (letter.source, letter.reason) == ("http-uplink", "unknown WiFi device a4cf12fffe0000ff")


def test_malformed_readings_are_problems_with_codes(
    client: TestClient, wifi_segment: Any, meter_key: dict[str, str], actors: Actors
) -> None:
    naive = {"device_id": METER, "time": "2026-12-07T01:00:00", "occupied": True}
    for body in ({"readings": [naive]}, {"readings": []}, {"readings": [{"device_id": "xyz"}]}):
        answer = client.post(UPLINKS, json=body, headers=meter_key)
        assert answer.status_code == 422, body
        assert answer.json()["code"]
    assert client.post(UPLINKS, json={"readings": [reading(T0, True)]}).status_code == 401
    citizen = bearer(actors.citizen()[1])
    answer = client.post(UPLINKS, json={"readings": [reading(T0, True)]}, headers=citizen)
    assert answer.status_code == 403

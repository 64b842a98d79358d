"""Uplinks through the sensor hub to bay status: once, in the uplink's own time, never lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.sensors.models import DeadLetter, Observation
from tests.conftest import Actors, bearer
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, deliver, things_stack

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def bay(client: TestClient, code: str = "SEG-1-01") -> dict[str, Any]:
    response = client.get(f"/api/v1/parking/bays/{code}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def observations(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Observation)) or 0)


def dead_letters(platform: Platform) -> list[DeadLetter]:
    with platform.db.read_session() as session:
        return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def test_a_new_bay_is_unknown_until_its_sensor_speaks(client: TestClient, segment: Any) -> None:
    assert segment["code"] == "SEG-1"
    assert segment["district"] == "xinyi"
    assert bay(client)["status"] == "unknown"
    assert bay(client, "SEG-1-03")["dev_eui"] is None


def test_an_uplink_sets_the_status_at_its_own_time(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    assert deliver(platform, chirpstack(NWAVE, T0, occupied=True)) == 1
    found = bay(client)
    assert found["status"] == "occupied"
    assert datetime.fromisoformat(found["since"]) == T0
    assert deliver(platform, things_stack(BOSCH, T0, occupied=False, frame=None)) == 1
    assert bay(client, "SEG-1-02")["status"] == "free"


def test_replays_and_duplicates_store_nothing_new(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    message = chirpstack(NWAVE, T0, occupied=True)
    assert deliver(platform, message, message) == 1
    stored = observations(platform)
    assert deliver(platform, message) == 0
    assert observations(platform) == stored
    assert bay(client)["status"] == "occupied"


def test_a_frame_counter_reset_is_a_new_uplink(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    deliver(platform, things_stack(BOSCH, T0, occupied=True, frame=900))
    # The device rejoined: its counter starts again, its time moves on.
    assert deliver(platform, things_stack(BOSCH, T0 + timedelta(minutes=5), False, None)) == 1
    assert bay(client, "SEG-1-02")["status"] == "free"


def test_an_older_uplink_does_not_move_the_bay_back(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=10), occupied=True, frame=2))
    assert deliver(platform, chirpstack(NWAVE, T0, occupied=False, frame=1)) == 1
    found = bay(client)
    assert found["status"] == "occupied"
    assert datetime.fromisoformat(found["since"]) == T0 + timedelta(minutes=10)


def test_unknown_devices_and_malformed_uplinks_are_dead_letters(
    client: TestClient, platform: Platform, segment: Any, actors: Actors
) -> None:
    topic = f"application/app/device/{NWAVE}/event/up"
    good = json.loads(chirpstack(NWAVE, T0, True)[1])
    stored = deliver(
        platform,
        chirpstack("0011223344556677", T0, True),
        (topic, b"{not json"),
        (topic, json.dumps({**good, "data": "***"}).encode()),
        (topic, json.dumps({**good, "time": "yesterday"}).encode()),
        (topic, json.dumps({**good, "fPort": 2}).encode()),  # a heartbeat needs three bytes
    )
    assert stored == 0
    reasons = [letter.reason for letter in dead_letters(platform)]
    assert reasons == [
        "unknown dev EUI 0011223344556677",
        "the message is not JSON",
        "the payload is not base64",
        "the uplink's time is not RFC 3339",
        "nwave-nps405: a heartbeat needs 3 bytes, got 1",
    ]
    assert all(letter.source == "lorawan" for letter in dead_letters(platform))
    # Officers see them with the hub's other refused messages.
    officer = bearer(actors.token(Role.ADMIN))
    listed = client.get("/api/v1/sensors/dead-letters", headers=officer)
    assert listed.status_code == 200
    assert {d["reason"] for d in listed.json()} >= {"unknown dev EUI 0011223344556677"}
    assert bay(client)["status"] == "unknown"


def test_heartbeats_feed_battery_and_faults(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    topic, raw = chirpstack(NWAVE, T0, True)
    body = json.loads(raw)
    body.update(fPort=2, data="gJYU")  # 0x80 0x96 0x14: occupied, 3.1 V, 20 °C
    deliver(platform, (topic, json.dumps(body).encode()))
    found = bay(client)
    assert found["status"] == "occupied"
    assert found["battery_volts"] == 3.1
    body.update(time=(T0 + timedelta(minutes=1)).isoformat(), data="g5YU")  # health code 3
    deliver(platform, (topic, json.dumps(body).encode()))
    found = bay(client)
    assert (found["status"], found["fault"]) == ("unknown", "hardware health 3")


def test_availability_in_the_tdx_shape(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    empty = client.get("/api/v1/parking/availability").json()
    (row,) = empty["CurbParkingSegmentAvailabilities"]
    assert (row["TotalSpaces"], row["AvailableSpaces"], row["FullStatus"]) == (3, 0, -1)
    deliver(platform, chirpstack(NWAVE, T0, False), chirpstack(BOSCH, T0, True))
    body = client.get("/api/v1/parking/availability").json()
    (row,) = body["CurbParkingSegmentAvailabilities"]
    assert row["ParkingSegmentID"] == "SEG-1"
    assert row["ParkingSegmentName"] == {"Zh_tw": "測試路", "En": "Test Road"}
    assert (row["TotalSpaces"], row["AvailableSpaces"], row["FullStatus"]) == (3, 1, 0)
    assert datetime.fromisoformat(row["DataCollectTime"]) == T0
    assert datetime.fromisoformat(body["SrcUpdateTime"]) == T0
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=3), True, frame=2))
    (row,) = client.get("/api/v1/parking/availability").json()["CurbParkingSegmentAvailabilities"]
    assert (row["AvailableSpaces"], row["FullStatus"]) == (0, 1)

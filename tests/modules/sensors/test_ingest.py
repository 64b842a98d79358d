"""LASS over HTTP: devices appear on their first message; storage is idempotent; refusals kept."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from smartcity.modules.sensors import service
from tests.modules.sensors.conftest import T0, lass_line


def test_first_message_creates_thing_location_and_datastreams(
    client: TestClient, platform: Platform, device_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/sensors/lass", content=lass_line(), headers=device_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": 1,
        "stored": 5,
        "duplicates": 0,
        "refused": 0,
        "devices_created": 1,
    }
    things = client.get("/sta/v1.1/Things?$expand=Locations,Datastreams").json()["value"]
    assert len(things) == 1
    assert things[0]["properties"]["device_id"] == "74DA38AF1234"
    assert things[0]["Locations"][0]["location"]["coordinates"] == [121.5654, 25.033]
    assert len(things[0]["Datastreams"]) == 5
    with platform.db.read_session() as session:
        (now,) = service.latest(session)
        assert now.values == {"pm25": 17.0, "temperature": 24.5, "humidity": 68.0}
        # 08:15:03 in Taipei is 00:15:03 UTC.
        assert now.time == T0


def test_storage_is_idempotent_on_device_and_time(
    client: TestClient, device_headers: dict[str, str]
) -> None:
    body = "\n".join([lass_line(), lass_line(), lass_line(time="08:20:03")])
    first = client.post("/api/v1/sensors/lass", content=body, headers=device_headers).json()
    assert first["stored"] == 10 and first["duplicates"] == 5
    again = client.post("/api/v1/sensors/lass", content=body, headers=device_headers).json()
    assert again["stored"] == 0 and again["duplicates"] == 15
    count = client.get("/sta/v1.1/Observations?$count=true&$top=1").json()["@iot.count"]
    assert count == 10


def test_malformed_lines_go_to_the_dead_letter_table(
    client: TestClient, device_headers: dict[str, str], actors
) -> None:
    from smartcity.core.auth import Role
    from tests.conftest import bearer

    body = "\n".join([lass_line(), "|device_id=X|date=2024-13-40|time=08:00:00|s_d0=1|", "junk"])
    result = client.post("/api/v1/sensors/lass", content=body, headers=device_headers).json()
    assert result["refused"] == 2 and result["stored"] == 5
    officer = bearer(actors.token(Role.OFFICER))
    letters = client.get("/api/v1/sensors/dead-letters", headers=officer).json()
    assert {letter["reason"] for letter in letters} == {
        "not a date: '2024-13-40'",
        "not a LASS message (no key=value fields)",
    }


def test_writes_need_a_device_or_officer_and_accept_basic(
    client: TestClient, device_headers: dict[str, str]
) -> None:
    import base64

    assert client.post("/api/v1/sensors/lass", content=lass_line()).status_code == 401
    token = device_headers["Authorization"].split()[1]
    basic = base64.b64encode(f"anything:{token}".encode()).decode()
    response = client.post(
        "/api/v1/sensors/lass", content=lass_line(), headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200


def test_airbox_open_data_json(client: TestClient, device_headers: dict[str, str]) -> None:
    document = {
        "source": "last-all-airbox",
        "feeds": [
            {
                "device_id": "74DA38000001",
                "SiteName": "建國中學",
                "gps_lat": 25.03,
                "gps_lon": 121.51,
                "s_d0": 12,
                "s_t0": 22.5,
                "s_h0": 70,
                "timestamp": (T0 + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            },
            {"device_id": "74DA38000002"},
        ],
    }
    result = client.post("/api/v1/sensors/airbox", json=document, headers=device_headers).json()
    assert result["stored"] == 3 and result["refused"] == 1
    thing = client.get("/sta/v1.1/Things?$filter=name eq '建國中學'").json()["value"]
    assert len(thing) == 1

"""Device data belongs to an organisation: only its owner (or an administrator) changes it.

The owner matrix: device keys of organisations A and B, officers of departments X and Y and
an administrator, each trying every write on a device owner's Thing and on a department's
station. A refusal is a 403 `sensors_not_owner` that changed nothing; LASS lines naming
another owner's device are refused (HTTP: the whole request) and kept as dead letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.auth import Principal, Role, system_actor
from smartcity.core.db import Base
from smartcity.core.platform import Platform
from smartcity.modules.sensors import service
from smartcity.modules.sensors.models import DeadLetter, Thing
from smartcity.modules.sensors.mqtt import BatchStore
from smartcity.modules.sensors.settings import SensorsSettings
from tests.conftest import Actors, bearer
from tests.modules.sensors.conftest import lass_line

STA = "/sta/v1.1"
# Who calls: (role, organisation or department code); the admin acts for no organisation.
CALLERS = {
    "device A": (Role.DEVICE, "DEVA"),
    "device B": (Role.DEVICE, "DEVB"),
    "officer X": (Role.OFFICER, "DEP"),
    "officer Y": (Role.OFFICER, "DOT"),
    "admin": (Role.ADMIN, None),
}
OWNERS = ("DEVA", "DEP")
"""The targets: a device owner's Thing (A's) and a department's station (X's)."""


def _allowed(caller: str, owner: str) -> bool:
    role, code = CALLERS[caller]
    return role == Role.ADMIN or code == owner


def snapshot(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the SensorThings tables (the dead letters aside)."""
    tables = [
        t
        for t in Base.metadata.sorted_tables
        if t.name.startswith("sensors_") and t.name != "sensors_dead_letters"
    ]
    with platform.db.read_session() as session:
        return {
            table.name: sorted((tuple(row) for row in session.execute(select(table))), key=repr)
            for table in tables
        }


def _deep_thing(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "Locations": [
            {
                "name": name,
                "description": "",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [121.53, 25.02]},
            }
        ],
        "Datastreams": [
            {
                "name": f"PM2.5 {name}",
                "description": "",
                "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/m³", "definition": "ucum"},
                "Sensor": {
                    "name": f"sensor of {name}",
                    "description": "",
                    "encodingType": "text/html",
                    "metadata": "x",
                },
                "ObservedProperty": {"name": "PM2.5", "definition": name, "description": ""},
                "Observations": [{"phenomenonTime": "2024-11-02T00:00:00Z", "result": 12}],
            }
        ],
    }


@pytest.fixture
def headers(actors: Actors) -> Callable[[str], dict[str, str]]:
    made: dict[str, dict[str, str]] = {}

    def of(caller: str) -> dict[str, str]:
        if caller not in made:
            role, code = CALLERS[caller]
            made[caller] = bearer(actors.token(role, code))
        return made[caller]

    return of


@pytest.fixture
def targets(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> dict[str, dict[str, int]]:
    """Per owner: the ids of its Thing, Location, Datastream, Sensor and Observation."""
    found: dict[str, dict[str, int]] = {}
    for owner, caller in (("DEVA", "device A"), ("DEP", "officer X")):
        made = client.post(f"{STA}/Things", json=_deep_thing(owner), headers=headers(caller))
        assert made.status_code == 201, made.text
        thing = made.json()["@iot.id"]
        expanded = client.get(
            f"{STA}/Things({thing})",
            params={"$expand": "Locations,Datastreams($expand=Sensor,Observations)"},
        ).json()
        stream = expanded["Datastreams"][0]
        found[owner] = {
            "thing": thing,
            "location": expanded["Locations"][0]["@iot.id"],
            "datastream": stream["@iot.id"],
            "sensor": stream["Sensor"]["@iot.id"],
            "observation": stream["Observations"][0]["@iot.id"],
        }
    return found


_NEW_STREAM = {
    "name": "forged",
    "description": "",
    "observationType": "OM_Measurement",
    "unitOfMeasurement": {"name": "x", "symbol": "x", "definition": "x"},
    "Sensor": {"name": "s", "description": "", "encodingType": "text/html", "metadata": "x"},
    "ObservedProperty": {"name": "p", "definition": "p", "description": ""},
}
_PLACE = {
    "name": "elsewhere",
    "description": "",
    "encodingType": "application/geo+json",
    "location": {"type": "Point", "coordinates": [120.0, 23.0]},
}
# Each write: (method, path from the target's ids, JSON body).
WRITES: dict[str, Callable[[dict[str, int]], tuple[str, str, Any]]] = {
    "create a Datastream on the Thing": lambda t: (
        "POST",
        f"Things({t['thing']})/Datastreams",
        _NEW_STREAM,
    ),
    "move the Thing": lambda t: ("POST", f"Things({t['thing']})/Locations", _PLACE),
    "rename the Thing": lambda t: ("PATCH", f"Things({t['thing']})", {"name": "forged"}),
    "delete the Thing": lambda t: ("DELETE", f"Things({t['thing']})", None),
    "create an Observation": lambda t: (
        "POST",
        f"Datastreams({t['datastream']})/Observations",
        {"phenomenonTime": "2024-11-03T00:00:00Z", "result": 999},
    ),
    "CreateObservations": lambda t: (
        "POST",
        "CreateObservations",
        [
            {
                "Datastream": {"@iot.id": t["datastream"]},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2024-11-03T00:00:00Z", 999]],
            }
        ],
    ),
    "patch the Datastream": lambda t: (
        "PATCH",
        f"Datastreams({t['datastream']})",
        {"name": "forged"},
    ),
    "delete the Datastream": lambda t: ("DELETE", f"Datastreams({t['datastream']})", None),
    "overwrite the Observation": lambda t: (
        "PATCH",
        f"Observations({t['observation']})",
        {"result": 999},
    ),
    "delete the Observation": lambda t: ("DELETE", f"Observations({t['observation']})", None),
    "move the Location": lambda t: (
        "PATCH",
        f"Locations({t['location']})",
        {"location": {"type": "Point", "coordinates": [120.0, 23.0]}},
    ),
    "delete the Sensor": lambda t: ("DELETE", f"Sensors({t['sensor']})", None),
    "tie a new Datastream to the Sensor": lambda t: (
        "POST",
        "Datastreams",
        {**_NEW_STREAM, "Sensor": {"@iot.id": t["sensor"]}, "Thing": {"@iot.id": t["thing"]}},
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("write", WRITES)
def test_only_the_owner_or_an_admin_writes_device_data(
    client: TestClient,
    platform: Platform,
    headers: Callable[[str], dict[str, str]],
    targets: dict[str, dict[str, int]],
    caller: str,
    write: str,
) -> None:
    for owner in OWNERS:
        method, path, body = WRITES[write](targets[owner])
        before = snapshot(platform)
        response = client.request(method, f"{STA}/{path}", json=body, headers=headers(caller))
        if _allowed(caller, owner):
            assert response.status_code in (200, 201), (owner, response.text)
            assert snapshot(platform) != before
        else:
            assert response.status_code == 403, (owner, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "sensors_not_owner"
            assert snapshot(platform) == before


def test_new_data_belongs_to_the_callers_organisation(
    client: TestClient, platform: Platform, headers: Callable[[str], dict[str, str]]
) -> None:
    made = {}
    for caller in ("device B", "officer Y", "admin"):
        response = client.post(f"{STA}/Things", json=_deep_thing(caller), headers=headers(caller))
        made[caller] = response.json()["@iot.id"]
    with platform.db.read_session() as session:
        owners = {c: session.get(Thing, thing_id).owner for c, thing_id in made.items()}
    assert owners == {"device B": "DEVB", "officer Y": "DOT", "admin": None}


def test_data_may_be_tied_to_the_platforms_shared_entities_only(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    # The LASS ingestion's PM2.5 ObservedProperty is the platform's: anyone may use it.
    client.post("/api/v1/sensors/lass", content=lass_line(), headers=headers("admin"))
    shared = client.get(f"{STA}/ObservedProperties", params={"$filter": "name eq 'PM2.5'"})
    shared_id = shared.json()["value"][0]["@iot.id"]
    thing = client.post(f"{STA}/Things", json={"name": "b"}, headers=headers("device B")).json()
    body = {**_NEW_STREAM, "ObservedProperty": {"@iot.id": shared_id}}
    body["Thing"] = {"@iot.id": thing["@iot.id"]}
    tied = client.post(f"{STA}/Datastreams", json=body, headers=headers("device B"))
    assert tied.status_code == 201, tied.text
    # …but never change it: other owners' data depend on it.
    renamed = client.patch(
        f"{STA}/ObservedProperties({shared_id})", json={"name": "x"}, headers=headers("device B")
    )
    assert renamed.status_code == 403 and renamed.json()["code"] == "sensors_not_owner"


def _dead_letters(platform: Platform) -> list[DeadLetter]:
    with platform.db.read_session() as session:
        return list(session.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())


@pytest.fixture
def stations(platform: Platform) -> None:
    """An EPA station of the environment department (X) and a device of device owner A."""
    with platform.unit_of_work(system_actor("test")) as uow:
        service.register_station(
            uow,
            station_id="EPA-GUTING",
            name="Guting",
            latitude=25.02,
            longitude=121.53,
            owner="DEP",
        )
        service.register_station(
            uow,
            station_id="74DA38AF0001",
            name="school",
            latitude=25.03,
            longitude=121.56,
            kind="airbox",
            owner="DEVA",
        )


@pytest.mark.parametrize("caller", CALLERS)
def test_a_lass_line_never_moves_or_writes_another_owners_device(
    client: TestClient,
    platform: Platform,
    headers: Callable[[str], dict[str, str]],
    stations: None,
    caller: str,
) -> None:
    for owner, device in (("DEP", "EPA-GUTING"), ("DEVA", "74DA38AF0001")):
        # Its own new device alongside: an HTTP request is taken whole or not at all.
        body = "\n".join(
            [
                lass_line(device=device, pm25=999, lat=24.0, lon=120.0),
                lass_line(device=f"NEW-{caller[-1]}-{owner}"),
            ]
        )
        before, letters = snapshot(platform), len(_dead_letters(platform))
        response = client.post("/api/v1/sensors/lass", content=body, headers=headers(caller))
        if _allowed(caller, owner):
            assert response.status_code == 200, response.text
            assert response.json()["stored"] == 10
            continue
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "sensors_not_owner"
        assert response.json()["devices"] == [device]
        assert snapshot(platform) == before
        (kept,) = _dead_letters(platform)[letters:]
        assert kept.reason == f"device_id {device} belongs to another owner"
        assert f"device_id={device}|" in kept.payload and "s_d0=999.0" in kept.payload


def test_lass_devices_are_made_for_the_callers_organisation(
    client: TestClient, platform: Platform, headers: Callable[[str], dict[str, str]]
) -> None:
    client.post("/api/v1/sensors/lass", content=lass_line(), headers=headers("device B"))
    with platform.db.read_session() as session:
        thing = session.execute(select(Thing).where(Thing.device_id == "74DA38AF1234")).scalar()
        assert thing is not None and thing.owner == "DEVB"


@pytest.mark.parametrize(("mqtt_owner", "own_device"), [("DEVA", "74DA38AF0001"), ("", None)])
def test_the_mqtt_ingester_writes_only_its_organisations_devices(
    client: TestClient,
    platform: Platform,
    stations: None,
    targets: dict[str, dict[str, int]],
    mqtt_owner: str,
    own_device: str | None,
) -> None:
    platform.module_settings["sensors"] = SensorsSettings(mqtt_owner=mqtt_owner)
    station_stream = targets["DEP"]["datastream"]
    foreign = [
        ("LASS/AirBox/EPA-GUTING", lass_line(device="EPA-GUTING", pm25=999, lat=24.0, lon=120.0)),
        (
            f"v1.1/Datastreams({station_stream})/Observations",
            '{"phenomenonTime": "2024-11-04T00:00:00Z", "result": 999}',
        ),
    ]
    if mqtt_owner == "":
        foreign.append(("LASS/AirBox/A", lass_line(device="74DA38AF0001", pm25=999)))
    mine = [("LASS/AirBox/NEW", lass_line(device="74DA38AFFFFF"))]
    if own_device:
        mine.append(("LASS/AirBox/A", lass_line(device=own_device, time="09:00:00")))
    letters = len(_dead_letters(platform))
    stored = BatchStore(platform, base="http://testserver/sta/v1.1", notify=False).store(
        [(topic, text.encode()) for topic, text in [*foreign, *mine]], give_up=lambda: True
    )
    assert stored is not None
    result, _notifications = stored
    refused_lines = [topic for topic, _text in foreign if topic.startswith("LASS")]
    assert result.stored == 5 * len(mine) and result.refused == len(refused_lines)
    kept = _dead_letters(platform)[letters:]
    assert sorted(letter.topic for letter in kept) == sorted(
        "LASS" if topic.startswith("LASS") else topic for topic, _text in foreign
    )
    assert all("another owner" in letter.reason for letter in kept)
    with platform.db.read_session() as session:
        things = {t.device_id: t for t in session.execute(select(Thing)).scalars()}
    assert things["74DA38AFFFFF"].owner == (mqtt_owner or None)  # new devices are its own
    assert things["EPA-GUTING"].owner == "DEP"
    guting = client.get(f"{STA}/Things({things['EPA-GUTING'].id})/Locations").json()["value"]
    assert [place["location"]["coordinates"] for place in guting] == [[121.53, 25.02]]
    readings = client.get(
        f"{STA}/Things({things['EPA-GUTING'].id})/Datastreams", params={"$expand": "Observations"}
    ).json()["value"]
    assert readings and all(stream["Observations"] == [] for stream in readings)
    station = client.get(f"{STA}/Datastreams({station_stream})/Observations").json()["value"]
    assert [o["result"] for o in station] == [12]


def test_services_write_only_for_the_owner(platform: Platform) -> None:
    from smartcity.modules.sensors.errors import NotOwner

    device_b = Principal(kind="organisation", id="b", role=Role.DEVICE, organisation="DEVB")
    with platform.unit_of_work(system_actor("test")) as uow:
        service.register_station(
            uow,
            station_id="EPA-GUTING",
            name="Guting",
            latitude=25.02,
            longitude=121.53,
            owner="DEP",
        )
    for attempt in (
        lambda uow: service.record_readings(uow, "EPA-GUTING", []),
        lambda uow: service.register_station(
            uow, station_id="EPA-GUTING", name="x", latitude=24.0, longitude=120.0, owner="DEP"
        ),
        lambda uow: service.register_station(
            uow, station_id="EPA-GUTING", name="x", latitude=24.0, longitude=120.0, owner="DEVB"
        ),
    ):
        with pytest.raises(NotOwner), platform.unit_of_work(device_b) as uow:
            attempt(uow)


def test_a_credential_of_no_organisation_writes_nothing() -> None:
    from smartcity.modules.sensors.errors import NotOwner
    from smartcity.modules.sensors.owners import acting_for

    nobody = Principal(kind="user", id="u", role=Role.OFFICER, department=None)
    with pytest.raises(NotOwner) as refused:
        acting_for(nobody)
    assert refused.value.code == "sensors_no_organisation"

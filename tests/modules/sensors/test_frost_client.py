"""The real FROST Python client drives the hub unchanged: every entity, filters, expand, paging."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import frost_sta_client as fsc
import pytest
import uvicorn
from geojson import Point

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from tests.conftest import Actors


@pytest.fixture
def live_url(app, platform: Platform) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Links are made from the configured public URL: here, the live server's.
    platform.settings = platform.settings.model_copy(
        update={"base_url": f"http://127.0.0.1:{port}"}
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/sta/v1.1"
    server.should_exit = True
    thread.join(timeout=10)


def test_frost_client_creates_lists_expands_and_pages(live_url: str, actors: Actors) -> None:
    token = actors.token(Role.DEVICE)
    service = fsc.SensorThingsService(
        live_url, auth_handler=fsc.AuthHandler(username="airbox", password=token)
    )
    location = fsc.Location(
        name="建國中學",
        description="school roof",
        encoding_type="application/geo+json",
        location=Point((121.5129, 25.0306)),
    )
    thing = fsc.Thing(
        name="Airbox 1",
        description="an Airbox",
        properties={"school": "建中"},
        locations=[location],
    )
    service.create(thing)
    assert isinstance(thing.id, int)

    sensor = fsc.Sensor(
        name="PMS5003",
        description="Plantower",
        encoding_type="application/pdf",
        metadata="https://example.invalid/pms5003.pdf",
    )
    observed = fsc.ObservedProperty(
        name="PM2.5",
        definition="http://example.invalid/pm25",
        description="fine particulate matter",
    )
    datastream = fsc.Datastream(
        name="PM2.5 of Airbox 1",
        description="hourly PM2.5",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(
            name="microgram per cubic metre", symbol="µg/m³", definition="ucum"
        ),
        thing=thing,
        sensor=sensor,
        observed_property=observed,
    )
    service.create(datastream)
    assert isinstance(datastream.id, int)

    feature = fsc.FeatureOfInterest(
        name="建中屋頂",
        description="roof",
        encoding_type="application/geo+json",
        feature=Point((121.5129, 25.0306)),
    )
    service.create(feature)
    for hour in range(12):
        observation = fsc.Observation(
            result=10 + hour,
            phenomenon_time=f"2024-11-02T{hour:02d}:00:00Z",
            datastream=datastream,
            feature_of_interest=feature,
        )
        service.create(observation)
        assert isinstance(observation.id, int)
    history = fsc.HistoricalLocation(time="2024-11-01T00:00:00Z", thing=thing, locations=[location])
    location_list = service.locations().query().list()
    location.id = next(iter(location_list)).id
    service.create(history)

    # Listing with filters.
    things = service.things().query().filter("name eq 'Airbox 1'").list()
    assert [t.name for t in things] == ["Airbox 1"]
    high = service.observations().query().filter("result ge 15").list()
    assert sorted(o.result for o in high) == [15, 16, 17, 18, 19, 20, 21]

    # Expand.
    expanded = service.things().query().expand("Datastreams($expand=Observations)").list()
    (only,) = list(expanded)
    assert only.datastreams is not None

    # Paging: a page of 5 follows @iot.nextLink to all 12.
    pages = service.observations().query().top(5).orderby("phenomenonTime", "ASC").list()
    results = [o.result for o in pages]
    assert results == list(range(10, 22))

    # Find, patch and delete.
    found = service.things().find(thing.id)
    assert found.name == "Airbox 1"
    service.patch(found, [{"op": "replace", "path": "/name", "value": "Airbox 一號"}])
    assert service.things().find(thing.id).name == "Airbox 一號"
    (made_sensor,) = list(service.sensors().query().list())  # made by the deep insert
    service.delete(service.sensors().find(made_sensor.id))
    assert list(service.datastreams().query().list()) == []

"""The real FROST Python client drives the hub unchanged: every entity, filters, expand, paging."""

from __future__ import annotations

import frost_sta_client as fsc
from geojson import Point

from smartcity.core.auth import Role
from tests.conftest import Actors


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


def test_frost_client_filters_through_navigations(live_url: str, actors: Actors) -> None:
    service = fsc.SensorThingsService(
        live_url,
        auth_handler=fsc.AuthHandler(username="airbox", password=actors.token(Role.DEVICE)),
    )
    sensor = fsc.Sensor(
        name="PMS5003",
        description="",
        encoding_type="text/html",
        metadata="https://example.invalid",
    )
    observed = fsc.ObservedProperty(name="PM2.5", definition="pm25", description="")
    service.create(sensor)
    service.create(observed)
    for name, east, school, result in (("near", 0.005, "建中", 30), ("far", 0.05, "北一女", 50)):
        location = fsc.Location(
            name=name,
            description="",
            encoding_type="application/geo+json",
            location=Point((121.5277 + east, 25.0323)),
        )
        thing = fsc.Thing(
            name=name, description="", properties={"school": school}, locations=[location]
        )
        service.create(thing)
        datastream = fsc.Datastream(
            name=f"PM2.5 {name}",
            description="",
            observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            unit_of_measurement=fsc.UnitOfMeasurement(
                name="µg/m³", symbol="µg/m³", definition="ucum"
            ),
            thing=thing,
            sensor=sensor,
            observed_property=observed,
        )
        service.create(datastream)
        service.create(
            fsc.Observation(
                result=result, phenomenon_time="2024-11-02T00:00:00Z", datastream=datastream
            )
        )

    # The query, as a FROST client sends it.
    nearby = (
        service.things()
        .query()
        .filter("geo.distance(Locations/location, geography'POINT(121.5277 25.0323)') lt 0.01")
    )
    assert [thing.name for thing in nearby.list()] == ["near"]
    streams = service.datastreams().query().filter("Thing/properties/school eq '北一女'").list()
    assert [stream.name for stream in streams] == ["PM2.5 far"]
    observations = (
        service.observations()
        .query()
        .filter("Datastream/Thing/name eq 'near' or Datastream/Thing/name eq 'far'")
        .orderby("Datastream/Thing/name", "DESC")
        .list()
    )
    assert [observation.result for observation in observations] == [30, 50]
    within = (
        service.things()
        .query()
        .filter(
            "st_within(Locations/location, geography'POLYGON((121.5 25, 121.6 25, 121.6 25.1, "
            "121.5 25.1, 121.5 25))') and Datastreams/Observations/result gt 40"
        )
    )
    assert [thing.name for thing in within.list()] == ["far"]

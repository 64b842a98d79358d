"""Segments and bays as FIWARE NGSI-LD `OnStreetParking` / `ParkingSpot`, and each sensed bay
as a SensorThings Thing with an occupancy Datastream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, deliver

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_segments_and_bays_are_ngsi_ld_entities(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    deliver(platform, chirpstack(NWAVE, T0, False, 1), chirpstack(BOSCH, T0, True, 1))
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=3), True, 2))
    answer = client.get("/api/v1/parking/ngsi-ld/OnStreetParking")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/ld+json")
    (street,) = answer.json()
    assert street["id"] == "urn:ngsi-ld:OnStreetParking:SEG-1"
    assert street["type"] == "OnStreetParking"
    assert (street["totalSpotNumber"], street["availableSpotNumber"]) == (3, 0)
    assert street["occupiedSpotNumber"] == 2
    assert street["location"]["type"] == "MultiPoint"
    assert street["location"]["coordinates"][0] == [121.5670, 25.0400]  # longitude first
    assert street["dateObserved"] == "2026-12-07T01:03:00Z"
    assert "@context" in street
    spots = {s["name"]: s for s in client.get("/api/v1/parking/ngsi-ld/ParkingSpot").json()}
    assert set(street["refParkingSpot"]) == {s["id"] for s in spots.values()}
    first = spots["SEG-1-01"]
    assert (first["type"], first["status"]) == ("ParkingSpot", "occupied")
    assert first["refParentParking"] == street["id"]
    assert first["dateObserved"] == "2026-12-07T01:03:00Z"
    assert spots["SEG-1-03"]["status"] == "unknown" and "dateObserved" not in spots["SEG-1-03"]


def test_the_entities_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for entity in ("OnStreetParking", "ParkingSpot"):
        content = paths[f"/api/v1/parking/ngsi-ld/{entity}"]["get"]["responses"]["200"]["content"]
        assert "application/ld+json" in content


def test_a_sensed_bay_is_a_sensorthings_thing_with_its_occupancy(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    deliver(platform, chirpstack(NWAVE, T0, True, 1))
    found = client.get(
        "/sta/v1.1/Things",
        params={"$filter": f"properties/device_id eq '{NWAVE}'", "$expand": "Datastreams"},
    )
    assert found.status_code == 200, found.text
    (thing,) = found.json()["value"]
    streams = {d["name"]: d for d in thing["Datastreams"]}
    occupancy = next(d for name, d in streams.items() if name.endswith("Bay occupancy"))
    observations = client.get(f"/sta/v1.1/Datastreams({occupancy['@iot.id']})/Observations")
    assert [o["result"] for o in observations.json()["value"]] == [1.0]

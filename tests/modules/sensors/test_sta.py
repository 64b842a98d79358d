"""SensorThings reads, writes and refusals over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.modules.sensors.conftest import lass_line

STA = "/sta/v1.1"


def _thing(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    lon: float,
    lat: float,
    results: list[float],
) -> dict[str, Any]:
    body = {
        "name": name,
        "description": "deep insert",
        "properties": {"owner": "DEP", "floors": 3},
        "Locations": [
            {
                "name": name,
                "description": "",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"PM2.5 {name}",
                "description": "",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/m³", "definition": "ucum"},
                "Sensor": {
                    "name": "PMS5003",
                    "description": "",
                    "encodingType": "text/html",
                    "metadata": "https://example.invalid",
                },
                "ObservedProperty": {"name": "PM2.5", "definition": "pm25", "description": ""},
                "Observations": [
                    {"phenomenonTime": f"2024-11-02T{i:02d}:00:00Z", "result": value}
                    for i, value in enumerate(results)
                ],
            }
        ],
    }
    response = client.post(f"{STA}/Things", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith(f"Things({response.json()['@iot.id']})")
    return response.json()


@pytest.fixture
def city(client: TestClient, device_headers: dict[str, str]) -> dict[str, Any]:
    a = _thing(client, device_headers, "Daan", 121.5435, 25.0330, [10, 20, 30])
    b = _thing(client, device_headers, "Beitou", 121.5010, 25.1320, [40, 50])
    return {"a": a, "b": b}


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["@iot.id"] for item in response.json()["value"]]


def test_service_root_and_navigation(client: TestClient, city: dict[str, Any]) -> None:
    root = client.get(STA).json()
    assert {e["name"] for e in root["value"]} >= {"Things", "Observations", "FeaturesOfInterest"}
    thing = city["a"]["@iot.id"]
    streams = client.get(f"{STA}/Things({thing})/Datastreams").json()["value"]
    assert len(streams) == 1
    observations = client.get(f"{STA}/Datastreams({streams[0]['@iot.id']})/Observations")
    assert len(observations.json()["value"]) == 3
    first = observations.json()["value"][0]["@iot.id"]
    owner = client.get(f"{STA}/Observations({first})/Datastream/Thing").json()
    assert owner["name"] == "Daan"
    assert client.get(f"{STA}/Things({thing})/name/$value").text == "Daan"
    assert client.get(f"{STA}/Things({thing})/name").json() == {"name": "Daan"}
    # Observations got a FeatureOfInterest made from the Thing's Location.
    feature = client.get(f"{STA}/Observations({first})/FeatureOfInterest").json()
    assert feature["feature"]["coordinates"] == [121.5435, 25.033]
    assert client.get(f"{STA}/Things({thing})/HistoricalLocations").json()["value"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("result gt 25", [3, 4, 5]),
        ("result ge 20 and result le 40", [2, 3, 4]),
        ("not (result lt 30) or result eq 10", [1, 3, 4, 5]),
        ("result add 5 eq 35", [3]),
        ("result mul 2 gt 70 and result div 10 lt 5", [4]),
        ("result mod 20 eq 10", [1, 3, 5]),
        (
            "phenomenonTime ge 2024-11-02T01:00:00Z and phenomenonTime lt 2024-11-02T02:00:00Z",
            [2, 5],
        ),
        ("hour(phenomenonTime) eq 2", [3]),
        ("year(phenomenonTime) eq 2024 and month(phenomenonTime) eq 11", [1, 2, 3, 4, 5]),
        ("Datastream/Thing/name eq 'Beitou'", [4, 5]),
        ("startswith(Datastream/name, 'PM2.5 D')", [1, 2, 3]),
        ("round(result div 3) eq 3", [1]),
    ],
)
def test_filters_on_observations(
    client: TestClient, city: dict[str, Any], query: str, expected: list[int]
) -> None:
    assert _ids(client.get(f"{STA}/Observations", params={"$filter": query})) == expected


@pytest.mark.parametrize(
    ("path", "query", "names"),
    [
        ("Things", "substringof('ei', name)", ["Beitou"]),
        ("Things", "tolower(name) eq 'daan' or length(name) eq 6", ["Daan", "Beitou"]),
        ("Things", "properties/owner eq 'DEP' and properties/floors gt 2", ["Daan", "Beitou"]),
        ("Things", "Datastreams/name eq 'PM2.5 Beitou'", ["Beitou"]),
        ("Things", "concat(name, '!') eq 'Daan!'", ["Daan"]),
        ("Locations", "geo.distance(location, geography'POINT(121.54 25.03)') lt 0.01", ["Daan"]),
        (
            "Locations",
            "st_within(location, geography'POLYGON((121.4 25.1, 121.6 25.1, 121.6 25.2, "
            "121.4 25.2, 121.4 25.1))')",
            ["Beitou"],
        ),
        ("Locations", "geo.intersects(location, geography'POINT(121.501 25.132)')", ["Beitou"]),
    ],
)
def test_string_json_and_geo_filters(
    client: TestClient, city: dict[str, Any], path: str, query: str, names: list[str]
) -> None:
    response = client.get(f"{STA}/{path}", params={"$filter": query})
    assert response.status_code == 200, response.text
    assert [item["name"] for item in response.json()["value"]] == names


def test_select_orderby_expand_count_and_paging(client: TestClient, city: dict[str, Any]) -> None:
    page = client.get(
        f"{STA}/Observations",
        params={
            "$top": "2",
            "$orderby": "result desc",
            "$select": "result,phenomenonTime",
            "$count": "true",
        },
    ).json()
    assert page["@iot.count"] == 5
    assert [o["result"] for o in page["value"]] == [50, 40]
    assert set(page["value"][0]) == {"result", "phenomenonTime"}
    results = [o["result"] for o in page["value"]]
    link = page["@iot.nextLink"]
    while link:
        following = client.get(link.replace("http://testserver", "")).json()
        results += [o["result"] for o in following["value"]]
        link = following.get("@iot.nextLink")
    assert results == [50, 40, 30, 20, 10]
    expanded = client.get(
        f"{STA}/Things",
        params={
            "$expand": "Datastreams($select=name;$expand=Observations($orderby=result desc;"
            "$top=1)),Locations",
            "$filter": "name eq 'Daan'",
        },
    ).json()["value"][0]
    stream = expanded["Datastreams"][0]
    assert stream["name"] == "PM2.5 Daan"
    assert [o["result"] for o in stream["Observations"]] == [30]
    assert "Observations@iot.nextLink" in stream
    assert expanded["Locations"][0]["name"] == "Daan"
    path_form = client.get(f"{STA}/Things", params={"$expand": "Datastreams/Sensor"}).json()
    assert path_form["value"][0]["Datastreams"][0]["Sensor"]["name"] == "PMS5003"


def test_create_observations_data_array(
    client: TestClient, city: dict[str, Any], device_headers: dict[str, str]
) -> None:
    stream = client.get(f"{STA}/Datastreams?$filter=name eq 'PM2.5 Beitou'").json()["value"][0]
    body = [
        {
            "Datastream": {"@iot.id": stream["@iot.id"]},
            "components": ["phenomenonTime", "result"],
            "dataArray@iot.count": 3,
            "dataArray": [
                ["2024-11-03T00:00:00Z", 1],
                ["2024-11-03T01:00:00Z", 2],
                ["2024-11-02T00:00:00Z", 99],
            ],
        }
    ]
    response = client.post(f"{STA}/CreateObservations", json=body, headers=device_headers)
    assert response.status_code == 201, response.text
    links = response.json()
    assert links[0].startswith("http://testserver/sta/v1.1/Observations(")
    assert links[2] == "error: duplicate observation"
    datastream = client.get(f"{STA}/Datastreams({stream['@iot.id']})").json()
    assert datastream["phenomenonTime"].endswith("2024-11-03T01:00:00.000Z")


def test_patch_and_delete(
    client: TestClient, city: dict[str, Any], device_headers: dict[str, str]
) -> None:
    thing = city["a"]["@iot.id"]
    response = client.patch(
        f"{STA}/Things({thing})", json={"description": "changed"}, headers=device_headers
    )
    assert response.status_code == 200 and response.json()["description"] == "changed"
    assert client.delete(f"{STA}/Things({thing})", headers=device_headers).status_code == 200
    assert client.get(f"{STA}/Things({thing})").status_code == 404
    count = client.get(f"{STA}/Observations?$count=true").json()["@iot.count"]
    assert count == 2


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"$filter": "name eq"}, "sta_invalid_expression"),
        ({"$filter": "name eq 'x' and"}, "sta_invalid_expression"),
        ({"$filter": "nosuch eq 1"}, "sta_unknown_property"),
        ({"$filter": "name eq 1"}, "sta_type_mismatch"),
        ({"$filter": "(" * 200 + "1" + ")" * 200}, "sta_expression_too_deep"),
        ({"$filter": "unknownfn(name) eq 1"}, "sta_unknown_function"),
        ({"$top": "100000000"}, "sta_top_too_large"),
        ({"$top": "-1"}, "sta_invalid_top"),
        ({"$orderby": "nosuch desc"}, "sta_unknown_property"),
        ({"$select": "nosuch"}, "sta_unknown_property"),
        ({"$expand": "Nosuch"}, "sta_unknown_navigation"),
        ({"$expand": "Datastreams/Observations/Datastream/Thing/Locations"}, "sta_invalid_expand"),
        ({"$bogus": "1"}, "sta_unknown_option"),
        ({"$count": "maybe"}, "sta_invalid_count"),
    ],
)
def test_bad_requests_are_400_problems(
    client: TestClient, city: dict[str, Any], query: dict[str, str], code: str
) -> None:
    response = client.get(f"{STA}/Things", params=query)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_bad_writes(client: TestClient, device_headers: dict[str, str], platform) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"{STA}/Things", json={"name": "x"}).status_code == 401
    unknown = client.post(
        f"{STA}/Things", json={"name": "x", "colour": "red"}, headers=device_headers
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "sta_unknown_property"
    broken = client.post(
        f"{STA}/Things",
        content=b"{not json",
        headers={**device_headers, "content-type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["code"] == "sta_invalid_json"
    missing = client.post(f"{STA}/Observations", json={"result": 1}, headers=device_headers)
    assert missing.status_code == 400 and missing.json()["code"] == "sta_missing_reference"
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    oversize = client.post(
        f"{STA}/Things", content=big, headers={**device_headers, "content-type": "application/json"}
    )
    assert oversize.status_code == 413
    assert oversize.json()["code"] == "sta_body_too_large"
    assert client.get(f"{STA}/Nothing").status_code == 404
    assert client.get(f"{STA}/Things(999)").status_code == 404


def test_lass_devices_are_sensorthings_things(
    client: TestClient, device_headers: dict[str, str]
) -> None:
    client.post("/api/v1/sensors/lass", content=lass_line(), headers=device_headers)
    streams = client.get(
        f"{STA}/Datastreams",
        params={"$filter": "ObservedProperty/name eq 'PM2.5'", "$expand": "Observations"},
    ).json()["value"]
    assert [o["result"] for o in streams[0]["Observations"]] == [17]
    assert streams[0]["unitOfMeasurement"]["symbol"] == "µg/m³"


_atoms = st.sampled_from(
    [
        "name",
        "result",
        "phenomenonTime",
        "properties/owner",
        "Datastream/Thing/name",
        "Datastreams/Observations/result",
        "Locations/location",
        "Thing/Locations/location",
        "Things/properties/owner",
        "id",
        "'x'",
        "1",
        "2.5",
        "2024-11-02T00:00:00Z",
        "null",
        "true",
        "eq",
        "ne",
        "gt",
        "and",
        "or",
        "not",
        "add",
        "div",
        "mod",
        "(",
        ")",
        ",",
        "substringof(",
        "year(",
        "geo.distance(",
        "st_within(",
        "st_contains(",
        "geo.length(",
        "geography'POLYGON((0 0, 1 0, 1 1, 0 0))'",
        "geography'POINT(1 2)'",
        "location",
        "-",
        "/",
        "'",
        "$",
        "round(",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=80), st.lists(_atoms, max_size=12).map(" ".join)))
def test_fuzzed_filters_never_fail_on_the_server(client: TestClient, text: str) -> None:
    for path in ("Observations", "Things", "Locations", "Datastreams"):
        response = client.get(f"{STA}/{path}", params={"$filter": text, "$orderby": "id"})
        assert response.status_code in (200, 400), (path, text, response.text[:300])
        if response.status_code == 400:  # sta_… codes, or the edge's own (NUL characters)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"]


def test_links_come_from_the_configured_base_url_not_the_host_header(
    client: TestClient, city: dict[str, Any], device_headers: dict[str, str]
) -> None:
    forged = {"Host": "evil.example"}
    thing = city["a"]["@iot.id"]
    stream = client.get(f"{STA}/Things({thing})/Datastreams").json()["value"][0]["@iot.id"]
    root = client.get(STA, headers=forged).json()
    page = client.get(f"{STA}/Things", params={"$top": "1"}, headers=forged).json()
    made = client.post(f"{STA}/Things", json={"name": "x"}, headers={**device_headers, **forged})
    data_array = client.post(
        f"{STA}/CreateObservations",
        json=[
            {
                "Datastream": {"@iot.id": stream},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2024-11-05T00:00:00Z", 1]],
            }
        ],
        headers={**device_headers, **forged},
    ).json()
    links = [
        *(entity["url"] for entity in root["value"]),
        page["@iot.nextLink"],
        page["value"][0]["@iot.selfLink"],
        page["value"][0]["Datastreams@iot.navigationLink"],
        made.headers["location"],
        made.json()["@iot.selfLink"],
        *data_array,
    ]
    assert all(link.startswith("http://testserver/sta/v1.1/") for link in links), links

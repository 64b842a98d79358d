"""SensorThings navigation paths in $filter and $orderby: to one, to many (as "any"), into JSON
and inside geo functions, on generated Things at known distances from one point."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.dialects import postgresql, sqlite

from smartcity.modules.sensors.sta.compile import MAX_NAVIGATION_DEPTH, Compiler
from smartcity.modules.sensors.sta.entities import ENTITIES
from smartcity.modules.sensors.sta.odata import StaError, parse_filter, parse_orderby

STA = "/sta/v1.1"
X, Y = 121.5277, 25.0323
"""The point of the issue's query; Things lie east of it at chosen distances (degrees)."""
ISSUE_QUERY = "geo.distance(Locations/location, geography'POINT(121.5277 25.0323)') lt 0.01"
POINT = f"geography'POINT({X} {Y})'"
SQUARE = "geography'POLYGON((121.52 25.02,121.54 25.02,121.54 25.04,121.52 25.04,121.52 25.02))'"
"""Holds the points less than 0.0123 degrees east of (X, Y)."""

WIDE = [
    "Datastreams/Sensor/name",
    "Datastreams/ObservedProperty/name",
    "Datastreams/Observations/result",
    "Datastreams/Thing/name",
    "Locations/Things/name",
    "Locations/HistoricalLocations/time",
    "HistoricalLocations/Thing/name",
    "HistoricalLocations/Locations/name",
    "Datastreams/Sensor/Datastreams/name",
    "Datastreams/ObservedProperty/Datastreams/name",
    "Datastreams/Observations/FeatureOfInterest/name",
    "Datastreams/Thing/Locations/name",
    "Datastreams/Thing/Datastreams/name",
    "Locations/Things/Datastreams/name",
]
"""Paths from Things that together navigate MAX_NAVIGATIONS + 1 distinct ways."""


def _location(name: str, east: float) -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "encodingType": "application/geo+json",
        "location": {"type": "Point", "coordinates": [X + east, Y]},
    }


def _thing(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    locations: list[dict[str, Any]],
    properties: dict[str, Any],
    results: list[float],
) -> int:
    body = {
        "name": name,
        "description": f"{name} station",
        "properties": properties,
        "Locations": locations,
        "Datastreams": [
            {
                "name": f"PM2.5 {name}",
                "description": "",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/m³", "definition": "ucum"},
                "Sensor": {
                    "name": f"sensor of {name}",
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
    return int(response.json()["@iot.id"])


@pytest.fixture
def things(client: TestClient, device_headers: dict[str, str]) -> dict[str, int]:
    """near: 0.005 east; twin: two Locations 0.003 and 0.004 east; far: 0.05 east;
    south: 2 degrees south, in another city; bare: no Location."""
    made = {
        "near": _thing(
            client,
            device_headers,
            "near",
            [_location("near", 0.005)],
            {"school": "建中", "city": "Taipei"},
            [10, 20, 30],
        ),
        "twin": _thing(
            client,
            device_headers,
            "twin",
            [_location("twin-a", 0.003), _location("twin-b", 0.004)],
            {"school": "北一女", "city": "Taipei"},
            [40],
        ),
        "far": _thing(
            client,
            device_headers,
            "far",
            [_location("far", 0.05)],
            {"school": "師大附中", "city": "Taipei"},
            [5, 50],
        ),
    }
    south = _location("south", 0.0)
    south["location"]["coordinates"] = [X, Y - 2]
    made["south"] = _thing(
        client, device_headers, "south", [south], {"city": "Kaohsiung", "floors": 3}, [25]
    )
    made["bare"] = _thing(client, device_headers, "bare", [], {}, [])
    return made


def _names(client: TestClient, path: str, **params: str) -> list[str]:
    response = client.get(f"{STA}/{path}", params=params)
    assert response.status_code == 200, response.text
    return [item.get("name", item.get("result")) for item in response.json()["value"]]


def test_the_issues_query_finds_things_by_their_location(
    client: TestClient, things: dict[str, int]
) -> None:
    page = client.get(f"{STA}/Things?$count=true&$filter={ISSUE_QUERY}").json()
    # twin has two Locations in range and is still one row, counted once.
    assert [thing["name"] for thing in page["value"]] == ["near", "twin"]
    assert page["@iot.count"] == 2
    paged = client.get(f"{STA}/Things", params={"$filter": ISSUE_QUERY, "$top": "1"}).json()
    assert [thing["name"] for thing in paged["value"]] == ["near"]
    following = client.get(paged["@iot.nextLink"].replace("http://testserver", "")).json()
    assert [thing["name"] for thing in following["value"]] == ["twin"]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("Things", f"geo.distance({POINT}, Locations/location) lt 0.01", ["near", "twin"]),
        (
            "Things",
            f"geo.distance(Locations/location, {POINT}) gt 0.0045",
            ["near", "far", "south"],
        ),
        (
            "Things",
            f"not (geo.distance(Locations/location, {POINT}) lt 0.01)",
            ["far", "south", "bare"],
        ),
        ("Things", f"st_within(Locations/location, {SQUARE})", ["near", "twin"]),
        ("Things", f"geo.intersects(Locations/location, {SQUARE})", ["near", "twin"]),
        ("Things", f"st_intersects(Locations/location, {SQUARE})", ["near", "twin"]),
        ("Things", f"st_contains({SQUARE}, Locations/location)", ["near", "twin"]),
        ("Things", f"st_contains(Locations/location, {SQUARE})", []),
        (
            "Things",
            f"geo.intersects(Locations/location, geography'POINT({X + 0.05} {Y})')",
            ["far"],
        ),
        ("Things", "geo.length(Locations/location) eq 0", ["near", "twin", "far", "south"]),
        (
            "Datastreams",
            f"geo.distance(Thing/Locations/location, {POINT}) lt 0.01",
            ["PM2.5 near", "PM2.5 twin"],
        ),
        (
            "Observations",
            f"st_within(Datastream/Thing/Locations/location, {SQUARE}) and result gt 15",
            [20, 30, 40],
        ),
        ("Observations", f"st_within(FeatureOfInterest/feature, {SQUARE})", [10, 20, 30, 40]),
        (
            "Locations",
            f"geo.distance(location, {POINT}) lt 0.01 and Things/name eq 'twin'",
            ["twin-a", "twin-b"],
        ),
    ],
)
def test_geo_functions_through_navigations(
    client: TestClient, things: dict[str, int], path: str, query: str, expected: list[Any]
) -> None:
    assert _names(client, path, **{"$filter": query}) == expected


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        # to one, at any depth
        ("Observations", "Datastream/Thing/name eq 'far'", [5, 50]),
        ("Datastreams", "Thing/properties/school eq '建中'", ["PM2.5 near"]),
        ("Observations", "Datastream/Thing/properties/city eq 'Kaohsiung'", [25]),
        ("Observations", "Datastream/Thing/properties/floors add 1 eq 4", [25]),
        (
            "Datastreams",
            "Sensor/name eq 'sensor of twin' or ObservedProperty/name eq 'x'",
            ["PM2.5 twin"],
        ),
        ("Observations", "FeatureOfInterest/name eq 'far' and result gt 10", [50]),
        (
            "Datastreams",
            "Sensor/name ne ObservedProperty/name and Thing/name eq 'far'",
            ["PM2.5 far"],
        ),
        ("Observations", "startswith(Datastream/Thing/properties/school, '北')", [40]),
        ("Observations", "length(Datastream/Thing/name) eq 4 and result mul 2 lt 30", [10]),
        ("HistoricalLocations", "Thing/name eq 'near'", [None]),
        # to many: "some related entity satisfies"
        ("Things", "Datastreams/Observations/result gt 45", ["far"]),
        # `and` asks one related entity (as FROST-Server): far has 5 and 50, none in (25, 35)
        (
            "Things",
            "Datastreams/Observations/result gt 25 and Datastreams/Observations/result lt 35",
            ["near"],
        ),
        ("Things", "Locations/name eq 'twin-a' and Locations/name eq 'twin-b'", []),
        ("Things", "Locations/name eq 'twin-a' or Locations/name eq 'twin-b'", ["twin"]),
        (
            "Things",
            "(Locations/name eq 'twin-a' or name eq 'far') and Locations/name eq 'twin-b'",
            ["twin"],
        ),
        ("Things", "not (Datastreams/Observations/result gt 15)", ["bare"]),
        (
            "Things",
            "Datastreams/Observations/result sub 20 eq 10 or name eq 'bare'",
            ["near", "bare"],
        ),
        (
            "Things",
            "tolower(Datastreams/ObservedProperty/name) eq 'pm2.5' and Locations/name eq 'twin-b'",
            ["twin"],
        ),
        ("Things", "HistoricalLocations/Locations/name eq 'twin-a'", ["twin"]),
        ("Locations", "Things/Datastreams/Observations/result eq 25", ["south"]),
        ("Locations", "Things/Locations/name eq 'twin-b'", ["twin-a", "twin-b"]),
        ("Sensors", "Datastreams/Thing/properties/city eq 'Kaohsiung'", ["sensor of south"]),
        ("FeaturesOfInterest", "Observations/Datastream/Thing/name eq 'twin'", ["twin-a"]),
        ("ObservedProperties", "Datastreams/Thing/name eq 'far'", ["PM2.5"]),
        # the same navigation in one comparison is one related entity
        ("Things", "Locations/name ne concat(Locations/name, '')", []),
        (
            "Datastreams",
            "Thing/name eq substring(name, 6)",
            ["PM2.5 near", "PM2.5 twin", "PM2.5 far", "PM2.5 south", "PM2.5 bare"],
        ),
    ],
)
def test_paths_through_navigations(
    client: TestClient, things: dict[str, int], path: str, query: str, expected: list[Any]
) -> None:
    response = client.get(f"{STA}/{path}", params={"$filter": query, "$count": "true"})
    assert response.status_code == 200, response.text
    values = [item.get("name", item.get("result")) for item in response.json()["value"]]
    assert values == expected
    assert response.json()["@iot.count"] == len(expected)


def test_orderby_through_to_one_navigations(client: TestClient, things: dict[str, int]) -> None:
    ordered = _names(
        client, "Observations", **{"$orderby": "Datastream/Thing/name desc,result desc"}
    )
    assert ordered == [40, 25, 30, 20, 10, 50, 5]  # twin, south, near, far
    by_school = _names(
        client,
        "Datastreams",
        **{"$orderby": "Thing/properties/school", "$filter": "Thing/properties/school ne null"},
    )
    assert sorted(by_school) == ["PM2.5 far", "PM2.5 near", "PM2.5 twin"]
    response = client.get(f"{STA}/Things", params={"$orderby": "Datastreams/name"})
    assert response.status_code == 400 and response.json()["code"] == "sta_invalid_orderby"


def test_navigation_filters_inside_expand(client: TestClient, things: dict[str, int]) -> None:
    expanded = client.get(
        f"{STA}/Locations",
        params={
            "$filter": "name eq 'twin-a' or name eq 'far'",
            "$expand": f"Things($filter={ISSUE_QUERY};$expand=Datastreams("
            "$filter=Observations/result ge 40))",
        },
    ).json()["value"]
    assert [location["name"] for location in expanded] == ["twin-a", "far"]
    assert [thing["name"] for thing in expanded[0]["Things"]] == ["twin"]
    assert [s["name"] for s in expanded[0]["Things"][0]["Datastreams"]] == ["PM2.5 twin"]
    assert expanded[1]["Things"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Nosuch/name eq 'x'", "sta_unknown_property"),
        ("Locations/nosuch eq 'x'", "sta_unknown_property"),
        ("Datastreams eq 1", "sta_unknown_property"),
        ("Locations/name/first eq 'x'", "sta_unknown_property"),
        ("Thing/name eq 'x'", "sta_unknown_property"),  # a Thing has no Thing
        ("geo.distance(Locations/location, Locations/location) lt 1", "sta_invalid_geometry"),
        ("geo.distance(Datastreams/name, geography'POINT(1 2)') lt 1", "sta_type_mismatch"),
        ("Locations/location eq geography'POINT(1 2)'", "sta_type_mismatch"),
        ("Datastreams/Thing/" * 3 + "Locations/name eq 'x'", "sta_navigation_too_deep"),
        (" or ".join(f"{path} eq null" for path in WIDE), "sta_expression_too_complex"),
    ],
)
def test_bad_navigation_paths_are_400_problems(
    client: TestClient, things: dict[str, int], query: str, code: str
) -> None:
    response = client.get(f"{STA}/Things", params={"$filter": query})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


# -- the compiler on its own --------------------------------------------------


def _sql(path: str, text: str, dialect: Any = None) -> str:
    compiler = Compiler("postgresql" if dialect is postgresql else "sqlite")
    condition = compiler.condition(ENTITIES[path], parse_filter(text))
    return str(condition.compile(dialect=(dialect or sqlite).dialect()))


def test_a_navigation_is_a_subquery_over_aliases_never_a_join() -> None:
    # One way out of the root: an uncorrelated IN, evaluated once rather than once per row.
    sql = _sql("Things", ISSUE_QUERY)
    assert "sensors_things.id IN (SELECT" in sql
    assert "JOIN" not in sql and "EXISTS" not in sql
    # Locations of Locations' Things: the inner Locations is an alias, not the outer table.
    nested = _sql("Locations", "Things/Locations/name eq 'x'")
    assert "sensors_locations AS" in nested and "sensors_locations.id IN (SELECT" in nested
    # Two ways out of the root in one condition: one EXISTS joining both.
    both = _sql("Datastreams", "Sensor/name eq ObservedProperty/name")
    assert both.count("EXISTS") == 1 and "JOIN" not in both
    # `and` keeps one related entity per path; unrelated paths stay apart.
    anded = _sql("Things", "Datastreams/name eq 'a' and Datastreams/description eq 'b'")
    assert anded.count("IN (SELECT") == 1
    apart = _sql("Things", "Datastreams/name eq 'a' and Locations/name eq 'b' and name eq 'c'")
    assert apart.count("IN (SELECT") == 2


def test_user_text_only_reaches_sql_as_bound_parameters() -> None:
    for dialect in (sqlite, postgresql):
        sql = _sql("Observations", "Datastream/Thing/properties/city eq 'x'' OR 1=1 --'", dialect)
        assert "OR 1=1" not in sql
        shape = _sql("Things", f"st_within(Locations/location, {SQUARE})", dialect)
        assert "121.52" not in shape


def test_navigation_limits_are_counted_per_expression() -> None:
    compiler = Compiler("sqlite")
    deepest = "Datastreams/Thing/" * (MAX_NAVIGATION_DEPTH // 2)
    compiler.condition(ENTITIES["Things"], parse_filter(deepest + "name eq 'x'"))
    with pytest.raises(StaError) as deeper:
        compiler.condition(ENTITIES["Things"], parse_filter(deepest + "Locations/name eq 'x'"))
    assert deeper.value.code == "sta_navigation_too_deep"
    # Paths sharing a prefix share its alias: one navigation more per extra leaf.
    shared = " or ".join(f"Datastreams/Observations/result eq {n}" for n in range(50))
    compiler.condition(ENTITIES["Things"], parse_filter(shared))
    within = " or ".join(f"{path} eq null" for path in WIDE[:-1])
    compiler.condition(ENTITIES["Things"], parse_filter(within))
    with pytest.raises(StaError) as wide:
        compiler.condition(ENTITIES["Things"], parse_filter(f"{within} or {WIDE[-1]} eq null"))
    assert wide.value.code == "sta_expression_too_complex"


def test_orderby_is_a_scalar_subquery_per_to_one_path() -> None:
    compiler = Compiler("sqlite")
    (item,) = parse_orderby("Datastream/Thing/name desc")
    order = compiler.order(ENTITIES["Observations"], item.expression)
    assert "SELECT" in str(order.compile(dialect=sqlite.dialect()))
    (many,) = parse_orderby("Datastreams/name")
    with pytest.raises(StaError) as refused:
        compiler.order(ENTITIES["Things"], many.expression)
    assert refused.value.code == "sta_invalid_orderby"

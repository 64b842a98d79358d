"""One setting serves another city: the map, the districts, the codes and the demo follow it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.city import DEFAULT_CITY, load_city, use_city
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.core.time import use_city_zone
from smartcity.demo import load_demo
from smartcity.modules.payments.service import settings_of


@pytest.fixture(autouse=True)
def _default_city_afterwards() -> Iterator[None]:
    yield
    # The served city is process-wide, like the time zone: give the next test the default.
    default = load_city(DEFAULT_CITY)
    use_city(default)
    use_city_zone(default.zone)


@pytest.fixture
def kaohsiung(database_url: str, settings_factory: Callable[..., Settings]) -> Iterator[Platform]:
    built = build_platform(settings_factory(database_url, city="kaohsiung"), KeyRing.ephemeral())
    yield built
    built.db.dispose()


def test_the_default_city_is_taipei(client: TestClient) -> None:
    page = client.get("/airquality")
    assert page.status_code == 200
    assert "臺北市" in page.text
    assert 'data-district="beitou"' in page.text
    assert "south=24.96&west=121.45&north=25.21&east=121.67" in page.text.replace("&amp;", "&")


def test_kaohsiung_serves_its_own_map_districts_and_codes(kaohsiung: Platform) -> None:
    city = kaohsiung.settings.city_profile
    with TestClient(create_app(platform=kaohsiung)) as client:
        page = client.get("/airquality")
        assert page.status_code == 200
        drawn = set(re.findall(r'data-district="([a-z0-9-]+)"', page.text))
        assert drawn == {d.code for d in city.districts} and len(drawn) == 38
        assert "高雄市" in page.text and "臺北" not in page.text
        assert "south=22.46&west=120.17&north=23.48&east=121.05" in page.text.replace("&amp;", "&")
        # Every outline lies inside the map: projected points stay within the SVG.
        width, height = (side * 3 for side in city.map_cells)
        for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", page.text):
            assert -1 <= float(x) <= width + 1 and -1 <= float(y) <= height + 1
        grid = client.get("/api/v1/airquality/contours.geojson")
        assert grid.status_code == 200
        assert grid.json()["bbox"] == [120.17, 22.46, 121.05, 23.48]
    codes = settings_of(kaohsiung)
    assert (codes.collection_code, codes.payee_name) == ("KHH", "高雄市政府")


def test_the_kaohsiung_demo_stands_inside_kaohsiung(
    database_url: str, settings_factory: Callable[..., Settings]
) -> None:
    # The sensors' demo alone (with identity, which it needs): the other modules' seeds take
    # a minute and place nothing on the map.
    sensors = build_platform(
        settings_factory(database_url, city="kaohsiung", modules=("sensors",)),
        KeyRing.ephemeral(),
    )
    city = sensors.settings.city_profile
    assert load_demo(sensors)
    with TestClient(create_app(platform=sensors)) as client:
        things = client.get("/sta/v1.1/Things?$top=200&$expand=Locations").json()["value"]
        assert "高雄市" in client.get("/").text
    sensors.db.dispose()
    places = {t["name"]: t["Locations"][0]["location"]["coordinates"] for t in things}
    assert len(places) >= 60
    outside = [name for name, (lon, lat) in places.items() if city.district_of(lat, lon) is None]
    assert not outside
    names = " ".join(places)
    assert "左營" in names and "臺北" not in names


def test_the_kaohsiung_living_lab_tells_kaohsiung_s_pilots(
    database_url: str, settings_factory: Callable[..., Settings]
) -> None:
    lab = build_platform(
        settings_factory(database_url, city="kaohsiung", modules=("livinglab",)),
        KeyRing.ephemeral(),
    )
    assert load_demo(lab)
    with TestClient(create_app(platform=lab)) as client:
        pilots = client.get("/api/v1/livinglab/pilots").json()
        fields = client.get("/api/v1/livinglab/fields").json()
        elsewhere = client.get("/api/v1/livinglab/elsewhere").json()
    lab.db.dispose()
    titles = " ".join(p["title"] for p in pilots)
    # Its own named pilots and fields, the detector pilot the demo vendor runs among them.
    for named in ("亞洲新灣區", "環狀輕軌", "地下工業管線", "九如路幹道路口聲學事故偵測", "第二期"):
        assert named in titles, named
    for taipei in ("松智路", "信義路", "北投", "中興院區", "臺北"):
        assert taipei not in titles, taipei
    assert fields and all(f["address"].startswith("高雄市") for f in fields)
    assert {e["origin"] for e in elsewhere} == {"臺南市 Tainan (demo)", "屏東縣 Pingtung (demo)"}

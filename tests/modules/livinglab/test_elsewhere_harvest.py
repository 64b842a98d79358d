"""Pilots elsewhere through the open-data harvest: a city that harvests another's catalogue
keeps that city's published pilots, with their KPIs and outcome and marked with the city
they came from; changes follow, pilots no longer published go, a source down changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.livinglab.elsewhere import import_harvested
from smartcity.modules.livinglab.settings import LivinglabSettings
from smartcity.modules.opendata import service as opendata
from tests.modules.livinglab.conftest import Lab
from tests.modules.opendata.conftest import serve
from tests.support.databases import TemplateDatabase


@pytest.fixture
def harvesting_city(
    template_db: TemplateDatabase, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Iterator[Platform]:
    """A second instance (Kaohsiung, say) that will harvest the first one's catalogue."""
    if template_db.base_url:
        pytest.skip("one PostgreSQL test database per worker: two instances need SQLite")
    folder = tmp_path / "other"
    folder.mkdir()
    with template_db.fresh(folder) as url:
        built = build_platform(
            settings_factory(url, data_dir=folder / "var"), keys=KeyRing.ephemeral()
        )
        yield built
        built.db.dispose()


def test_harvested_pilots_appear_elsewhere_with_kpis_outcome_and_city(
    lab: Lab, harvesting_city: Platform
) -> None:
    lab.platform.module_settings["livinglab"] = LivinglabSettings(origin="臺北市")
    pilot = lab.pilot("evaluating")
    lab.pilot("proposed")  # not published: never leaves the city
    opendata.refresh_catalogue(lab.platform)
    page = TestClient(create_app(platform=harvesting_city))
    with serve(lab.platform) as taipei:
        opendata.add_harvest_source(harvesting_city, "taipei", taipei)
        assert opendata.harvest_source(harvesting_city, "taipei")["status"] == "ok"

        first = import_harvested(harvesting_city)
        assert first["taipei"]["added"] and len(first["taipei"]["added"]) == 1
        shown = page.get("/livinglab/elsewhere").text
        assert f'data-elsewhere="{pilot}" data-harvest-source="taipei"' in shown
        assert "臺北市" in shown and "空位偵測準確率" in shown
        assert 'data-kpi-met="yes"' in shown

        again = import_harvested(harvesting_city)
        assert again["taipei"] == {"added": [], "updated": [], "removed": [], "refused": []}

        (kpi,) = lab.ok(lab.get(f"/pilots/{pilot}/kpis"))
        lab.ok(lab.post(f"/kpis/{kpi['id']}/measurements", lab.dot, {"value": 90.0}), 201)
        changed = import_harvested(harvesting_city)
        assert len(changed["taipei"]["updated"]) == 1
        assert 'data-kpi-met="no"' in page.get("/livinglab/elsewhere").text

    # Taipei is down: the pilots already kept stay, and the report says why.
    down = import_harvested(harvesting_city)
    assert "did not give its pilots" in down["taipei"]["error"]
    assert f'data-elsewhere="{pilot}"' in page.get("/livinglab/elsewhere").text

"""Two instances harvest each other: additions, changes and deletions propagate, ids stay put,
names never collide, copies are never copied back, and a failed harvest changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.opendata import service
from tests.modules.opendata.conftest import package, result, serve
from tests.support.databases import TemplateDatabase

pytestmark = pytest.mark.usefixtures("with_catalogue")


@pytest.fixture
def other_city(
    template_db: TemplateDatabase, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Iterator[Platform]:
    """A second instance with a database of its own (Kaohsiung, say)."""
    if template_db.base_url:
        pytest.skip("one PostgreSQL test database per worker: two instances need SQLite")
    folder = tmp_path / "other"
    folder.mkdir()
    with template_db.fresh(folder) as url:
        built = build_platform(
            settings_factory(url, data_dir=folder / "var"), keys=KeyRing.ephemeral()
        )
        service.refresh_catalogue(built)
        yield built
        built.db.dispose()


def test_two_cities_harvest_each_other(
    platform: Platform, client: TestClient, other_city: Platform, dot_officer: str
) -> None:
    made = result(client, "package_create", dot_officer, **package("bus-stops", tags=["bus"]))
    result(
        client,
        "resource_create",
        dot_officer,
        package_id="bus-stops",
        url="https://example.org/stops.csv",
        format="CSV",
    )
    other = TestClient(create_app(platform=other_city))
    with serve(platform) as taipei, serve(other_city) as kaohsiung:
        service.add_harvest_source(other_city, "taipei", taipei)
        service.add_harvest_source(platform, "kaohsiung", kaohsiung)

        first = service.harvest_source(other_city, "taipei")
        assert first["status"] == "ok"
        assert "bus-stops" in first["added"]
        # Its own registered datasets keep their names; Taipei's get the source's in front.
        assert "taipei-payment-items" in first["added"]
        assert len(first["added"]) == 12
        copied = result(other, "package_show", id="bus-stops")
        assert copied["extras"] and copied["title"] == made["title"]
        (copied_resource,) = copied["resources"]
        assert copied_resource["url"] == "https://example.org/stops.csv"

        back = service.harvest_source(platform, "kaohsiung")
        assert len(back["added"]) == 11  # Kaohsiung's own datasets only
        assert len(back["skipped"]) == 12  # the copies of Taipei's are never copied back
        assert "bus-stops" not in back["added"]

        result(client, "package_patch", dot_officer, id="bus-stops", title="公車站牌")
        changed = service.harvest_source(other_city, "taipei")
        assert changed["added"] == [] and changed["updated"] == ["bus-stops"]
        again = result(other, "package_show", id="bus-stops")
        assert again["title"] == "公車站牌"
        assert again["id"] == copied["id"]
        assert again["resources"][0]["id"] == copied_resource["id"]

        result(client, "package_delete", dot_officer, id="bus-stops")
        deleted = service.harvest_source(other_city, "taipei")
        assert deleted["deleted"] == ["bus-stops"]
        assert "bus-stops" not in result(other, "package_list")

    # Both servers are gone: the harvest fails and the catalogue stays as it was.
    before = result(other, "package_list")
    failed = service.harvest_source(other_city, "taipei")
    assert failed["status"] == "failed"
    assert result(other, "package_list") == before

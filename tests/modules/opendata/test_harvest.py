"""Two instances harvest each other (CKAN's API, or DCAT): additions, changes and deletions
propagate, ids stay put, names never collide, copies are never copied back, a failed harvest
changes nothing, and each run's report can be read back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.app import build_platform, create_app
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.opendata import dcat, harvest, service
from smartcity.modules.opendata.models import Dataset
from tests.modules.opendata.conftest import package, result, serve
from tests.support.databases import TemplateDatabase

pytestmark = pytest.mark.usefixtures("with_catalogue")


@pytest.fixture
def other_city(
    template_db: TemplateDatabase, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Iterator[Platform]:
    """A second instance with a database of its own (Kaohsiung, say), on the suite's engine."""
    folder = tmp_path / "other"
    folder.mkdir()
    with template_db.second(folder) as url:
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


def test_a_city_harvests_another_over_dcat(
    platform: Platform,
    client: TestClient,
    other_city: Platform,
    dot_officer: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dcat, "PAGE_SIZE", 5)  # Taipei's 12 datasets over three Hydra pages
    result(client, "package_create", dot_officer, **package("bus-stops", tags=["bus"]))
    result(
        client,
        "resource_create",
        dot_officer,
        package_id="bus-stops",
        url="https://example.org/stops.csv",
        format="CSV",
    )
    result(client, "package_create", dot_officer, **package("secret-plan", private=True))
    other = TestClient(create_app(platform=other_city))
    with serve(platform) as taipei, serve(other_city) as kaohsiung:
        service.add_harvest_source(other_city, "taipei", f"{taipei}/catalog.jsonld", "dcat")
        first = service.harvest_source(other_city, "taipei")
        assert first["status"] == "ok", first
        assert len(first["added"]) == 12 and "bus-stops" in first["added"]
        assert "secret-plan" not in first["added"]
        copied = result(other, "package_show", id="bus-stops")
        assert copied["title"] == "標題 bus-stops" and copied["owner_org"] == "dot"
        assert [tag["name"] for tag in copied["tags"]] == ["bus"]
        (copied_resource,) = copied["resources"]
        assert copied_resource["url"] == "https://example.org/stops.csv"
        fees = result(other, "package_show", id="taipei-payment-items")
        assert fees["title_en"] == "Fee catalogue" and fees["license_id"] == "GODL-1.0"

        # Kaohsiung's DCAT marks Taipei's copies, so Taipei never copies them back.
        service.add_harvest_source(platform, "kaohsiung", f"{kaohsiung}/catalog.jsonld", "dcat")
        back = service.harvest_source(platform, "kaohsiung")
        assert len(back["added"]) == 11 and "bus-stops" not in back["added"]

        result(client, "package_patch", dot_officer, id="bus-stops", title="公車站牌")
        changed = service.harvest_source(other_city, "taipei")
        assert changed["added"] == [] and changed["updated"] == ["bus-stops"]
        again = result(other, "package_show", id="bus-stops")
        assert (again["id"], again["title"]) == (copied["id"], "公車站牌")
        assert again["resources"][0]["id"] == copied_resource["id"]

        result(client, "package_delete", dot_officer, id="bus-stops")
        assert service.harvest_source(other_city, "taipei")["deleted"] == ["bus-stops"]
        assert "bus-stops" not in result(other, "package_list")

    before = result(other, "package_list")
    assert service.harvest_source(other_city, "taipei")["status"] == "failed"
    assert result(other, "package_list") == before
    session = other_city.db.read_session()
    try:
        runs = service.list_harvest_runs(session, "taipei")
    finally:
        session.close()
    assert [run["status"] for run in runs] == ["failed", "ok", "ok", "ok"]
    assert runs[-1]["report"]["added"] == first["added"]


def test_a_harvest_failing_halfway_changes_nothing(
    platform: Platform, other_city: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(platform) as taipei:
        service.add_harvest_source(other_city, "taipei", taipei)
        assert service.harvest_source(other_city, "taipei")["status"] == "ok"
        before = _catalogue(other_city)
        real_apply = harvest.apply

        def broken(uow: Any, source: Any, packages: Any) -> Any:
            real_apply(uow, source, packages[:3])  # half the work done, then the run breaks
            raise harvest.HarvestFailed("the source broke off")

        monkeypatch.setattr(harvest, "apply", broken)
        failed = service.harvest_source(other_city, "taipei")
    assert failed == {"status": "failed", "error": "the source broke off"}
    assert _catalogue(other_city) == before


def _catalogue(platform: Platform) -> list[tuple[str, str, str]]:
    session = platform.db.read_session()
    try:
        rows = session.execute(select(Dataset.name, Dataset.state, Dataset.title)).all()
        return sorted((name, state, title) for name, state, title in rows)
    finally:
        session.close()

"""ckanapi, CKAN's own client (the PyPI package, unchanged), against a served instance."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest

from smartcity.core.platform import Platform
from tests.modules.opendata.conftest import serve

pytestmark = pytest.mark.usefixtures("with_catalogue")


@pytest.fixture
def served(platform: Platform) -> Iterator[str]:
    """The platform served by uvicorn on a free loopback port; its URL."""
    with serve(platform) as url:
        yield url


def test_ckanapi_lists_searches_shows_and_reads_records(served: str) -> None:
    with ckanapi.RemoteCKAN(served, user_agent="smartcity-tests") as ckan:
        names = ckan.action.package_list()
        assert "payment-items" in names
        found = ckan.action.package_search(q="規費", **{"facet.field": ["organization"]})
        assert [p["name"] for p in found["results"]] == ["payment-items"]
        assert found["facets"]["organization"] == {"dof": 1}
        package = ckan.action.package_show(id="payment-items")
        assert package["organization"]["name"] == "dof"
        (resource,) = package["resources"]
        page = ckan.action.datastore_search(
            resource_id=resource["id"], filters={"department": "DOT"}, sort="code", limit=5
        )
        codes = [record["code"] for record in page["records"]]
        assert codes == sorted(codes)
        assert codes and all(code.startswith("DOT") for code in codes)
        assert page["total"] >= len(codes)
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="no-such-dataset")
        assert ckan.action.help_show(name="package_show").startswith("One dataset")
        newest = ckan.action.current_package_list_with_resources(limit=2)
        assert len(newest) == 2 and all(p["resources"] for p in newest)
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.datastore_search(resource_id=resource["id"], limit=32001)


def test_ckanapi_reads_with_get_only_as_well(served: str) -> None:
    with ckanapi.RemoteCKAN(served, get_only=True) as ckan:
        assert "dof" in ckan.action.organization_list()
        assert "finance" in ckan.action.group_list()


def test_ckanapi_publishes_with_an_api_key(served: str, dot_officer: str) -> None:
    with ckanapi.RemoteCKAN(served, apikey=dot_officer) as ckan:
        made: dict[str, Any] = ckan.action.package_create(
            name="bike-lanes", title="自行車道", owner_org="dot", tags=[{"name": "bike"}]
        )
        upload = io.BytesIO(b"lane,km\nRiverside,12\n")
        upload.name = "lanes.csv"
        resource = ckan.action.resource_create(
            package_id=made["id"], name="lanes.csv", format="CSV", upload=upload
        )
        assert resource["url_type"] == "upload"
        shown = ckan.action.package_show(id="bike-lanes")
        assert shown["num_resources"] == 1
        ckan.action.package_patch(id="bike-lanes", notes="河濱自行車道")
        ckan.action.package_delete(id="bike-lanes")
    with ckanapi.RemoteCKAN(served) as anonymous:
        with pytest.raises(ckanapi.NotAuthorized):
            anonymous.action.package_create(name="nope", title="x", owner_org="dot")
        with pytest.raises(ckanapi.NotFound):
            anonymous.action.package_show(id="bike-lanes")

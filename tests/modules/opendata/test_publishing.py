"""Staff's write actions with API keys, and what private datasets and drafts never show."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.opendata import service
from smartcity.modules.payments.models import Item
from tests.conftest import Actors
from tests.modules.opendata.conftest import call, package, result

pytestmark = pytest.mark.usefixtures("with_catalogue")
CHECKPOINTS = "transparency-checkpoints"


def _visible_everywhere(client: TestClient, name: str) -> dict[str, Any]:
    """Where a dataset could show to the public: lists, search, facets, counts, DCAT and the
    national listing."""
    search = result(
        client,
        "package_search",
        rows=1000,
        include_private=True,
        **{"facet.field": ["organization", "tags", "groups"]},
    )
    return {
        "list": name in result(client, "package_list"),
        "search": name in [p["name"] for p in search["results"]],
        "count": search["count"],
        "tag": "secret-tag" in result(client, "tag_list"),
        "facet": "secret-tag" in search["facets"]["tags"],
        "org": result(client, "organization_show", id="dot")["package_count"],
        "show": call(client, "package_show", id=name).status_code,
        "words": result(client, "package_search", q=name, include_private=True)["count"],
        "column": result(client, "package_search", fq="organization:dot")["count"],
        "dcat": name in client.get("/catalog.jsonld").text,
        "turtle": name in client.get("/catalog.ttl").text,
        "dcat_count": client.get("/catalog.ttl").text.count("a dcat:Dataset"),
        "dcat_show": client.get(f"/dataset/{name}.jsonld").status_code,
        "national": name in client.get("/api/v1/opendata/datagovtw.json").text,
    }


def test_anonymous_citizens_and_other_departments_may_not_write(
    client: TestClient, actors: Actors, dof_officer: str, dot_officer: str
) -> None:
    citizen = actors.citizen()[1]
    for key in (None, citizen):
        refused = call(client, "package_create", key, **package("mine"))
        assert refused.status_code == 403
        assert refused.json()["error"]["__type"] == "Authorization Error"
    other = call(client, "package_create", dof_officer, **package("mine", org="dot"))
    assert other.status_code == 403
    get_write = client.get("/api/3/action/package_create", headers={"Authorization": dof_officer})
    assert get_write.status_code == 400


def test_an_officer_creates_patches_updates_and_deletes_its_departments_dataset(
    client: TestClient, dot_officer: str
) -> None:
    made = result(
        client,
        "package_create",
        dot_officer,
        **package(
            "bus-stops",
            notes="公車站位",
            tags=[{"name": "bus"}],
            groups=[{"name": "transport"}],
            extras=[{"key": "title_en", "value": "Bus stops"}],
        ),
    )
    assert made["owner_org"] == "dot"
    assert made["title_en"] == "Bus stops"
    assert made["license_id"] == "GODL-1.0"
    taken = call(client, "package_create", dot_officer, **package("bus-stops"))
    assert taken.status_code == 409
    assert "name" in taken.json()["error"]
    patched = result(client, "package_patch", dot_officer, id="bus-stops", title="公車站牌")
    assert patched["title"] == "公車站牌"
    assert patched["notes"] == "公車站位"
    # ckanapi's round trip: package_show's answer sent back with one change.
    shown = result(client, "package_show", id="bus-stops")
    updated = result(client, "package_update", dot_officer, **{**shown, "notes": ""})
    assert updated["notes"] == ""
    assert updated["tags"][0]["name"] == "bus"
    result(client, "package_delete", dot_officer, id=made["id"])
    assert call(client, "package_show", id="bus-stops").status_code == 404
    assert "bus-stops" not in result(client, "package_list")


def test_registered_datasets_follow_their_manifests(client: TestClient, actors: Actors) -> None:
    admin = actors.token(Role.ADMIN)
    refused = call(client, "package_patch", admin, id="payment-items", title="x")
    assert refused.status_code == 409
    assert call(client, "package_delete", admin, id="payment-items").status_code == 409


@pytest.mark.parametrize("hidden", [{"private": True}, {"state": "draft"}])
def test_private_datasets_and_drafts_never_leak(
    client: TestClient, dot_officer: str, hidden: dict[str, Any]
) -> None:
    before = _visible_everywhere(client, "secret")
    result(
        client,
        "package_create",
        dot_officer,
        **package("secret", tags=["secret-tag"], groups=["transport"], **hidden),
    )
    assert before["dcat_show"] == 404
    assert _visible_everywhere(client, "secret") == {**before, "show": 404}
    # Its department sees it when it asks (a private one in search; both by name).
    assert call(client, "package_show", dot_officer, id="secret").status_code == 200
    if "private" in hidden:
        mine = result(client, "package_search", dot_officer, q="secret", include_private=True)
        assert [p["name"] for p in mine["results"]] == ["secret"]


def test_resource_create_takes_an_upload_and_serves_it(
    client: TestClient, dot_officer: str
) -> None:
    made = result(client, "package_create", dot_officer, **package("stops-file"))
    response = client.post(
        "/api/action/resource_create",
        data={"package_id": made["id"], "name": "stops.csv", "format": "CSV"},
        files={"upload": ("stops.csv", b"stop,lat,lon\nA,25.0,121.5\n", "text/csv")},
        headers={"X-CKAN-API-Key": dot_officer},
    )
    assert response.status_code == 200, response.text
    resource = response.json()["result"]
    assert resource["url_type"] == "upload"
    assert resource["size"] == 26
    download = client.get(resource["url"].removeprefix("http://testserver"))
    assert download.content == b"stop,lat,lon\nA,25.0,121.5\n"
    linked = result(
        client,
        "resource_create",
        dot_officer,
        package_id="stops-file",
        url="https://example.org/stops.json",
        format="JSON",
    )
    assert linked["url"] == "https://example.org/stops.json"
    assert result(client, "package_show", id="stops-file")["num_resources"] == 2
    no_url = call(client, "resource_create", dot_officer, package_id="stops-file", url="ftp://x")
    assert no_url.status_code == 409


def test_metadata_follows_the_data_as_it_arrives(platform: Platform, client: TestClient) -> None:
    before = result(client, "package_show", id="payment-items")
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "code": "DOT-NEW01",
                    "name": "新規費",
                    "name_en": "New fee",
                    "department": "DOT",
                    "kind": "fee",
                    "channels": ["counter"],
                }
            ],
        )
        uow.audit("payments.item.created", "item", "DOT-NEW01", {})
    # The checkpoints move with every audited change, the refresh's own included.
    assert set(service.refresh_catalogue(platform)) - {CHECKPOINTS} == {"payment-items"}
    after = result(client, "package_show", id="payment-items")
    assert after["resources"][0]["record_count"] == before["resources"][0]["record_count"] + 1
    assert after["metadata_modified"] > before["metadata_modified"]
    assert set(service.refresh_catalogue(platform)) <= {CHECKPOINTS}

"""CKAN's Action API: its envelope and status codes, the read actions, and their bounds."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.modules.opendata.conftest import call, result

pytestmark = pytest.mark.usefixtures("with_catalogue")

REGISTERED = {
    "airbox-readings",
    "airquality-calibrations",
    "airquality-quality-flags",
    "chatbot-faq",
    "ivoting-issues",
    "livinglab-kpis",
    "livinglab-pilots",
    "parking-availability",
    "payment-daily-totals",
    "payment-items",
    "transparency-checkpoints",
}


def _items_resource(client: TestClient) -> str:
    shown = result(client, "package_show", id="payment-items")
    (resource,) = shown["resources"]
    assert resource["datastore_active"] is True
    return str(resource["id"])


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_both_paths_answer_both_methods_without_redirects(
    client: TestClient, prefix: str, method: str
) -> None:
    response = client.request(method, f"{prefix}/package_list", follow_redirects=False)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"help", "success", "result"}
    assert set(body["result"]) == REGISTERED


def test_every_module_registration_is_a_dataset_with_a_live_table(client: TestClient) -> None:
    for name in REGISTERED:
        shown = result(client, "package_show", id=name)
        assert shown["license_id"] == "GODL-1.0"
        assert shown["title"] and shown["notes"]
        extras = {extra["key"]: extra["value"] for extra in shown["extras"]}
        assert extras["title_en"] and extras["notes_en"]
        (resource,) = shown["resources"]
        page = result(client, "datastore_search", resource_id=resource["id"], limit=1)
        assert page["total"] == resource["record_count"]


def test_errors_carry_ckans_type_and_status(client: TestClient) -> None:
    missing = call(client, "package_show", id="no-such-dataset")
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    unknown = call(client, "package_frobnicate")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["__type"] == "Bad request"
    invalid = call(client, "package_search", rows=1001)
    assert invalid.status_code == 409
    assert invalid.json()["error"]["__type"] == "Validation Error"
    assert "rows" in invalid.json()["error"]
    refused = call(client, "package_list", "sck_nothing_real")
    assert refused.status_code == 403
    assert refused.json()["error"]["__type"] == "Authorization Error"


def test_package_search_matches_filters_sorts_and_counts_facets(client: TestClient) -> None:
    found = result(client, "package_search", q="停車")
    assert [p["name"] for p in found["results"]] == ["parking-availability"]
    by_org = result(
        client,
        "package_search",
        fq="organization:dep",
        sort="name desc",
        **{"facet.field": ["organization", "tags"]},
    )
    names = [p["name"] for p in by_org["results"]]
    assert names == sorted(names, reverse=True)
    assert set(names) == {"airbox-readings", "airquality-calibrations", "airquality-quality-flags"}
    assert by_org["facets"]["organization"] == {"dep": 3}
    assert by_org["facets"]["tags"]["air-quality"] == 3
    items = by_org["search_facets"]["organization"]["items"]
    assert items == [{"name": "dep", "display_name": "DEP", "count": 3}]
    page = result(client, "package_search", rows=2, start=10, sort="name asc")
    assert page["count"] == len(REGISTERED)
    assert [p["name"] for p in page["results"]] == ["transparency-checkpoints"]
    excluded = result(client, "package_search", fq="-groups:environment", rows=1000)
    assert excluded["count"] == len(REGISTERED) - 3


def test_get_takes_ckans_query_string_forms(client: TestClient) -> None:
    response = client.get(
        "/api/3/action/package_search",
        params={"fq": 'tags:"fees"', "facet.field": '["groups"]', "rows": "5"},
    )
    found = response.json()["result"]
    assert {p["name"] for p in found["results"]} == {"payment-items", "payment-daily-totals"}
    assert found["facets"] == {"groups": {"finance": 2}}


def test_organizations_groups_tags_resources_and_status(client: TestClient) -> None:
    orgs = result(client, "organization_list")
    assert {"dep", "dot", "dof", "doit", "dca", "scpmo"} <= set(orgs)
    dof = result(client, "organization_show", id="dof", include_datasets=True)
    assert dof["package_count"] == 2
    assert {p["name"] for p in dof["packages"]} == {"payment-items", "payment-daily-totals"}
    assert call(client, "organization_show", id="nowhere").status_code == 404
    groups = result(client, "group_list", all_fields=True)
    assert {g["name"]: g["package_count"] for g in groups}["environment"] == 3
    assert "pm25" in result(client, "tag_list")
    assert result(client, "tag_list", query="park") == ["parking"]
    resource_id = _items_resource(client)
    shown = result(client, "resource_show", id=resource_id)
    assert shown["url"].endswith(f"/datastore/dump/{resource_id}")
    status = result(client, "status_show")
    assert status["ckan_version"].startswith("2.")
    assert "datastore" in status["extensions"]


def test_every_help_link_answers_with_what_its_action_does(client: TestClient) -> None:
    response = call(client, "package_search")
    helped = client.get(response.json()["help"].removeprefix("http://testserver"))
    assert helped.status_code == 200, helped.text
    assert helped.json()["result"].startswith("Datasets matching q and fq")
    assert "departments" in result(client, "help_show", name="organization_list")
    unknown = call(client, "help_show", name="package_revise")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["__type"] == "Not Found Error"
    assert client.get("/api/3").json() == {"version": 3} == client.get("/api").json()


def test_current_packages_with_resources_newest_first_in_pages(client: TestClient) -> None:
    every = result(client, "current_package_list_with_resources")
    assert {p["name"] for p in every} == REGISTERED
    modified = [p["metadata_modified"] for p in every]
    assert modified == sorted(modified, reverse=True)
    assert all(p["resources"] for p in every)
    second = result(client, "current_package_list_with_resources", limit=4, page=2)
    assert [p["name"] for p in second] == [p["name"] for p in every[4:8]]
    assert call(client, "current_package_list_with_resources", page=0).status_code == 409


def test_datastore_search_filters_searches_sorts_and_pages(client: TestClient) -> None:
    resource_id = _items_resource(client)
    everything = result(client, "datastore_search", resource_id=resource_id, limit=32000)
    total = everything["total"]
    assert total == len(everything["records"]) > 10
    fields = {f["id"]: f["type"] for f in everything["fields"]}
    assert fields["amount"] == "int"
    assert fields["channels"] == "json"
    dof = result(
        client,
        "datastore_search",
        resource_id=resource_id,
        filters={"department": "DOF"},
        fields="code,department,amount",
        sort="code desc",
        limit=3,
        offset=1,
    )
    assert [f["id"] for f in dof["fields"]] == ["code", "department", "amount"]
    all_dof = sorted(
        (r["code"] for r in everything["records"] if r["department"] == "DOF"), reverse=True
    )
    assert [r["code"] for r in dof["records"]] == all_dof[1:4]
    assert dof["total"] == len(all_dof)
    listed = result(
        client,
        "datastore_search",
        resource_id=resource_id,
        q="DOF",
        fields=["code"],
        records_format="lists",
        include_total=False,
    )
    assert "total" not in listed
    assert all(len(row) == 1 for row in listed["records"])
    as_csv = result(
        client,
        "datastore_search",
        resource_id=resource_id,
        filters={"department": ["DOF", "DOT"]},
        fields="code,department",
        records_format="csv",
        limit=32000,
    )
    rows = list(csv.reader(io.StringIO(as_csv["records"])))
    assert {row[1] for row in rows} <= {"DOF", "DOT"}
    assert len(rows) == as_csv["total"]


def test_datastore_caps_and_unknown_fields_are_validation_errors(client: TestClient) -> None:
    resource_id = _items_resource(client)
    for params in (
        {"limit": 32001},
        {"offset": -1},
        {"fields": "code,nope"},
        {"filters": {"nope": 1}},
        {"filters": {"amount": "many"}},
        {"filters": {"channels": "x"}},
        {"sort": "nope desc"},
        {"records_format": "xml"},
    ):
        response = call(client, "datastore_search", resource_id=resource_id, **params)
        assert response.status_code == 409, params
        assert response.json()["error"]["__type"] == "Validation Error"
    missing = call(client, "datastore_search", resource_id="00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def test_the_dump_is_the_whole_table_as_csv(client: TestClient) -> None:
    resource_id = _items_resource(client)
    response = client.get(f"/datastore/dump/{resource_id}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    total = result(client, "datastore_search", resource_id=resource_id, limit=0)["total"]
    assert rows[0][0] == "code"
    assert len(rows) == total + 1

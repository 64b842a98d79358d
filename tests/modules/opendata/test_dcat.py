"""DCAT-AP: the catalogue in JSON-LD and Turtle, paged with Hydra, public datasets only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.modules.opendata.conftest import package, result

pytestmark = pytest.mark.usefixtures("with_catalogue")


def test_the_catalogue_lists_public_datasets_with_hydra_paging(
    client: TestClient, dot_officer: str
) -> None:
    result(client, "package_create", dot_officer, **package("hidden-one", private=True))
    response = client.get("/catalog.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = response.json()["@graph"]
    catalog = next(node for node in graph if node["@type"] == "dcat:Catalog")
    paging = next(node for node in graph if node["@type"] == "hydra:PartialCollectionView")
    datasets = [node for node in graph if node["@type"] == "dcat:Dataset"]
    assert paging["hydra:totalItems"]["@value"] == "11"
    assert "hydra:next" not in paging
    assert len(catalog["dcat:dataset"]) == len(datasets) == 11
    assert not any(node["@id"].endswith("/hidden-one") for node in datasets)
    assert client.get("/dataset/hidden-one.jsonld").status_code == 404
    assert client.get("/catalog.jsonld", params={"page": 0}).status_code == 422


def test_a_dataset_in_dcat_ap(client: TestClient) -> None:
    (node,) = client.get("/dataset/payment-items.jsonld").json()["@graph"]
    assert node["@type"] == "dcat:Dataset"
    titles = {title["@language"]: title["@value"] for title in node["dct:title"]}
    assert titles == {"zh-Hant": "規費與收費項目", "en": "Fee catalogue"}
    assert node["dct:publisher"]["@type"] == "foaf:Organization"
    (distribution,) = node["dcat:distribution"]
    assert "/datastore/dump/" in distribution["dcat:downloadURL"]["@id"]
    assert distribution["dct:license"]["@id"] == "https://data.gov.tw/license"
    turtle = client.get("/dataset/payment-items.ttl")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in turtle.text
    assert '"規費與收費項目"@zh-Hant' in turtle.text
    assert "a dcat:Dataset" in turtle.text
    whole = client.get("/catalog.ttl").text
    assert whole.count("a dcat:Dataset") == 11

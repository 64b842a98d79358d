"""DCAT-AP (JSON-LD and Turtle, paged with Hydra, read back by an RDF parser) and data.gov.tw's
metadata for the national listing: public datasets only."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, XSD, Graph, Namespace
from rdflib.compare import isomorphic

from smartcity.modules.opendata import datagovtw
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


DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def test_an_rdf_parser_reads_the_same_dcat_from_turtle_and_json_ld(
    client: TestClient, dot_officer: str
) -> None:
    result(client, "package_create", dot_officer, **package("hidden-one", private=True))
    graphs = {
        "turtle": Graph().parse(data=client.get("/catalog.ttl").text, format="turtle"),
        "json-ld": Graph().parse(data=client.get("/catalog.jsonld").text, format="json-ld"),
    }
    for kind, graph in graphs.items():
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == 11, kind
        (catalog,) = graph.subjects(RDF.type, DCAT.Catalog)
        assert set(graph.objects(catalog, DCAT.dataset)) == datasets, kind
        assert not any(str(node).endswith("/hidden-one") for node in datasets), kind
        (view,) = graph.subjects(RDF.type, HYDRA.PartialCollectionView)
        assert graph.value(view, HYDRA.totalItems).toPython() == 11, kind
        fees = next(node for node in datasets if str(node).endswith("/dataset/payment-items"))
        titles = {(str(t), t.language) for t in graph.objects(fees, DCT.title)}
        assert titles == {("規費與收費項目", "zh-Hant"), ("Fee catalogue", "en")}, kind
        (distribution,) = graph.objects(fees, DCAT.distribution)
        assert (distribution, RDF.type, DCAT.Distribution) in graph, kind
        assert "/datastore/dump/" in str(graph.value(distribution, DCAT.downloadURL)), kind
        modified = graph.value(fees, DCT.modified)
        assert modified is not None and modified.datatype == XSD.dateTime, kind
        graph.remove((view, None, None))  # the page's own IRI names its format
    assert isomorphic(graphs["turtle"], graphs["json-ld"])


def test_the_national_listing_in_data_gov_tw_metadata(client: TestClient, dot_officer: str) -> None:
    result(client, "package_create", dot_officer, **package("hidden-one", private=True))
    response = client.get("/api/v1/opendata/datagovtw.json")
    assert response.status_code == 200
    listing = response.json()
    assert [record["資料集識別碼"] for record in listing] == sorted(result(client, "package_list"))
    assert all(list(record) == list(datagovtw.FIELDS) for record in listing)
    fees = next(record for record in listing if record["資料集識別碼"] == "payment-items")
    assert fees["資料集名稱"] == "規費與收費項目"
    assert fees["授權方式"] == "政府資料開放授權條款-第1版"
    assert fees["計費方式"] == "免費"
    assert fees["檔案格式"] == "CSV" and fees["編碼格式"] == "UTF-8"
    assert "/datastore/dump/" in fees["資料下載網址"]
    assert "code(text)" in fees["主要欄位說明"].split(";")
    assert int(fees["資料量"]) > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fees["詮釋資料更新時間"])

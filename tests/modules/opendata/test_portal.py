"""The data portal: search with facets, and a dataset with a preview of its records."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("with_catalogue")


def test_the_portal_searches_and_narrows_by_facets(client: TestClient) -> None:
    page = client.get("/opendata")
    assert page.status_code == 200
    assert "開放資料" in page.text
    assert 'data-count="11"' in page.text
    narrowed = client.get("/opendata", params={"groups": "finance"})
    assert 'data-count="2"' in narrowed.text
    assert 'data-dataset="payment-items"' in narrowed.text
    assert 'data-dataset="airbox-readings"' not in narrowed.text
    searched = client.get("/opendata", params={"q": "停車"})
    assert 'data-dataset="parking-availability"' in searched.text
    refused = client.get("/opendata", params={"q": "x'; DROP TABLE x; --"})
    assert refused.status_code == 200
    assert 'role="alert"' in refused.text


def test_a_dataset_page_previews_its_records_and_shows_how_to_call_it(
    client: TestClient,
) -> None:
    page = client.get("/opendata/dataset/payment-items")
    assert page.status_code == 200
    assert "規費與收費項目" in page.text
    assert '<th scope="col">code</th>' in page.text
    assert "RemoteCKAN" in page.text and "curl" in page.text
    client.cookies.set("sc_lang", "en")
    english = client.get("/opendata/dataset/payment-items")
    assert "Fee catalogue" in english.text
    assert client.get("/opendata/dataset/nothing-here").status_code == 404

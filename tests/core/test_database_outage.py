"""A database that is away or empty: every route answers 503 with a reason clients can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.keys import KeyRing
from smartcity.core.settings import Settings
from tests.support.databases import TemplateDatabase


@pytest.fixture
def empty_client(
    template_db: TemplateDatabase, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Iterator[TestClient]:
    """A client of an app whose database answers but has no table (it came back empty)."""
    with template_db.empty(tmp_path) as url:
        platform = build_platform(settings_factory(url), keys=KeyRing.ephemeral())
        try:
            with TestClient(create_app(platform=platform)) as client:
                yield client
        finally:
            platform.db.dispose()


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/sta/v1.1/Things?$filter=name eq 'x'", {}),
        ("GET", "/api/v1/sensors/latest", {}),
        ("GET", "/api/v1/payments/items", {}),
        ("POST", "/api/v1/sensors/lass", {"Authorization": "Bearer sck_0123456789ab_secret"}),
    ],
)
def test_an_empty_database_answers_503_needs_migration_as_readyz_says(
    empty_client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    ready = empty_client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["database"] == "needs migration"
    response = empty_client.request(method, path, headers=headers, content=b"")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "needs_migration"
    assert int(response.headers["retry-after"]) > 0

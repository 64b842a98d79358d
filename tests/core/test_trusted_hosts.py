"""Outside development and tests, the app answers only for its own host names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from smartcity.app import create_app
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings


@pytest.fixture
def production(
    platform: Platform, settings_factory: Callable[..., Settings], database_url: str
) -> TestClient:
    platform.settings = settings_factory(
        database_url,
        environment="production",
        base_url="https://city.example/",
        allowed_hosts="api.city.example, [::1]",
    )
    return TestClient(create_app(platform=platform), base_url="https://city.example")


@pytest.mark.parametrize(
    "host", ["city.example", "CITY.example:443", "api.city.example:8443", "[::1]:8000"]
)
def test_its_own_host_names_are_answered(production: TestClient, host: str) -> None:
    assert production.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "city.example.evil.example", "evil.example@city.example", ""]
)
def test_other_hosts_get_a_400_problem(production: TestClient, host: str) -> None:
    response = production.get("/sta/v1.1/Things", headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_host"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
def test_a_platform_on_the_loopback_answers_every_loopback_name(
    platform: Platform, settings_factory: Callable[..., Settings], database_url: str, host: str
) -> None:
    platform.settings = settings_factory(
        database_url, environment="demo", base_url="http://127.0.0.1:8000"
    )
    demo = TestClient(create_app(platform=platform), base_url="http://127.0.0.1:8000")
    assert demo.get("/healthz", headers={"Host": host}).status_code == 200
    assert demo.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_a_public_platform_does_not_answer_for_localhost(
    platform: Platform, settings_factory: Callable[..., Settings], database_url: str
) -> None:
    platform.settings = settings_factory(
        database_url, environment="production", base_url="https://city.example/"
    )
    public = TestClient(create_app(platform=platform), base_url="https://city.example")
    assert public.get("/healthz", headers={"Host": "localhost"}).status_code == 400


def test_development_answers_any_host(client: TestClient) -> None:
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200


def test_no_redirect_names_the_requests_host(client: TestClient) -> None:
    response = client.get(
        "/api/v1/sensors/latest/", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert "evil.example" not in response.headers.get("location", "")
    assert response.status_code == 404

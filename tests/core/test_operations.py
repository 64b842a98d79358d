"""Health, readiness, metrics, request ids, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from smartcity.core.platform import Platform


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] in ("sqlite", "postgresql")


def test_readiness_fails_when_the_schema_is_behind(client: TestClient, platform: Platform) -> None:
    with platform.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "needs migration"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/healthz")
    body = client.get("/metrics").text
    line = next(
        line
        for line in body.splitlines()
        if line.startswith("smartcity_http_requests_total") and 'route="/healthz"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2


def test_metrics_name_routes_by_their_full_template(client: TestClient) -> None:
    client.get("/api/v1/identity/me")
    client.get("/api/v1/transparency/proof/inclusion", params={"leaf_index": 0, "tree_size": 1})
    body = client.get("/metrics").text
    assert 'route="/api/v1/identity/me"' in body
    assert 'route="/api/v1/transparency/proof/inclusion"' in body
    assert 'route="/me"' not in body


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"x-request-id": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 16


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/identity/me",
        "/api/v1/transparency/checkpoint",
        "/api/v1/transparency/proof/inclusion",
        "/api/v1/transparency/proof/consistency",
        "/api/v1/transparency/entries",
        "/oauth/token",
    ):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


def test_json_access_log_line(client: TestClient, platform: Platform, caplog) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    from smartcity.app import create_app

    settings = platform.settings.model_copy(update={"log_requests": True})
    platform.settings = settings
    logged_app = create_app(platform=platform)
    with caplog.at_level(logging.INFO, logger="smartcity.access"), TestClient(logged_app) as c:
        c.get("/healthz", headers={"x-request-id": "log-me"})
    record = next(r for r in caplog.records if r.name == "smartcity.access")
    entry = json.loads(record.getMessage())
    assert entry["request_id"] == "log-me" and entry["status"] == 200
    assert entry["route"] == "/healthz"

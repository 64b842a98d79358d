"""Bad input anywhere is a problem+json 4xx with a stable code, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.errors import InvalidInput
from tests.conftest import Actors, bearer


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"urn:smartcity:problem:{code}"
    assert body["detail"] and body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_and_method(client: TestClient) -> None:
    _problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    _problem(client.delete("/api/v1/transparency/checkpoint"), 405, "method_not_allowed")


def test_malformed_json_and_wrong_types(client: TestClient, actors: Actors) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    response = client.post(
        "/api/v1/identity/organisations",
        content=b"{not json",
        headers={**admin, "content-type": "application/json"},
    )
    _problem(response, 422, "validation_error")
    body = _problem(
        client.post(
            "/api/v1/identity/organisations",
            json={"code": "X", "kind": "planet", "name": "x"},
            headers=admin,
        ),
        422,
        "validation_error",
    )
    assert any(error["loc"][-1] == "kind" for error in body["errors"])
    _problem(
        client.post(
            "/api/v1/identity/organisations",
            json={"code": "X", "kind": "vendor", "name": "x", "extra": 1},
            headers=admin,
        ),
        422,
        "validation_error",
    )


def test_domain_errors_carry_their_own_codes(client: TestClient, actors: Actors) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    _problem(
        client.post(
            "/api/v1/identity/citizens",
            json={"national_id": "A123456788", "name": "x"},
            headers=admin,
        ),
        422,
        "invalid_national_id",
    )
    client.post(
        "/api/v1/identity/citizens", json={"national_id": "A123456789", "name": "x"}, headers=admin
    )
    _problem(
        client.post(
            "/api/v1/identity/citizens",
            json={"national_id": "A123456789", "name": "y"},
            headers=admin,
        ),
        409,
        "citizen_exists",
    )
    _problem(
        client.get("/api/v1/identity/citizens/00000000-0000-0000-0000-000000000000", headers=admin),
        404,
        "citizen_not_found",
    )


def test_authentication_problems(client: TestClient) -> None:
    response = client.get("/api/v1/identity/me")
    _problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    _problem(
        client.get("/api/v1/identity/me", headers=bearer("sck_nope_nope")), 401, "invalid_token"
    )
    _problem(
        client.get("/api/v1/identity/me", headers={"Authorization": "Digest x"}),
        401,
        "unsupported_auth_scheme",
    )
    _problem(
        client.get("/api/v1/identity/me", headers={"Authorization": "Basic %%%"}),
        401,
        "invalid_credentials",
    )


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("start=0%00&end=1", 400, "invalid_character"), ("start=%ff&end=1", 400, "invalid_encoding")],
)
def test_unreadable_query_strings(client: TestClient, query: str, status: int, code: str) -> None:
    _problem(client.get(f"/api/v1/transparency/entries?{query}"), status, code)


def test_nul_in_a_json_body_is_refused(client: TestClient, actors: Actors) -> None:
    response = client.post(
        "/api/v1/identity/organisations",
        content=b'{"code":"A","kind":"vendor","name":"a\\u0000b"}',
        headers={**bearer(actors.token(Role.ADMIN)), "content-type": "application/json"},
    )
    _problem(response, 400, "invalid_character")


def test_oversized_bodies(client: TestClient, actors: Actors, platform) -> None:  # type: ignore[no-untyped-def]
    limit = platform.settings.max_body_bytes
    big = b'{"code":"A","kind":"vendor","name":"' + b"x" * limit + b'"}'
    headers = {**bearer(actors.token(Role.ADMIN)), "content-type": "application/json"}
    _problem(
        client.post("/api/v1/identity/organisations", content=big, headers=headers),
        413,
        "too_large",
    )

    def chunks():  # type: ignore[no-untyped-def]
        # No Content-Length: the limit must hold while streaming too.
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    _problem(
        client.post("/api/v1/identity/organisations", content=chunks(), headers=headers),
        413,
        "too_large",
    )


def test_unexpected_errors_are_500_problems_without_details(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter, Depends

    from smartcity.core.auth import PUBLIC
    from smartcity.core.http import unauthenticated

    router = APIRouter()

    @router.get("/boom")
    def boom(ctx=Depends(unauthenticated(PUBLIC))) -> None:  # type: ignore[no-untyped-def]  # noqa: B008
        raise RuntimeError("secret internals")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.get("/boom")
    body = _problem(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in body["detail"]


def test_pages_show_errors_as_html_for_browsers(client: TestClient) -> None:
    response = client.get("/staff/nothing", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "not_found" in response.text


def test_a_worded_refusal_keeps_its_wording_for_pages_and_its_values_for_machines() -> None:
    refused = InvalidInput.worded("one bill of {item} is at most {most} NTD", item="X-1", most=3000)
    assert refused.detail == "one bill of X-1 is at most 3000 NTD"
    assert refused.wording == "one bill of {item} is at most {most} NTD"
    problem = refused.problem()
    assert (problem["code"], problem["item"], problem["most"]) == ("invalid_input", "X-1", 3000)
    assert InvalidInput("plain").wording is None

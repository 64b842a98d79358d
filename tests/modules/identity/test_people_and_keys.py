"""Citizens are registered with only a digest and mask of their ID; keys are shown once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.identity.models import ApiKey, User
from tests.conftest import Actors, bearer


def test_the_national_id_is_never_stored(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    created = client.post(
        "/api/v1/identity/citizens",
        json={"national_id": "a123456789", "name": "王小明", "verification_level": "verified"},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["national_id_masked"] == "A123****89"
    session = platform.db.read_session()
    user = session.execute(select(User).where(User.role == "citizen")).scalars().one()
    stored = " ".join(str(value) for value in vars(user).values())
    session.close()
    assert "A123456789" not in stored
    found = client.get(
        "/api/v1/identity/citizens", params={"national_id": "A123456789"}, headers=admin
    ).json()
    assert [c["name"] for c in found] == ["王小明"]


def test_officers_see_citizens_but_cannot_register_them(client: TestClient, actors: Actors) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    actors.citizen(name="查得到")
    assert [c["name"] for c in client.get("/api/v1/identity/citizens", headers=officer).json()] == [
        "查得到"
    ]
    refused = client.post(
        "/api/v1/identity/citizens",
        json={"national_id": "A123456789", "name": "x"},
        headers=officer,
    )
    assert refused.status_code == 403


def test_api_keys_are_hashed_scoped_and_revocable(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    client.post(
        "/api/v1/identity/organisations",
        json={"code": "EDIMAX", "kind": "device_owner", "name": "裝置商"},
        headers=admin,
    )
    issued = client.post(
        "/api/v1/identity/api-keys",
        json={"role": "device", "organisation": "EDIMAX", "label": "gateway"},
        headers=admin,
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    session = platform.db.read_session()
    row = session.execute(select(ApiKey).where(ApiKey.label == "gateway")).scalar_one()
    session.close()
    secret = token.split("_", 2)[2]
    assert row.prefix in token and secret not in row.secret_hash and len(row.secret_hash) == 64
    assert row.last_used_at is None

    me = client.get("/api/v1/identity/me", headers=bearer(token)).json()
    assert me["role"] == "device" and me["organisation"] == "EDIMAX"
    listed = client.get("/api/v1/identity/api-keys", headers=admin).json()
    entry = next(k for k in listed if k["label"] == "gateway")
    assert "token" not in entry and entry["last_used_at"] is not None

    wrong_kind = client.post(
        "/api/v1/identity/api-keys",
        json={"role": "provider", "organisation": "EDIMAX"},
        headers=admin,
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["code"] == "invalid_key_owner"

    revoked = client.delete(f"/api/v1/identity/api-keys/{entry['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 401
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get("/api/v1/identity/me", headers=bearer(tampered)).status_code == 401


def test_staff_accounts(client: TestClient, actors: Actors) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    made = client.post(
        "/api/v1/identity/staff",
        json={"role": "officer", "name": "林承辦", "email": "Lin@Example.org", "department": "DOT"},
        headers=admin,
    )
    assert made.status_code == 404 and made.json()["code"] == "organisation_not_found"
    client.post(
        "/api/v1/identity/organisations",
        json={"code": "DOT", "kind": "department", "name": "交通局"},
        headers=admin,
    )
    made = client.post(
        "/api/v1/identity/staff",
        json={
            "role": "officer",
            "name": "林承辦",
            "email": "Lin@Example.org",
            "department": "dot",
            "staff_roles": ["clerk"],
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["department"] == "DOT" and made.json()["email"] == "lin@example.org"
    duplicate = client.post(
        "/api/v1/identity/staff",
        json={"role": "admin", "name": "x", "email": "lin@example.org"},
        headers=admin,
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "email_exists"

"""A worker answers for an organisation's API key it verified moments ago without the database
(ADR 20): a revocation through it takes effect at once, one made elsewhere within the window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.identity import authn
from smartcity.modules.identity.authn import IdentityAuthenticator
from smartcity.modules.identity.models import ApiKey
from tests.conftest import Actors, bearer


class Clock:
    """Stands in for `time.monotonic` in authn, so the window passes without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(authn.time, "monotonic", fake)
    return fake


@pytest.fixture
def statements(platform: Platform) -> Iterator[list[str]]:
    """Every SQL statement the platform's engine runs while the test does."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(platform.db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(platform.db.engine, "before_cursor_execute", note)


def _revoke_elsewhere(platform: Platform, token: str) -> None:
    """What another worker's (or host's) revocation leaves: only the row changed."""
    prefix = token.split("_")[1]
    with platform.db.engine.begin() as connection:
        connection.execute(
            update(ApiKey).where(ApiKey.prefix == prefix).values(revoked_at=datetime.now(UTC))
        )


def test_a_verified_key_is_answered_from_memory(
    client: TestClient, actors: Actors, statements: list[str]
) -> None:
    token = actors.token(Role.PROVIDER)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    statements.clear()
    again = client.get("/api/v1/identity/me", headers=bearer(token))
    assert again.status_code == 200 and again.json()["organisation"] == "BANK1"
    assert statements == []


def test_only_the_right_secret_is_answered_from_memory(client: TestClient, actors: Actors) -> None:
    token = actors.token(Role.PROVIDER)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.get("/api/v1/identity/me", headers=bearer(tampered))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200


def test_a_key_revoked_elsewhere_stops_working_when_the_window_ends(
    client: TestClient, actors: Actors, platform: Platform, clock: Clock
) -> None:
    token = actors.token(Role.PROVIDER)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    _revoke_elsewhere(platform, token)
    clock.now += 1.9
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    clock.now += 0.1
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 401


def test_without_a_window_every_request_asks_the_database(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    assert isinstance(platform.authenticator, IdentityAuthenticator)
    platform.authenticator.verified_keys.seconds = 0
    token = actors.token(Role.PROVIDER)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    _revoke_elsewhere(platform, token)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 401


def test_a_key_revoked_through_this_worker_stops_working_at_once(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    token = actors.token(Role.DEVICE)
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    admin = bearer(actors.token(Role.ADMIN))
    keys = client.get("/api/v1/identity/api-keys", headers=admin).json()
    key_id = next(k["id"] for k in keys if token.startswith(f"sck_{k['prefix']}_"))
    revoked = client.delete(f"/api/v1/identity/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 200
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 401


def test_a_persons_key_is_read_afresh_each_time(
    client: TestClient, actors: Actors, statements: list[str]
) -> None:
    _user_id, token = actors.citizen()
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    statements.clear()
    assert client.get("/api/v1/identity/me", headers=bearer(token)).status_code == 200
    assert any("identity_api_keys" in statement for statement in statements)

"""Helpers for payments tests: the catalogue, tokens, bills and payments in one call each."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item
from tests.conftest import Actors, bearer

_keys = itertools.count()
PARKING_ITEM = "PMO-PARK-OFFSTREET"
"""The catalogue's capped parking fee that car-park exits bill."""


def sign_in(platform: Platform, client: TestClient, user_id: str) -> str:
    """Open a portal session for `user_id` in `client`'s cookies; its CSRF token."""
    with platform.unit_of_work(system_actor("test")) as uow:
        user = identity.get_user(uow.session, user_id)
        token, row = identity.open_session(
            uow.session, user, kind="portal", scope="openid profile payments", hours=1
        )
        uow.audit("test.session", "user", user_id, {})
    client.cookies.set(SESSION_COOKIE, token)
    return row.csrf_token


class Pay:
    """A small driver of the payments API for tests."""

    def __init__(self, platform: Platform, client: TestClient, actors: Actors) -> None:
        self.platform = platform
        self.client = client
        self.actors = actors
        self._tokens: dict[tuple[Role, str], str] = {}

    def token(self, role: Role, code: str | None = None) -> str:
        key = (role, code or "")
        if key not in self._tokens:
            self._tokens[key] = self.actors.token(role, code)
        return self._tokens[key]

    def officer(self, department: str) -> dict[str, str]:
        return bearer(self.token(Role.OFFICER, department))

    def officer_person(self, department: str) -> dict[str, str]:
        """A new officer of `department`, a person (maker–checker needs two of them)."""
        from smartcity.modules.identity.values import OrganisationKind

        with self.platform.unit_of_work(system_actor("test")) as uow:
            identity.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
            officer = identity.create_staff(
                uow,
                role=Role.OFFICER,
                name="承辦人",
                email=f"officer{next(_keys)}@{department.lower()}.invalid",
                department_code=department,
            )
            key = identity.issue_api_key(uow, role=Role.OFFICER, label="test", user=officer)
            return bearer(key.token)

    def car_park(
        self, gates: str = "PMO-GATES", department: str = "PMO", item: str = PARKING_ITEM
    ) -> dict[str, str]:
        """The device key of a car park that `department` runs, billing `item`."""
        from smartcity.modules.identity.values import OrganisationKind
        from smartcity.modules.payments import autopay

        with self.platform.unit_of_work(system_actor("test")) as uow:
            identity.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
            identity.ensure_organisation(uow, gates, OrganisationKind.DEVICE_OWNER)
            autopay.register_car_park(uow, gates, department, item)
        return bearer(self.token(Role.DEVICE, gates))

    def provider(self, code: str = "BOT") -> dict[str, str]:
        return bearer(self.token(Role.PROVIDER, code))

    def admin(self) -> dict[str, str]:
        return bearer(self.token(Role.ADMIN))

    def issue(
        self,
        item_code: str = "TWD-FEE01",
        amount: int | None = 500,
        payer: dict[str, str] | None = None,
        due: date | None = None,
        department: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "item_code": item_code,
            "due_date": (due or local_today() + timedelta(days=30)).isoformat(),
            "payer": payer or {"account_number": "2-13-045678-9"},
        }
        if amount is not None:
            body["amount"] = amount
        response = self.client.post(
            "/api/v1/payments/bills",
            json=body,
            headers=self.officer(department or item_code.split("-")[0]),
        )
        assert response.status_code == 201, response.text
        return response.json()

    def pay(
        self,
        reference: str,
        amount: int,
        provider: str = "BOT",
        key: str | None = None,
        txn: str | None = None,
        paid_at: datetime | None = None,
        channel: str = "bank",
    ) -> Any:
        body = {
            "reference": reference,
            "amount": amount,
            "channel": channel,
            "provider_txn_id": txn or f"T{next(_keys)}-{uuid.uuid4().hex[:8]}",
            "paid_at": (paid_at or datetime.now(UTC)).isoformat(),
        }
        return self.client.post(
            "/api/v1/payments/payments",
            json=body,
            headers={**self.provider(provider), "Idempotency-Key": key or uuid.uuid4().hex},
        )


@pytest.fixture
def with_catalogue(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        uow.audit("payments.catalogue.loaded", "catalogue", "test", {})


@pytest.fixture
def pay(platform: Platform, client: TestClient, actors: Actors, with_catalogue: None) -> Pay:
    return Pay(platform, client, actors)


@pytest.fixture
def cli(platform: Platform, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `smartcity …` against the test database: (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from smartcity.cli import build_cli

    monkeypatch.setenv("SMARTCITY_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(platform.settings.data_dir))

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(build_cli(), list(args))
        return result.exit_code, result.stdout, result.stderr

    return run


class LiveServer:
    """The app served by a real uvicorn in a thread (for concurrency tests)."""

    def __init__(self, app: Any) -> None:
        import threading
        import time

        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", workers=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Any):  # type: ignore[no-untyped-def]
    server = LiveServer(app)
    yield server
    server.stop()

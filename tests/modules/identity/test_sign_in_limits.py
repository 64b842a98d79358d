"""Guessing passwords and secrets is slow and tells nothing (security finding 5).

Unknown logins cost the same scrypt as known ones; failures lock an (account, address)
pair, then the account for browsers that never signed in to it; client secrets lock per
(client, address); refusals are 429 problem+json with Retry-After. Time is moved
forward, never waited for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.identity import throttle
from smartcity.modules.identity.seed import national_id
from smartcity.modules.identity.settings import IdentitySettings
from tests.conftest import Actors, bearer
from tests.modules.identity.test_oauth import (
    APP_ID,
    PASSWORD,
    Person,
    make_person,
    pkce,
    register_app,
    submit_login,
)
from tests.modules.identity.test_oauth import authorize_params as params_for

NOBODY = national_id("A", 1, 9_999_999)
"""A well-formed national ID that nobody has."""

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def person(platform: Platform) -> Person:
    return make_person(platform, 1_618_033)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Moves the lockout's clock forward."""
    offset = timedelta()

    def later() -> Any:
        return utcnow() + offset

    monkeypatch.setattr(throttle, "utcnow", later)

    def forward(by: timedelta) -> None:
        nonlocal offset
        offset += by

    return forward


@pytest.fixture
def clients(app: Any) -> Iterator[Callable[[str], TestClient]]:
    """Browsers at different addresses."""
    made: list[TestClient] = []

    def at(address: str) -> TestClient:
        browser = TestClient(app, client=(address, 50000))
        made.append(browser)
        return browser

    yield at
    for browser in made:
        browser.close()


def sign_in_page(browser: TestClient) -> Any:
    start = browser.get("/login", follow_redirects=False)
    return browser.get(start.headers["location"])


def attempt(browser: TestClient, login: str, password: str) -> Any:
    return submit_login(browser, sign_in_page(browser), login, password)


def assert_too_many(response: Any, code: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == 429
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1 and body["retry_after"] == retry_after
    return body


def test_every_failure_costs_one_scrypt(
    client: TestClient, platform: Platform, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartcity.modules.identity import service

    WITHOUT = national_id("B", 2, 1_234_567)
    with platform.unit_of_work(system_actor("test")) as uow:
        service.register_citizen(uow, platform.keys, national_id=WITHOUT, name="無密碼")
        service.create_staff(uow, role=Role.ADMIN, name="a", email="a@test.invalid")
    calls: list[int] = []
    real = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    pages = {}
    for login in (
        person.national_id,  # known, wrong password
        NOBODY,  # a well-formed ID nobody has
        WITHOUT,  # known, no password (signs in through federation only)
        "nobody@test.invalid",  # an e-mail nobody has
        "a@test.invalid",  # staff without a password
        "not an id",  # not even a login
    ):
        page = sign_in_page(client)
        calls.clear()
        response = submit_login(client, page, login, "wrong password")
        assert response.status_code == 401
        assert len(calls) == 1, f"{login}: {len(calls)} scrypt calls"
        pages[login] = response.text.replace(login, "LOGIN")
    # The pages differ only in the login typed back and their one-time form tokens.
    errors = {text.count("login-error") for text in pages.values()}
    assert errors == {2}


def test_lockout_after_failures_and_unlock_after_the_window(
    client: TestClient, person: Person, platform: Platform, clock: Callable[[timedelta], None]
) -> None:
    for _ in range(5):
        assert attempt(client, person.national_id, "guess").status_code == 401
    locked = attempt(client, person.national_id, PASSWORD)  # even the right password
    body = assert_too_many(locked, "account_locked")
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    assert body["locked_until"].endswith("Z")
    with platform.db.read_session() as session:
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("identity.sign_in.locked") == 1

    clock(timedelta(minutes=15, seconds=1))
    done = attempt(client, person.national_id, PASSWORD)
    assert done.status_code in (200, 303), done.text


def test_unknown_ids_lock_the_same_way(client: TestClient) -> None:
    for _ in range(5):
        assert attempt(client, NOBODY, "guess").status_code == 401
    assert_too_many(attempt(client, NOBODY, "guess"), "account_locked")


def test_a_lock_holds_one_address_and_spares_known_browsers(
    clients: Callable[[str], TestClient], person: Person, platform: Platform
) -> None:
    platform.module_settings["identity"] = IdentitySettings(
        lockout_per_client="3 per 15 minutes", lockout_per_account="6 per day"
    )
    owner = clients("192.0.2.10")
    assert attempt(owner, person.national_id, PASSWORD).status_code in (200, 303)
    assert "sc_device" in owner.cookies

    guesser = clients("198.51.100.1")
    for _ in range(3):
        assert attempt(guesser, person.national_id, "guess").status_code == 401
    assert_too_many(attempt(guesser, person.national_id, "guess"), "account_locked")
    # Another address is not locked by that one: it fails on the password.
    second = clients("198.51.100.2")
    for _ in range(3):
        assert attempt(second, person.national_id, "guess").status_code == 401
    # Six failures in all: the account is locked for every new browser, right password or not.
    newcomer = clients("203.0.113.7")
    assert_too_many(attempt(newcomer, person.national_id, PASSWORD), "account_locked")
    # The owner's browser signed in before, so it is not: knowing an ID cannot lock its owner out.
    owner.cookies.delete("sc_login")
    assert attempt(owner, person.national_id, PASSWORD).status_code in (200, 303)


def test_sign_in_attempts_per_address(
    clients: Callable[[str], TestClient], person: Person, platform: Platform
) -> None:
    platform.module_settings["identity"] = IdentitySettings(sign_in_attempts="3 per minute")
    busy = clients("192.0.2.20")
    for login in (NOBODY, "nobody@test.invalid", "A1"):
        assert attempt(busy, login, "guess").status_code == 401
    refused = attempt(busy, person.national_id, PASSWORD)
    assert_too_many(refused, "rate_limited")
    assert attempt(clients("192.0.2.21"), person.national_id, PASSWORD).status_code in (200, 303)


def test_client_secrets_lock_per_client_and_address(
    clients: Callable[[str], TestClient], platform: Platform
) -> None:
    secret = register_app(platform, confidential=True)
    assert secret
    form = {"grant_type": "authorization_code", "code": "x", "code_verifier": "y" * 43}
    guesser = clients("198.51.100.9")
    for _ in range(5):
        wrong = guesser.post("/oauth/token", data=form, auth=(APP_ID, "guess"))
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    locked = guesser.post("/oauth/token", data=form, auth=(APP_ID, secret))
    assert_too_many(locked, "account_locked")
    # The application's own server, elsewhere, still authenticates (and learns the code is bad).
    other = clients("192.0.2.30").post("/oauth/token", data=form, auth=(APP_ID, secret))
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"


def test_national_id_lookups_are_limited(client: TestClient, actors: Actors) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    for serial in range(30):
        found = client.get(
            "/api/v1/identity/citizens", params={"national_id": f"A1{serial:08d}"}, headers=officer
        )
        assert found.status_code in (200, 422), found.text
    refused = client.get(
        "/api/v1/identity/citizens", params={"national_id": "A123456789"}, headers=officer
    )
    assert_too_many(refused, "rate_limited")
    # Others are counted on their own.
    admin = bearer(actors.token(Role.ADMIN))
    assert (
        client.get(
            "/api/v1/identity/citizens", params={"national_id": "A123456789"}, headers=admin
        ).status_code
        == 200
    )


def test_authorize_requests_are_limited(client: TestClient, platform: Platform) -> None:
    register_app(platform)
    _verifier, challenge = pkce()
    for _ in range(60):
        assert client.get("/oauth/authorize", params=params_for(challenge)).status_code == 200
    assert_too_many(client.get("/oauth/authorize", params=params_for(challenge)), "rate_limited")


def test_limit_settings_are_checked_at_start() -> None:
    from pydantic import ValidationError

    from smartcity.core.settings import Settings

    with pytest.raises(ValidationError, match="rate-limit storage"):
        Settings(rate_limit_storage="memcached://127.0.0.1:11211")
    with pytest.raises(ValidationError):
        IdentitySettings(lockout_per_client="five a minute")
    assert (
        IdentitySettings(lockout_per_client="3 per 10 minutes").lockout_per_client
        == "3 per 10 minutes"
    )

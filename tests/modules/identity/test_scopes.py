"""Scopes bind every credential to what it was granted (security finding 4).

A third-party application a citizen let "know who you are" (`openid`) reads exactly
that; an API key made for some scopes passes only them; unknown scope names are refused
when a key is made. The route × role × scope matrix is in tests/core.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.auth import ANONYMOUS, Principal, Role, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.models import PortalSession
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.livinglab import rules as livinglab_rules
from tests.conftest import Actors, bearer
from tests.modules.identity.test_oauth import (
    APP_REDIRECT,
    PASSWORD,
    Person,
    assert_redirect,
    decide,
    make_person,
    pkce,
    redeem,
    register_app,
    submit_login,
)
from tests.modules.identity.test_oauth import authorize_params as params_for

CITIZEN_ROUTES = [
    ("GET", "/api/v1/payments/me/bills"),
    ("GET", "/api/v1/payments/me/payouts"),
    ("GET", "/api/v1/payments/me/autopay"),
    ("POST", "/api/v1/payments/me/autopay"),
    ("DELETE", f"/api/v1/payments/me/autopay/{uuid.uuid4()}"),
    ("GET", "/api/v1/identity/me/bindings"),
]


def token_for(client: TestClient, login: str, scope: str) -> dict[str, Any]:
    """Sign `login` in at the third-party app, consent to `scope`; the token response."""
    verifier, challenge = pkce()
    page = client.get("/oauth/authorize", params=params_for(challenge, scope=scope))
    consent = submit_login(client, page, login, PASSWORD)
    assert consent.status_code == 200, consent.text
    query = assert_redirect(decide(client, consent, "allow"), APP_REDIRECT)
    granted = redeem(client, query["code"], verifier)
    assert granted.status_code == 200, granted.text
    body: dict[str, Any] = granted.json()
    return body


def assert_insufficient_scope(response: Any, scope: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"
    assert response.json()["scope"] == scope
    # RFC 6750 §3.1: the challenge names the error and the scope that would do.
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge and f'scope="{scope}"' in challenge


@pytest.fixture
def person(platform: Platform) -> Person:
    register_app(platform, scopes=("openid", "profile", "payments", "bindings"))
    return make_person(platform, 2_718_281)


def test_an_openid_token_reads_only_who_you_are(client: TestClient, person: Person) -> None:
    token = token_for(client, person.national_id, "openid")["access_token"]

    info = client.get("/oauth/userinfo", headers=bearer(token))
    assert info.status_code == 200
    assert info.json()["sub"] == person.id and "name" not in info.json()
    me = client.get("/api/v1/identity/me", headers=bearer(token)).json()
    assert me["id"] == person.id and me["role"] == "citizen"
    assert me["name"] == "" and me["national_id_masked"] is None
    assert me["verification_level"] is None

    for method, path in CITIZEN_ROUTES:
        response = client.request(method, path, headers=bearer(token), json={})
        assert_insufficient_scope(response, "bindings" if "bindings" in path else "payments")


def test_a_token_reads_what_was_consented(client: TestClient, person: Person) -> None:
    grant = token_for(client, person.national_id, "openid profile payments")
    assert grant["scope"] == "openid profile payments"
    token = grant["access_token"]
    assert client.get("/oauth/userinfo", headers=bearer(token)).json()["name"] == person.name
    assert client.get("/api/v1/payments/me/bills", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/payments/me/autopay", headers=bearer(token)).status_code == 200
    mine = client.get("/api/v1/identity/me/bindings", headers=bearer(token))
    assert_insufficient_scope(mine, "bindings")


def test_staff_grant_third_party_apps_only_who_they_are(
    client: TestClient, platform: Platform, person: Person
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        service.ensure_organisation(uow, "DOF", OrganisationKind.DEPARTMENT)
        service.create_staff(
            uow,
            role=Role.OFFICER,
            name="財政局承辦",
            email="officer@test.invalid",
            password=PASSWORD,
            department_code="DOF",
        )
    # The consent screen speaks of a citizen's own bills: for an officer those words
    # would hand the app a department's bills, so the token carries who they are only.
    grant = token_for(client, "officer@test.invalid", "openid profile payments")
    assert grant["scope"] == "openid profile"
    bills = client.get("/api/v1/payments/bills", headers=bearer(grant["access_token"]))
    assert_insufficient_scope(bills, "payments")


def test_an_api_key_passes_only_its_scopes(
    client: TestClient, actors: Actors, person: Person
) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    made = client.post(
        "/api/v1/identity/api-keys",
        json={"role": "citizen", "user_id": person.id, "scopes": ["profile"]},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["scopes"] == ["profile"]
    key = bearer(made.json()["token"])
    for method, path in CITIZEN_ROUTES:
        response = client.request(method, path, headers=key, json={})
        assert_insufficient_scope(response, "bindings" if "bindings" in path else "payments")
    assert_insufficient_scope(client.get("/api/v1/identity/me", headers=key), "openid")

    provider = client.post(
        "/api/v1/identity/api-keys",
        json={"role": "provider", "organisation": "BANK7", "scopes": ["bindings"]},
        headers=admin,
    )
    assert provider.status_code == 404  # the organisation must exist first
    client.post(
        "/api/v1/identity/organisations",
        json={"code": "BANK7", "kind": "provider", "name": "第七銀行"},
        headers=admin,
    )
    provider = client.post(
        "/api/v1/identity/api-keys",
        json={"role": "provider", "organisation": "BANK7", "scopes": ["bindings"]},
        headers=admin,
    )
    assert provider.status_code == 201, provider.text
    bank = bearer(provider.json()["token"])
    assert client.get("/api/v1/identity/bindings/pending", headers=bank).status_code == 200
    payment = client.post("/api/v1/payments/payments", headers=bank, json={})
    assert_insufficient_scope(payment, "payments")


@pytest.mark.parametrize(
    ("role", "owner", "scopes", "code"),
    [
        ("provider", {"organisation": "BANK8"}, ["payment"], "unknown_scope"),
        ("provider", {"organisation": "BANK8"}, ["services"], "unknown_scope"),
        ("vendor", {"organisation": "VEND8"}, ["payments"], "unknown_scope"),
        ("provider", {"organisation": "BANK8"}, ["*", "payments"], "invalid_scope"),
    ],
)
def test_unknown_scope_names_are_refused_at_creation(
    client: TestClient,
    actors: Actors,
    role: str,
    owner: dict[str, str],
    scopes: list[str],
    code: str,
) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    for org_code, kind in (("BANK8", "provider"), ("VEND8", "vendor")):
        client.post(
            "/api/v1/identity/organisations",
            json={"code": org_code, "kind": kind, "name": org_code},
            headers=admin,
        )
    refused = client.post(
        "/api/v1/identity/api-keys",
        json={"role": role, **owner, "scopes": scopes},
        headers=admin,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    listed = client.get("/api/v1/identity/api-keys", headers=admin).json()
    assert not any(k["scopes"] == scopes for k in listed)


def test_portal_sessions_hold_their_scopes(
    client: TestClient, platform: Platform, person: Person
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        service.create_staff(
            uow, role=Role.ADMIN, name="管理者", email="admin@test.invalid", password=PASSWORD
        )
    held = {}
    for login in (person.national_id, "admin@test.invalid"):
        client.cookies.clear()
        start = client.get("/login", follow_redirects=False)
        page = client.get(start.headers["location"])
        done = submit_login(client, page, login, PASSWORD)
        callback = client.get(done.headers["location"], follow_redirects=False)
        assert callback.status_code == 303, callback.text
        with platform.db.read_session() as session:
            row = session.execute(
                select(PortalSession)
                .where(PortalSession.kind == "portal")
                .order_by(PortalSession.created_at.desc())
            ).scalars()
            held[login] = next(iter(row)).scope
    assert held[person.national_id] == "openid profile bindings payments services"
    assert held["admin@test.invalid"] == "*"
    # The administrator's console works with that session.
    assert client.get("/staff/api-keys").status_code == 200


def test_public_routes_see_a_caller_only_with_the_scope() -> None:
    rule = livinglab_rules.OPEN
    vendor = Principal(kind="organisation", id="v", role=Role.VENDOR, scopes=frozenset({"*"}))
    narrow = Principal(kind="organisation", id="v", role=Role.VENDOR, scopes=frozenset({"openid"}))
    assert rule.allows(narrow) and rule.allows(ANONYMOUS)
    assert rule.caller(vendor) is vendor
    assert rule.caller(narrow) is ANONYMOUS


def test_a_rule_must_name_a_scope_for_every_role() -> None:
    from smartcity.core.auth import Rule

    with pytest.raises(ValueError, match="names no scope"):
        Rule("x.y", frozenset({Role.CITIZEN, Role.ADMIN}), {Role.ADMIN: "identity"})

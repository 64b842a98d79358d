"""Citizens bind identifiers; departments and providers confirm; other modules read them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service
from smartcity.modules.identity.values import BindingKind
from tests.conftest import Actors, bearer


def _bind(client: TestClient, token: str, **body: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/identity/me/bindings", json=body, headers=bearer(token))


def test_bind_confirm_and_read_through_the_service(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    user_id, citizen = actors.citizen()
    created = _bind(client, citizen, kind="plate", value=" abc－1234 ", label="家用車")
    assert created.status_code == 201, created.text
    binding = created.json()
    assert binding["value"] == "ABC-1234" and binding["state"] == "pending"

    session = platform.db.read_session()
    assert service.citizens_bound_to(session, BindingKind.PLATE, "ABC-1234") == []
    session.close()

    officer = actors.token(Role.OFFICER, "PMO")
    decided = client.post(
        f"/api/v1/identity/bindings/{binding['id']}/decision",
        json={"verified": True},
        headers=bearer(officer),
    )
    assert decided.status_code == 200 and decided.json()["state"] == "verified"
    again = client.post(
        f"/api/v1/identity/bindings/{binding['id']}/decision",
        json={"verified": False},
        headers=bearer(officer),
    )
    assert again.status_code == 409 and again.json()["code"] == "binding_decided"

    session = platform.db.read_session()
    bound = service.citizens_bound_to(session, BindingKind.PLATE, "abc-1234")
    session.close()
    assert [str(u) for u in bound] == [user_id]

    listed = client.get("/api/v1/identity/me/bindings", headers=bearer(citizen)).json()
    assert [b["value"] for b in listed] == ["ABC-1234"]

    ended = client.delete(f"/api/v1/identity/me/bindings/{binding['id']}", headers=bearer(citizen))
    assert ended.json()["state"] == "revoked"
    session = platform.db.read_session()
    tomorrow = local_today() + timedelta(days=1)
    assert service.citizens_bound_to(session, BindingKind.PLATE, "ABC-1234", tomorrow) == []
    session.close()


def test_a_duplicate_or_malformed_binding_is_refused(client: TestClient, actors: Actors) -> None:
    _user, citizen = actors.citizen()
    assert _bind(client, citizen, kind="plate", value="ABC-1234").status_code == 201
    duplicate = _bind(client, citizen, kind="plate", value="abc-1234")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "binding_exists"
    for kind, value, code in [
        ("plate", "not a plate!", "invalid_plate"),
        ("bank_account", "12345", "invalid_bank_account"),
        ("utility_account", "1", "invalid_utility_account"),
        ("student_number", "??", "invalid_student_number"),
    ]:
        response = _bind(client, citizen, kind=kind, value=value)
        assert response.status_code == 422 and response.json()["code"] == code, (kind, value)
    past = _bind(
        client,
        citizen,
        kind="plate",
        value="XYZ-0001",
        effective_from=str(local_today() - timedelta(days=3)),
    )
    assert past.json()["code"] == "invalid_effective_from"


def test_payment_methods_are_confirmed_by_their_provider_only(
    client: TestClient, actors: Actors
) -> None:
    _user, citizen = actors.citizen()
    own = actors.token(Role.PROVIDER, "PAYA")
    other = actors.token(Role.PROVIDER, "PAYB")
    missing = _bind(client, citizen, kind="payment_method", value="tok_1234")
    assert missing.json()["code"] == "provider_required"
    created = _bind(
        client,
        citizen,
        kind="payment_method",
        value="tok_1234",
        provider="PAYA",
        effective_from=str(local_today() + timedelta(days=1)),
    ).json()
    assert created["effective_from"] == str(local_today() + timedelta(days=1))

    assert [
        b["id"]
        for b in client.get("/api/v1/identity/bindings/pending", headers=bearer(other)).json()
    ] == []
    assert created["id"] in [
        b["id"] for b in client.get("/api/v1/identity/bindings/pending", headers=bearer(own)).json()
    ]

    path = f"/api/v1/identity/bindings/{created['id']}/decision"
    refused = client.post(path, json={"verified": True}, headers=bearer(other))
    assert refused.status_code == 403 and refused.json()["code"] == "not_binding_authority"
    officer = client.post(path, json={"verified": True}, headers=bearer(actors.token(Role.OFFICER)))
    assert officer.status_code == 403
    assert client.post(path, json={"verified": True}, headers=bearer(own)).status_code == 200


def test_a_citizen_cannot_touch_another_citizens_binding(
    client: TestClient, actors: Actors
) -> None:
    _a, alice = actors.citizen(name="甲")
    _b, bob = actors.citizen(name="乙")
    binding = _bind(client, alice, kind="plate", value="AAA-1111").json()
    response = client.delete(f"/api/v1/identity/me/bindings/{binding['id']}", headers=bearer(bob))
    assert response.status_code == 404
    assert client.get("/api/v1/identity/me/bindings", headers=bearer(bob)).json() == []


def test_every_binding_change_is_audited(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    _user, citizen = actors.citizen()
    session = platform.db.read_session()
    before = platform.log.count(session)
    session.close()
    binding = _bind(client, citizen, kind="plate", value="QQQ-7777").json()
    client.delete(f"/api/v1/identity/me/bindings/{binding['id']}", headers=bearer(citizen))
    session = platform.db.read_session()
    actions = [e.action for e in platform.log.entries(session, before, before + 10)]
    session.close()
    assert actions == ["identity.binding.requested", "identity.binding.revoked"]

"""identity's pages with a portal session: forms, errors in Chinese, keys shown once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE


def _signed_in(client: TestClient, platform: Platform, role: Role) -> str:
    with platform.unit_of_work(system_actor("test")) as uow:
        if role == Role.CITIZEN:
            user = service.register_citizen(
                uow, platform.keys, national_id="A123456789", name="王小明"
            )
        else:
            user = service.create_staff(uow, role=role, name="管理員", email="a@test.invalid")
        # The scopes the portal's sign-in gives this person.
        scope = service.portal_scope(user, PORTAL_SCOPE)
        token, row = service.open_session(uow.session, user, kind="portal", scope=scope, hours=1)
    client.cookies.set(SESSION_COOKIE, token)
    return row.csrf_token


def test_binding_form_errors_come_back_in_chinese_with_the_form(
    client: TestClient, platform: Platform
) -> None:
    csrf = _signed_in(client, platform, Role.CITIZEN)
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    bad = client.post("/me/bindings", data={"kind": "plate", "value": "not a plate!"}, headers=htmx)
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text and "車牌格式如 ABC-1234" in bad.text
    good = client.post("/me/bindings", data={"kind": "plate", "value": "abc-1234"}, headers=htmx)
    assert good.status_code == 200 and 'data-binding="ABC-1234"' in good.text
    assert "<html" not in good.text  # a fragment for htmx, not a whole page
    plain = client.post(
        "/me/bindings",
        data={"kind": "plate", "value": "XYZ-9999", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/me/bindings"


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, platform: Platform) -> None:
    _signed_in(client, platform, Role.CITIZEN)
    response = client.post("/me/bindings", data={"kind": "plate", "value": "ABC-1234"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


def test_an_issued_key_is_shown_once(client: TestClient, platform: Platform) -> None:
    csrf = _signed_in(client, platform, Role.ADMIN)
    with platform.unit_of_work(system_actor("test")) as uow:
        service.create_organisation(
            uow, "SEVEN", service.ROLE_ORGANISATION[Role.PROVIDER], "統一超商"
        )
    page = client.post(
        "/staff/api-keys",
        data={"organisation": "SEVEN", "role": "provider", "label": "櫃檯", "csrf_token": csrf},
    )
    token = re.search(r"sck_[0-9a-f]{12}_[A-Za-z0-9_-]+", page.text)
    assert token is not None
    again = client.get("/staff/api-keys")
    assert token.group(0) not in again.text and token.group(0)[:16] in again.text
    wrong = client.post(
        "/staff/api-keys", data={"organisation": "SEVEN", "role": "citizen", "csrf_token": csrf}
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_key_role"

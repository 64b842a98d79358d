"""identity's pages with a portal session: forms, errors in Chinese, keys shown once."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry, QueuedEntries
from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from smartcity.modules.identity.values import BindingKind
from tests.support.portal import sign_in_staff


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


def test_bank_accounts_and_payment_tokens_are_shown_masked(
    client: TestClient, platform: Platform
) -> None:
    """Money-moving identifiers never appear whole on a page or in an API answer (the audit's
    finding 7 class): only payments' paying paths read them, through identity's service."""
    account, token = "004-12345678901", "tok_visa_4242424242"
    csrf = _signed_in(client, platform, Role.CITIZEN)
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    bound = client.post(
        "/me/bindings", data={"kind": "bank_account", "value": account}, headers=htmx
    )
    assert bound.status_code == 200, bound.text
    assert account not in bound.text and "004-*******8901" in bound.text
    with platform.unit_of_work(system_actor("test")) as uow:
        service.create_organisation(
            uow, "BANK9", service.ROLE_ORGANISATION[Role.PROVIDER], "測試銀行"
        )
        citizen = service.find_citizen(uow.session, platform.keys, "A123456789")
        assert citizen is not None
        api_key = service.issue_api_key(uow, role=Role.CITIZEN, label="t", user=citizen).token
    answer = client.post(
        "/api/v1/identity/me/bindings",
        json={"kind": "payment_method", "value": token, "provider": "BANK9"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["value"] == "*" * (len(token) - 4) + "4242"
    listed = client.get(
        "/api/v1/identity/me/bindings", headers={"Authorization": f"Bearer {api_key}"}
    )
    values = {b["kind"]: b["value"] for b in listed.json()}
    assert values == {"bank_account": "004-*******8901", "payment_method": answer.json()["value"]}
    page = client.get("/me/bindings")
    assert account not in page.text and token not in page.text

    client.cookies.clear()
    with platform.unit_of_work(system_actor("test")) as uow:
        service.ensure_organisation(uow, "DOT", service.ROLE_ORGANISATION[Role.OFFICER])
        officer = service.create_staff(
            uow, role=Role.OFFICER, name="審核", email="o@test.invalid", department_code="DOT"
        )
        session_token, _row = service.open_session(
            uow.session, officer, kind="portal", scope="*", hours=1
        )
    client.cookies.set(SESSION_COOKIE, session_token)
    staff_page = client.get("/staff/bindings")
    assert staff_page.status_code == 200
    assert account not in staff_page.text and "004-*******8901" in staff_page.text


def test_a_reviewer_sees_the_evidence_and_refuses_only_with_a_reason(
    platform: Platform, client: TestClient
) -> None:
    account = "004-12345678901"
    with platform.unit_of_work(system_actor("test")) as uow:
        first = service.register_citizen(uow, platform.keys, national_id="A123456789", name="甲")
        second = service.register_citizen(uow, platform.keys, national_id="B123456780", name="乙")
        service.add_binding(uow, first, kind=BindingKind.PLATE, value="ABC-1234")
        service.decide_binding(uow, service.bindings_of(uow.session, first.id)[0].id, verified=True)
        asked = service.add_binding(uow, second, kind=BindingKind.PLATE, value="abc-1234").id
        money = service.add_binding(uow, second, kind=BindingKind.BANK_ACCOUNT, value=account).id
    csrf = sign_in_staff(platform, client, "DOT")
    listed = client.get("/staff/bindings")
    assert f"/staff/bindings/{asked}" in listed.text and "/decision" not in listed.text

    review = client.get(f"/staff/bindings/{asked}")
    assert review.status_code == 200
    # The plate is already another citizen's: the reviewer is told, with that person masked.
    assert "有其他市民已綁定" in review.text and "甲" in review.text and "A123****89" in review.text
    refused = client.post(
        f"/staff/bindings/{asked}/decision", data={"csrf_token": csrf, "decision": "reject"}
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    done = client.post(
        f"/staff/bindings/{asked}/decision",
        data={"csrf_token": csrf, "decision": "reject", "reason": "車牌已屬他人"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f"/staff/bindings/{asked}" not in client.get("/staff/bindings").text
    again = client.post(
        f"/staff/bindings/{asked}/decision",
        data={"csrf_token": csrf, "decision": "verify"},
    )
    assert again.status_code == 409

    money_page = client.get(f"/staff/bindings/{money}")
    assert account not in money_page.text and "004-*******8901" in money_page.text
    with platform.db.read_session() as session:
        audited = [*session.scalars(select(QueuedEntries.entries))]
        audited += [*session.scalars(select(AuditEntry.change_json))]
    reason = "車牌已屬他人"
    assert any(reason in text or json.dumps(reason)[1:-1] in text for text in audited)

"""Finding 7: payouts need a second person, stay in their department, and mask accounts.

One person makes a batch; another person of the department (or an administrator who did not
make it) approves it before anything is posted, instructed or paid. Payees must fit the
batch's purpose. Accounts are masked in every answer, page and audit entry; only an approved
batch's bank file carries them whole, for the department's officers, and each export is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.identity.values import BindingKind
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import Pay, sign_in
from tests.modules.payments.test_citizens import _bind

PAYOUTS = "/api/v1/payments/payouts"
ACCOUNT = "004-0012345678901"
MASKED = "004-*********8901"


def _citizen_with_account(platform: Platform, actors: Actors) -> tuple[str, str]:
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.BANK_ACCOUNT, ACCOUNT)
    return user_id, token


def _make(
    client: TestClient, headers: dict[str, str], payee: str, amount: int = 1, **extra: Any
) -> Any:
    body = {
        "name": "急難救助",
        "purpose": "subsidy",
        "payees": [{"citizen_id": payee, "amount": amount}],
        **extra,
    }
    return client.post(PAYOUTS, json=body, headers=headers)


def test_the_maker_can_neither_approve_nor_pay_before_a_second_officer_approves(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, _token = _citizen_with_account(platform, actors)
    maker, checker = pay.officer_person("DSW"), pay.officer_person("DSW")
    batch = _make(client, maker, payee).json()
    assert batch["state"] == "awaiting_approval"
    (payout,) = batch["payouts"]
    assert payout["state"] == "pending"
    own = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=maker)
    assert own.status_code == 403 and own.json()["code"] == "maker_cannot_approve"
    early = client.post(f"{PAYOUTS}/results/{payout['id']}", json={"paid": True}, headers=maker)
    assert early.status_code == 409 and early.json()["code"] == "batch_not_approved"
    file = client.get(f"{PAYOUTS}/{batch['id']}/instructions", headers=maker)
    assert file.status_code == 409 and file.json()["code"] == "batch_not_approved"
    balances = client.get("/api/v1/payments/ledger/balances", headers=pay.admin()).json()
    assert balances.get("disbursements:DSW", 0) == 0  # nothing posted yet
    approved = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=checker).json()
    assert approved["state"] == "approved" and approved["decided_by"] != approved["created_by"]
    again = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=checker)
    assert again.status_code == 409 and again.json()["code"] == "batch_decided"
    paid = client.post(f"{PAYOUTS}/results/{payout['id']}", json={"paid": True}, headers=maker)
    assert paid.json()["state"] == "paid"


def test_an_administrator_cannot_make_and_approve_the_same_batch(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, _token = _citizen_with_account(platform, actors)
    admin = pay.admin()
    batch = _make(client, admin, payee, department="DSW").json()
    own = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=admin)
    assert own.status_code == 403 and own.json()["code"] == "maker_cannot_approve"
    second_admin = bearer(actors.token(Role.ADMIN))
    assert client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=second_admin).status_code == 200


def test_a_rejected_batch_pays_nothing(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, token = _citizen_with_account(platform, actors)
    maker, checker = pay.officer_person("DSW"), pay.officer_person("DSW")
    batch = _make(client, maker, payee).json()
    rejected = client.post(
        f"{PAYOUTS}/{batch['id']}/reject", json={"reason": "名冊有誤"}, headers=checker
    ).json()
    assert rejected["state"] == "rejected"
    assert [p["state"] for p in rejected["payouts"]] == ["cancelled"]
    late = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=checker)
    assert late.status_code == 409
    mine = client.get("/api/v1/payments/me/payouts", headers=bearer(token)).json()
    assert [p["state"] for p in mine] == ["cancelled"]


def test_a_departments_machine_key_cannot_make_or_approve_batches(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, _token = _citizen_with_account(platform, actors)
    made = _make(client, pay.officer("DSW"), payee)
    assert made.status_code == 403 and made.json()["code"] == "person_required"
    batch = _make(client, pay.officer_person("DSW"), payee).json()
    approve = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=pay.officer("DSW"))
    assert approve.status_code == 403 and approve.json()["code"] == "person_required"


def test_officers_see_and_act_only_on_their_departments_batches(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, _token = _citizen_with_account(platform, actors)
    batch = _make(client, pay.officer_person("DSW"), payee).json()
    outsider = pay.officer_person("DOT")
    for method, path in (
        ("GET", f"{PAYOUTS}/{batch['id']}"),
        ("POST", f"{PAYOUTS}/{batch['id']}/approve"),
        ("GET", f"{PAYOUTS}/{batch['id']}/instructions"),
    ):
        answer = client.request(method, path, headers=outsider)
        assert answer.status_code == 404 and answer.json()["code"] == "unknown_batch", path
    assert client.get(PAYOUTS, headers=outsider).json() == []
    made_elsewhere = _make(client, outsider, payee, department="DSW")
    assert made_elsewhere.status_code == 201  # an officer's batch is always their own
    assert made_elsewhere.json()["department"] == "DOT"
    listed = client.get(PAYOUTS, params={"state": "awaiting_approval"}, headers=outsider).json()
    assert [b["department"] for b in listed] == ["DOT"]


def test_payees_must_fit_the_purpose(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    maker = pay.officer_person("TWD")
    payer, _token = _citizen_with_account(platform, actors)
    _bind(platform, payer, BindingKind.UTILITY_ACCOUNT, "2-13-045678-9")
    stranger, _other = _citizen_with_account(platform, actors)
    officer_id = client.get("/api/v1/identity/me", headers=maker).json()["id"]
    not_a_citizen = _make(client, maker, officer_id)
    assert not_a_citizen.status_code == 422
    assert not_a_citizen.json()["code"] == "payee_not_allowed"
    bill = pay.issue("TWD-FEE01", 500)  # addressed to the payer's water account
    pay.pay(bill["reference"], 500)
    for payee, amount, status in ((stranger, 1, 422), (payer, 501, 422), (payer, 500, 201)):
        refund = _make(client, maker, payee, amount, purpose="refund")
        assert refund.status_code == status, (payee == payer, amount, refund.text)
    # What was already paid back counts: a second refund of the same money is refused.
    twice = _make(client, maker, payer, 1, purpose="refund")
    assert twice.status_code == 422 and twice.json()["code"] == "payee_not_allowed"


def test_accounts_are_masked_except_in_the_approved_batchs_audited_bank_file(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    payee, token = _citizen_with_account(platform, actors)
    maker, checker = pay.officer_person("DSW"), pay.officer_person("DSW")
    batch = _make(client, maker, payee, 5000).json()
    approved = client.post(f"{PAYOUTS}/{batch['id']}/approve", headers=checker).json()
    read = client.get(f"{PAYOUTS}/{batch['id']}", headers=maker).json()
    mine = client.get("/api/v1/payments/me/payouts", headers=bearer(token)).json()
    for payout in (batch["payouts"][0], approved["payouts"][0], read["payouts"][0], mine[0]):
        assert payout["account"] == MASKED
    sign_in(platform, client, payee)
    page = client.get("/me/payments").text
    assert MASKED in page and ACCOUNT not in page
    client.cookies.clear()
    admin_file = client.get(f"{PAYOUTS}/{batch['id']}/instructions", headers=pay.admin())
    assert admin_file.status_code == 403
    file = client.get(f"{PAYOUTS}/{batch['id']}/instructions", headers=checker)
    assert file.status_code == 200 and f"{ACCOUNT},5000" in file.text
    session = platform.db.read_session()
    try:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.change_json).where(
                AuditEntry.action.like("payments.%")
            )
        ).all()
    finally:
        session.close()
    assert "payments.payout_batch.exported" in {action for action, _change in entries}
    assert not [change for _action, change in entries if "0012345678901" in change]

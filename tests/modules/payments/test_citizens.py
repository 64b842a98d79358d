"""The citizen's e-ledger, the sandbox's hosted page, receipts, parking autopay and payouts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import BindingKind, OrganisationKind
from smartcity.modules.payments import service as payments
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import Pay, sign_in


def _bind(platform: Platform, user_id: str, kind: BindingKind, value: str, **extra) -> uuid.UUID:  # type: ignore[no-untyped-def]
    with platform.unit_of_work(system_actor("test")) as uow:
        if extra.get("provider_code"):
            identity.ensure_organisation(uow, extra["provider_code"], OrganisationKind.PROVIDER)
        user = identity.get_user(uow.session, user_id)
        binding = identity.add_binding(uow, user, kind=kind, value=value, **extra)
        identity.decide_binding(uow, binding.id, verified=True, reason="test")
        return binding.id


def test_e_ledger_reaches_bound_identifiers(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, "KLM-5678")
    by_plate = pay.issue("PMO-FEE01", 60, payer={"plate": "KLM-5678"})
    by_id = pay.issue("TRSO-TAX02", 3000, payer={"citizen_id": user_id})
    pay.issue("PMO-FEE01", 60, payer={"plate": "ZZZ-0001"})  # someone else's car
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    assert {b["reference"] for b in mine} == {by_plate["reference"], by_id["reference"]}
    # A duplicate payment shows the citizen the refund that is due, then the refund.
    pay.pay(by_plate["reference"], 60)
    duplicate = pay.pay(by_plate["reference"], 60, provider="TFB").json()
    mine = {
        b["reference"]: b
        for b in client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    }
    assert [p["refund_due"] for p in mine[by_plate["reference"]]["payments"]] == [0, 60]
    client.post(
        f"/api/v1/payments/payments/{duplicate['id']}/refunds", json={}, headers=pay.officer("PMO")
    )
    mine = {
        b["reference"]: b
        for b in client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    }
    assert [r["amount"] for r in mine[by_plate["reference"]]["refunds"]] == [60]


def test_e_ledger_reads_as_many_statements_for_many_bills_as_for_one(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    user_id, token = actors.citizen()

    def my_bills() -> tuple[list[dict[str, Any]], int]:
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "payments_" in statement:  # not the credential's checks, which vary with time
                statements.append(statement)

        event.listen(platform.db.engine, "before_cursor_execute", count)
        try:
            response = client.get("/api/v1/payments/me/bills", headers=bearer(token))
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.text
        return response.json(), len(statements)

    first = pay.issue("TRSO-TAX02", 3000, payer={"citizen_id": user_id})
    pay.pay(first["reference"], 3000)
    shown, for_one = my_bills()
    assert len(shown) == 1
    for item, amount in (("PMO-FEE01", 60), ("TRSO-TAX02", 1200), ("PMO-FEE01", 60)):
        bill = pay.issue(item, amount, payer={"citizen_id": user_id})
        pay.pay(bill["reference"], amount)
        pay.pay(bill["reference"], amount, provider="TFB")  # a duplicate, refunded below
    duplicate = my_bills()[0][0]["payments"][1]
    client.post(
        f"/api/v1/payments/payments/{duplicate['id']}/refunds", json={}, headers=pay.officer("PMO")
    )
    shown, for_four = my_bills()
    assert [len(b["payments"]) for b in shown] == [2, 2, 2, 1]
    assert [len(b["refunds"]) for b in shown] == [1, 0, 0, 0]
    assert shown[0]["refunds"][0]["payment_id"] == duplicate["id"]
    assert for_four == for_one


def test_hosted_sandbox_page_pays_asynchronously(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    from smartcity.modules.payments.settings import PaymentsSettings

    platform.module_settings["payments"] = PaymentsSettings(sandbox_max_delay_ms=0)
    user_id, _token = actors.citizen()
    bill = pay.issue("TRSO-TAX01", 1234, payer={"citizen_id": user_id})
    csrf = sign_in(platform, client, user_id)
    ledger_page = client.get("/me/payments")
    assert ledger_page.status_code == 200 and bill["reference"] in ledger_page.text
    hosted = client.get(f"/payments/sandbox/{bill['id']}")
    assert hosted.status_code == 200 and "1,234" in hosted.text
    confirmed = client.post(
        f"/payments/sandbox/{bill['id']}", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    # The callback arrived (the test client runs background work before answering): the bill
    # page says it is paid and offers nothing more to pay, after a reload too.
    for _reload in range(2):
        detail = client.get(confirmed.headers["location"])
        assert detail.status_code == 200 and "已繳清" in detail.text
        assert f"/payments/sandbox/{bill['id']}" not in detail.text
        assert "TWQR" not in detail.text and 'class="qr"' not in detail.text
    page = client.get("/me/payments")
    assert "已銷帳" in page.text
    payment_id = client.get(
        f"/api/v1/payments/bills/{bill['reference']}", headers=pay.provider("SANDBOX")
    ).json()
    assert payment_id["status"] == "written_off"
    receipt_link = page.text.split("/me/payments/receipts/")[1].split('"')[0]
    receipt = client.get(f"/me/payments/receipts/{receipt_link}")
    assert receipt.status_code == 200 and f"{bill['reference']}-01" in receipt.text
    assert "data-print" in receipt.text


def test_a_payment_on_its_way_is_not_offered_again(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    from smartcity.modules.payments import sandbox

    user_id, _token = actors.citizen()
    bill = pay.issue("TRSO-TAX01", 700, payer={"citizen_id": user_id})
    csrf = sign_in(platform, client, user_id)
    session = platform.db.read_session()
    try:
        principal = identity.principal_for_user(
            session,
            identity.get_user(session, user_id),
            scopes=frozenset({"*"}),
            credential="session",
        )
    finally:
        session.close()
    with platform.unit_of_work(principal) as uow:
        sandbox.start(uow, platform, uuid.UUID(bill["id"]))  # its callback is not delivered
    page = client.get(f"/me/payments/bills/{bill['id']}")
    assert page.status_code == 200 and "付款已送出" in page.text
    assert f"/payments/sandbox/{bill['id']}" not in page.text and "TWQR" not in page.text
    again = client.post(
        f"/payments/sandbox/{bill['id']}",
        data={"csrf_token": csrf},
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and again.json()["code"] == "payment_on_the_way"
    assert sandbox.deliver_pending(platform, force=True) >= 1
    paid = client.get(f"/me/payments/bills/{bill['id']}")
    assert "已繳清" in paid.text and "付款已送出" not in paid.text


def test_receipts_are_numbered_in_the_order_payments_were_recorded(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    from smartcity.modules.payments import receipts

    user_id, _token = actors.citizen()
    bill = pay.issue("TRSO-TAX01", 500, payer={"citizen_id": user_id})
    for txn in ("T-1", "T-2", "T-3"):  # the second and third are owed back
        pay.pay(bill["reference"], 500, txn=txn)
    session = platform.db.read_session()
    try:
        numbers = receipts.receipt_numbers(session, uuid.UUID(bill["id"]), bill["reference"])
        ordered = [payment.id for payment in _payments_in_order(session, bill["id"])]
    finally:
        session.close()
    assert [numbers[i] for i in ordered] == [f"{bill['reference']}-0{n}" for n in (1, 2, 3)]


def test_parking_autopay(pay: Pay, client: TestClient, platform: Platform, actors: Actors) -> None:
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, "RAA-1234")
    card = _bind(
        platform, user_id, BindingKind.PAYMENT_METHOD, "tok_ok_4242", provider_code="SANDBOX"
    )
    failing = _bind(
        platform, user_id, BindingKind.PAYMENT_METHOD, "fail_0000", provider_code="SANDBOX"
    )
    bound = client.post(
        "/api/v1/payments/me/autopay",
        json={"plate": "RAA-1234", "payment_method_binding_id": str(card)},
        headers=bearer(token),
    )
    assert bound.status_code == 201, bound.text
    assert bound.json()["effective_from"] == (local_today() + timedelta(days=1)).isoformat()
    not_mine = client.post(
        "/api/v1/payments/me/autopay",
        json={"plate": "XYZ-9999", "payment_method_binding_id": str(card)},
        headers=bearer(token),
    )
    assert not_mine.status_code == 422 and not_mine.json()["code"] == "plate_not_bound"
    car_park = pay.car_park()
    exit_body = {
        "plate": "RAA-1234",
        "car_park": "市府轉運站停車場",
        "amount": 120,
        "exited_at": datetime.now(UTC).isoformat(),
    }
    today = client.post("/api/v1/payments/parking/exits", json=exit_body, headers=car_park).json()
    assert today["charged"] is False and today["bill"]["status"] == "open"  # not yet effective
    tomorrow = {**exit_body, "exited_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    charged = client.post("/api/v1/payments/parking/exits", json=tomorrow, headers=car_park).json()
    assert charged["charged"] is True and charged["bill"]["status"] == "written_off"
    assert (
        client.get(
            f"/api/v1/payments/bills/{charged['bill']['reference']}", headers=pay.officer("PMO")
        ).json()["status"]
        == "written_off"
    )
    # Switch to a method that fails: the exit leaves a normal open bill.
    client.post(
        "/api/v1/payments/me/autopay",
        json={
            "plate": "RAA-1234",
            "payment_method_binding_id": str(failing),
            "effective_from": local_today().isoformat(),
        },
        headers=bearer(token),
    )
    declined = client.post(
        "/api/v1/payments/parking/exits", json=exit_body, headers=car_park
    ).json()
    assert declined["charged"] is False and "declined" in declined["reason"]
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    assert sorted(b["status"] for b in mine) == ["open", "open", "written_off"]


def test_payouts(pay: Pay, client: TestClient, platform: Platform, actors: Actors) -> None:
    with_account, token = actors.citizen()
    without_account, other_token = actors.citizen()
    _bind(platform, with_account, BindingKind.BANK_ACCOUNT, "004-0012345678901")
    maker, checker = pay.officer_person("DSW"), pay.officer_person("DSW")
    created = client.post(
        "/api/v1/payments/payouts",
        json={
            "name": "低收入戶學生補助 115-1",
            "purpose": "subsidy",
            "payees": [
                {"citizen_id": with_account, "amount": 5000},
                {"citizen_id": without_account, "amount": 5000},
            ],
        },
        headers=maker,
    )
    assert created.status_code == 201, created.text
    batch = created.json()
    assert (batch["state"], batch["total"]) == ("awaiting_approval", 5000)
    states = sorted(p["state"] for p in batch["payouts"])
    assert states == ["no_account", "pending"]
    approved = client.post(f"/api/v1/payments/payouts/{batch['id']}/approve", headers=checker)
    assert approved.status_code == 200, approved.text
    batch = approved.json()
    assert batch["state"] == "approved"
    assert sorted(p["state"] for p in batch["payouts"]) == ["instructed", "no_account"]
    instructions = client.get(
        f"/api/v1/payments/payouts/{batch['id']}/instructions", headers=checker
    ).text
    assert "004-0012345678901,5000" in instructions
    assert (
        client.get(
            f"/api/v1/payments/payouts/{batch['id']}", headers=pay.officer("DOT")
        ).status_code
        == 404
    )
    instructed = next(p for p in batch["payouts"] if p["state"] == "instructed")
    result = client.post(
        f"/api/v1/payments/payouts/results/{instructed['id']}",
        json={"paid": True},
        headers=pay.officer("DSW"),
    )
    assert result.json()["state"] == "paid"
    again = client.post(
        f"/api/v1/payments/payouts/results/{instructed['id']}",
        json={"paid": False},
        headers=pay.officer("DSW"),
    )
    assert again.status_code == 409
    mine = client.get("/api/v1/payments/me/payouts", headers=bearer(token)).json()
    assert [(p["amount"], p["state"]) for p in mine] == [(5000, "paid")]
    theirs = client.get("/api/v1/payments/me/payouts", headers=bearer(other_token)).json()
    assert [p["state"] for p in theirs] == ["no_account"]
    balances = client.get("/api/v1/payments/ledger/balances", headers=pay.admin()).json()
    assert balances["disbursements:DSW"] == 5000 and balances["payouts_payable:DSW"] == 0
    assert client.get("/api/v1/payments/ledger/check", headers=pay.admin()).json()["ok"]


def test_console_pages(pay: Pay, client: TestClient, platform: Platform) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        identity.ensure_organisation(uow, "TWD", OrganisationKind.DEPARTMENT)
        officer = identity.create_staff(
            uow, role=Role.OFFICER, name="o", email="o@twd.invalid", department_code="TWD"
        )
        officer_id = str(officer.id)
    bill = pay.issue("TWD-FEE01", 486)
    pay.pay(bill["reference"], 486)
    pay.pay(bill["reference"], 486, provider="TFB")
    sign_in(platform, client, officer_id)
    console = client.get("/staff/payments")
    with platform.db.read_session() as session:
        item_name = payments.get_item(session, "TWD-FEE01").name
    # The money flow names its items (and the department) in words, not by code.
    assert console.status_code == 200 and "<svg" in console.text and item_name in console.text
    assert "TWD-FEE01" not in console.text
    for path in ("items", "bills", "payments", "exceptions", "reconciliation"):
        page = client.get(f"/staff/payments/{path}")
        assert page.status_code == 200, path
    assert "重複繳費" in client.get("/staff/payments/exceptions").text
    csv_text = client.get("/staff/payments/reconciliation.csv").text
    assert csv_text.splitlines()[1].split(",")[1] == "TWD"
    printable = client.get(f"/staff/payments/bills/{bill['id']}")
    assert printable.status_code == 200 and bill["reference"] in printable.text


def _payments_in_order(session, bill_id: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from smartcity.modules.payments.models import Payment

    return session.scalars(
        select(Payment)
        .where(Payment.bill_id == uuid.UUID(bill_id))
        .order_by(Payment.recorded_at, Payment.id)
    ).all()

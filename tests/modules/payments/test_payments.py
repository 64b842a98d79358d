"""The provider API: idempotency, money never refused, exceptions, refunds, the ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from smartcity.modules.payments import ledger
from tests.conftest import bearer
from tests.modules.payments.conftest import Pay


def _ledger_ok(platform: Platform) -> ledger.LedgerReport:
    session = platform.db.read_session()
    try:
        report = ledger.check(session)
    finally:
        session.close()
    assert report.ok, report
    return report


def test_idempotency_key_semantics(pay: Pay, client: TestClient, platform: Platform) -> None:
    bill = pay.issue("TWD-FEE01", 486)
    key = uuid.uuid4().hex
    paid_at = datetime.now(UTC)
    first = pay.pay(bill["reference"], 486, key=key, txn="BOT-1", paid_at=paid_at)
    assert first.status_code == 201, first.text
    payment = first.json()
    assert payment["flag"] == "none" and payment["bill_status"] == "written_off"
    again = pay.pay(bill["reference"], 486, key=key, txn="BOT-1", paid_at=paid_at)
    assert again.status_code == 200 and again.json()["id"] == payment["id"]
    different = pay.pay(bill["reference"], 487, key=key, txn="BOT-1", paid_at=paid_at)
    assert different.status_code == 409
    assert different.json()["code"] == "idempotency_key_reused"
    # The key decides before the reference: one that names no bill is still a different body.
    unknown = pay.pay("1151234567890127", 486, key=key, txn="BOT-1", paid_at=paid_at)
    assert unknown.status_code == 409
    assert unknown.json()["code"] == "idempotency_key_reused"
    # A request refused for its unknown reference does not use up its key.
    fresh = uuid.uuid4().hex
    assert pay.pay("1151234567890127", 486, key=fresh, txn="BOT-2").status_code == 404
    second = pay.issue("TWD-FEE01", 486)
    assert pay.pay(second["reference"], 486, key=fresh, txn="BOT-2").status_code == 201
    # Another provider's identical key is a different key.
    other = pay.pay(bill["reference"], 486, provider="TFB", key=key, txn="BOT-1", paid_at=paid_at)
    assert other.status_code == 201 and other.json()["flag"] == "duplicate"
    _ledger_ok(platform)


def test_missing_key_and_bad_bodies_are_problems(pay: Pay, client: TestClient) -> None:
    bill = pay.issue("TWD-FEE01", 486)
    body = {
        "reference": bill["reference"],
        "amount": 486,
        "channel": "bank",
        "provider_txn_id": "x",
        "paid_at": datetime.now(UTC).isoformat(),
    }
    no_key = client.post("/api/v1/payments/payments", json=body, headers=pay.provider())
    assert no_key.status_code == 422
    for change, code in (
        ({"amount": 0}, "validation_error"),
        ({"amount": -5}, "validation_error"),
        ({"amount": 10**13}, "validation_error"),
        ({"reference": "1151234567890127"}, "unknown_reference"),
        ({"reference": "1151234567890128"}, "invalid_check_digit"),
        ({"channel": "pigeon"}, "validation_error"),
    ):
        response = client.post(
            "/api/v1/payments/payments",
            json={**body, **change},
            headers={**pay.provider(), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code in (404, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


def test_money_is_never_refused(pay: Pay, client: TestClient, platform: Platform) -> None:
    paid_twice = pay.issue("TWD-FEE01", 500)
    assert pay.pay(paid_twice["reference"], 500, provider="711", channel="store").status_code == 201
    duplicate = pay.pay(paid_twice["reference"], 500, provider="LINEPAY", channel="wallet").json()
    assert duplicate["flag"] == "duplicate" and duplicate["refund_due"] == 500

    over = pay.issue("TWD-FEE01", 500)
    overpaid = pay.pay(over["reference"], 650).json()
    assert (overpaid["flag"], overpaid["applied"], overpaid["refund_due"]) == ("overpaid", 500, 150)
    assert overpaid["bill_status"] == "written_off"

    under = pay.issue("TWD-FEE01", 500)
    underpaid = pay.pay(under["reference"], 200).json()
    assert (underpaid["flag"], underpaid["refund_due"], underpaid["bill_status"]) == (
        "underpaid",
        200,
        "open",
    )

    late_bill = pay.issue("TWD-FEE01", 500)
    late = pay.pay(
        late_bill["reference"], 500, paid_at=datetime.now(UTC) + timedelta(days=40)
    ).json()
    assert (late["flag"], late["refund_due"], late["bill_status"]) == ("late", 500, "expired")

    queue = client.get("/api/v1/payments/exceptions", headers=pay.officer("TWD")).json()
    assert {p["flag"] for p in queue} == {"duplicate", "overpaid", "underpaid", "late"}
    assert client.get("/api/v1/payments/exceptions", headers=pay.officer("DOT")).json() == []
    report = _ledger_ok(platform)
    assert report.debits == 500 + 500 + 650 + 200 + 500


def test_partial_payments_settle_taxes_in_parts(
    pay: Pay, client: TestClient, platform: Platform
) -> None:
    tax = pay.issue("TRSO-TAX01", 9000)
    assert "D1=900000&" in tax["twqr"]
    first = pay.pay(tax["reference"], 4000).json()
    assert (first["flag"], first["bill_status"]) == ("none", "open")
    # The TWQR code now asks for what is left.
    left = client.get(f"/api/v1/payments/bills/{tax['reference']}", headers=pay.provider())
    assert "D1=500000&" in left.json()["twqr"]
    second = pay.pay(tax["reference"], 5000).json()
    assert second["bill_status"] == "written_off"
    _ledger_ok(platform)


def test_refunds(pay: Pay, client: TestClient, platform: Platform) -> None:
    bill = pay.issue("TWD-FEE01", 500)
    pay.pay(bill["reference"], 500)
    duplicate = pay.pay(bill["reference"], 500, provider="TFB").json()
    url = f"/api/v1/payments/payments/{duplicate['id']}/refunds"
    wrong_provider = client.post(url, json={}, headers=pay.provider("BOT"))
    assert wrong_provider.status_code == 404
    other_department = client.post(url, json={}, headers=pay.officer("DOT"))
    assert other_department.status_code == 403
    too_much = client.post(url, json={"amount": 501}, headers=pay.officer("TWD"))
    assert too_much.status_code == 409 and too_much.json()["code"] == "refund_exceeds_payment"
    refund = client.post(url, json={"reason": "paid twice"}, headers=pay.officer("TWD"))
    assert refund.status_code == 201 and refund.json()["amount"] == 500
    after = client.get(f"/api/v1/payments/payments/{duplicate['id']}", headers=pay.provider("TFB"))
    assert after.json()["exception_state"] == "refunded" and after.json()["refunded"] == 500
    assert client.get("/api/v1/payments/exceptions", headers=pay.officer("TWD")).json() == []
    nothing_left = client.post(url, json={}, headers=pay.provider("TFB"))
    assert nothing_left.status_code == 409
    fine = pay.issue("DOT-FINE01", None)
    fine_payment = pay.pay(fine["reference"], 900).json()
    refused = client.post(
        f"/api/v1/payments/payments/{fine_payment['id']}/refunds",
        json={},
        headers=pay.officer("DOT"),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_refundable"
    _ledger_ok(platform)


def test_resolving_an_exception(pay: Pay, client: TestClient) -> None:
    bill = pay.issue("TWD-FEE01", 500)
    under = pay.pay(bill["reference"], 100).json()
    resolved = client.post(
        f"/api/v1/payments/exceptions/{under['id']}/resolve",
        json={"note": "applied to next bill by the counter"},
        headers=pay.officer("TWD"),
    )
    assert resolved.json()["exception_state"] == "resolved"


def test_ledger_is_immutable_and_cli_check(pay: Pay, platform: Platform, cli) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from smartcity.core.auth import system_actor
    from smartcity.modules.payments.models import LedgerEntry, LedgerIsImmutable

    bill = pay.issue("TWD-FEE01", 500)
    pay.pay(bill["reference"], 500)
    with pytest.raises(LedgerIsImmutable), platform.unit_of_work(system_actor("t")) as uow:
        entry = uow.session.query(LedgerEntry).first()
        assert entry is not None
        entry.debit += 1
        uow.audit("tamper", "x", 1, {})
    with pytest.raises(ledger.UnbalancedPosting):
        ledger.post(
            platform.db.read_session(),
            ledger.EntryKind.PAYMENT,
            "x",
            [ledger.debit("a:b", 5), ledger.credit("c:d", 4)],
        )
    code, out, _err = cli("payments", "ledger", "check")
    assert code == 0, out
    assert "ok: the ledger balances" in out


def test_ledger_check_finds_a_paid_bill_without_postings(pay: Pay, platform: Platform) -> None:
    from smartcity.core.auth import system_actor
    from smartcity.modules.payments.models import Bill

    bill = pay.issue("TWD-FEE01", 500)
    with platform.unit_of_work(system_actor("t")) as uow:
        row = uow.session.get(Bill, uuid.UUID(bill["id"]))
        assert row is not None
        row.status = "paid"  # a broken writer that skipped the ledger
        uow.audit("tamper", "bill", row.id, {})
    session = platform.db.read_session()
    report = ledger.check(session)
    session.close()
    assert not report.ok and report.bills_without_postings == [bill["reference"]]


def test_provider_registration_and_department_subscription(pay: Pay, client: TestClient) -> None:
    registered = client.put(
        "/api/v1/payments/providers/BOT",
        json={"channels": ["bank", "card"], "fee": 5, "webhook_url": "http://127.0.0.1:9/x"},
        headers=pay.admin(),
    )
    assert registered.status_code == 200 and len(registered.json()["webhook_secret"]) == 64
    subscribed = client.put(
        "/api/v1/payments/subscription",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=pay.officer("TWD"),
    )
    assert subscribed.json()["organisation"] == "TWD"
    bill = pay.issue("TWD-FEE01", 500)
    pay.pay(bill["reference"], 500)
    log = client.get("/api/v1/payments/webhooks/deliveries", headers=pay.officer("TWD")).json()
    assert [d["event"] for d in log] == ["payment.recorded"]
    balances = client.get(
        "/api/v1/payments/ledger/balances",
        params={"prefix": "provider_fees"},
        headers=pay.admin(),
    ).json()
    assert balances == {"provider_fees:BOT": 5}
    assert client.get("/api/v1/payments/ledger/check", headers=pay.admin()).json()["ok"]
    _ = bearer

"""The catalogue and bills: issuing, numbers, look-ups, who may see what, the state table."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.time import local_today
from smartcity.modules.payments import codes, states
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.values import BillState
from tests.conftest import bearer
from tests.modules.payments.conftest import Pay


def test_demo_catalogue_is_large_and_spans_departments() -> None:
    from smartcity.modules.identity.seed import DEPARTMENTS

    rows = catalogue()
    departments = {row["department"] for row in rows}
    assert len(rows) >= 200
    assert len(departments) >= 20
    assert departments <= {code for code, _zh, _en in DEPARTMENTS}


def test_public_catalogue(pay: Pay, client: TestClient) -> None:
    items = client.get("/api/v1/payments/items").json()
    assert len(items) >= 200
    first = items[0]
    assert {"code", "name", "kind", "department"} <= set(first)
    water = client.get("/api/v1/payments/items", params={"department": "TWD"}).json()
    assert water and all(i["department"] == "TWD" for i in water)
    assert client.get("/api/v1/payments/items/NOPE").json()["code"] == "unknown_item"


def test_issue_a_bill_with_every_number(pay: Pay, client: TestClient) -> None:
    bill = pay.issue("TWD-FEE01", 486)
    assert bill["status"] == "open"
    reference = bill["reference"]
    assert len(reference) == 16 and codes.check_write_off_number(reference)
    seg1, seg2, seg3 = bill["barcode"]
    assert seg2 == reference
    parsed = codes.parse_barcode(seg1, seg2, seg3)
    assert parsed.amount == 486 and parsed.due.isoformat() == bill["due_date"]
    assert codes.check_virtual_account(bill["virtual_account"])
    assert bill["twqr"].startswith("TWQRP://")
    for ref in (reference, seg2, bill["virtual_account"]):
        found = client.get(f"/api/v1/payments/bills/{ref}", headers=pay.provider())
        assert found.status_code == 200 and found.json()["id"] == bill["id"]


def test_officers_issue_and_see_only_their_departments_bills(pay: Pay, client: TestClient) -> None:
    body = {
        "item_code": "TWD-FEE01",
        "amount": 100,
        "due_date": (local_today() + timedelta(days=3)).isoformat(),
        "payer": {"plate": "ABC-1234"},
    }
    refused = client.post("/api/v1/payments/bills", json=body, headers=pay.officer("DOT"))
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_department"
    bill = pay.issue("TWD-FEE01", 100)
    other = client.get(f"/api/v1/payments/bills/{bill['reference']}", headers=pay.officer("DOT"))
    assert other.status_code == 403
    mine = client.get(f"/api/v1/payments/bills/{bill['reference']}", headers=pay.officer("TWD"))
    assert mine.status_code == 200


def test_fixed_amounts_bad_payers_and_dates(pay: Pay, client: TestClient) -> None:
    fine = pay.issue("DOT-FINE01", None)
    assert fine["amount"] == 900
    due = (local_today() + timedelta(days=3)).isoformat()
    cases = [
        (
            {"item_code": "DOT-FINE01", "amount": 1, "due_date": due, "payer": {"plate": "A-1"}},
            "invalid_amount",
        ),
        (
            {
                "item_code": "TWD-FEE01",
                "amount": 5,
                "due_date": "2000-01-01",
                "payer": {"plate": "ABC-1234"},
            },
            "invalid_due_date",
        ),
        ({"item_code": "TWD-FEE01", "amount": 5, "due_date": due, "payer": {}}, "invalid_payer"),
        (
            {
                "item_code": "TWD-FEE01",
                "amount": 5,
                "due_date": due,
                "payer": {"citizen_id": "nobody"},
            },
            "unknown_citizen",
        ),
        (
            {
                "item_code": "TWD-FEE01",
                "amount": 0,
                "due_date": due,
                "payer": {"plate": "ABC-1234"},
            },
            "validation_error",
        ),
        (
            {
                "item_code": "TWD-FEE01",
                "amount": 10**12,
                "due_date": due,
                "payer": {"plate": "ABC-1234"},
            },
            "validation_error",
        ),
    ]
    for body, code in cases:
        department = body["item_code"].split("-")[0]
        response = client.post("/api/v1/payments/bills", json=body, headers=pay.officer(department))
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


def test_lookup_errors_are_clear(pay: Pay, client: TestClient) -> None:
    headers = pay.provider()
    assert client.get("/api/v1/payments/bills/123", headers=headers).json()["code"] == (
        "invalid_write_off_number"
    )
    assert (
        client.get("/api/v1/payments/bills/1151234567890128", headers=headers).json()["code"]
        == "invalid_check_digit"
    )
    unknown = client.get("/api/v1/payments/bills/1151234567890127", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_reference"


def test_citizens_see_their_own_bills_only(pay: Pay, client: TestClient, actors) -> None:  # type: ignore[no-untyped-def]
    user_id, token = actors.citizen()
    _other, other_token = actors.citizen()
    bill = pay.issue("TRSO-TAX01", 8000, payer={"citizen_id": user_id})
    own = client.get(f"/api/v1/payments/bills/{bill['reference']}", headers=bearer(token))
    assert own.status_code == 200
    hidden = client.get(f"/api/v1/payments/bills/{bill['reference']}", headers=bearer(other_token))
    assert hidden.status_code == 404
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    assert [b["reference"] for b in mine] == [bill["reference"]]
    assert client.get("/api/v1/payments/me/bills", headers=bearer(other_token)).json() == []


def test_cancel_and_bulk_import(pay: Pay, client: TestClient) -> None:
    bill = pay.issue("TWD-FEE01", 300)
    cancelled = client.post(
        f"/api/v1/payments/bills/{bill['id']}/cancel",
        json={"reason": "typo"},
        headers=pay.officer("TWD"),
    )
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(
        f"/api/v1/payments/bills/{bill['id']}/cancel", json={}, headers=pay.officer("TWD")
    )
    assert again.status_code == 409 and again.json()["code"] == "illegal_bill_transition"
    due = (local_today() + timedelta(days=20)).isoformat()
    text = "item_code,amount,due_date,payer_kind,payer_value\n" + "".join(
        f"TWD-FEE01,{100 + i},{due},account_number,2-13-04567{i}-9\n" for i in range(5)
    )
    imported = client.post(
        "/api/v1/payments/bills/import",
        content=text.encode(),
        headers={**pay.officer("TWD"), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 201 and imported.json()["issued"] == 5
    bad = client.post(
        "/api/v1/payments/bills/import",
        content=b"nonsense\n",
        headers={**pay.officer("TWD"), "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_file"


def test_transition_table_is_explicit_and_drawable() -> None:
    assert states.can_move(BillState.OPEN, BillState.PAID)
    assert states.can_move(BillState.PAID, BillState.WRITTEN_OFF)
    assert not states.can_move(BillState.WRITTEN_OFF, BillState.OPEN)
    assert not states.can_move(BillState.CANCELLED, BillState.PAID)
    dot = states.as_dot()
    assert '"open" -> "paid"' in dot and "doublecircle" in dot


def test_role_rules(pay: Pay, client: TestClient) -> None:
    citizen = bearer(pay.token(Role.CITIZEN))
    assert client.post("/api/v1/payments/bills", json={}, headers=citizen).status_code == 403
    assert (
        client.post("/api/v1/payments/payments", json={}, headers=pay.officer("TWD")).status_code
        == 403
    )

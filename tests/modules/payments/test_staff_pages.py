"""The department console's forms: the same services as the API, refusals as pages, not 500s."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.payments import service as payments
from tests.modules.payments.conftest import Pay
from tests.support.portal import sign_in_staff


def _owed_back(platform: Platform, bill_id: str) -> str:
    """The id of the bill's payment that is owed back."""
    with platform.db.read_session() as session:
        owed = [p for p in payments.payments_of_bill(session, uuid.UUID(bill_id)) if p.refund_due]
    assert len(owed) == 1
    return str(owed[0].id)


def _issue_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "item_code": "TWD-FEE01",
        "amount": "640",
        "due_date": (local_today() + timedelta(days=20)).isoformat(),
        "payer_kind": "account_number",
        "payer_value": "2-13-045678-9",
        "description": "十二月水費",
    }
    return {**form, **changes}


def test_an_officer_issues_a_bill_from_the_form(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    csrf = sign_in_staff(platform, client, "TWD")
    form = client.get("/staff/payments/bills")
    assert form.status_code == 200 and 'name="item_code"' in form.text
    issued = client.post("/staff/payments/bills", data=_issue_form(csrf), follow_redirects=False)
    assert issued.status_code == 303
    page = client.get(issued.headers["location"])
    assert page.status_code == 200
    assert "NT$640" in page.text and "十二月水費" in page.text
    listed = client.get("/staff/payments/bills?status=open")
    assert page.url.path.rsplit("/", 1)[1] in listed.text


def test_a_refused_bill_is_a_page_with_the_reason_not_a_500(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    csrf = sign_in_staff(platform, client, "TWD")
    cases = [
        ({"due_date": "next week"}, 422, "YYYY-MM-DD"),
        ({"amount": "-5"}, 422, "整數"),
        ({"payer_kind": "national_id", "payer_value": "Z999999999"}, 422, None),
        ({"payer_kind": "national_id", "payer_value": "B123456780"}, 422, None),
        ({"item_code": "DOT-PARKING-999"}, 404, None),
    ]
    for change, status, shown in cases:
        page = client.post("/staff/payments/bills", data=_issue_form(csrf, **change))
        assert page.status_code == status, (change, page.text[:300])
        assert 'role="alert"' in page.text
        if shown:
            assert shown in page.text
        # What the officer typed is kept for the next try.
        assert "十二月水費" in page.text
    # An item of another department is refused with the department code.
    other = client.post("/staff/payments/bills", data=_issue_form(csrf, item_code="DOT-FINE01"))
    assert other.status_code in (403, 404)


def test_an_officer_cancels_their_departments_bill_and_no_other(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    bill = pay.issue("TWD-FEE01", 500)
    csrf = sign_in_staff(platform, client, "DOF")
    refused = client.post(
        f"/staff/payments/bills/{bill['id']}/cancel", data={"csrf_token": csrf, "reason": "x"}
    )
    assert refused.status_code == 403
    csrf = sign_in_staff(platform, client, "TWD")
    page = client.get(f"/staff/payments/bills/{bill['id']}")
    assert f"/staff/payments/bills/{bill['id']}/cancel" in page.text
    cancelled = client.post(
        f"/staff/payments/bills/{bill['id']}/cancel",
        data={"csrf_token": csrf, "reason": "重複開立"},
    )
    assert cancelled.status_code == 200
    assert re.search(
        r'data-testid="bill-status">已註銷|data-testid="bill-status">[^<]+', cancelled.text
    )
    assert "/cancel" not in cancelled.text
    again = client.post(
        f"/staff/payments/bills/{bill['id']}/cancel", data={"csrf_token": csrf, "reason": "x"}
    )
    assert again.status_code == 409 and 'role="alert"' in again.text
    bills = client.get("/api/v1/payments/bills?status=cancelled", headers=pay.officer("TWD")).json()
    assert [b["id"] for b in bills] == [bill["id"]]


def test_an_exception_is_refunded_or_closed_with_a_reason(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    first, second = pay.issue("TWD-FEE01", 300), pay.issue("TWD-FEE01", 400)
    for bill in (first, second):
        assert pay.pay(bill["reference"], bill["amount"]).status_code == 201
        assert pay.pay(bill["reference"], bill["amount"]).status_code == 201
    csrf = sign_in_staff(platform, client, "TWD")
    queue = client.get("/staff/payments/exceptions")
    assert queue.text.count("/refund") == 2
    first_twin, second_twin = (_owed_back(platform, bill["id"]) for bill in (first, second))
    refunded = client.post(
        f"/staff/payments/payments/{first_twin}/refund",
        data={"csrf_token": csrf, "back": "exceptions", "amount": "300", "reason": "重複繳納"},
        follow_redirects=False,
    )
    assert refunded.status_code == 303
    unexplained = client.post(
        f"/staff/payments/exceptions/{second_twin}/resolve",
        data={"csrf_token": csrf, "note": " "},
    )
    assert unexplained.status_code == 422 and 'role="alert"' in unexplained.text
    closed = client.post(
        f"/staff/payments/exceptions/{second_twin}/resolve",
        data={"csrf_token": csrf, "note": "民眾同意轉抵下期"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    assert "/refund" not in client.get("/staff/payments/exceptions").text
    refunds = client.get(f"/staff/payments/bills/{first['id']}")
    assert "重複繳納" in refunds.text


def test_settlement_findings_are_counted_for_whom_they_are_shown(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    bill = pay.issue("TWD-FEE01", 250)
    paid = pay.pay(bill["reference"], 250, txn="TXN-1").json()
    assert paid["provider"] == "BOT"
    now = datetime.now(UTC).isoformat()
    text = (
        "provider_txn_id,reference,amount,paid_at\n"
        f"TXN-1,{bill['reference']},250,{now}\n"
        f"TXN-2,0000000000000000,90,{now}\n"
    )
    csrf = sign_in_staff(platform, client, None)
    form = client.get("/staff/payments/settlements")
    assert 'enctype="multipart/form-data"' in form.text and ">BOT<" in form.text
    unknown = client.post(
        "/staff/payments/settlements",
        data={"csrf_token": csrf, "provider": "NOPE"},
        files={"file": ("s.csv", text.encode(), "text/csv")},
    )
    assert unknown.status_code == 422 and 'role="alert"' in unknown.text
    uploaded = client.post(
        "/staff/payments/settlements",
        data={"csrf_token": csrf, "provider": "BOT", "format": "csv"},
        files={"file": ("s.csv", text.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    report = client.get(uploaded.headers["location"])
    assert "TXN-2" in report.text
    admin_list = client.get("/staff/payments/settlements").text
    assert "全數對上" not in admin_list

    # The line no bill claims is the administrators': the department's list does not count it,
    # so the list and the department's report agree that there is nothing to do.
    sign_in_staff(platform, client, "TWD")
    listed = client.get("/staff/payments/settlements").text
    assert "全數對上" in listed and 'enctype="multipart/form-data"' not in listed
    department_report = client.get(uploaded.headers["location"]).text
    assert "TXN-2" not in department_report
    # An officer may not send a settlement file.
    refused = client.post(
        "/staff/payments/settlements",
        data={"csrf_token": "x", "provider": "BOT"},
        files={"file": ("s.csv", text.encode(), "text/csv")},
    )
    assert refused.status_code == 403


def test_an_officer_names_a_citizen_by_national_id(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        citizen = identity.register_citizen(
            uow, platform.keys, national_id="A123456789", name="王小明"
        )
        citizen_id = str(citizen.id)
    csrf = sign_in_staff(platform, client, "TWD")
    issued = client.post(
        "/staff/payments/bills",
        data=_issue_form(csrf, payer_kind="national_id", payer_value="a123456789"),
        follow_redirects=False,
    )
    assert issued.status_code == 303
    bill_id = issued.headers["location"].rsplit("/", 1)[1]
    with platform.db.read_session() as session:
        bill = payments.get_bill(session, uuid.UUID(bill_id))
        assert (bill.payer_kind, bill.payer_value) == ("citizen", citizen_id)

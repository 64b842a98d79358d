"""What a payments officer does beyond issuing: bill files issued by the job worker, exceptions
posted onto the right bill or assigned, settlement findings closed. Each action is one
transaction with its audit entry, for the bill's (or finding's) department only."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.core.time import local_today, utcnow
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.payments import imports, ledger
from smartcity.modules.payments import service as payments
from smartcity.modules.payments.codes import MAX_BARCODE_AMOUNT
from smartcity.modules.payments.models import BillImport
from tests.modules.payments.conftest import Pay
from tests.modules.payments.test_staff_pages import _owed_back
from tests.support.portal import sign_in_staff

HEADER = "item_code,amount,due_date,payer_kind,payer_value,description\n"
_people = itertools.count()


def _officer(platform: Platform, department: str) -> str:
    """A new active officer (a person) of `department`; their id."""
    with platform.unit_of_work(system_actor("test")) as uow:
        identity.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
        person = identity.create_staff(
            uow,
            role=Role.OFFICER,
            name=f"經辦{next(_people)}",
            email=f"handler{next(_people)}@{department.lower()}.invalid",
            department_code=department,
        )
    return str(person.id)


def _actions(platform: Platform, prefix: str) -> list[tuple[str, str]]:
    with platform.db.read_session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.change_json)
            .where(AuditEntry.action.like(f"{prefix}%"))
            .order_by(AuditEntry.index)
        ).all()
    return [(action, change) for action, change in rows]


def _ledger_ok(platform: Platform) -> bool:
    with platform.db.read_session() as session:
        return ledger.check(session).ok


def _run_jobs(platform: Platform) -> None:
    Worker(platform).run_ready(utcnow() + timedelta(seconds=1))


# -- bill files issued by the worker ----------------------------------------------------------


def _upload(client: TestClient, csrf: str, text: str, name: str = "bills.csv") -> Any:
    return client.post(
        "/staff/payments/bills/import",
        data={"csrf_token": csrf},
        files={"file": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


def test_a_bill_file_is_issued_by_the_worker_with_its_refused_lines_kept(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    csrf = sign_in_staff(platform, client, "TWD")
    due = (local_today() + timedelta(days=30)).isoformat()
    good = [f"TWD-FEE01,{300 + n},{due},account_number,2-13-04567{n}-9,水費\n" for n in range(3)]
    text = HEADER + "".join(
        [
            good[0],
            f"TWD-FEE01,abc,{due},account_number,2-13-045670-9\n",  # line 3: not an amount
            good[1],
            f"DOT-FINE01,900,{due},plate,ABC-1234\n",  # line 5: another department's item
            good[2],
            "TWD-FEE01,300,2000-01-01,account_number,2-13-045670-9\n",  # line 7: past due
            f"TWD-FEE01,{MAX_BARCODE_AMOUNT + 1},{due},account_number,2-13-045670-9\n",  # 8
        ]
    )
    started = _upload(client, csrf, text)
    assert started.status_code == 303
    page_path = started.headers["location"]
    waiting = client.get(page_path)
    assert waiting.status_code == 200 and 'hx-trigger="every 1s"' in waiting.text
    assert client.get("/api/v1/payments/bills", headers=pay.officer("TWD")).json() == []

    _run_jobs(platform)

    finished = client.get(page_path)
    assert 'hx-trigger="every 1s"' not in finished.text  # the page stops polling
    assert 'data-field="done">7 / 7' in finished.text
    assert 'data-field="issued">3' in finished.text
    assert 'data-field="rejected">4' in finished.text
    import_id = uuid.UUID(page_path.rsplit("/", 1)[1])
    with platform.db.read_session() as session:
        found = session.get(BillImport, import_id)
        assert found is not None and found.state == "done"
        assert [(r["line"], r["code"]) for r in found.rejected] == [
            (3, "invalid_file"),
            (5, "not_your_department"),
            (7, "invalid_due_date"),
            (8, "invalid_amount"),
        ]
    # A refusal that carries a figure is translated with the figure in it.
    assert f"帳單金額須為 1 至 {MAX_BARCODE_AMOUNT} 元" in finished.text
    issued = client.get("/api/v1/payments/bills", headers=pay.officer("TWD")).json()
    assert sorted(b["amount"] for b in issued) == [300, 301, 302]
    # The bills were issued as the officer who uploaded the file, and the import audited.
    actions = [action for action, _change in _actions(platform, "payments.bill")]
    assert actions.count("payments.bill.issued") == 3
    assert actions[0] == "payments.bill_import.started"
    assert actions[-1] == "payments.bill_import.finished"

    # The same file again is the same import: nothing is issued twice.
    again = _upload(client, csrf, text, name="bills-again.csv")
    assert again.headers["location"] == page_path
    _run_jobs(platform)
    assert len(client.get("/api/v1/payments/bills", headers=pay.officer("TWD")).json()) == 3
    listed = client.get("/staff/payments/bills")
    assert page_path in listed.text


def test_a_worker_that_stops_mid_file_resumes_without_issuing_twice(
    platform: Platform, client: TestClient, pay: Pay, monkeypatch: Any
) -> None:
    monkeypatch.setattr(imports, "CHUNK", 2)
    csrf = sign_in_staff(platform, client, "TWD")
    due = (local_today() + timedelta(days=30)).isoformat()
    text = HEADER + "".join(
        f"TWD-FEE01,{400 + n},{due},account_number,2-13-04567{n}-9\n" for n in range(5)
    )
    import_id = uuid.UUID(_upload(client, csrf, text).headers["location"].rsplit("/", 1)[1])
    settings = payments.settings_of(platform)
    assert imports.issue_next_chunk(platform, settings, import_id)  # 2 of 5, then the worker died
    page = client.get(f"/staff/payments/imports/{import_id}")
    assert 'data-field="done">2 / 5' in page.text and 'hx-trigger="every 1s"' in page.text
    _run_jobs(platform)  # the queued job runs the file from where it stopped
    issued = client.get("/api/v1/payments/bills", headers=pay.officer("TWD")).json()
    assert sorted(b["amount"] for b in issued) == [400, 401, 402, 403, 404]


def test_an_unreadable_bill_file_is_refused_whole_and_nothing_is_queued(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    csrf = sign_in_staff(platform, client, "TWD")
    for text, shown in (
        ("amount,item\n1,2\n", "item_code"),
        (HEADER, None),
    ):
        refused = _upload(client, csrf, text)
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        if shown:
            assert shown in refused.text
    latin = client.post(
        "/staff/payments/bills/import",
        data={"csrf_token": csrf},
        files={"file": ("bills.csv", "名".encode("big5"), "text/csv")},
    )
    assert latin.status_code == 400 and 'role="alert"' in latin.text
    with platform.db.read_session() as session:
        assert session.scalars(select(BillImport)).all() == []


def test_an_officer_sees_only_their_departments_imports_and_a_sample_of_their_items(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    csrf = sign_in_staff(platform, client, "TWD")
    due = (local_today() + timedelta(days=30)).isoformat()
    path = _upload(client, csrf, HEADER + f"TWD-FEE01,300,{due},plate,ABC-1234\n").headers[
        "location"
    ]
    sample = client.get("/staff/payments/imports/sample.csv")
    assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/csv")
    lines = sample.text.splitlines()
    assert lines[0].startswith("item_code,amount,due_date,payer_kind,payer_value")
    assert all(line.startswith("TWD-") for line in lines[1:]) and len(lines) > 1
    other = TestClient(client.app, base_url=str(client.base_url))
    sign_in_staff(platform, other, "DOT")
    assert other.get(path).status_code == 404
    assert path not in other.get("/staff/payments/bills").text


# -- the exception queue ------------------------------------------------------------------------


def test_an_officer_posts_a_double_payment_onto_the_payers_other_bill(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    paid, open_bill = pay.issue("TWD-FEE01", 300), pay.issue("TWD-FEE01", 300)
    for _ in range(2):
        assert pay.pay(paid["reference"], 300).status_code == 201
    twin = _owed_back(platform, paid["id"])
    csrf = sign_in_staff(platform, client, "TWD")
    page = client.get("/staff/payments/exceptions")
    assert f"/staff/payments/exceptions/{twin}/repost" in page.text
    unexplained = client.post(
        f"/staff/payments/exceptions/{twin}/repost",
        data={"csrf_token": csrf, "reference": open_bill["reference"], "reason": " "},
    )
    assert unexplained.status_code == 422 and 'role="alert"' in unexplained.text
    itself = client.post(
        f"/staff/payments/exceptions/{twin}/repost",
        data={"csrf_token": csrf, "reference": paid["reference"], "reason": "轉正"},
    )
    assert itself.status_code == 409 and 'role="alert"' in itself.text
    moved = client.post(
        f"/staff/payments/exceptions/{twin}/repost",
        data={"csrf_token": csrf, "reference": open_bill["reference"], "reason": "繳到前期帳單"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    after = client.get(f"/api/v1/payments/bills/{open_bill['reference']}", headers=pay.provider())
    assert after.json()["status"] == "written_off"
    assert f"exception-{twin}" not in client.get("/staff/payments/exceptions").text
    with platform.db.read_session() as session:
        payment = payments.get_payment(session, uuid.UUID(twin))
        assert (payment.exception_state, payment.reposted) == ("reposted", 300)
    assert _ledger_ok(platform)
    [(_action, change)] = _actions(platform, "payments.exception.reposted")
    assert open_bill["reference"] in change and "繳到前期帳單" in change
    # Nothing is owed back any more: no refund of the same money.
    refund = client.post(
        f"/api/v1/payments/payments/{twin}/refunds", json={}, headers=pay.officer("TWD")
    )
    assert refund.status_code == 409


def test_posting_onto_another_bill_through_the_api_applies_what_it_needs(
    client: TestClient, pay: Pay, platform: Platform
) -> None:
    paid, small = pay.issue("TWD-FEE01", 500), pay.issue("TWD-FEE01", 200)
    other_department = pay.issue("DOT-FINE01", None)
    for _ in range(2):
        assert pay.pay(paid["reference"], 500).status_code == 201
    twin = _owed_back(platform, paid["id"])
    url = f"/api/v1/payments/exceptions/{twin}/repost"
    elsewhere = client.post(
        url,
        json={"reference": other_department["reference"], "reason": "x"},
        headers=pay.officer("TWD"),
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "not_your_department"
    stranger = client.post(
        url, json={"reference": small["reference"], "reason": "x"}, headers=pay.officer("DOT")
    )
    assert stranger.status_code == 403
    moved = client.post(
        url,
        json={"reference": small["reference"], "reason": "部分轉抵"},
        headers=pay.officer("TWD"),
    )
    assert moved.status_code == 201 and moved.json()["amount"] == 200
    # 300 NTD is still owed back, so the exception stays open for its refund.
    queue = client.get("/api/v1/payments/exceptions", headers=pay.officer("TWD")).json()
    assert [(p["id"], p["owed_back"]) for p in queue] == [(twin, 300)]
    refund = client.post(
        f"/api/v1/payments/payments/{twin}/refunds", json={}, headers=pay.officer("TWD")
    )
    assert refund.status_code == 201 and refund.json()["amount"] == 300
    assert client.get("/api/v1/payments/exceptions", headers=pay.officer("TWD")).json() == []
    assert _ledger_ok(platform)


def test_an_exception_is_assigned_to_an_officer_of_its_department_only(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    bill = pay.issue("TWD-FEE01", 300)
    for _ in range(2):
        assert pay.pay(bill["reference"], 300).status_code == 201
    twin = _owed_back(platform, bill["id"])
    colleague, outsider = _officer(platform, "TWD"), _officer(platform, "DOT")
    csrf = sign_in_staff(platform, client, "TWD")
    wrong = client.post(
        f"/staff/payments/exceptions/{twin}/assign",
        data={"csrf_token": csrf, "officer_id": outsider, "reason": "請協助"},
    )
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    assigned = client.post(
        f"/staff/payments/exceptions/{twin}/assign",
        data={"csrf_token": csrf, "officer_id": colleague, "reason": "請協助聯絡繳款人"},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    page = client.get("/staff/payments/exceptions")
    assert f'<option value="{colleague}" selected>' in page.text
    [(_action, change)] = _actions(platform, "payments.exception.assigned")
    assert colleague in change and "請協助聯絡繳款人" in change
    api = client.post(
        f"/api/v1/payments/exceptions/{twin}/assign",
        json={"officer_id": outsider, "reason": "x"},
        headers=pay.officer("TWD"),
    )
    assert api.status_code == 422 and api.json()["code"] == "assignee_not_officer"


# -- settlement findings ----------------------------------------------------------------------


def _settle(client: TestClient, pay: Pay, rows: list[tuple[str, str, int]]) -> dict[str, Any]:
    now = datetime.now(UTC)
    text = "provider_txn_id,reference,amount,paid_at\n" + "".join(
        f"{t},{r},{a},{now.isoformat()}\n" for t, r, a in rows
    )
    response = client.post(
        "/api/v1/payments/settlements",
        content=text.encode(),
        headers={**pay.provider("BOT"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_settlement_findings_are_accepted_assigned_or_put_right(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    now = datetime.now(UTC)
    kept, meant = pay.issue("TWD-FEE01", 120), pay.issue("TWD-FEE01", 50)
    assert pay.pay(kept["reference"], 120, txn="K1", paid_at=now).status_code == 201
    garbled = meant["reference"][:-1] + str((int(meant["reference"][-1]) + 1) % 10)
    report = _settle(client, pay, [("G1", garbled, 50)])  # K1 is missing, G1 unknown
    findings = {f["outcome"]: f for f in report["findings"]}
    assert set(findings) == {"missing", "unknown"}, (report["outcomes"], report["findings"])
    missing, unknown = findings["missing"], findings["unknown"]
    assert missing["resolution"] is None and missing["department"] == "TWD"

    # The department's officer accepts the missing payment, with a reason, in the browser.
    csrf = sign_in_staff(platform, client, "TWD")
    page = client.get(f"/staff/payments/settlements/{report['id']}")
    assert f"/staff/payments/findings/{missing['id']}/accept" in page.text
    assert f"/findings/{unknown['id']}/" not in page.text  # a line without department is not theirs
    silent = client.post(
        f"/staff/payments/findings/{missing['id']}/accept", data={"csrf_token": csrf, "reason": ""}
    )
    assert silent.status_code == 422 and 'role="alert"' in silent.text
    accepted = client.post(
        f"/staff/payments/findings/{missing['id']}/accept",
        data={"csrf_token": csrf, "reason": "業者確認列入次日檔案"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    shown = client.get(f"/staff/payments/settlements/{report['id']}")
    assert "業者確認列入次日檔案" in shown.text and "已接受" in shown.text
    again = client.post(
        f"/api/v1/payments/settlement-findings/{missing['id']}/accept",
        json={"reason": "again"},
        headers=pay.officer("TWD"),
    )
    assert again.status_code == 409 and again.json()["code"] == "finding_closed"
    hidden = client.post(
        f"/api/v1/payments/settlement-findings/{unknown['id']}/accept",
        json={"reason": "x"},
        headers=pay.officer("TWD"),
    )
    assert hidden.status_code == 404

    # An administrator records the unknown line on the bill it was meant for.
    fixed = client.post(
        f"/api/v1/payments/settlement-findings/{unknown['id']}/correct",
        json={"reference": meant["reference"], "reason": "超商條碼誤讀一碼"},
        headers=pay.admin(),
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["resolution"] == "corrected" and fixed.json()["department"] == "TWD"
    paid = client.get(f"/api/v1/payments/bills/{meant['reference']}", headers=pay.provider())
    assert paid.json()["status"] == "written_off"
    assert _ledger_ok(platform)
    no_fix = client.post(
        f"/api/v1/payments/settlement-findings/{missing['id']}/correct",
        json={"reference": meant["reference"], "reason": "x"},
        headers=pay.admin(),
    )
    assert no_fix.status_code == 409
    actions = [action for action, _change in _actions(platform, "payments.finding")]
    assert actions == ["payments.finding.accepted", "payments.finding.corrected"]


def test_a_finding_is_assigned_to_an_officer_of_its_department(
    platform: Platform, client: TestClient, pay: Pay
) -> None:
    now = datetime.now(UTC)
    bill = pay.issue("TWD-FEE01", 120)
    assert pay.pay(bill["reference"], 120, txn="M1", paid_at=now).status_code == 201
    other = pay.issue("TWD-FEE01", 80)
    assert pay.pay(other["reference"], 80, txn="M2", paid_at=now).status_code == 201
    report = _settle(client, pay, [("M2", other["reference"], 70)])  # M1 missing, M2 differs
    finding = next(f for f in report["findings"] if f["outcome"] == "amount_mismatch")
    colleague = _officer(platform, "TWD")
    csrf = sign_in_staff(platform, client, "TWD")
    assigned = client.post(
        f"/staff/payments/findings/{finding['id']}/assign",
        data={"csrf_token": csrf, "officer_id": colleague, "reason": "請向業者查明金額"},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    page = client.get(f"/staff/payments/settlements/{report['id']}")
    assert "指派給" in page.text
    outsider = _officer(platform, "DOT")
    refused = client.post(
        f"/api/v1/payments/settlement-findings/{finding['id']}/assign",
        json={"officer_id": outsider, "reason": "x"},
        headers=pay.officer("TWD"),
    )
    assert refused.status_code == 422
    [(_action, change)] = _actions(platform, "payments.finding.assigned")
    assert colleague in change

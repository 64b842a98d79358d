"""Settlement files → reconciliation reports; the daily report; the CLI; fuzzed parsers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.core.auth import Role, system_actor
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.payments import ledger
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.values import SettlementFormat
from tests.modules.payments.conftest import Pay, sign_in


def _settle(client: TestClient, pay: Pay, text: str, provider: str = "BOT") -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/payments/settlements",
        content=text.encode(),
        headers={**pay.provider(provider), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_csv_reconciliation_finds_every_case(
    pay: Pay, client: TestClient, platform: Platform
) -> None:
    now = datetime.now(UTC)
    bills = [pay.issue("TWD-FEE01", 100 + i) for i in range(6)]
    for i in range(4):  # recorded: 0, 1, 2, 3
        assert pay.pay(bills[i]["reference"], 100 + i, txn=f"B{i}", paid_at=now).status_code == 201
    rows = [
        ("B0", bills[0]["reference"], 100),  # matched
        ("B1", bills[1]["reference"], 999),  # amount mismatch
        ("B2", bills[2]["reference"], 102),  # matched …
        ("B2", bills[2]["reference"], 102),  # … and listed twice: duplicate
        ("B4", bills[4]["reference"], 104),  # callback lost: recorded now
        ("B9", "1151234567890127", 50),  # no such bill: unknown
    ]  # B3 is missing from the file
    text = "provider_txn_id,reference,amount,paid_at\n" + "".join(
        f"{t},{r},{a},{now.isoformat()}\n" for t, r, a in rows
    )
    report = _settle(client, pay, text)
    assert report["outcomes"] == {
        "matched": 2,
        "missing": 1,
        "recorded": 1,
        "unknown": 1,
        "amount_mismatch": 1,
        "duplicate": 1,
    }
    by_outcome = {f["outcome"]: f for f in report["findings"]}
    assert by_outcome["missing"]["provider_txn_id"] == "B3"
    assert by_outcome["recorded"]["reference"] == bills[4]["reference"]
    lookup = client.get(
        f"/api/v1/payments/bills/{bills[4]['reference']}", headers=pay.provider()
    ).json()
    assert lookup["status"] == "written_off"
    again = client.get(f"/api/v1/payments/settlements/{report['id']}", headers=pay.officer("TWD"))
    assert again.json()["outcomes"] == report["outcomes"]
    others = client.get(f"/api/v1/payments/settlements/{report['id']}", headers=pay.provider("TFB"))
    assert others.status_code == 404
    session = platform.db.read_session()
    assert ledger.check(session).ok
    session.close()

    day = now.astimezone(city_zone()).date().isoformat()
    daily = client.get(
        "/api/v1/payments/reports/daily", params={"day": day}, headers=pay.officer("TWD")
    ).json()
    assert daily[0]["department"] == "TWD" and daily[0]["reconciled"] == 3
    assert daily[0]["unreconciled"] == 2 and daily[0]["status"] == "open"
    assert (daily[0]["payments"], daily[0]["collected"], daily[0]["applied"]) == (5, 510, 510)
    assert (daily[0]["refund_due"], daily[0]["exceptions"]) == (0, 0)
    # A second payment of a paid bill that day: collected, owed back, an exception.
    assert pay.pay(bills[0]["reference"], 100, provider="TFB", paid_at=now).status_code == 201
    (after,) = client.get(
        "/api/v1/payments/reports/daily", params={"day": day}, headers=pay.admin()
    ).json()
    assert (after["payments"], after["collected"], after["applied"]) == (6, 610, 510)
    assert (after["refund_due"], after["exceptions"], after["unreconciled"]) == (100, 1, 3)
    other = client.get(
        "/api/v1/payments/reports/daily", params={"day": day}, headers=pay.officer("DOT")
    )
    assert other.json() == []
    csv_text = client.get(
        "/api/v1/payments/reports/daily",
        params={"day": day, "format": "csv"},
        headers=pay.officer("TWD"),
    ).text
    assert csv_text.startswith("day,department,payments")


def test_store_fixed_width_file(pay: Pay, client: TestClient) -> None:
    today = local_today()
    paid_at = datetime.combine(today, datetime.min.time(), city_zone()) + timedelta(hours=12)
    bill = pay.issue("TWD-FEE01", 486)
    lost = pay.issue("TWD-FEE01", 300)
    pay.pay(bill["reference"], 486, provider="711", paid_at=paid_at, channel="store")
    records = [
        settlement_files.fixed_record(
            today, today, bill["reference"], 486, "1512", "711", "0" * 14
        ),
        settlement_files.fixed_record(
            today, today, lost["reference"], 300, "1512", "711", "0" * 14
        ),
        settlement_files.fixed_record(
            today, today, lost["reference"], 300, "1512", "711", "0" * 14
        ),
    ]
    assert all(len(r) == 67 for r in records)
    report = _settle(client, pay, "\n".join(records) + "\n", provider="711")
    assert report["format"] == "fixed"
    outcomes = {k: v for k, v in report["outcomes"].items() if v}
    assert outcomes == {"matched": 1, "recorded": 1, "duplicate": 1}


def test_bad_files_are_clear_problems(pay: Pay, client: TestClient) -> None:
    for text in (
        "",
        "provider_txn_id,reference,amount,paid_at\nx,y,0,2026-01-01\n",
        "garbage that is not 67 characters\n",
        "provider_txn_id,reference,amount,paid_at\nx,y,12,yesterday\n",
    ):
        response = client.post(
            "/api/v1/payments/settlements",
            content=text.encode(),
            headers={**pay.provider(), "Content-Type": "text/csv"},
        )
        assert response.status_code == 422, text
        assert response.json()["code"] == "invalid_file"
    binary = client.post(
        "/api/v1/payments/settlements",
        content=b"\xff\xfe\x00",
        headers={**pay.provider(), "Content-Type": "application/octet-stream"},
    )
    assert binary.status_code == 400


def test_reconcile_cli_with_progress(pay: Pay, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bill = pay.issue("TWD-FEE01", 200)
    now = datetime.now(UTC)
    pay.pay(bill["reference"], 200, txn="CLI-1", paid_at=now)
    path = tmp_path / "settle.csv"
    path.write_text(
        f"provider_txn_id,reference,amount,paid_at\nCLI-1,{bill['reference']},200,"
        f"{now.isoformat()}\n"
    )
    code, out, _err = cli("payments", "reconcile", str(path), "--provider", "BOT")
    assert code == 0, out
    assert "matched\t1" in out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(list(SettlementFormat)))
def test_settlement_parsers_never_crash(text: str, fmt: SettlementFormat) -> None:
    try:
        settlement_files.parse(text, fmt)
    except InvalidInput as error:
        assert error.code == "invalid_file"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.from_regex(r"\A[0-9]{16}\Z"), st.integers(1, 999_999_999)), max_size=5)
)
def test_fixed_records_round_trip(rows: list[tuple[str, int]]) -> None:
    day = date(2026, 11, 26)
    text = "\n".join(
        settlement_files.fixed_record(day, day, ref, amount, "1511", "FAMI", "1" * 14)
        for ref, amount in rows
    )
    parsed = settlement_files.parse(text, SettlementFormat.FIXED)
    assert parsed.select("reference", "amount").rows() == rows


def test_a_mutated_csv_line_is_refused_or_read() -> None:
    header = "provider_txn_id,reference,amount,paid_at\n"
    with pytest.raises(InvalidInput):
        settlement_files.parse(header + "a,b,-1,2026-01-01T00:00:00\n", SettlementFormat.CSV)
    lines = settlement_files.parse(
        header + f"{uuid.uuid4().hex},x,7,2026-01-01T08:00:00\n", SettlementFormat.CSV
    )
    assert lines["amount"].to_list() == [7]
    assert lines["day"].to_list() == [date(2026, 1, 1)]


def test_cli_import_expire_and_states(pay: Pay, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    due = (local_today() + timedelta(days=5)).isoformat()
    path = tmp_path / "bills.csv"
    path.write_text(
        "item_code,amount,due_date,payer_kind,payer_value\n"
        + "".join(f"TWD-FEE01,{100 + i},{due},plate,ABC-{1000 + i}\n" for i in range(7))
    )
    code, out, _err = cli("payments", "import-bills", str(path), "--batch", "3")
    assert code == 0, out
    assert "issued 7 bill(s)" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("nope\n")
    code, _out, err = cli("payments", "import-bills", str(bad))
    assert code == 1 and "invalid_file" in err
    code, out, _err = cli("payments", "expire")
    assert code == 0 and "0 bill(s) expired" in out
    code, out, _err = cli("payments", "states")
    assert '"open" -> "paid"' in out


def test_a_refused_file_names_every_bad_line(pay: Pay, client: TestClient, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stamp = datetime.now(UTC).isoformat()
    text = (
        "provider_txn_id,reference,amount,paid_at\n"
        f"A1,1151234567890127,10,{stamp}\n"
        f"A2,1151234567890127,ten,{stamp}\n"
        f"A3,1151234567890127,10,not a time\n"
        "A4,only three,fields\n"
    )
    response = client.post(
        "/api/v1/payments/settlements",
        content=text.encode(),
        headers={**pay.provider(), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_file" and problem["bad_lines"] == 3
    assert problem["lines"] == [
        {"line": 3, "reason": "the amount must be whole NTD"},
        {"line": 4, "reason": "paid_at is not ISO 8601"},
        {"line": 5, "reason": "expected 4 fields"},
    ]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, _out, err = cli("payments", "reconcile", str(path), "--provider", "BOT")
    assert code == 1
    assert "line 4: paid_at is not ISO 8601" in err and "line 5: expected 4 fields" in err
    # The CLI maps the file it reads; an empty one cannot be mapped and is refused as empty.
    (tmp_path / "empty.csv").write_bytes(b"")
    code, _out, err = cli("payments", "reconcile", str(tmp_path / "empty.csv"), "--provider", "BOT")
    assert code == 1
    assert "no lines" in err


def test_a_second_file_for_the_same_day(pay: Pay, client: TestClient, platform: Platform) -> None:
    now = datetime.now(UTC)
    bills = [pay.issue("TWD-FEE01", 100 + i) for i in range(3)]
    for i in range(3):
        assert pay.pay(bills[i]["reference"], 100 + i, txn=f"S{i}", paid_at=now).status_code == 201
    header = "provider_txn_id,reference,amount,paid_at\n"

    def line(i: int, amount: int | None = None) -> str:
        return f"S{i},{bills[i]['reference']},{amount or 100 + i},{now.isoformat()}\n"

    first = _settle(client, pay, header + line(0) + line(1, 999))
    assert first["outcomes"]["matched"] == 1 and first["outcomes"]["missing"] == 1
    assert first["outcomes"]["amount_mismatch"] == 1
    # The corrected file: S0 was settled by the first one, S1 and S2 are still open.
    second = _settle(client, pay, header + line(0) + line(1) + line(2))
    assert {k: v for k, v in second["outcomes"].items() if v} == {"matched": 2, "duplicate": 1}
    day = now.astimezone(city_zone()).date().isoformat()
    daily = client.get(
        "/api/v1/payments/reports/daily", params={"day": day}, headers=pay.officer("TWD")
    ).json()
    assert daily[0]["reconciled"] == 3 and daily[0]["status"] == "reconciled"
    session = platform.db.read_session()
    assert ledger.check(session).ok
    session.close()


def test_quoted_lines_and_ids_with_line_breaks(pay: Pay, client: TestClient) -> None:
    now = datetime.now(UTC)
    bills = [pay.issue("TWD-FEE01", 100 + i) for i in range(2)]
    txns = ["multi\nline", 'say "hi", then pay']
    for bill, txn, amount in zip(bills, txns, (100, 101), strict=True):
        assert pay.pay(bill["reference"], amount, txn=txn, paid_at=now).status_code == 201
    quoted = ['"multi\nline"', '"say ""hi"", then pay"']
    text = "provider_txn_id,reference,amount,paid_at\n" + "".join(
        f"{t},{b['reference']},{a},{now.isoformat()}\n"
        for t, b, a in zip(quoted, bills, (100, 101), strict=True)
    )
    report = _settle(client, pay, text)
    assert {k: v for k, v in report["outcomes"].items() if v} == {"matched": 2}


def test_money_with_no_bill_says_why_and_the_console_shows_each_file(
    pay: Pay, client: TestClient, platform: Platform
) -> None:
    now = datetime.now(UTC)
    lost = pay.issue("TWD-FEE01", 300)  # paid at the bank, callback lost
    rows = [
        ("V1", lost["virtual_account"], 300),  # a bank lists the virtual account
        ("X1", "1151234567890128", 40),  # check digit wrong
        ("X2", "1151234567890127", 50),  # well-formed, no bill
        ("X3", "not-a-number", 60),
    ]
    text = "provider_txn_id,reference,amount,paid_at\n" + "".join(
        f"{t},{r},{a},{now.isoformat()}\n" for t, r, a in rows
    )
    report = _settle(client, pay, text)
    by_txn = {f["provider_txn_id"]: f for f in report["findings"]}
    assert by_txn["V1"]["outcome"] == "recorded" and by_txn["V1"]["department"] == "TWD"
    assert by_txn["V1"]["reason"] is None
    assert {t: by_txn[t]["reason"] for t in ("X1", "X2", "X3")} == {
        "X1": "invalid_check_digit",
        "X2": "unknown_reference",
        "X3": "invalid_write_off_number",
    }
    paid = client.get(f"/api/v1/payments/bills/{lost['reference']}", headers=pay.provider())
    assert paid.json()["status"] == "written_off"
    # Each provider lists its own files; staff list every provider's.
    _settle(client, pay, text.replace("V1,", "T1,"), provider="TFB")
    url = "/api/v1/payments/settlements"
    own = client.get(url, headers=pay.provider()).json()
    assert [(s["id"], s["provider"], s["lines"]) for s in own] == [(report["id"], "BOT", 4)]
    assert own[0]["outcomes"]["unknown"] == 3
    every = client.get(url, headers=pay.admin()).json()
    assert [s["provider"] for s in every] == ["TFB", "BOT"]
    assert client.get(url, params={"limit": 0}, headers=pay.admin()).status_code == 422

    with platform.unit_of_work(system_actor("test")) as uow:
        identity.ensure_organisation(uow, "TWD", OrganisationKind.DEPARTMENT)
        admin = identity.create_staff(uow, role=Role.ADMIN, name="財務", email="f@city.invalid")
        officer = identity.create_staff(
            uow, role=Role.OFFICER, name="o", email="o@twd.invalid", department_code="TWD"
        )
        admin_id, officer_id = str(admin.id), str(officer.id)
    sign_in(platform, client, admin_id)
    listing = client.get("/staff/payments/settlements")
    assert listing.status_code == 200
    assert f"/staff/payments/settlements/{report['id']}" in listing.text
    assert "查無帳單：待查款項 3" in listing.text
    detail = client.get(f"/staff/payments/settlements/{report['id']}").text
    assert "檢查碼錯誤" in detail and "格式正確，但查無此帳單" in detail
    assert "1151234567890128" in detail
    # A department's officer sees that department's lines, not the city's unknown money.
    sign_in(platform, client, officer_id)
    mine = client.get(f"/staff/payments/settlements/{report['id']}").text
    assert lost["virtual_account"] in mine and "1151234567890128" not in mine
    missing = client.get(f"/staff/payments/settlements/{uuid.uuid4()}")
    assert missing.status_code == 404

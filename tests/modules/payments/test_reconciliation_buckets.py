"""Reconciling by buckets decides exactly what reading every payment decides (ADR 9)."""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, insert, select
from sqlalchemy import cast as sql_cast

from smartcity.app import build_platform
from smartcity.core.auth import system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.core.time import city_zone
from smartcity.modules.payments import codes, fingerprints, reconciliation
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item, Payment, SettlementLine, settled
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.reconciliation.reading import Reader
from smartcity.modules.payments.values import SettlementFormat
from tests.support.databases import TemplateDatabase

FIRST_DAY = date(2026, 11, 20)
DEPARTMENTS = {"TWD": "TWD-FEE01", "DOF": "DOF-FEE01"}
ACTIONS = ("keep", "keep", "keep", "drop", "amount", "twice", "twice elsewhere", "day", "hour")
TXN = st.text(alphabet="AB9-中é", min_size=0, max_size=12)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("SMARTCITY_TEST_DATABASE_URL")),
    reason="the bucket sums are kept on SQLite only",
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    bills = draw(st.lists(st.sampled_from(sorted(DEPARTMENTS)), min_size=1, max_size=4))
    payments = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "bill": st.integers(0, len(bills) - 1),
                    "txn": TXN,
                    "amount": st.integers(1, 4),
                    "day": st.integers(0, 1),
                    "hour": st.integers(0, 23),
                    "settled": st.booleans() if draw(st.booleans()) else st.just(value=False),
                    "action": st.sampled_from(ACTIONS),
                }
            ),
            max_size=12,
        )
    )
    extras = draw(
        st.lists(
            st.tuples(st.sampled_from(("recorded", "unknown")), st.integers(0, len(bills) - 1)),
            max_size=3,
        )
    )
    return {"bills": bills, "payments": payments, "extras": extras, "seed": draw(st.integers())}


@contextmanager
def _platform(url: str, folder: Path) -> Iterator[Platform]:
    settings_ = Settings(
        database_url=url, data_dir=folder / "var", environment="test", log_requests=False
    )  # type: ignore[call-arg]
    platform = build_platform(settings_, keys=KeyRing.ephemeral())
    try:
        yield platform
    finally:
        platform.db.dispose()


def _load(platform: Platform, scenario: dict[str, Any]) -> list[tuple[str, str, int, datetime]]:
    """Bills and payments as the scenario says; the payments as (txn, reference, amount, paid)."""
    due = FIRST_DAY + timedelta(days=60)
    now = datetime.now(UTC)
    bills, payments, recorded = [], [], []
    for serial, department in enumerate(scenario["bills"]):
        bills.append(
            {
                "id": uuid.uuid4(),
                "write_off_number": codes.make_write_off_number(due, serial),
                "virtual_account": codes.make_virtual_account("95270", serial),
                "item_code": DEPARTMENTS[department],
                "department": department,
                "amount": 10,
                "paid_amount": 0,
                "due_date": due,
                "payer_kind": "plate",
                "payer_value": "ABC-1234",
                "description": "",
                "status": "open",
                "issued_by": "test",
                "created_at": now,
            }
        )
    for i, spec in enumerate(scenario["payments"]):
        bill = bills[spec["bill"]]
        paid = datetime.combine(
            FIRST_DAY + timedelta(days=spec["day"]), time(spec["hour"], 7), city_zone()
        )
        txn = f"{spec['txn']}{i}"
        payments.append(
            {
                "id": uuid.uuid4(),
                "bill_id": bill["id"],
                "provider": "711",
                "provider_txn_id": txn,
                "channel": "store",
                "amount": spec["amount"],
                "applied": spec["amount"],
                "paid_at": paid,
                "recorded_at": now - timedelta(hours=1),
                "settlement_id": uuid.uuid4() if spec["settled"] else None,
                "department": bill["department"],
                "reference": bill["write_off_number"],
            }
        )
        recorded.append((txn, bill["write_off_number"], spec["amount"], paid))
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        uow.session.execute(insert(Bill), bills)
        if payments:
            uow.session.execute(insert(Payment), payments)
        uow.audit("test.setup", "payments", "test", {})
    return recorded


def _file(
    scenario: dict[str, Any],
    recorded: list[tuple[str, str, int, datetime]],
    references: list[str],
    fmt: SettlementFormat,
) -> str:
    lines: list[tuple[str, str, int, datetime]] = []
    for spec, (txn, reference, amount, paid) in zip(scenario["payments"], recorded, strict=True):
        action = spec["action"]
        if action == "drop":
            continue
        if action == "amount":
            amount += 1
        elif action == "day":
            paid += timedelta(days=1 if paid.astimezone(city_zone()).date() == FIRST_DAY else -1)
        elif action == "hour":
            paid += timedelta(minutes=1)
        lines.append((txn, reference, amount, paid))
        if action == "twice":
            lines.append((txn, reference, amount, paid))
        elif action == "twice elsewhere":  # the same id under another bill's number
            lines.append((txn, references[(spec["bill"] + 1) % len(references)], amount, paid))
    for n, (kind, bill) in enumerate(scenario["extras"]):
        reference = references[bill] if kind == "recorded" else "1151234567890127"
        paid = datetime.combine(FIRST_DAY, time(9, n), city_zone())
        lines.append((f"X{n}", reference, 10, paid))
    random.Random(scenario["seed"]).shuffle(lines)
    if not lines:  # an empty file is refused; one unknown line keeps the scenario going
        lines.append(
            ("X", "1151234567890127", 10, datetime.combine(FIRST_DAY, time(9), city_zone()))
        )
    if fmt == SettlementFormat.CSV:
        return "provider_txn_id,reference,amount,paid_at\n" + "".join(
            f"{t},{r},{a},{p.isoformat()}\n" for t, r, a, p in lines
        )
    return "".join(
        settlement_files.fixed_record(
            p.astimezone(city_zone()).date(),
            p.astimezone(city_zone()).date(),
            r,
            a,
            "1512",
            "711",
            "0" * 14,
        )
        + "\n"
        for _, r, a, p in lines
    )


def _outcome(platform: Platform, text: str, fmt: SettlementFormat) -> dict[str, Any]:
    """The report, its findings and every payment's status, as comparable values."""
    with platform.unit_of_work(system_actor("test")) as uow:
        settlement = reconciliation.reconcile(uow, "711", text, fmt)
        report = {
            "counts": settlement.counts,
            "lines": settlement.lines,
            "total": settlement.total,
            "days": settlement.days,
        }
        settlement_id = settlement.id
    session = platform.db.read_session()
    txn_of = dict(
        session.execute(select(sql_cast(Payment.id, String), Payment.provider_txn_id)).all()
    )
    findings = session.execute(
        select(
            SettlementLine.line_no,
            SettlementLine.outcome,
            SettlementLine.provider_txn_id,
            SettlementLine.reference,
            SettlementLine.amount,
            SettlementLine.department,
            SettlementLine.day,
            sql_cast(SettlementLine.payment_id, String),
        ).where(SettlementLine.settlement_id == settlement_id)
    ).all()
    statuses = dict(session.execute(select(Payment.provider_txn_id, settled())).all())
    session.close()
    report["findings"] = sorted(
        (*row[:7], txn_of.get(row[7]) if row[7] else None) for row in findings
    )
    report["settled"] = statuses
    return report


def _full_path(*_args: object) -> None:
    return None


# Each example builds three databases: 40 keep this test near a minute on CI's two cores.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scenario=scenarios(),
    fmt=st.sampled_from(list(SettlementFormat)),
    bits=st.sampled_from([1, 2, fingerprints.BUCKET_BITS]),
)
def test_buckets_decide_what_the_full_join_decides(
    template_db: TemplateDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    scenario: dict[str, Any],
    fmt: SettlementFormat,
    bits: int,
) -> None:
    folder = tmp_path_factory.mktemp("buckets")
    # Few buckets a day put agreeing and disagreeing lines side by side.
    with (
        mock.patch.object(fingerprints, "BUCKET_BITS", bits),
        mock.patch.object(fingerprints, "BUCKETS", 1 << bits),
    ):
        with template_db.fresh(folder) as url, _platform(url, folder) as platform:
            recorded = _load(platform, scenario)
            session = platform.db.read_session()
            references = list(
                session.execute(select(Bill.write_off_number).order_by(Bill.write_off_number))
                .scalars()
                .all()
            )
            session.close()
        full = folder / "full.db"
        shutil.copyfile(folder / "smartcity.db", full)
        text = _file(scenario, recorded, sorted(references), fmt)
        with _platform(f"sqlite:///{folder / 'smartcity.db'}", folder) as platform:
            fast = _outcome(platform, text, fmt)
        with (
            mock.patch.object(Reader, "agreeing", _full_path),
            _platform(f"sqlite:///{full}", folder) as platform,
        ):
            expected = _outcome(platform, text, fmt)
    assert fast == expected


def test_an_agreeing_file_reads_no_payment(pay: Any, platform: Platform) -> None:
    if platform.db.engine.dialect.name != "sqlite":
        pytest.skip("the bucket sums are kept on SQLite only")
    now = datetime.now(UTC)
    bills = [pay.issue("TWD-FEE01", 100 + i) for i in range(5)]
    for i, bill in enumerate(bills):
        assert pay.pay(bill["reference"], 100 + i, txn=f"A{i}", paid_at=now).status_code == 201
    text = "provider_txn_id,reference,amount,paid_at\n" + "".join(
        f"A{i},{b['reference']},{100 + i},{now.isoformat()}\n" for i, b in enumerate(bills)
    )
    reads: list[object] = []
    original = Reader.read

    def spy(self: Any, first: date, last: date, groups: Any = None) -> Any:
        reads.append(groups)
        return original(self, first, last, groups)

    with (
        mock.patch.object(Reader, "read", spy),
        platform.unit_of_work(system_actor("test")) as uow,
    ):
        settlement = reconciliation.reconcile(uow, "BOT", text)
        assert settlement.counts["outcomes"]["matched"] == 5
        assert settlement.counts["by_department_day"] == [
            {
                "department": "TWD",
                "day": now.astimezone(city_zone()).date().isoformat(),
                "matched": 5,
            }
        ]
    assert reads == [[]]

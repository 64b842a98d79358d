"""The demo's year of collections: seasonal taxes, everyday fees, labelled exceptions."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity.seed import seed as identity_seed
from smartcity.modules.payments import history, service
from smartcity.modules.payments.models import (
    Bill,
    Payment,
    PayoutBatch,
    Settlement,
    SettlementLine,
)
from smartcity.modules.payments.seed import seed as payments_seed

TODAY = date(2026, 12, 6)
LABEL = "示範案例"


def test_taxes_fall_due_in_their_seasons() -> None:
    planned = [b for b in history.plan(TODAY) if LABEL not in b.description]
    months = {
        item: Counter(b.due.month for b in planned if b.item == item)
        for item in ("TRSO-TAX01", "TRSO-TAX02", "TRSO-TAX03")
    }
    assert set(months["TRSO-TAX01"]) == {5}  # house tax
    assert set(months["TRSO-TAX02"]) == {11}  # land value tax
    assert set(months["TRSO-TAX03"]) == {4, 10}  # vehicle licence tax
    assert all(TODAY - timedelta(days=history.DAYS + 1) <= b.issued < TODAY for b in planned)
    assert all(b.paid_on is None or b.issued <= b.paid_on < TODAY for b in planned)


def test_the_year_is_the_same_on_every_machine_and_differs_by_seed() -> None:
    assert history.plan(TODAY) == history.plan(TODAY)
    assert history.plan(TODAY) != history.plan(TODAY, seed=1)


def test_every_odd_payment_is_labelled_and_nothing_else_is_paid_twice() -> None:
    planned = history.plan(TODAY)
    odd = [
        b
        for b in planned
        if b.twice or b.paid_amount is not None or (b.paid_on is not None and b.paid_on > b.due)
    ]
    assert len(odd) == 4 and all(LABEL in b.description for b in odd)
    assert [b.item for b in planned if b.twice] == ["TRSO-TAX01"]


def test_the_demo_tells_every_department_a_year_of_story(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("demo")) as uow:
        identity_seed(uow, platform)
    with platform.unit_of_work(system_actor("demo")) as uow:
        payments_seed(uow, platform)
    today = local_today()
    with platform.db.read_session() as session:
        counts = service.count_bills(session, "DOF")
        flow = service.money_flow(session, "DOF", today - timedelta(days=365), today)
        queue = service.exception_queue(session, None)
        settlements = session.scalar(select(func.count(Settlement.id)))
        batches = session.scalars(select(PayoutBatch).order_by(PayoutBatch.created_at)).all()
        dof_findings = session.execute(
            select(SettlementLine.outcome).where(SettlementLine.department == "DOF")
        ).scalars()
        house_tax_payments = session.execute(
            select(Bill.description, func.count(Payment.id))
            .join(Payment, Payment.bill_id == Bill.id)
            .where(Bill.item_code == "TRSO-TAX01")
            .group_by(Bill.id, Bill.description)
            .having(func.count(Payment.id) > 1)
        ).all()
    # The README's officer of the Department of Finance has a year of bills and collections.
    assert counts.get("written_off", 0) >= 150 and counts.get("expired", 0) >= 1
    assert len({row["day"][:7] for row in flow}) >= 12
    assert {p.flag for p, _bill in queue} == {"duplicate", "overpaid", "underpaid", "late"}
    assert all(LABEL in bill.description for _p, bill in queue)
    assert settlements >= 3
    # A store file left out one of DOF's payments: the README's officer has a finding.
    assert list(dof_findings) == ["missing"]
    assert [description for description, _n in house_tax_payments] == [
        next(b.description for b in history.plan(today) if b.twice)
    ]
    # Departments pay out: every batch was made by one person and decided by another, and the
    # newest still waits for its second person.
    assert [b.name for b in batches] == [b.name for b in history.PAYOUT_BATCHES]
    assert [b.state for b in batches] == ["approved"] * (len(batches) - 1) + ["awaiting_approval"]
    assert all(b.decided_by not in (None, b.created_by) for b in batches[:-1])
    assert all(b.total > 0 for b in batches)


def test_everyday_fees_come_from_their_table() -> None:
    planned = [b for b in history.plan(TODAY) if LABEL not in b.description]
    for fee in history.EVERYDAY_FEES:
        bills = [b for b in planned if b.item == fee.item]
        assert bills, fee.item
        assert all(b.amount in fee.amounts and b.description == fee.text for b in bills)
        assert all((b.due - b.issued).days == fee.due_days for b in bills)
        if fee.weekdays:
            assert all(b.issued.weekday() < 5 for b in bills), fee.item

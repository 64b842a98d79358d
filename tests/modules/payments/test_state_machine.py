"""A hypothesis state machine over issue / pay / refund / settle / cancel / payout.

After every step: the ledger balances, every NTD of every payment is either applied to its
bill or owed back, bills agree with their payments, and no bill made an illegal move.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from smartcity.core.auth import Principal, Role, system_actor
from smartcity.core.errors import DomainError
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.payments import ledger, payouts, reconciliation, service, states
from smartcity.modules.payments.models import Bill, LedgerEntry, Payment
from smartcity.modules.payments.models import settled as settled_clause
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import BillState, PayoutPurpose

PROVIDERS = ("BOT", "711", "LINEPAY")
ITEMS = {"TWD-FEE01": False, "TRSO-TAX01": True, "DOE-FEE01": False}  # code → partial allowed
_serial = itertools.count()


def test_ledger_and_bills_stay_consistent(platform: Platform, with_catalogue: None) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        citizen = identity.register_citizen(
            uow, platform.keys, national_id="A123456789", name="狀態機"
        )
        account = identity.add_binding(
            uow, citizen, kind=BindingKind.BANK_ACCOUNT, value="004-0012345678901"
        )
        identity.decide_binding(uow, account.id, verified=True)
        citizen_id = str(citizen.id)
    officer = Principal(kind="user", id="sm", role=Role.ADMIN)
    checker = Principal(kind="user", id="sm-checker", role=Role.ADMIN)
    config = PaymentsSettings()

    class Machine(RuleBasedStateMachine):
        bills = Bundle("bills")
        payments = Bundle("payments")

        def __init__(self) -> None:
            super().__init__()
            self.seen: dict[uuid.UUID, str] = {}

        def _uow(self):  # type: ignore[no-untyped-def]
            return platform.unit_of_work(officer)

        @rule(
            target=bills,
            item=st.sampled_from(sorted(ITEMS)),
            amount=st.integers(1, 50_000),
            days=st.integers(0, 20),
        )
        def issue(self, item: str, amount: int, days: int) -> uuid.UUID:
            with self._uow() as uow:
                bill = service.issue_bill(
                    uow,
                    config,
                    item_code=item,
                    amount=amount,
                    due_date=local_today() + timedelta(days=days),
                    payer={"citizen_id": citizen_id},
                )
                self.seen[bill.id] = bill.status
                return bill.id

        @rule(
            target=payments,
            bill_id=bills,
            provider=st.sampled_from(PROVIDERS),
            how=st.sampled_from(["exact", "over", "under", "late"]),
            delta=st.integers(1, 1000),
        )
        def pay(self, bill_id: uuid.UUID, provider: str, how: str, delta: int) -> uuid.UUID:
            with self._uow() as uow:
                bill = service.get_bill(uow.session, bill_id)
                outstanding = max(bill.amount - bill.paid_amount, 1)
                amount = {
                    "exact": outstanding,
                    "over": outstanding + delta,
                    "under": max(outstanding - delta, 1),
                    "late": outstanding,
                }[how]
                paid_at = datetime.now(UTC) + timedelta(days=30 if how == "late" else 0)
                payment, created = service.record_payment(
                    uow,
                    provider,
                    service.PaymentRequest(
                        reference=bill.write_off_number,
                        amount=amount,
                        channel="bank",
                        provider_txn_id=f"SM{next(_serial)}",
                        paid_at=paid_at,
                    ),
                    idempotency_key=uuid.uuid4().hex,
                )
                assert created
                return payment.id

        @rule(payment_id=payments, amount=st.none() | st.integers(1, 60_000))
        def refund(self, payment_id: uuid.UUID, amount: int | None) -> None:
            try:
                with self._uow() as uow:
                    service.refund_payment(uow, payment_id, amount, "state machine")
            except DomainError as error:
                assert error.code in (
                    "refund_exceeds_payment",
                    "not_refundable",
                    "nothing_to_refund",
                    "invalid_amount",
                )

        @rule(bill_id=consumes(bills))
        def cancel(self, bill_id: uuid.UUID) -> None:
            try:
                with self._uow() as uow:
                    service.cancel_bill(uow, bill_id)
            except DomainError as error:
                assert error.code == "illegal_bill_transition"

        @rule(provider=st.sampled_from(PROVIDERS), unknown=st.booleans(), drop=st.booleans())
        def settle(self, provider: str, unknown: bool, drop: bool) -> None:
            session = platform.db.read_session()
            rows = session.execute(
                select(
                    Payment.provider_txn_id, Bill.write_off_number, Payment.amount, Payment.paid_at
                )
                .join(Bill, Bill.id == Payment.bill_id)
                .where(Payment.provider == provider, ~settled_clause())
            ).all()
            session.close()
            lines = [f"{t},{r},{a},{p.isoformat()}" for t, r, a, p in rows]
            if drop and lines:
                lines.pop()
            if unknown:
                lines.append(
                    f"X{next(_serial)},1151234567890127,10,{datetime.now(UTC).isoformat()}"
                )
            if not lines:
                return
            text = "provider_txn_id,reference,amount,paid_at\n" + "\n".join(lines) + "\n"
            with platform.unit_of_work(system_actor("settle")) as uow:
                reconciliation.reconcile(uow, provider, text)

        @rule(amount=st.integers(1, 20_000), paid=st.booleans())
        def payout(self, amount: int, paid: bool) -> None:
            with self._uow() as uow:
                batch = payouts.create_batch(
                    uow, "DSW", "補助", PayoutPurpose.SUBSIDY, [(citizen_id, amount)]
                )
                payout_id = payouts.payouts_of_batch(uow.session, batch.id)[0].id
            with platform.unit_of_work(checker) as uow:
                payouts.approve_batch(uow, batch.id)
            with self._uow() as uow:
                payouts.record_result(uow, payout_id, paid)

        @rule()
        def expire(self) -> None:
            with self._uow() as uow:
                service.expire_overdue(uow, today=local_today() + timedelta(days=7))

        @invariant()
        def books_balance(self) -> None:
            session = platform.db.read_session()
            try:
                report = ledger.check(session)
                assert report.ok, report
                total = session.execute(
                    select(func.coalesce(func.sum(LedgerEntry.debit - LedgerEntry.credit), 0))
                ).scalar_one()
                assert total == 0
                for payment in session.execute(select(Payment)).scalars():
                    assert payment.applied + payment.refund_due == payment.amount
                    assert 0 <= payment.refunded <= payment.amount
                for bill in session.execute(select(Bill)).scalars():
                    applied = session.execute(
                        select(func.coalesce(func.sum(Payment.applied), 0)).where(
                            Payment.bill_id == bill.id
                        )
                    ).scalar_one()
                    assert applied == bill.paid_amount <= bill.amount
                    settled = bill.status in (BillState.PAID, BillState.WRITTEN_OFF)
                    assert settled == (bill.paid_amount == bill.amount)
                    before = self.seen.get(bill.id)
                    if before is not None and before != bill.status:
                        assert _reachable(before, bill.status), (before, bill.status)
                    self.seen[bill.id] = bill.status
            finally:
                session.close()

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def _reachable(source: str, target: str) -> bool:
    frontier, seen = [BillState(source)], set()
    while frontier:
        state = frontier.pop()
        for nxt in states.TRANSITIONS[state]:
            if nxt == BillState(target):
                return True
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


_ = date

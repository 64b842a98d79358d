"""The double-entry ledger: integer NTD, immutable entries, every posting balanced.

An account is `<AccountType>:<key>`. `post()` refuses an unbalanced posting before it
reaches the database, and `check()` proves afterwards that nothing slipped through.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from smartcity.core.db import Step, execute_as_one
from smartcity.core.time import utcnow
from smartcity.core.uow import note_write
from smartcity.modules.payments.models import Bill, LedgerEntry, LedgerTransaction
from smartcity.modules.payments.values import AccountType, BillState, EntryKind

_TRANSACTIONS = cast(Table, LedgerTransaction.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)


class UnbalancedPosting(ValueError):
    """A posting whose debits do not equal its credits (a programming error)."""


def account(kind: AccountType, key: str) -> str:
    """The account name `<type>:<key>`."""
    return f"{kind.value}:{key}"


@dataclass(frozen=True)
class Leg:
    """One side of a posting: a debit or a credit of `amount` on `account`."""

    account: str
    debit: int = 0
    credit: int = 0


def debit(name: str, amount: int) -> Leg:
    """A debit leg."""
    return Leg(name, debit=amount)


def credit(name: str, amount: int) -> Leg:
    """A credit leg."""
    return Leg(name, credit=amount)


@dataclass(frozen=True)
class Posting:
    """One balanced ledger transaction to write."""

    kind: EntryKind
    reference: object
    legs: Sequence[Leg]
    bill_id: uuid.UUID | None = None


# Built once: a statement object reused keeps its cache key (see docs/payments.md).
_INSERT_TRANSACTIONS = insert(_TRANSACTIONS)
_INSERT_ENTRIES = insert(_ENTRIES)


def post(
    session: Session,
    kind: EntryKind,
    reference: object,
    legs: Sequence[Leg],
    bill_id: uuid.UUID | None = None,
) -> None:
    """Write one balanced transaction (zero legs are dropped)."""
    post_all(session, [Posting(kind, reference, legs, bill_id)])


def post_all(session: Session, postings: Sequence[Posting]) -> None:
    """Write balanced transactions, all of them in one statement on PostgreSQL (zero legs
    are dropped)."""
    steps = posting_steps(postings)
    if steps:
        execute_as_one(session.connection(), steps)
        note_write(session)


def posting_steps(postings: Sequence[Posting]) -> list[Step]:
    """The statements that write `postings` (none if every leg is zero), refusing an
    unbalanced one; for callers that send them with their own (`execute_as_one`).

    Core inserts, not ORM objects: no per-object bookkeeping on the payment hot path
    (docs/benchmarks.md); with `execute_as_one` every row is a clause of one statement.
    """
    now = utcnow()
    transactions: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    for posting in postings:
        legs = [leg for leg in posting.legs if leg.debit or leg.credit]
        if not legs:
            continue
        if any(leg.debit < 0 or leg.credit < 0 or (leg.debit and leg.credit) for leg in legs):
            raise UnbalancedPosting("each leg is a positive debit or a positive credit")
        if sum(leg.debit for leg in legs) != sum(leg.credit for leg in legs):
            raise UnbalancedPosting(
                f"{posting.kind} {posting.reference}: debits differ from credits"
            )
        transaction_id = uuid.uuid4()
        transactions.append(
            {
                "id": transaction_id,
                "kind": posting.kind.value,
                "reference": str(posting.reference),
                "bill_id": posting.bill_id,
                "posted_at": now,
            }
        )
        entries.extend(
            {
                "transaction_id": transaction_id,
                "account": leg.account,
                "debit": leg.debit,
                "credit": leg.credit,
                "posted_at": now,
            }
            for leg in legs
        )
    if not transactions:
        return []
    return [(_INSERT_TRANSACTIONS, transactions), (_INSERT_ENTRIES, entries)]


def balances(session: Session, prefix: str = "") -> dict[str, int]:
    """Debit-minus-credit balance of every account (optionally those starting with `prefix`)."""
    query = select(
        LedgerEntry.account, func.sum(LedgerEntry.debit) - func.sum(LedgerEntry.credit)
    ).group_by(LedgerEntry.account)
    if prefix:
        query = query.where(LedgerEntry.account.startswith(prefix))
    return {name: int(total or 0) for name, total in session.execute(query)}


def statement(session: Session, name: str, limit: int = 500) -> list[dict[str, object]]:
    """The latest entries of one account, newest first, with the kind of each posting."""
    rows = session.execute(
        select(LedgerEntry, LedgerTransaction.kind, LedgerTransaction.reference)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account == name)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "posted_at": entry.posted_at,
            "kind": kind,
            "reference": reference,
            "debit": entry.debit,
            "credit": entry.credit,
        }
        for entry, kind, reference in rows
    ]


@dataclass
class LedgerReport:
    """What `check()` found."""

    transactions: int
    debits: int
    credits: int
    unbalanced: list[str]
    bills_without_postings: list[str]

    @property
    def ok(self) -> bool:
        """Whether debits equal credits everywhere and every paid bill has its postings."""
        return (
            self.debits == self.credits and not self.unbalanced and not self.bills_without_postings
        )


def check(session: Session) -> LedgerReport:
    """Prove debits = credits overall and per transaction, and that paid bills are posted."""
    debits, credits, count = session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.debit), 0),
            func.coalesce(func.sum(LedgerEntry.credit), 0),
            func.count(func.distinct(LedgerEntry.transaction_id)),
        )
    ).one()
    unbalanced = [
        str(transaction_id)
        for (transaction_id,) in session.execute(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.debit) != func.sum(LedgerEntry.credit))
        )
    ]
    paid_states = (BillState.PAID.value, BillState.WRITTEN_OFF.value)
    posted = select(LedgerTransaction.id).where(
        # A bill is paid by a provider's payment or by money an officer reposted onto it.
        LedgerTransaction.kind.in_((EntryKind.PAYMENT.value, EntryKind.REPOSTED.value)),
        LedgerTransaction.bill_id == Bill.id,
    )
    unposted_bills = session.execute(
        select(Bill.write_off_number).where(Bill.status.in_(paid_states), ~posted.exists())
    ).scalars()
    return LedgerReport(
        transactions=int(count),
        debits=int(debits),
        credits=int(credits),
        unbalanced=unbalanced,
        bills_without_postings=list(unposted_bills),
    )

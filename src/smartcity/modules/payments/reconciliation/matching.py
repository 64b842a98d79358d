"""Matching a settlement file against the recorded payments, and writing the report.

The lines the bucket sums do not vouch for (`reading`) are classified by one join; the
lines left are resolved one by one (recorded now, matched outside the window, unknown).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import polars as pl
from sqlalchemy import (
    String,
    Table,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from smartcity.core.repository import new_id
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, ledger, posting, repository
from smartcity.modules.payments.models import (
    Bill,
    Payment,
    Settlement,
    SettlementLine,
    settled,
)
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.reconciliation.reading import Agreed, Lines, Reader, midnight
from smartcity.modules.payments.values import (
    AccountType,
    Channel,
    EntryKind,
    MatchOutcome,
    SettlementFormat,
)

if TYPE_CHECKING:  # imported when first used: Numba takes a fifth of a second to load
    pass

CHUNK = 5000
Progress = Callable[[str], None]
"""Told the name of each stage as it starts (reading, matching, recording)."""


def reconcile(
    uow: UnitOfWork,
    provider: str,
    data: str | settlement_files.FileBytes,
    fmt: SettlementFormat | None = None,
    progress: Progress | None = None,
) -> Settlement:
    """Match a settlement file against recorded payments and write the report."""
    session = uow.session
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    chosen = fmt or settlement_files.detect_format(raw)
    store_file = chosen == SettlementFormat.FIXED
    stage = progress or (lambda _stage: None)
    # First statement of the transaction: on SQLite it takes the write lock, so nothing can
    # be recorded between the read below and the commit.
    provider_row = repository.ensure_provider(session, provider)
    cutoff = utcnow()
    reader = Reader(session, provider, store_file)
    stage("reading")
    every_line = Lines.read(raw, chosen, reader)
    if not every_line.height:
        raise errors.InvalidFile("the file has no lines")
    first, last = every_line.first, every_line.last
    agreed = reader.agreeing(every_line, first, last)
    if agreed is None:
        lines, known = every_line.frame(), reader.window(first, last)
        agreed = Agreed.nothing()
    else:
        lines = every_line.frame(~agreed.buckets)
        known = reader.read(first, last, np.flatnonzero(~agreed.buckets).tolist())
    stage("matching")
    settlement = Settlement(
        id=new_id(),
        provider=provider,
        format=chosen.value,
        lines=every_line.height,
        total=every_line.total,
        counts={},
        days=[d.isoformat() for d in every_line.days],
        window_start=midnight(first),
        window_end=midnight(last + timedelta(days=1)),
        covers_recorded_before=cutoff if reader.covers else None,
    )
    session.add(settlement)
    session.flush()
    joined = _classify(lines, known, store_file)
    resolved = _resolve(uow, settlement, provider, joined, store_file)
    outcomes = _outcomes(joined, resolved)
    missing = _missing(known, outcomes)
    stage("recording")
    findings = _findings(session, settlement.id, provider, outcomes, missing)
    if findings:
        session.execute(insert(SettlementLine), findings)
    matched = outcomes.filter(pl.col("outcome") == MatchOutcome.MATCHED.value)
    if not reader.covers:
        in_range = matched.filter(~pl.col("outside"))["payment_id"].to_list()
        _mark(session, settlement.id, [uuid.UUID(p) for p in in_range])
    _mark(session, settlement.id, [uuid.UUID(p) for p in resolved.marked])
    counts = _counts(outcomes, missing)
    counts[MatchOutcome.MATCHED.value] += agreed.count
    settled_total = int(matched["amount"].sum()) + agreed.total + resolved.recorded_total
    paid = counts[MatchOutcome.MATCHED.value] + counts[MatchOutcome.RECORDED.value]
    fees = provider_row.fee * paid
    net = settled_total - fees
    if net > 0:
        ledger.post(
            session,
            EntryKind.SETTLEMENT,
            settlement.id,
            [
                ledger.debit(ledger.account(AccountType.CITY_BANK, "treasury"), net),
                ledger.credit(ledger.account(AccountType.PROVIDER_CLEARING, provider), net),
            ],
        )
    settlement.counts = {
        "outcomes": counts,
        "by_department_day": _by_department_day(outcomes, missing, agreed.by_department_day),
        "settled_total": settled_total,
        "fees": fees,
    }
    uow.audit(
        "payments.settlement.reconciled",
        "settlement",
        settlement.id,
        {"provider": provider, "lines": every_line.height, **counts},
    )
    return settlement


def _classify(lines: pl.DataFrame, known: pl.DataFrame, store_file: bool) -> pl.DataFrame:
    """Each line with the recorded payment it names and an outcome, where one join decides it.

    A CSV line names its payment by provider_txn_id. A store line has no id: it consumes the
    next recorded payment of its bill (both taken in order), and the same line twice is a
    duplicate. Lines left without an outcome are resolved one by one (`_resolve`).
    """
    key = "provider_txn_id"
    lines = lines.with_columns(pl.col(key).hash().alias("h"))
    # Equal strings have equal hashes: with no repeated hash there is no repeated line.
    first = lines["h"].is_first_distinct()
    if not first.all():
        first = lines[key].is_first_distinct()
    lines = lines.with_columns(first.alias("first"))
    payments = known.select(
        pl.col(key).alias("payment_txn"),
        pl.col("amount").alias("known_amount"),
        pl.col("department").alias("known_department"),
        "payment_id",
        "reference",
    )
    if store_file:
        lines = lines.with_columns(
            pl.when("first")
            .then(pl.col("first").cast(pl.Int64).cum_sum().over("reference"))
            .alias("rank")
        )
        payments = payments.sort("payment_txn").with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("reference").alias("rank")
        )
        joined = lines.join(payments, on=["reference", "rank"], how="left", maintain_order="left")
    else:
        joined = _join_by_txn(lines, payments.drop("reference"))
    return joined.with_columns(
        pl.when(~pl.col("first"))
        .then(pl.lit(MatchOutcome.DUPLICATE.value))
        .when(pl.col("known_amount") == pl.col("amount"))
        .then(pl.lit(MatchOutcome.MATCHED.value))
        .when(pl.col("known_amount").is_not_null())
        .then(pl.lit(MatchOutcome.AMOUNT_MISMATCH.value))
        .alias("outcome")
    )


def _join_by_txn(lines: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Lines left-joined to the payments with their provider_txn_id.

    Joined on the strings' 64-bit hashes (several times cheaper), then checked string by
    string: a pair whose ids differ is dropped (that line is resolved one by one), and two
    payments sharing a hash (no join row may multiply) send it back to the string join.
    """
    known = payments.with_columns(pl.col("payment_txn").hash().alias("h"))
    joined = lines.join(known, on="h", how="left")
    if joined.height != lines.height:
        return lines.join(
            payments,
            left_on="provider_txn_id",
            right_on="payment_txn",
            how="left",
            maintain_order="left",
        ).with_columns(
            pl.when(pl.col("known_amount").is_not_null())
            .then(pl.col("provider_txn_id"))
            .alias("payment_txn")
        )
    same = pl.col("payment_txn") == pl.col("provider_txn_id")
    return joined.with_columns(
        pl.when(same).then(pl.col(c)).alias(c)
        for c in ("payment_txn", "known_amount", "known_department", "payment_id")
    )


class _Resolved:
    """What the one-by-one resolution of the remaining lines decided."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.marked: list[str] = []
        """Payments outside the window the file confirmed, and those recorded from it: marked
        together once every line is resolved."""
        self.recorded_total = 0


def _resolve(
    uow: UnitOfWork,
    settlement: Settlement,
    provider: str,
    joined: pl.DataFrame,
    store_file: bool,
) -> _Resolved:
    """Lines no recorded payment of the window explains (normally a handful).

    A CSV line may name a payment of another day; otherwise, when the bill exists, the file
    is the proof of payment ("paid at the store, callback lost") and the payment is recorded
    now, with every flag the platform gives money collected; with no such bill it is unknown.
    """
    session = uow.session
    result = _Resolved()
    open_lines = joined.filter(
        pl.col("outcome").is_null() | pl.col("known_department").is_null()
    ).sort("line_no")  # in file order: the first of two payments of a bill settles it
    if not open_lines.height:
        return result
    elsewhere = {} if store_file else _by_txn(session, provider, open_lines["provider_txn_id"])
    bills = _bills_by_reference(session, open_lines["reference"].to_list())
    for line in open_lines.iter_rows(named=True):
        bill = bills.get(line["reference"])
        row = {
            "line_no": line["line_no"],
            "outcome": line["outcome"],
            "payment_id": line["payment_id"],
            "department": bill[1] if bill else "",
            "outside": False,
        }
        result.rows.append(row)
        if line["outcome"] is not None:  # a duplicate: it needed only its department
            continue
        other = elsewhere.get(line["provider_txn_id"])
        if other is not None:
            row.update(payment_id=other["payment_id"], department=other["department"])
            if other["settled"]:  # confirmed by an earlier file
                row["outcome"] = MatchOutcome.DUPLICATE.value
            elif other["amount"] == line["amount"]:
                row.update(outcome=MatchOutcome.MATCHED.value, outside=True)
                result.marked.append(other["payment_id"])
            else:
                row["outcome"] = MatchOutcome.AMOUNT_MISMATCH.value
        elif bill is not None:
            request = posting.PaymentRequest(
                reference=line["reference"],
                amount=line["amount"],
                channel=(Channel.STORE if store_file else Channel.BANK).value,
                provider_txn_id=line["provider_txn_id"],
                paid_at=line["paid_at"],
            )
            payment, created = posting.post_payment(uow, provider, request, source="settlement")
            row["payment_id"] = payment["id"]
            if created:
                result.marked.append(payment["id"])
                row["outcome"] = MatchOutcome.RECORDED.value
                result.recorded_total += line["amount"]
            else:  # already recorded from an earlier file
                row["outcome"] = MatchOutcome.DUPLICATE.value
        else:
            row["outcome"] = MatchOutcome.UNKNOWN.value
    return result


def _outcomes(joined: pl.DataFrame, resolved: _Resolved) -> pl.DataFrame:
    """Every line's final outcome, department and payment (line_no order)."""
    frame = joined.select(
        "line_no",
        "provider_txn_id",
        "reference",
        "amount",
        "day",
        "payment_txn",
        "outcome",
        "payment_id",
        pl.col("known_department").alias("department"),
        pl.lit(value=False).alias("outside"),
    )
    if not resolved.rows:
        return frame
    fixes = pl.DataFrame(
        resolved.rows,
        schema={
            "line_no": pl.Int64,
            "outcome": pl.String,
            "payment_id": pl.String,
            "department": pl.String,
            "outside": pl.Boolean,
        },
    )
    return frame.update(fixes, on="line_no", how="left", include_nulls=False)


def _missing(known: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """The payments no line consumed."""
    consumed = outcomes.filter(pl.col("payment_txn").is_not_null())["payment_txn"]
    # Each payment has its own id and a line consumes only an equal one: when as many
    # distinct ids were consumed as there are payments, every payment was.
    if consumed.hash().n_unique() == known.height:
        return known.clear()
    return known.join(
        consumed.unique().to_frame("provider_txn_id"), on="provider_txn_id", how="anti"
    )


def _counts(outcomes: pl.DataFrame, missing: pl.DataFrame) -> dict[str, int]:
    counted = dict(outcomes["outcome"].value_counts().iter_rows())
    counted[MatchOutcome.MISSING.value] = missing.height
    return {o.value: int(counted.get(o.value, 0)) for o in MatchOutcome}


def _by_department_day(
    outcomes: pl.DataFrame, missing: pl.DataFrame, agreed: pl.DataFrame
) -> list[dict[str, Any]]:
    lines = (
        pl.concat(
            [
                outcomes.group_by("department", "day", "outcome").len(),
                agreed.with_columns(pl.lit(MatchOutcome.MATCHED.value).alias("outcome")),
            ],
            how="diagonal_relaxed",
        )
        .group_by("department", "day", "outcome")
        .agg(pl.col("len").sum())
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    groups = [
        (department, day.isoformat(), outcome, count)
        for department, day, outcome, count in lines.iter_rows()
    ] + [
        (department, "", MatchOutcome.MISSING.value, count)
        for department, count in missing.group_by("department").len().iter_rows()
    ]
    for department, day, outcome, count in groups:
        row = rows.setdefault((department, day), {"department": department, "day": day})
        row[outcome] = int(count)
    return [rows[k] for k in sorted(rows)]


def _findings(
    session: Session,
    settlement_id: uuid.UUID,
    provider: str,
    outcomes: pl.DataFrame,
    missing: pl.DataFrame,
) -> list[dict[str, object]]:
    """The report's rows: every line that did not match, and every payment the file lacks."""
    lines = outcomes.filter(pl.col("outcome") != MatchOutcome.MATCHED.value).sort("line_no")
    # The bulk read on SQLite skips ids and write-off numbers: the few needed are fetched.
    lacking = pl.concat(
        [
            lines.filter(pl.col("payment_id").is_null() & pl.col("payment_txn").is_not_null())[
                "payment_txn"
            ],
            missing.filter(pl.col("payment_id").is_null() | pl.col("reference").is_null())[
                "provider_txn_id"
            ],
        ]
    )
    extra = _by_txn(session, provider, lacking) if lacking.len() else {}
    findings = []
    for line in lines.iter_rows(named=True):
        payment_id = line["payment_id"] or extra.get(line["payment_txn"] or "", {}).get(
            "payment_id"
        )
        findings.append(
            _finding(
                settlement_id,
                line["line_no"],
                line["outcome"],
                line["provider_txn_id"],
                line["reference"],
                line["amount"],
                payment_id,
                line["department"] or "",
                line["day"].isoformat(),
            )
        )
    for payment in missing.sort("provider_txn_id").iter_rows(named=True):
        found = extra.get(payment["provider_txn_id"], {})
        findings.append(
            _finding(
                settlement_id,
                0,
                MatchOutcome.MISSING.value,
                payment["provider_txn_id"],
                payment["reference"] or found.get("reference", ""),
                payment["amount"],
                payment["payment_id"] or found.get("payment_id"),
                payment["department"],
                "",
            )
        )
    return findings


def _finding(
    settlement_id: uuid.UUID,
    line_no: int,
    outcome: str,
    txn: str,
    reference: str,
    amount: int,
    payment_id: str | None,
    department: str,
    day: str,
) -> dict[str, object]:
    return {
        "settlement_id": settlement_id,
        "line_no": line_no,
        "outcome": outcome,
        "provider_txn_id": txn[:64],
        "reference": reference[:32],
        "amount": amount,
        "payment_id": uuid.UUID(payment_id) if payment_id else None,
        "department": department,
        "day": day,
    }


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_txn(session: Session, provider: str, txns: pl.Series) -> dict[str, dict[str, Any]]:
    """The provider's payments with these transaction ids, whatever their day or status."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(txns.unique().to_list()):
        for row in session.execute(
            select(
                Payment.provider_txn_id,
                sql_cast(Payment.id, String).label("payment_id"),
                Payment.amount,
                Payment.department,
                Payment.reference,
                settled().label("settled"),
            ).where(Payment.provider == provider, Payment.provider_txn_id.in_(chunk))
        ).mappings():
            found[row["provider_txn_id"]] = dict(row)
    return found


def _mark(session: Session, settlement_id: uuid.UUID, payment_ids: Sequence[uuid.UUID]) -> None:
    """Give these payments the final 核銷 status, a chunk of them a statement."""
    table = cast(Table, Payment.__table__)
    for chunk in _chunks(payment_ids):
        session.execute(
            update(table).where(table.c.id.in_(chunk)).values(settlement_id=settlement_id),
            execution_options={"synchronize_session": False},
        )


def _bills_by_reference(
    session: Session, references: Sequence[str]
) -> dict[str, tuple[uuid.UUID, str]]:
    """(bill id, department) by reference: a write-off number or, as banks list, a virtual
    account."""
    wanted = sorted({n for n in references if len(n) == 16 and n.isdigit()})
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for chunk in _chunks(wanted):
        for number, account, bill_id, department in session.execute(
            select(Bill.write_off_number, Bill.virtual_account, Bill.id, Bill.department).where(
                or_(Bill.write_off_number.in_(chunk), Bill.virtual_account.in_(chunk))
            )
        ):
            for reference in (number, account):
                found[reference] = (bill_id, department)
    return found

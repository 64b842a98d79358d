"""Settlement files and reconciliation: what the provider says it collected vs. what we hold.

Formats:
- CSV with a header `provider_txn_id,reference,amount,paid_at` (paid_at ISO 8601; a time
  without zone is Taipei time).
- The convenience-store fixed-width record, 67 characters a line: debit date 8 (YYYYMMDD) |
  paid date 8 | write-off number 16 | amount 9 | due 4 (ROC YYMM) | collection agent 8 |
  payee account 14.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, String, Table, bindparam, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.time import TAIPEI, as_utc
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import ledger, service
from smartcity.modules.payments.models import Bill, Payment, Settlement, SettlementLine
from smartcity.modules.payments.values import (
    AccountType,
    Channel,
    EntryKind,
    MatchOutcome,
    SettlementFormat,
)

MAX_LINES = 2_000_000
FIXED_WIDTH = 67
CHUNK = 5000


class Line(NamedTuple):
    """One parsed line of a settlement file."""

    line_no: int
    provider_txn_id: str
    reference: str
    amount: int
    paid_at: datetime
    day: str
    """The Taipei date it was paid, ISO."""


def _line(line_no: int, txn: str, reference: str, amount: int, paid_at: datetime) -> Line:
    return Line(
        line_no, txn, reference, amount, paid_at, paid_at.astimezone(TAIPEI).date().isoformat()
    )


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _amount(text: str, line_no: int) -> int:
    value = text.strip()
    if not _digits(value) or len(value) > 12:
        raise InvalidInput(f"line {line_no}: the amount must be whole NTD", code="invalid_file")
    amount = int(value)
    if amount <= 0:
        raise InvalidInput(f"line {line_no}: the amount must be positive", code="invalid_file")
    return amount


def _paid_at(text: str, line_no: int) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TAIPEI)
        return as_utc(moment)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"line {line_no}: paid_at is not ISO 8601", code="invalid_file"
        ) from None


def parse_csv(text: str) -> list[Line]:
    """Read a CSV settlement file, or explain the first bad line."""
    try:
        return _parse_csv(text)
    except csv.Error as error:
        raise InvalidInput(f"not a CSV file: {error}", code="invalid_file") from None


def _parse_csv(text: str) -> list[Line]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != [
        "provider_txn_id",
        "reference",
        "amount",
        "paid_at",
    ]:
        raise InvalidInput(
            "the first line must be provider_txn_id,reference,amount,paid_at", code="invalid_file"
        )
    lines = []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != 4:
            raise InvalidInput(f"line {line_no}: expected 4 fields", code="invalid_file")
        txn, reference, amount, paid_at = row
        txn = txn.strip()
        if not 1 <= len(txn) <= 64:
            raise InvalidInput(
                f"line {line_no}: provider_txn_id is 1–64 characters", code="invalid_file"
            )
        lines.append(
            _line(
                line_no,
                txn,
                reference.strip()[:32],
                _amount(amount, line_no),
                _paid_at(paid_at, line_no),
            )
        )
        if len(lines) > MAX_LINES:
            raise InvalidInput("the file has too many lines", code="invalid_file")
    return lines


def _ymd(text: str, line_no: int, what: str) -> date:
    if not _digits(text):
        raise InvalidInput(f"line {line_no}: the {what} is YYYYMMDD", code="invalid_file")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidInput(
            f"line {line_no}: the {what} is not a date", code="invalid_file"
        ) from None


def parse_fixed(text: str) -> list[Line]:
    """Read the store's fixed-width file (67 characters a line), or explain the first bad line."""
    lines = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        record = raw.rstrip("\r")
        if not record.strip():
            continue
        if len(record) != FIXED_WIDTH:
            raise InvalidInput(
                f"line {line_no}: a record is {FIXED_WIDTH} characters, not {len(record)}",
                code="invalid_file",
            )
        _ymd(record[0:8], line_no, "debit date")
        paid = _ymd(record[8:16], line_no, "paid date")
        reference = record[16:32]
        amount = _amount(record[32:41], line_no)
        if not _digits(record[41:45]):
            raise InvalidInput(f"line {line_no}: the due field is ROC YYMM", code="invalid_file")
        agent = record[45:53].strip()
        # The store file carries no transaction id: the line (agent, reference, date,
        # amount, position) stands for it.
        txn = f"{agent or 'STORE'}-{paid:%Y%m%d}-{reference}-{amount}"[:64]
        lines.append(
            _line(
                line_no,
                txn,
                reference.strip(),
                amount,
                as_utc(datetime.combine(paid, time(12), TAIPEI)),
            )
        )
        if len(lines) > MAX_LINES:
            raise InvalidInput("the file has too many lines", code="invalid_file")
    return lines


def fixed_record(
    debit_day: date,
    paid_day: date,
    reference: str,
    amount: int,
    due: str,
    agent: str,
    payee: str,
) -> str:
    """One fixed-width record (for tests, demos and the sandbox)."""
    return (
        f"{debit_day:%Y%m%d}{paid_day:%Y%m%d}{reference:>16}{amount:09d}{due:>4}"
        f"{agent:<8}{payee:>14}"
    )[:FIXED_WIDTH]


def detect_format(text: str) -> SettlementFormat:
    """CSV when the first line is the CSV header, otherwise fixed-width."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return SettlementFormat.CSV if first.startswith("provider_txn_id") else SettlementFormat.FIXED


def parse(text: str, fmt: SettlementFormat) -> list[Line]:
    """Parse a file in the given format."""
    body = text.lstrip("\ufeff")
    return parse_csv(body) if fmt == SettlementFormat.CSV else parse_fixed(body)


def _chunks(values: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def reconcile(
    uow: UnitOfWork,
    provider: str,
    text: str,
    fmt: SettlementFormat | None = None,
    progress: Callable[[int], None] | None = None,
) -> Settlement:
    """Match a settlement file against recorded payments and write the report."""
    session = uow.session
    chosen = fmt or detect_format(text)
    lines = parse(text, chosen)
    if not lines:
        raise InvalidInput("the file has no lines", code="invalid_file")
    provider_row = service.ensure_provider(session, provider)
    settlement = Settlement(
        id=uuid.uuid4(),
        provider=provider,
        format=chosen.value,
        lines=len(lines),
        total=sum(line.amount for line in lines),
        counts={},
        days=[],
    )
    session.add(settlement)
    session.flush()
    days = sorted({line.day for line in lines})
    lower = datetime.combine(date.fromisoformat(days[0]), time.min, TAIPEI)
    upper = datetime.combine(date.fromisoformat(days[-1]) + timedelta(days=1), time.min, TAIPEI)
    in_range = (
        Payment.provider == provider,
        Payment.paid_at >= lower,
        Payment.paid_at < upper,
        Payment.settlement_id.is_(None),
    )
    # Ids are read as text on SQLite (PostgreSQL's driver still hands back UUIDs): converting
    # a million of them to UUID objects costs seconds.
    columns = (
        type_coerce(Payment.id, String),
        Payment.provider_txn_id,
        Payment.amount,
        Bill.write_off_number,
        Bill.department,
    )
    known: dict[str, _Known] = {}
    by_reference: dict[str, list[str]] = defaultdict(list)
    for pid, txn, amount, reference, department in session.execute(
        select(*columns).join(Bill, Bill.id == Payment.bill_id).where(*in_range)
    ):
        known[txn] = _Known(pid, amount, reference, department, True)
        by_reference[reference].append(txn)
    store_file = chosen == SettlementFormat.FIXED
    if not store_file:
        outside = [line.provider_txn_id for line in lines if line.provider_txn_id not in known]
        for chunk in _chunks(outside):
            for pid, txn, amount, reference, department in session.execute(
                select(*columns)
                .join(Bill, Bill.id == Payment.bill_id)
                .where(
                    Payment.provider == provider,
                    Payment.provider_txn_id.in_(chunk),
                    Payment.settlement_id.is_(None),
                )
            ):
                known[txn] = _Known(pid, amount, reference, department, False)
        wanted = [line.reference for line in lines if line.provider_txn_id not in known]
    else:
        wanted = [line.reference for line in lines if line.reference not in by_reference]
    bills = _bills_by_number(session, wanted)
    counts: Counter[str] = Counter()
    per_department: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    matched: set[str] = set()
    matched_outside: list[str] = []
    seen: set[str] = set()
    seen_lines: set[str] = set()
    findings: list[dict[str, object]] = []
    settled_total = 0
    for index, line in enumerate(lines, start=1):
        key = line.provider_txn_id
        duplicate_line = False
        if store_file:
            if key in seen_lines:
                duplicate_line = True
            else:
                seen_lines.add(key)
                # Store files have no transaction id: consume a recorded payment of the bill.
                pending = by_reference.get(line.reference)
                if pending:
                    key = pending.pop(0)
        record = known.get(key)
        bill = bills.get(line.reference)
        department = record.department if record else (bill[1] if bill else "")
        payment_id: str | uuid.UUID | None = None
        if duplicate_line or key in seen:
            outcome = MatchOutcome.DUPLICATE
        elif record is not None:
            payment_id = record.payment_id
            if record.amount == line.amount:
                outcome = MatchOutcome.MATCHED
                matched.add(record.payment_id)
                if not record.in_range:
                    matched_outside.append(record.payment_id)
                settled_total += record.amount
            else:
                outcome = MatchOutcome.AMOUNT_MISMATCH
        elif bill is not None:
            # Paid at the store, callback lost: the file is the proof; record it now.
            request = service.PaymentRequest(
                reference=line.reference,
                amount=line.amount,
                channel=(Channel.STORE if store_file else Channel.BANK).value,
                provider_txn_id=key,
                paid_at=line.paid_at,
            )
            payment, created = service.record_payment(uow, provider, request, source="settlement")
            payment_id = payment.id
            if created:
                payment.settlement_id = settlement.id
                outcome = MatchOutcome.RECORDED
                settled_total += line.amount
            else:  # already settled by an earlier file
                outcome = MatchOutcome.DUPLICATE
        else:
            outcome = MatchOutcome.UNKNOWN
        seen.add(key)
        counts[outcome] += 1
        per_department[(department, line.day)][outcome] += 1
        if outcome is not MatchOutcome.MATCHED:
            findings.append(
                _finding(
                    settlement.id,
                    line.line_no,
                    outcome,
                    line.provider_txn_id,
                    line.reference,
                    line.amount,
                    payment_id,
                    department,
                    line.day,
                )
            )
        if progress and index % 10000 == 0:
            progress(10000)
    excluded: list[str] = []
    for txn, record in known.items():
        if record.in_range and record.payment_id not in matched:
            excluded.append(record.payment_id)
            if txn not in seen:
                counts[MatchOutcome.MISSING] += 1
                per_department[(record.department, "")][MatchOutcome.MISSING] += 1
                findings.append(
                    _finding(
                        settlement.id,
                        0,
                        MatchOutcome.MISSING,
                        txn,
                        record.reference,
                        record.amount,
                        record.payment_id,
                        record.department,
                        "",
                    )
                )
    _mark_settled(session, settlement.id, in_range, matched, excluded, matched_outside)
    if findings:
        session.execute(insert(SettlementLine), findings)
    fees = provider_row.fee * (counts[MatchOutcome.MATCHED] + counts[MatchOutcome.RECORDED])
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
        "outcomes": {o.value: counts[o] for o in MatchOutcome},
        "by_department_day": [
            {"department": d, "day": day, **{str(k): v for k, v in c.items()}}
            for (d, day), c in sorted(per_department.items())
        ],
        "settled_total": settled_total,
        "fees": fees,
    }
    settlement.days = days
    uow.audit(
        "payments.settlement.reconciled",
        "settlement",
        settlement.id,
        {"provider": provider, "lines": len(lines), **settlement.counts["outcomes"]},
    )
    if progress:
        progress(len(lines) % 10000)
    return settlement


class _Known(NamedTuple):
    payment_id: str
    amount: int
    reference: str
    department: str
    in_range: bool


def _as_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)


def _finding(
    settlement_id: uuid.UUID,
    line_no: int,
    outcome: MatchOutcome,
    txn: str,
    reference: str,
    amount: int,
    payment_id: str | uuid.UUID | None,
    department: str,
    day: str,
) -> dict[str, object]:
    return {
        "settlement_id": settlement_id,
        "line_no": line_no,
        "outcome": outcome.value,
        "provider_txn_id": txn[:64],
        "reference": reference[:32],
        "amount": amount,
        "payment_id": _as_uuid(payment_id),
        "department": department,
        "day": day,
    }


def _mark_settled(
    session: Session,
    settlement_id: uuid.UUID,
    in_range: tuple[ColumnElement[bool], ...],
    matched: set[str],
    excluded: list[str],
    matched_outside: list[str],
) -> None:
    """Set the final 核銷 status on every matched payment, in as few statements as possible."""
    table = cast(Table, Payment.__table__)
    by_id = (
        update(table).where(table.c.id == bindparam("pid")).values(settlement_id=bindparam("sid"))
    )
    rest = matched_outside
    if len(excluded) <= CHUNK:
        # Usually almost every payment of the day matched: one statement marks them all.
        statement = update(table).where(*in_range).values(settlement_id=settlement_id)
        if excluded:
            statement = statement.where(table.c.id.not_in([_as_uuid(p) for p in excluded]))
        session.execute(statement, execution_options={"synchronize_session": False})
    else:
        outside = set(matched_outside)
        rest = [p for p in matched if p not in outside] + matched_outside
    if rest:
        session.connection().execute(
            by_id, [{"pid": _as_uuid(p), "sid": settlement_id} for p in rest]
        )


def _bills_by_number(session: Session, numbers: Sequence[str]) -> dict[str, tuple[uuid.UUID, str]]:
    wanted = sorted({n for n in numbers if len(n) == 16 and n.isdigit()})
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for chunk in _chunks(wanted):
        for number, bill_id, department in session.execute(
            select(Bill.write_off_number, Bill.id, Bill.department).where(
                Bill.write_off_number.in_(chunk)
            )
        ):
            found[number] = (bill_id, department)
    return found


def _departments(session: Session, bill_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    unique = list(dict.fromkeys(bill_ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        for bill_id, department in session.execute(
            select(Bill.id, Bill.department).where(Bill.id.in_(chunk))
        ):
            found[bill_id] = department
    return found


def get_settlement(session: Session, settlement_id: uuid.UUID) -> Settlement:
    """A settlement by id, or NotFound."""
    settlement = session.get(Settlement, settlement_id)
    if settlement is None:
        raise NotFound("no such settlement", code="unknown_settlement")
    return settlement


def findings_of(
    session: Session, settlement_id: uuid.UUID, department: str | None = None, limit: int = 1000
) -> Sequence[SettlementLine]:
    """The non-matched findings of a reconciliation."""
    query = (
        select(SettlementLine)
        .where(SettlementLine.settlement_id == settlement_id)
        .order_by(SettlementLine.id)
        .limit(limit)
    )
    if department:
        query = query.where(SettlementLine.department == department)
    return session.execute(query).scalars().all()


def daily_report(
    session: Session, day: date, department: str | None = None
) -> list[dict[str, object]]:
    """Per department for one Taipei day: collected, reconciled (核銷), unreconciled, exceptions."""
    lower = datetime.combine(day, time.min, TAIPEI)
    upper = lower + timedelta(days=1)
    query = (
        select(
            Bill.department,
            Payment.amount,
            Payment.applied,
            Payment.refund_due,
            Payment.settlement_id,
            Payment.flag,
        )
        .join(Bill, Bill.id == Payment.bill_id)
        .where(Payment.paid_at >= lower, Payment.paid_at < upper)
    )
    if department:
        query = query.where(Bill.department == department)
    rows: dict[str, dict[str, object]] = {}
    for dept, amount, applied, due, settlement_id, flag in session.execute(query):
        row = rows.setdefault(
            dept,
            {
                "department": dept,
                "day": day.isoformat(),
                "payments": 0,
                "collected": 0,
                "applied": 0,
                "refund_due": 0,
                "reconciled": 0,
                "unreconciled": 0,
                "exceptions": 0,
            },
        )
        row["payments"] = int(row["payments"]) + 1  # type: ignore[call-overload]
        row["collected"] = int(row["collected"]) + amount  # type: ignore[call-overload]
        row["applied"] = int(row["applied"]) + applied  # type: ignore[call-overload]
        row["refund_due"] = int(row["refund_due"]) + due  # type: ignore[call-overload]
        key = "reconciled" if settlement_id else "unreconciled"
        row[key] = int(row[key]) + 1  # type: ignore[call-overload]
        if flag != "none":
            row["exceptions"] = int(row["exceptions"]) + 1  # type: ignore[call-overload]
    for row in rows.values():
        row["status"] = "reconciled" if row["unreconciled"] == 0 else "open"
    return sorted(rows.values(), key=lambda r: str(r["department"]))


def report_csv(rows: Sequence[dict[str, object]]) -> str:
    """The daily report as CSV."""
    out = io.StringIO()
    fields = [
        "day",
        "department",
        "payments",
        "collected",
        "applied",
        "refund_due",
        "reconciled",
        "unreconciled",
        "exceptions",
        "status",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

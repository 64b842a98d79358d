"""Bills: who may issue them, their numbers and barcodes, who may see them, their states."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Principal, Role
from smartcity.core.departments import acts_for
from smartcity.core.errors import NotFound
from smartcity.core.i18n import N_
from smartcity.core.repository import new_id
from smartcity.core.time import local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import BindingKind, normalise_binding_value
from smartcity.modules.payments import codes, errors, states
from smartcity.modules.payments.departments import check_department
from smartcity.modules.payments.models import Bill, Item, Payment, Refund
from smartcity.modules.payments.repository import (
    bills_of_payers,
    get_bill,
    get_item,
    items_of,
    payments_of_bills,
    refunds_of,
)
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import (
    BillState,
)

PAYER_KINDS: dict[str, BindingKind | None] = {
    "citizen_id": None,
    "plate": BindingKind.PLATE,
    "account_number": BindingKind.UTILITY_ACCOUNT,
    "student_number": BindingKind.STUDENT_NUMBER,
}
"""Payer fields a bill may name, and the identity binding each corresponds to."""

# Refusals that carry the item's own figures, worded so that a page can translate them.
FIXED_AMOUNT = N_("a bill of {item} is always {amount} NTD")
AMOUNT_RANGE = N_("a bill's amount is 1 to {most} NTD")
OVER_CAP = N_("one bill of {item} is at most {most} NTD")


def _payer(session: Session, payer: dict[str, str]) -> tuple[str, str]:
    given = {k: v for k, v in payer.items() if v}
    if len(given) != 1:
        raise errors.InvalidPayer(
            "name exactly one payer: citizen_id, plate, account_number or student_number",
        )
    ((kind, value),) = given.items()
    binding = PAYER_KINDS.get(kind)
    if kind not in PAYER_KINDS:
        raise errors.InvalidPayer(f"unknown payer field {kind[:40]!r}")
    if binding is None:
        try:
            user = identity.get_user(session, value)
        except NotFound:
            raise errors.UnknownCitizen("no such citizen") from None
        if user.role != Role.CITIZEN:
            raise errors.UnknownCitizen("bills are addressed to citizens")
        return "citizen", str(user.id)
    return kind, normalise_binding_value(binding, value)


def issue_bill(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    *,
    item_code: str,
    amount: int | None,
    due_date: date,
    payer: dict[str, str],
    description: str = "",
    today: date | None = None,
) -> Bill:
    """An officer of the item's department issues a bill with all its numbers."""
    item = get_item(uow.session, item_code)
    check_department(uow.actor, item.department)
    return bill_item(
        uow,
        settings,
        item,
        amount=amount,
        due_date=due_date,
        payer=payer,
        description=description,
        today=today,
    )


def bill_item(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    item: Item,
    *,
    amount: int | None,
    due_date: date,
    payer: dict[str, str],
    description: str = "",
    today: date | None = None,
) -> Bill:
    """A bill of `item` for a caller already allowed to bill it (an officer of its department
    through `issue_bill`, or one of its department's car parks through `autopay.bill_exit`)."""
    session = uow.session
    if item.amount_rule == "fixed":
        if amount not in (None, item.amount):
            raise errors.InvalidAmount.worded(FIXED_AMOUNT, item=item.code, amount=item.amount)
        amount = item.amount
    if amount is None or not 0 < amount <= codes.MAX_BARCODE_AMOUNT:
        raise errors.InvalidAmount.worded(AMOUNT_RANGE, most=codes.MAX_BARCODE_AMOUNT)
    if item.max_amount is not None and amount > item.max_amount:
        raise errors.AmountOverCap.worded(OVER_CAP, item=item.code, most=item.max_amount)
    if due_date < (today or local_today()):
        raise errors.InvalidDueDate("the due date has passed")
    if due_date.year > 2110:
        raise errors.InvalidDueDate("the due date is too far away")
    payer_kind, payer_value = _payer(session, payer)
    for _ in range(20):
        number = codes.make_write_off_number(due_date)
        account = codes.make_virtual_account(settings.virtual_account_prefix)
        taken = session.execute(
            select(Bill.id).where(
                or_(Bill.write_off_number == number, Bill.virtual_account == account)
            )
        ).first()
        if taken is None:
            break
    else:  # pragma: no cover - 10^12 numbers; twenty collisions in a row do not happen
        raise errors.NumbersExhausted("could not find a free write-off number")
    bill = Bill(
        id=new_id(),
        write_off_number=number,
        virtual_account=account,
        item_code=item.code,
        department=item.department,
        amount=amount,
        paid_amount=0,
        due_date=due_date,
        payer_kind=payer_kind,
        payer_value=payer_value,
        description=description[:200],
        status=BillState.OPEN.value,
        issued_by=str(uow.actor.id or uow.actor.kind)[:64],
        created_at=utcnow(),
    )
    session.add(bill)
    session.flush()
    uow.audit(
        "payments.bill.issued",
        "bill",
        bill.id,
        {"item": item.code, "amount": amount, "due": due_date.isoformat(), "number": number},
    )
    return bill


def barcode_of(bill: Bill, settings: PaymentsSettings) -> codes.Barcode:
    """The bill's three-segment store barcode."""
    return codes.make_barcode(
        bill.due_date, settings.collection_code, bill.write_off_number, bill.amount
    )


def citizen_identifiers(session: Session, user_id: uuid.UUID) -> list[tuple[str, str]]:
    """(payer kind, value) pairs that reach this citizen: their id and live bindings."""
    pairs = [("citizen", str(user_id))]
    reverse = {binding: kind for kind, binding in PAYER_KINDS.items() if binding}
    today = local_today()
    for binding in identity.bindings_of(session, user_id):
        kind = reverse.get(BindingKind(binding.kind))
        if kind is None or binding.state != "verified":
            continue
        if binding.effective_from > today or (
            binding.effective_to is not None and binding.effective_to < today
        ):
            continue
        # Trust the binding only while identity still says it is this citizen's.
        if user_id in identity.citizens_bound_to(session, BindingKind(binding.kind), binding.value):
            pairs.append((kind, binding.value))
    return pairs


def check_can_see(session: Session, principal: Principal, bill: Bill) -> None:
    """Providers see any bill, staff their departments' (403 for another's), citizens their own
    (404 for others': they need not know a bill exists)."""
    if principal.role == Role.PROVIDER:
        return
    if principal.role == Role.CITIZEN and principal.id:
        mine = citizen_identifiers(session, uuid.UUID(str(principal.id)))
        if (bill.payer_kind, bill.payer_value) in mine:
            return
    elif acts_for(principal, bill.department):
        return
    elif principal.role == Role.OFFICER:
        raise errors.NotYourDepartment("this bill belongs to another department")
    raise errors.ReferenceNotFound("no bill has this reference")


def bills_of_citizen(session: Session, user_id: uuid.UUID) -> Sequence[Bill]:
    """*Public service.* Every bill addressed to the citizen or an identifier they bound."""
    return bills_of_payers(session, citizen_identifiers(session, user_id))


@dataclass(frozen=True)
class OpenBill:
    """A bill the citizen can still pay, as other modules see it (never the ORM row)."""

    bill_id: uuid.UUID
    item_name: str
    item_name_en: str
    description: str
    amount: int
    """NTD still owed (the amount less what was paid)."""
    due_date: date
    pay_path: str
    """The portal page where the citizen pays it."""
    plate: str | None
    """The plate the bill is addressed to, when it is a vehicle's."""


def open_bills_of_citizen(session: Session, user_id: uuid.UUID) -> list[OpenBill]:
    """*Public service.* The citizen's bills still open, soonest due first."""
    bills = [b for b in bills_of_citizen(session, user_id) if b.status == BillState.OPEN.value]
    items = items_of(session, bills)
    return [
        OpenBill(
            bill_id=bill.id,
            item_name=items[bill.item_code].name if bill.item_code in items else bill.item_code,
            item_name_en=items[bill.item_code].name_en if bill.item_code in items else "",
            description=bill.description,
            amount=bill.amount - bill.paid_amount,
            due_date=bill.due_date,
            pay_path=f"/me/payments/bills/{bill.id}",
            plate=bill.payer_value if bill.payer_kind == "plate" else None,
        )
        for bill in sorted(bills, key=lambda b: (b.due_date, str(b.id)))
    ]


@dataclass(frozen=True)
class LedgerEntry:
    """One bill of a citizen's e-ledger with its payments (oldest first) and their refunds."""

    bill: Bill
    item: Item | None
    payments: list[Payment]
    refunds: list[Refund]


def citizen_ledger(session: Session, user_id: uuid.UUID) -> list[LedgerEntry]:
    """The citizen's bills, newest first, with payments and refunds: a query of each kind."""
    bills = bills_of_citizen(session, user_id)
    items = items_of(session, bills)
    paid = payments_of_bills(session, [bill.id for bill in bills])
    refunds: dict[uuid.UUID, list[Refund]] = {}
    for refund in refunds_of(session, [p.id for payments in paid.values() for p in payments]):
        refunds.setdefault(refund.payment_id, []).append(refund)
    return [
        LedgerEntry(
            bill,
            items.get(bill.item_code),
            paid[bill.id],
            [refund for payment in paid[bill.id] for refund in refunds.get(payment.id, [])],
        )
        for bill in bills
    ]


def bill_move(current: str, target: BillState, at: datetime | None = None) -> dict[str, Any]:
    """The column changes of moving a bill along the transition table (Conflict if illegal)."""
    status = states.check_move(current, target).value
    moment = at or utcnow()
    if target == BillState.PAID:
        return {"status": status, "paid_at": moment}
    if target == BillState.WRITTEN_OFF:
        return {"status": status, "written_off_at": moment}
    return {"status": status, "closed_at": moment}


def move_bill(bill: Bill, target: BillState, at: datetime | None = None) -> None:
    """Move a bill along the transition table (Conflict on an illegal move)."""
    for column, value in bill_move(bill.status, target, at).items():
        setattr(bill, column, value)


def cancel_bill(uow: UnitOfWork, bill_id: uuid.UUID, reason: str = "") -> Bill:
    """The department withdraws an open bill."""
    bill = get_bill(uow.session, bill_id)
    check_department(uow.actor, bill.department)
    move_bill(bill, BillState.CANCELLED)
    uow.audit("payments.bill.cancelled", "bill", bill.id, {"reason": reason[:200]})
    return bill


def expire_overdue(uow: UnitOfWork, today: date | None = None) -> int:
    """Move open bills past their due date to expired; returns how many."""
    day = today or local_today()
    bills = (
        uow.session.execute(
            select(Bill).where(Bill.status == BillState.OPEN.value, Bill.due_date < day)
        )
        .scalars()
        .all()
    )
    for bill in bills:
        move_bill(bill, BillState.EXPIRED)
        uow.audit("payments.bill.expired", "bill", bill.id, {"due": bill.due_date.isoformat()})
    return len(bills)


# -- bills from a file ----------------------------------------------------------------


BILL_CSV_HEADER = ["item_code", "amount", "due_date", "payer_kind", "payer_value"]


def parse_bill_csv(text: str, limit: int = 10_000) -> list[dict[str, Any]]:
    """Rows of a bulk bill file, ready for `service.issue_bill`; one bad line refuses it all."""
    rows: list[dict[str, Any]] = []
    for line_no, fields in bill_lines(text):
        try:
            rows.append(bill_row(fields))
        except errors.InvalidFile as problem:
            raise errors.InvalidFile(f"line {line_no}: {problem.detail}") from None
        if len(rows) > limit:
            raise errors.InvalidFile(f"at most {limit} bills per file")
    if not rows:
        raise errors.InvalidFile("the file has no bills")
    return rows


def bill_lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank line of a bill file after its header; InvalidFile
    when the header is not `BILL_CSV_HEADER` or the text is not CSV."""
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = next(reader, None)
        if header is None or [h.strip() for h in header][:5] != BILL_CSV_HEADER:
            raise errors.InvalidFile("the first line must be " + ",".join(BILL_CSV_HEADER))
        return [(line_no, row) for line_no, row in enumerate(reader, start=2) if row]
    except csv.Error as error:
        raise errors.InvalidFile(f"not a CSV file: {error}") from None


def bill_row(row: list[str]) -> dict[str, Any]:
    """One line of a bill file as `service.issue_bill`'s arguments; InvalidFile when it cannot
    be one."""
    if len(row) < 5:
        raise errors.InvalidFile("expected 5 fields")
    item_code, amount, due, kind, value = (part.strip() for part in row[:5])
    if kind not in PAYER_KINDS:
        raise errors.InvalidFile("unknown payer kind")
    try:
        due_date = date.fromisoformat(due)
        amount_value = int(amount) if amount else None
    except ValueError:
        raise errors.InvalidFile("bad amount or date") from None
    return {
        "item_code": item_code[:32],
        "amount": amount_value,
        "due_date": due_date,
        "payer": {kind: value[:100]},
        "description": (row[5] if len(row) > 5 else "")[:200],
    }
